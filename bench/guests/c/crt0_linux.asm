; Process entry of the native (i386 Linux) build of the C workloads.
bits 32
extern plat_start
global _start

section .text
_start:
    mov eax, [esp]                  ; argc
    lea edx, [esp + 4]              ; argv
    and esp, -16
    push edx
    push eax
    call plat_start

section .note.GNU-stack noalloc noexec nowrite progbits
