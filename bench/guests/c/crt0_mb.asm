; Multiboot entry of the C workloads: the header (address-field form, so that the
; flat image boots on every loader), a stack, a clean x87, then plat_start.
bits 32
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00010002             ; memory info, address fields

extern __load_start, __load_end, __bss_end, plat_start
global _start

section .multiboot progbits alloc noexec nowrite align=4
header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    dd header, __load_start, __load_end, __bss_end, _start

section .text
_start:
    cli
    mov esp, stack_top
    cld
    fninit
    push ebx
    push eax
    call plat_start

section .stack nobits alloc noexec write align=16
    resb 65536
stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
