; Privilege and control transfer, exceptions and debug: IRET to ring 3 (data
; segments cleared), IOPL and the I/O permission bitmap, privileged instructions
; at CPL 3, a call gate with parameter copy and stack switch through the TSS, far
; RET to the outer level, INT through a DPL 3 gate and #GP through a DPL 0 one,
; INT3/INTO/BOUND/#DE/#UD with fault vs trap EIPs, single-step (TF), a DR0
; instruction breakpoint, and a double fault.
%include "testlib.inc.asm"
%include "ring3.inc.asm"

GATE   equ 0x30 | 3

%macro extra_gdt 0
    RING3_GDT
    dw 0, KCODE                         ; 0x30 call gate, DPL 3, 2 dword parameters
    db 2, 0xEC
    dw 0
%endmacro

tests:
    call ring3_setup
    ; I/O bitmap: only port 0x80 allowed.
    and byte [iomap + 0x80 / 8], 0xFE
    ; Gates: 0x80 trap gate DPL 3, 0x81 interrupt gate DPL 0, 0x82 "back to ring 0" DPL 3.
    mov ecx, 0x80
    mov eax, int80
    mov ebx, (KCODE << 16) | 0xEF00
    call set_gate
    mov ecx, 0x81
    mov eax, int80
    mov ebx, (KCODE << 16) | 0x8E00
    call set_gate
    ; Call gate target.
    mov eax, gate_target
    mov [gdt + 0x30], ax
    shr eax, 16
    mov [gdt + 0x30 + 6], ax

    ; ---- IRET to ring 3
    TO_RING3
    mov bx, ds
    mov [ss:r3_ds], ebx
    mov ax, cs
    mov [ss:r3_cs], eax
    int 0x82
    CHECK_EQ [r3_cs], UCODE, "IRET to ring 3: CS"
    CHECK_EQ [r3_ds], 0, "IRET to ring 3 nulls DS (DPL 0 data)"

    ; ---- I/O and privileged instructions at CPL 3
    EXPECT_FAULT .io1
    TO_RING3
    mov ax, UDATA
    mov ds, ax
    mov es, ax
    in al, 0x80
    mov dword [io_ok], 1
    in al, 0x81
    int 0x82
.io1:
    CHECK_EQ [io_ok], 1, "CPL 3 IN from a port the bitmap allows"
    CHECK_EQ [fault_vector], 13, "CPL 3 IN from a denied port: #GP"
    CHECK_EQ [fault_error], 0, "denied port: error code 0"
    EXPECT_FAULT .io2
    TO_RING3
    cli
    int 0x82
.io2:
    CHECK_EQ [fault_vector], 13, "CLI at CPL 3 with IOPL 0: #GP"
    EXPECT_FAULT .io3
    TO_RING3
    mov eax, cr0
    int 0x82
.io3:
    CHECK_EQ [fault_vector], 13, "MOV from CR0 at CPL 3: #GP"
    EXPECT_FAULT .io4
    TO_RING3
    hlt
    int 0x82
.io4:
    CHECK_EQ [fault_vector], 13, "HLT at CPL 3: #GP"
    CHECK_EQ [fault_cs], UCODE, "the fault came from ring 3"

    ; ---- call gate with two parameters, then RETF 8 to ring 3
    TO_RING3
    mov ax, UDATA
    mov ds, ax
    mov es, ax
    push dword 0x1111
    push dword 0x2222
    mov [user_esp_before], esp
    call GATE:0
    mov [user_esp_after], esp
    mov eax, es
    mov [es_after_ret], eax
    int 0x82
    CHECK_EQ [gate_cpl], 0, "call gate runs the target at CPL 0"
    CHECK_EQ [gate_p1], 0x2222, "call gate copies parameter 1"
    CHECK_EQ [gate_p2], 0x1111, "call gate copies parameter 2"
    CHECK_EQ [gate_ss], KDATA, "call gate switches to the TSS ring-0 stack"
    CHECK_EQ [gate_old_ss], UDATA, "old SS pushed on the new stack"
    mov eax, [user_esp_before]
    add eax, 8
    CHECK_EQ [user_esp_after], eax, "RETF 8 pops the parameters from the outer stack"
    CHECK_EQ [es_after_ret], 0, "far RET to ring 3 nulls ES holding ring-0 data"

    ; ---- INT through a DPL 3 gate from ring 3; DPL 0 gate gives #GP(vector*8+2)
    TO_RING3
    mov eax, 0x1234
    int 0x80
    mov [ss:int80_ret], eax
    int 0x82
    CHECK_EQ [int80_ret], 0x1235, "INT 0x80 from ring 3 through a DPL 3 trap gate"
    CHECK_EQ [int80_cs], UCODE, "INT 0x80 pushed the ring-3 CS"
    EXPECT_FAULT .g1
    TO_RING3
    int 0x81
    int 0x82
