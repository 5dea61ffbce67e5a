; The local APIC and the I/O APIC: IA32_APIC_BASE and CPUID, the register page
; after reset, software enable, self-IPIs (fixed into the IRR, held back by the
; TPR, nesting by priority class, NMI blocked until IRET, an illegal vector in the
; ESR and the error interrupt), the timer one-shot and periodic with its divider,
; the 8259 through LINT0 in virtual-wire mode, the PIT routed through I/O APIC
; pin 2 edge- and level-triggered (remote IRR and TMR until the EOI), masking,
; relocation and global disable of the local APIC.
%include "testlib.inc.asm"

APIC    equ 0xFEE00000
IOAPIC  equ 0xFEC00000
APIC2   equ 0xFED00000              ; where the relocation test moves the APIC

A_ID    equ 0x20
A_VER   equ 0x30
A_TPR   equ 0x80
A_PPR   equ 0xA0
A_EOI   equ 0xB0
A_SVR   equ 0xF0
A_ISR   equ 0x100
A_TMR   equ 0x180
A_IRR   equ 0x200
A_ESR   equ 0x280
A_ICR   equ 0x300
A_TIMER equ 0x320
A_LINT0 equ 0x350
A_ERROR equ 0x370
A_TICR  equ 0x380
A_TCCR  equ 0x390
A_TDCR  equ 0x3E0

SELF_FIXED equ 0x40000              ; ICR: shorthand self, fixed
SELF_NMI   equ 0x40400              ; ICR: shorthand self, NMI

%macro APIC_WR 2
    mov dword [APIC + %1], %2
%endmacro

; IOAPIC_WR register, value
%macro IOAPIC_WR 2
    mov dword [IOAPIC], %1
    mov dword [IOAPIC + 0x10], %2
%endmacro

; IOAPIC_RD register: eax = its value
%macro IOAPIC_RD 1
    mov dword [IOAPIC], %1
    mov eax, [IOAPIC + 0x10]
%endmacro

; Bit of vector %1 in the 32-bit word of a 256-bit APIC register set at offset %2: eax = that bit
%macro APIC_BIT 2
    mov eax, [APIC + %2 + ((%1) >> 5) * 16]
    and eax, 1 << ((%1) & 31)
%endmacro

; A handler that logs its vector, counts it and signals EOI to the local APIC.
%macro APIC_HANDLER 1
isr_%1:
    push eax
    mov eax, %1
    call log_vector
    mov dword [APIC + A_EOI], 0
    pop eax
    iretd
%endmacro

; HLT until dword %1 reaches %2 (interrupts on during the wait, off after).
%macro WAIT_FOR 2
    sti
%%w:
    cmp dword [%1], %2
    jae %%done
    hlt
    jmp %%w
%%done:
    cli
%endmacro

; Run %1 iterations of a busy loop with interrupts on.
%macro SPIN 1
    mov ecx, %1
    sti
%%l:
    dec ecx
    jnz %%l
    cli
%endmacro

; log_vector: eax = vector; appended to log_buf, counted in counts
log_vector:
    push ebx
    mov ebx, [log_len]
    cmp ebx, 16
    jae .full
    mov [log_buf + ebx * 4], eax
    inc dword [log_len]
.full:
    inc dword [counts + eax * 4]
    pop ebx
    ret

APIC_HANDLER 0x41
APIC_HANDLER 0x45
APIC_HANDLER 0x60

; Vector 0x40 (the timer): also keeps the TSC of each interrupt.
isr_0x40:
    push eax
    push edx
    push ebx
    rdtsc
    mov ebx, [counts + 0x40 * 4]
    and ebx, 7
    mov [timer_tsc + ebx * 4], eax
    mov eax, 0x40
    call log_vector
    mov dword [APIC + A_EOI], 0
    pop ebx
    pop edx
    pop eax
    iretd

; Vector 0x50: records ISR and PPR as seen inside; in nesting mode sends 0x41 and 0x60 to itself first.
isr_0x50:
    push eax
    mov eax, 0x50
    call log_vector
    APIC_BIT 0x50, A_ISR
    mov [isr_seen_50], eax
    mov eax, [APIC + A_PPR]
    mov [ppr_seen_50], eax
    cmp dword [nest_mode], 0
    je .eoi
    APIC_WR A_ICR, SELF_FIXED | 0x41
    APIC_WR A_ICR, SELF_FIXED | 0x60
    sti                             ; 0x60 (a higher class) comes in here; 0x41 waits
    nop
    cli
.eoi:
    mov dword [APIC + A_EOI], 0
    pop eax
    iretd

