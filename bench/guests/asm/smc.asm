; Self-modifying code in a loop, three ways each iteration:
;  A. a tight loop that patches the immediate of an instruction it then runs;
;  B. a loop that rewrites the opcode of an instruction (ADD/XOR/SUB/ADC) in its own block;
;  C. code generation: 64 small functions written into a buffer on a page of
;     their own, then called.
%define BENCH_NAME "smc"
DEFAULT_ITERS equ 200
INNER         equ 256
STUBS         equ 64
STUB_SIZE     equ 16

%include "benchlib.inc.asm"

work:
    xor eax, eax
    mov ebp, [iters]
.outer:
    xor eax, ebp
    ; A: patch the imm32 of the ADD right below.
    mov edx, INNER
.a:
    lea ebx, [edx * 8 + edx]
    mov [.a_imm + 1], ebx
.a_imm:
    db 0x05                         ; add eax, imm32 (spelt out: the assembler would pick the imm8 form)
    dd 0
    rol eax, 3
    dec edx
    jnz .a

    ; B: choose the operation by the counter and write its opcode byte.
    mov edx, INNER
.b:
    mov ecx, edx
    and ecx, 3
    mov cl, [ops + ecx]
    mov [.b_op], cl
    mov [.b_op + 1], edx
.b_op:
    db 0x05
    dd 0
    ror eax, 3
    dec edx
    jnz .b

    ; C: generate STUBS functions "mov ecx, imm32; add eax, ecx; xor eax, imm32; ret", then call them.
    mov edi, codebuf
    xor edx, edx
.gen:
    mov ebx, ebp
    imul ebx, ebx, 0x9E3779B1
    add ebx, edx
    mov byte [edi], 0xB9            ; mov ecx, imm32
    mov [edi + 1], ebx
    mov word [edi + 5], 0xC801      ; add eax, ecx
    mov byte [edi + 7], 0x35        ; xor eax, imm32
    mov [edi + 8], edx
    mov byte [edi + 12], 0xC3       ; ret
    add edi, STUB_SIZE
    inc edx
    cmp edx, STUBS
    jb .gen
    mov esi, codebuf
    mov edx, STUBS
.call:
    call esi
    rol eax, 5
    add esi, STUB_SIZE
    dec edx
    jnz .call

    dec ebp
    jnz .outer
    ret

ops: db 0x05, 0x35, 0x2D, 0x15        ; ADD, XOR, SUB, ADC eax, imm32

%macro extra_bss 0
alignb 4096
codebuf: resb STUBS * STUB_SIZE
%endmacro

%include "benchlib_end.inc.asm"
