; Virtual-8086 mode (VME off): entering through IRET with VM = 1, real-mode
; segment arithmetic, an INT through the IDT to a 32-bit ring-0 handler (segment
; registers pushed and nulled, IRET back restoring them), IOPL-sensitive
; instructions with IOPL 3 and with IOPL 0 (#GP(0) to the monitor), port I/O
; checked against the I/O permission bitmap, privileged instructions at CPL 3.
%include "testlib.inc.asm"
%include "ring3.inc.asm"

%macro extra_gdt 0
    RING3_GDT
%endmacro

V86_CS equ 0x0800                   ; code copied to linear 0x8000
V86_SS equ 0x0900
V86_DS equ 0x1234
V86_ES equ 0x2000

; TO_V86 entry, iopl, continuation: run V86 code from `entry` until it leaves
; through INT 0x84 (or faults into an EXPECT_FAULT); ring 0 goes on at `continuation`.
%macro TO_V86 3
    mov dword [v86_continue], %3
    mov [ring0_esp], esp
    push dword 0                    ; GS
    push dword 0                    ; FS
    push dword V86_DS
    push dword V86_ES
    push dword V86_SS
    push dword 0x0FFE
    push dword 0x00020002 | (%2 << 12)
    push dword V86_CS
    push dword %1 - v86_start
    iretd
%endmacro

tests:
    call ring3_setup
    and byte [iomap + 0x80 / 8], 0xFE           ; port 0x80 allowed
    mov esi, v86_start
    mov edi, 0x8000
    mov ecx, v86_end - v86_start
    rep movsb
    mov ecx, 0x83
    mov eax, int83
    mov ebx, (KCODE << 16) | 0xEE00
    call set_gate
    mov ecx, 0x84
    mov eax, v86_exit
    mov ebx, (KCODE << 16) | 0xEE00
    call set_gate

    ; ---- IOPL 3: segment arithmetic, CLI/STI/PUSHF/POPF, INT to a ring-0 handler
    TO_V86 v86_a, 3, .a
.a:
    CHECK_EQ [0x12350], 0xBEEF, "V86 DS:0x10 is linear DS*16 + 0x10"
    movzx eax, word [0x12360]
    and eax, 0x3000
    CHECK_EQ eax, 0x3000, "PUSHF in V86 with IOPL 3 shows IOPL"
    CHECK_EQ [int83_vm], 0x20000, "INT from V86: pushed EFLAGS has VM"
    CHECK_EQ [int83_es], V86_ES, "INT from V86: ES pushed on the ring-0 stack"
    CHECK_EQ [int83_ds_inside], 0, "INT from V86: DS null inside the handler"
    CHECK_EQ [int83_cs], V86_CS, "INT from V86: CS pushed"
    CHECK_EQ [int83_cpl], 0, "INT from V86 runs the handler at CPL 0"
    movzx eax, word [0x12370]
    CHECK_EQ eax, 0x5555, "IRET back to V86: handler's AX seen in V86"
    movzx eax, word [0x12372]
    CHECK_EQ eax, V86_ES, "IRET back to V86 restores ES"

    ; ---- IOPL 0: the IOPL-sensitive instructions fault to the monitor
    EXPECT_FAULT .b
    TO_V86 v86_cli, 0, .b
.b:
    CHECK_EQ [fault_vector], 13, "CLI in V86 with IOPL 0: #GP"
    CHECK_EQ [fault_error], 0, "CLI in V86: error code 0"
    CHECK_EQ [fault_cs], V86_CS, "fault from V86 code"
    EXPECT_FAULT .c
    TO_V86 v86_pushf, 0, .c
.c:
    CHECK_EQ [fault_vector], 13, "PUSHF in V86 with IOPL 0: #GP"
    EXPECT_FAULT .d
    TO_V86 v86_int, 0, .d
.d:
    CHECK_EQ [fault_vector], 13, "INT n in V86 with IOPL 0: #GP"
    CHECK_EQ [fault_error], 0, "INT n in V86: error code 0"
    EXPECT_FAULT .e
    TO_V86 v86_io, 0, .e
.e:
    movzx eax, word [0x12380]
    CHECK_EQ eax, 1, "OUT to a port the bitmap allows, IOPL 0"
    CHECK_EQ [fault_vector], 13, "OUT to a denied port in V86: #GP"
    EXPECT_FAULT .f
    TO_V86 v86_priv, 3, .f
.f:
    CHECK_EQ [fault_vector], 13, "MOV from CR0 in V86 (CPL 3): #GP"
    ret

int83:
    mov bx, ds
    push eax
    mov ax, KDATA
    mov ds, ax
    movzx ebx, bx
    mov [int83_ds_inside], ebx
    mov eax, [esp + 4 + 8]          ; EFLAGS
    and eax, 0x20000
    mov [int83_vm], eax
    mov eax, [esp + 4 + 4]          ; CS
    mov [int83_cs], eax
    mov eax, [esp + 4 + 20]         ; ES
    mov [int83_es], eax
    mov ax, cs
    and eax, 3
    mov [int83_cpl], eax
    pop eax
    mov ax, 0x5555
    iretd

v86_exit:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov esp, [ring0_esp]
    jmp [v86_continue]

align 4
v86_continue:    dd 0
int83_vm:        dd -1
int83_cs:        dd -1
int83_es:        dd -1
int83_ds_inside: dd -1
int83_cpl:       dd -1

bits 16
v86_start:
v86_a:
    mov word [0x10], 0xBEEF
    cli
    sti
    pushf
    pop ax
    mov [0x20], ax
    popf
    int 0x83
    mov [0x30], ax
    mov [0x32], es
    int 0x84
v86_cli:
    cli
    int 0x84
v86_pushf:
    pushf
    int 0x84
v86_int:
    int 0x83
    int 0x84
v86_io:
    out 0x80, al
    mov word [0x40], 1
    out 0x81, al
    int 0x84
v86_priv:
    mov eax, cr0
    int 0x84
v86_end:
bits 32

%macro extra_bss 0
    RING3_BSS
%endmacro

%include "testlib_end.inc.asm"
