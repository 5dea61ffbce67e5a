; Data and bss of the assembly benchmark scaffolding; included last.
bench_name:   db BENCH_NAME, 0
msg_checksum: db ": checksum ", 0
msg_fault:    db ": unexpected exception 0x", 0
msg_at:       db " at 0x", 0
key_iters:    db "iters=", 0
hexdigits:    db "0123456789abcdef"

exc_table:
%assign v 0
%rep 32
    dd exc_ %+ v
%assign v v + 1
%endrep

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF           ; 0x08 ring-0 code
    dq 0x00CF92000000FFFF           ; 0x10 ring-0 data
    dq 0x00CFFA000000FFFF           ; 0x18 ring-3 code
    dq 0x00CFF2000000FFFF           ; 0x20 ring-3 data
gdt_tss:
    dq 0x0000890000000067           ; 0x28 TSS (base filled in at start)
%ifmacro extra_gdt 0
    extra_gdt
%endif
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt
idtr:
    dw 256 * 8 - 1
    dd idt

mb_magic: dd 0
mb_info:  dd 0
iters:    dd 0

load_end:

absolute load_end
alignb 8
idt:        resb 256 * 8
tss:        resb 104
alignb 16
            resb 16384
stack_top:
            resb 8192
kstack_top:
            resb 8192
ustack_top:
%ifmacro extra_bss 0
    extra_bss
%endif
bss_end:
