; Data and bss of the assembly benchmark scaffolding; included last.
bench_name:   db BENCH_NAME, 0
msg_checksum: db ": checksum ", 0
msg_fault:    db ": unexpected exception 0x", 0
msg_at:       db " at 0x", 0
key_iters:    db "iters=", 0
hexdigits:    db "0123456789abcdef"

GDT_BEGIN
USER_DESCRIPTORS
%ifmacro extra_gdt 0
    extra_gdt
%endif
GDT_END

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
