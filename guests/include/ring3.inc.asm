; Ring-3 support for guest test programs: user code/data descriptors, a TSS with
; the ring-0 stack, and TO_RING3, which runs the code after it at CPL 3 until an
; `int 0x82`, after which execution continues in ring 0 after that instruction.
; Include after testlib.inc.asm; call ring3_setup first; put RING3_GDT in the
; program's extra_gdt (selectors 0x18, 0x20, 0x28) and RING3_BSS in extra_bss.

UCODE  equ 0x18 | 3
UDATA  equ 0x20 | 3
TSSSEL equ 0x28

%macro RING3_GDT 0
    DESC 0, 0xFFFFF, 0xFA, 0xC          ; 0x18 ring-3 code
    DESC 0, 0xFFFFF, 0xF2, 0xC          ; 0x20 ring-3 data
    DESC 0, tss_end - tss - 1, 0x89, 0  ; 0x28 32-bit TSS (base set by ring3_setup)
%endmacro

%macro RING3_BSS 0
alignb 16
user_stack: resb 4096
user_stack_top:
alignb 4
tss:    resb 104
iomap:  resb 8192
iomap_end: resb 1
tss_end:
%endmacro

%macro TO_RING3 0
    mov [ring0_esp], esp
    push dword UDATA
    push dword user_stack_top
    push dword 0x00000002
    push dword UCODE
    push dword %%user
    iretd
%%user:
%endmacro

ring3_setup:
    mov eax, tss
    mov [gdt + TSSSEL + 2], ax
    shr eax, 16
    mov [gdt + TSSSEL + 4], al
    mov [gdt + TSSSEL + 7], ah
    mov dword [tss + 4], stack_top - 0x1000
    mov dword [tss + 8], KDATA
    mov word [tss + 102], iomap - tss
    mov edi, iomap
    mov ecx, 8192 / 4
    mov eax, -1
    rep stosd
    mov byte [iomap_end], 0xFF
    mov ax, TSSSEL
    ltr ax
    mov ecx, 0x82
    mov eax, back_to_ring0
    mov ebx, (KCODE << 16) | 0xEE00
    call set_gate
    ret

back_to_ring0:
    mov eax, [esp]                  ; EIP after the INT 0x82
    mov bx, KDATA
    mov ds, bx
    mov es, bx
    mov [continue_at], eax
    mov esp, [ring0_esp]
    jmp [continue_at]

ring0_esp:   dd 0
continue_at: dd 0
