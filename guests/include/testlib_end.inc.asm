; Data and bss of the guest test library; included at the end of each program.
hexdigits:      db "0123456789ABCDEF"
msg_unexpected: db "FAIL unexpected exception 0x", 0
msg_at:         db " at 0x", 0
msg_err:        db " error 0x", 0

GDT_BEGIN
%ifmacro extra_gdt 0
    extra_gdt
%endif
GDT_END

failures:       dd 0
fault_vector:   dd -1
fault_error:    dd -1
fault_eip:      dd 0
fault_cs:       dd 0
fault_count:    dd 0
recover_eip:    dd 0
recover_esp:    dd 0
recover_target: dd 0

load_end:
absolute load_end
alignb 8
idt:        resb 256 * 8
alignb 16
            resb 16384
stack_top:
%ifmacro extra_bss 0
    extra_bss
%endif
bss_end:
