; Entry stubs for exception vectors 0-31, shared by the test library and the
; benchmark scaffolding. Each stub pushes a zero where the CPU pushes no error
; code, then its vector, and jumps to the includer's `exc_common`, which so
; always finds: vector, error code, EIP, CS, EFLAGS (+ ESP, SS from an outer
; ring). install_idt points vectors 0-31 of the includer's `idt` at the stubs
; through ring-0 32-bit interrupt gates in KCODE.

%macro EXC_NOERR 1
exc_%1:
    push dword 0
    push dword %1
    jmp exc_common
%endmacro
%macro EXC_ERR 1
exc_%1:
    push dword %1
    jmp exc_common
%endmacro

%assign v 0
%rep 32
%if v == 8 || (v >= 10 && v <= 14) || v == 17
EXC_ERR v
%else
EXC_NOERR v
%endif
%assign v v + 1
%endrep

install_idt:
    xor ecx, ecx
.l: mov eax, [exc_table + ecx * 4]
    mov [idt + ecx * 8], ax
    mov word [idt + ecx * 8 + 2], KCODE
    mov word [idt + ecx * 8 + 4], 0x8E00
    shr eax, 16
    mov [idt + ecx * 8 + 6], ax
    inc ecx
    cmp ecx, 32
    jb .l
    ret

exc_table:
%assign v 0
%rep 32
    dd exc_ %+ v
%assign v v + 1
%endrep