; Vector 0x70 (the PIT through the I/O APIC): records remote IRR and TMR before the EOI.
isr_0x70:
    push eax
    mov eax, 0x70
    call log_vector
    IOAPIC_RD 0x14
    and eax, 1 << 14
    mov [remote_irr_seen], eax
    APIC_BIT 0x70, A_TMR
    mov [tmr_seen_70], eax
    mov dword [APIC + A_EOI], 0
    IOAPIC_RD 0x14
    and eax, 1 << 14
    mov [remote_irr_after], eax
    pop eax
    iretd

; Vector 0x20: IRQ 0 from the 8259 (ExtINT), acknowledged at the 8259.
isr_0x20:
    push eax
    mov eax, 0x20
    call log_vector
    mov al, 0x20
    out 0x20, al
    pop eax
    iretd

; NMI: the first sends itself another, which must wait for this IRET.
isr_nmi:
    push eax
    inc dword [nmi_depth]
    mov eax, [nmi_depth]
    cmp eax, [nmi_max_depth]
    jbe .nested_ok
    mov [nmi_max_depth], eax
.nested_ok:
    inc dword [nmi_count]
    cmp dword [nmi_count], 1
    jne .out
    APIC_WR A_ICR, SELF_NMI
    nop
    nop
.out:
    dec dword [nmi_depth]
    pop eax
    iretd

; Both 8259s initialised (vectors 0x20 and 0x28), every IRQ masked.
init_pic:
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xA1, al
    mov al, 4
    out 0x21, al
    mov al, 2
    out 0xA1, al
    mov al, 1
    out 0x21, al
    out 0xA1, al
    mov al, 0xFF
    out 0x21, al
    out 0xA1, al
    ret

; set_handler vector, label
%macro SET_HANDLER 2
    mov ecx, %1
    mov eax, %2
    mov ebx, (KCODE << 16) | 0x8E00
    call set_gate
%endmacro

tests:
    call init_pic
    SET_HANDLER 2, isr_nmi
    SET_HANDLER 0x20, isr_0x20
    SET_HANDLER 0x40, isr_0x40
    SET_HANDLER 0x41, isr_0x41
    SET_HANDLER 0x45, isr_0x45
    SET_HANDLER 0x50, isr_0x50
    SET_HANDLER 0x60, isr_0x60
    SET_HANDLER 0x70, isr_0x70

    ; ---- IA32_APIC_BASE, CPUID and the registers after reset
    mov ecx, 0x1B
    rdmsr
    CHECK_EQ eax, 0xFEE00900, "IA32_APIC_BASE: base 0xFEE00000, BSP, enabled"
    CHECK_EQ edx, 0, "IA32_APIC_BASE high dword"
    mov eax, 1
    cpuid
    and edx, 1 << 9
    CHECK_EQ edx, 1 << 9, "CPUID.1:EDX.APIC"
    shr ebx, 24
    CHECK_EQ ebx, 0, "CPUID.1:EBX initial APIC ID 0"
    CHECK_EQ [APIC + A_VER], 0x00040011, "version 0x11, five LVT entries"
    CHECK_EQ [APIC + A_ID], 0, "APIC ID 0"
    CHECK_EQ [APIC + A_SVR], 0xFF, "SVR after reset: software disabled"
    CHECK_EQ [APIC + A_LINT0], 0x700, "LINT0 ExtINT: virtual-wire mode"
    CHECK_EQ [APIC + A_TIMER], 0x10000, "LVT timer masked after reset"
    CHECK_EQ [APIC + 0xE0], 0xFFFFFFFF, "DFR flat model"

    ; ---- software enable
    APIC_WR A_SVR, 0x1F0
    CHECK_EQ [APIC + A_SVR], 0x1FF, "SVR enabled; vector bits 0-3 read as 1"

    ; ---- a fixed self-IPI waits in the IRR while IF=0, is taken after STI, in service until EOI
    APIC_WR A_ICR, SELF_FIXED | 0x50
    APIC_BIT 0x50, A_IRR
    CHECK_EQ eax, 1 << 16, "self-IPI 0x50 in the IRR while IF=0"
    CHECK_EQ [counts + 0x50 * 4], 0, "not taken while IF=0"
    mov eax, [APIC + A_ICR]
    and eax, 1 << 12
    CHECK_EQ eax, 0, "ICR delivery status idle"
    sti
    nop
    cli
    CHECK_EQ [counts + 0x50 * 4], 1, "taken after STI"
    CHECK_EQ [isr_seen_50], 1 << 16, "in the ISR inside its handler"
    CHECK_EQ [ppr_seen_50], 0x50, "PPR is the class in service"
    APIC_BIT 0x50, A_ISR
    CHECK_EQ eax, 0, "ISR clear after EOI"
    APIC_BIT 0x50, A_IRR
    CHECK_EQ eax, 0, "IRR clear after delivery"

    ; ---- the TPR holds back a class at or below it
    APIC_WR A_TPR, 0x60
    APIC_WR A_ICR, SELF_FIXED | 0x50
    sti
    nop
    nop
    cli
    CHECK_EQ [counts + 0x50 * 4], 1, "TPR 0x60 holds vector 0x50 back"
    CHECK_EQ [APIC + A_PPR], 0x60, "PPR follows the TPR"
    sti
    APIC_WR A_TPR, 0
    nop
    cli
    CHECK_EQ [counts + 0x50 * 4], 2, "lowering the TPR lets it through"

    ; ---- nesting: 0x60 preempts 0x50's handler; 0x41 waits for 0x50's EOI
    mov dword [log_len], 0
    mov dword [nest_mode], 1
    APIC_WR A_ICR, SELF_FIXED | 0x50
    sti
    nop
    cli
    mov dword [nest_mode], 0
    CHECK_EQ [log_len], 3, "three interrupts while nesting"
    CHECK_EQ [log_buf], 0x50, "0x50 first"
    CHECK_EQ [log_buf + 4], 0x60, "0x60 preempts 0x50"
    CHECK_EQ [log_buf + 8], 0x41, "0x41 after 0x50's EOI"

    ; ---- NMI self-IPI: taken with IF=0; a second one waits for the first handler's IRET
    APIC_WR A_ICR, SELF_NMI
    nop
    CHECK_EQ [nmi_count], 2, "NMI self-IPI taken with IF=0, and the one sent from its handler"
    CHECK_EQ [nmi_max_depth], 1, "NMIs do not nest"

    ; ---- an illegal vector: ESR and the error interrupt
    APIC_WR A_ERROR, 0x45
    APIC_WR A_ESR, 0
    APIC_WR A_ICR, SELF_FIXED | 5
    APIC_WR A_ESR, 0
    CHECK_EQ [APIC + A_ESR], 0x40, "ESR: receive illegal vector"
    APIC_WR A_ESR, 0
    CHECK_EQ [APIC + A_ESR], 0, "ESR cleared by the next write"
    sti
    nop
    cli
    CHECK_EQ [counts + 0x45 * 4], 1, "error interrupt through LVT error"
    APIC_WR A_ERROR, 0x10045

    ; ---- timer, one-shot, divide by 1
    APIC_WR A_TDCR, 0xB
    CHECK_EQ [APIC + A_TDCR], 0xB, "divide configuration reads back"
    APIC_WR A_TIMER, 0x40
    APIC_WR A_TICR, 20000
    mov eax, [APIC + A_TCCR]
    mov [ccr1], eax
    mov ecx, 100