.g1:
    CHECK_EQ [fault_vector], 13, "INT through a DPL 0 gate from ring 3: #GP"
    CHECK_EQ [fault_error], 0x81 * 8 + 2, "error code names the IDT entry"

    ; ---- exceptions: vector and faulting/trapping EIP
    EXPECT_FAULT .e1
.int3:
    int3
.e1:
    CHECK_EQ [fault_vector], 3, "INT3: vector 3"
    CHECK_EQ [fault_eip], .int3 + 1, "INT3 is a trap: EIP after the instruction"
    EXPECT_FAULT .e2
    mov al, 0x7F
    add al, 1
.into:
    into
.e2:
    CHECK_EQ [fault_vector], 4, "INTO with OF = 1: vector 4"
    CHECK_EQ [fault_eip], .into + 1, "INTO: EIP after the instruction"
    EXPECT_FAULT .e3
    mov eax, 20
.bound:
    bound eax, [bounds]
.e3:
    CHECK_EQ [fault_vector], 5, "BOUND out of range: #BR"
    CHECK_EQ [fault_eip], .bound, "BOUND is a fault: EIP at the instruction"
    EXPECT_FAULT .e4
    xor ecx, ecx
.div:
    div ecx
.e4:
    CHECK_EQ [fault_vector], 0, "DIV by zero: #DE"
    CHECK_EQ [fault_eip], .div, "#DE: EIP at the instruction"
    EXPECT_FAULT .e5
.ud:
    ud2
.e5:
    CHECK_EQ [fault_vector], 6, "UD2: #UD"
    CHECK_EQ [fault_eip], .ud, "#UD: EIP at the instruction"

    ; ---- single-step: TF traps after each instruction
    mov ecx, 1
    mov eax, step_handler
    mov ebx, (KCODE << 16) | 0x8E00
    call set_gate
    mov dword [steps], 0
    pushfd
    or dword [esp], 0x100
    popfd
    nop
    nop
    nop
    pushfd
    and dword [esp], ~0x100
    popfd
    CHECK_EQ [steps], 6, "TF: a #DB after each instruction that began with TF set"
    mov eax, dr6
    test eax, 0x4000
    CHECK nz, "DR6.BS set by single-step"
    mov ecx, 1
    mov eax, [exc_table + 4]
    mov ebx, (KCODE << 16) | 0x8E00
    call set_gate

    ; ---- DR0 instruction breakpoint
    xor eax, eax
    mov dr6, eax
    mov eax, .bp
    mov dr0, eax
    mov eax, 0x00000001
    mov dr7, eax
    EXPECT_FAULT .b1
    nop
.bp:
    nop
.b1:
    xor eax, eax
    mov dr7, eax
    CHECK_EQ [fault_vector], 1, "DR0 breakpoint: #DB"
    CHECK_EQ [fault_eip], .bp, "instruction breakpoint is a fault: EIP at the instruction"
    mov eax, dr6
    and eax, 0xF
    CHECK_EQ eax, 1, "DR6.B0 set"

    ; ---- double fault: #GP whose gate is not present
    and byte [idt + 13 * 8 + 5], 0x7F
    EXPECT_FAULT .d1
    xor eax, eax
    mov ss, ax
.d1:
    or byte [idt + 13 * 8 + 5], 0x80
    CHECK_EQ [fault_vector], 8, "#NP while delivering #GP: double fault"
    CHECK_EQ [fault_error], 0, "double fault: error code 0"
    ret

; ---------------------------------------------------------------- handlers
int80:
    push ds
    push eax
    mov ax, KDATA
    mov ds, ax
    mov eax, [esp + 12]             ; pushed CS (after EIP)
    mov [int80_cs], eax
    pop eax
    inc eax
    pop ds
    iretd

gate_target:
    push ds
    push eax
    mov ax, KDATA
    mov ds, ax
    mov ax, cs
    and eax, 3
    mov [gate_cpl], eax
    mov ax, ss
    mov [gate_ss], eax
    mov eax, [esp + 8 + 8]          ; after EIP, CS: parameters
    mov [gate_p1], eax
    mov eax, [esp + 8 + 12]
    mov [gate_p2], eax
    mov eax, [esp + 8 + 20]         ; old SS
    mov [gate_old_ss], eax
    pop eax
    pop ds
    mov bx, KDATA
    mov es, bx
    retf 8

step_handler:
    push ds
    push eax
    mov ax, KDATA
    mov ds, ax
    inc dword [steps]
    pop eax
    pop ds
    iretd

align 4
r3_cs:           dd 0
r3_ds:           dd 0xFFFF
io_ok:           dd 0
gate_cpl:        dd -1
gate_ss:         dd 0
gate_old_ss:     dd 0
gate_p1:         dd 0
gate_p2:         dd 0
user_esp_before: dd 0
user_esp_after:  dd 0
es_after_ret:    dd 0xFFFF
int80_ret:       dd 0
int80_cs:        dd 0
steps:           dd 0
bounds:          dd 0, 10

%macro extra_bss 0
    RING3_BSS
%endmacro

%include "testlib_end.inc.asm"