.burn:
    dec ecx
    jnz .burn
    mov eax, [APIC + A_TCCR]
    mov [ccr2], eax
    mov eax, [ccr1]
    cmp eax, 20000
    CHECK be, "one-shot: current count starts at most the initial count"
    mov eax, [ccr2]
    cmp eax, [ccr1]
    CHECK b, "one-shot: current count goes down"
    WAIT_FOR counts + 0x40 * 4, 1
    CHECK_EQ [counts + 0x40 * 4], 1, "one-shot timer interrupt"
    CHECK_EQ [APIC + A_TCCR], 0, "one-shot: current count 0 after expiry"
    SPIN 100000
    CHECK_EQ [counts + 0x40 * 4], 1, "one-shot fires once"

    ; ---- timer, periodic, divide by 16: 1000 counts are 16000 bus ticks
    mov dword [counts + 0x40 * 4], 0
    APIC_WR A_TDCR, 0x3
    APIC_WR A_TIMER, 0x20040
    APIC_WR A_TICR, 1000
    WAIT_FOR counts + 0x40 * 4, 4
    APIC_WR A_TIMER, 0x30040
    CHECK_EQ [counts + 0x40 * 4], 4, "periodic timer: four interrupts"
    mov eax, [timer_tsc + 12]
    sub eax, [timer_tsc + 8]
    mov ebx, [timer_tsc + 8]
    sub ebx, [timer_tsc + 4]
    CHECK_EQ eax, ebx, "periodic timer: equal periods"
    CHECK_EQ eax, 32000, "period 32000 TSC cycles (100 MHz bus, 200M slots/s)"
    mov eax, [APIC + A_TCCR]
    test eax, eax
    CHECK nz, "a masked periodic timer keeps counting"
    SPIN 100000
    CHECK_EQ [counts + 0x40 * 4], 4, "masked timer: no interrupts"
    APIC_WR A_TICR, 0

    ; ---- the 8259 through LINT0 (ExtINT): the PIT on IRQ 0, 1193 ticks a period
    mov al, 0x34
    out 0x43, al
    mov al, 1193 & 0xFF
    out 0x40, al
    mov al, 1193 >> 8
    out 0x40, al
    mov al, 0xFE
    out 0x21, al
    WAIT_FOR counts + 0x20 * 4, 2
    CHECK_EQ [counts + 0x20 * 4], 2, "8259 interrupts through LINT0 in virtual-wire mode"
    APIC_WR A_LINT0, 0x10700
    SPIN 500000
    CHECK_EQ [counts + 0x20 * 4], 2, "LINT0 masked: the 8259 does not get through"
    mov al, 0xFF
    out 0x21, al

    ; ---- the I/O APIC
    IOAPIC_RD 1
    CHECK_EQ eax, 0x00170011, "I/O APIC version 0x11, 24 entries"
    IOAPIC_RD 0
    CHECK_EQ eax, 0x01000000, "I/O APIC ID 1"
    IOAPIC_RD 0x14
    CHECK_EQ eax, 0x10000, "redirection entries masked after reset"
    IOAPIC_WR 0x15, 0
    IOAPIC_WR 0x14, 0x70                 ; pin 2: vector 0x70, fixed, physical, edge
    WAIT_FOR counts + 0x70 * 4, 3
    CHECK_EQ [counts + 0x70 * 4], 3, "PIT through I/O APIC pin 2, edge-triggered"
    CHECK_EQ [remote_irr_seen], 0, "edge: no remote IRR"
    CHECK_EQ [tmr_seen_70], 0, "edge: TMR clear"
    IOAPIC_WR 0x14, 0x10070
    mov dword [counts + 0x70 * 4], 0
    SPIN 500000
    CHECK_EQ [counts + 0x70 * 4], 0, "a masked pin delivers nothing"
    IOAPIC_WR 0x14, 0x8070               ; level-triggered
    WAIT_FOR counts + 0x70 * 4, 2
    CHECK_EQ [counts + 0x70 * 4], 2, "PIT through pin 2, level-triggered"
    CHECK_EQ [remote_irr_seen], 1 << 14, "level: remote IRR set until the EOI"
    CHECK_EQ [tmr_seen_70], 1 << 16, "level: TMR set for the vector"
    CHECK_EQ [remote_irr_after], 0, "the EOI broadcast clears remote IRR"
    IOAPIC_WR 0x14, 0x10070

    ; ---- relocation and global disable of the local APIC
    mov ecx, 0x1B
    mov eax, APIC2 | 0x900
    xor edx, edx
    wrmsr
    CHECK_EQ [APIC2 + A_VER], 0x00040011, "relocated: registers at the new base"
    CHECK_EQ [APIC + A_VER], 0xFFFFFFFF, "relocated: nothing at the old base"
    mov ecx, 0x1B
    mov eax, 0xFEE00100
    xor edx, edx
    wrmsr
    mov eax, 1
    cpuid
    and edx, 1 << 9
    CHECK_EQ edx, 0, "globally disabled: CPUID.1:EDX.APIC clear"
    CHECK_EQ [APIC + A_VER], 0xFFFFFFFF, "globally disabled: no registers"
    mov dword [counts + 0x20 * 4], 0
    mov al, 0xFE
    out 0x21, al
    WAIT_FOR counts + 0x20 * 4, 2
    CHECK_EQ [counts + 0x20 * 4], 2, "globally disabled: the 8259 drives INTR directly"
    mov al, 0xFF
    out 0x21, al
    mov ecx, 0x1B
    mov eax, 0xFEE00900
    xor edx, edx
    wrmsr
    CHECK_EQ [APIC + A_SVR], 0xFF, "re-enabled: back in the reset state"
    EXPECT_FAULT .gp
    mov ecx, 0x1B
    mov eax, 0xFEE00901
    wrmsr
.gp:
    CLEAR_FAULT
    CHECK_EQ [fault_vector], 13, "WRMSR IA32_APIC_BASE with a reserved bit: #GP"
    ret

log_len:          dd 0
log_buf:          times 16 dd 0
nest_mode:        dd 0
isr_seen_50:      dd -1
ppr_seen_50:      dd -1
nmi_count:        dd 0
nmi_depth:        dd 0
nmi_max_depth:    dd 0
ccr1:             dd 0
ccr2:             dd 0
timer_tsc:        times 8 dd 0
remote_irr_seen:  dd -1
remote_irr_after: dd -1
tmr_seen_70:      dd -1

%macro extra_bss 0
alignb 4
counts: resd 256
%endmacro

%include "testlib_end.inc.asm"
