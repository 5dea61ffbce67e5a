; Hardware task switching: JMP and CALL to a TSS, IRET back through the
; back-link with NT, an interrupt through a task gate, busy bits, register state
; saved in the outgoing TSS and loaded from the incoming one, LDTR loaded on a
; switch, a 16-bit TSS, and the #GP/#TS checks on busy and too-small TSSs.
%include "testlib.inc.asm"

TSS_A  equ 0x18
TSS_B  equ 0x20
TSS_C  equ 0x28
TSS_D  equ 0x30
TSS_E  equ 0x38
CODE_HI equ 0x40                    ; 32-bit code based at 1 MiB, for the 16-bit TSS's IP
LDT_B  equ 0x48

%macro extra_gdt 0
    DESC 0, 0x67, 0x89, 0           ; 0x18 TSS A (the starting task)
    DESC 0, 0x67, 0x89, 0           ; 0x20 TSS B
    DESC 0, 0x67, 0x89, 0           ; 0x28 TSS C (behind a task gate)
    DESC 0, 0x2B, 0x81, 0           ; 0x30 TSS D, 16-bit
    DESC 0, 0x50, 0x89, 0           ; 0x38 TSS E, limit too small for a 32-bit TSS
    DESC 0x100000, 0xFFFF, 0x9A, 0x4 ; 0x40 code at 1 MiB
    DESC 0, 0x7, 0x82, 0            ; 0x48 LDT for task B (one entry)
%endmacro

; set_tss_base: eax = selector, ebx = base
set_tss_base:
    mov [gdt + eax + 2], bx
    shr ebx, 16
    mov [gdt + eax + 4], bl
    mov [gdt + eax + 7], bh
    ret

; init_tss32: edi = TSS, eax = EIP, ebx = ESP: flat ring-0 state, interrupts off
init_tss32:
    push eax
    push edi
    push ecx
    mov ecx, 104 / 4
    push eax
    xor eax, eax
    rep stosd
    pop eax
    pop ecx
    pop edi
    mov [edi + 0x20], eax
    mov dword [edi + 0x24], 2
    mov [edi + 0x38], ebx
    mov dword [edi + 0x48], KDATA
    mov dword [edi + 0x4C], KCODE
    mov dword [edi + 0x50], KDATA
    mov dword [edi + 0x54], KDATA
    mov dword [edi + 0x58], KDATA
    mov dword [edi + 0x5C], KDATA
    mov word [edi + 0x66], 104
    pop eax
    ret

%macro BUSY 1
    movzx eax, byte [gdt + %1 + 5]
    and eax, 2
%endmacro

tests:
    mov eax, TSS_A
    mov ebx, tss_a
    call set_tss_base
    mov eax, TSS_B
    mov ebx, tss_b
    call set_tss_base
    mov eax, TSS_C
    mov ebx, tss_c
    call set_tss_base
    mov eax, TSS_D
    mov ebx, tss_d
    call set_tss_base
    mov eax, TSS_E
    mov ebx, tss_e
    call set_tss_base
    mov eax, ldt_b
    mov [gdt + LDT_B + 2], ax
    shr eax, 16
    mov [gdt + LDT_B + 4], al
    mov [gdt + LDT_B + 7], ah
    mov ax, TSS_A
    ltr ax
    BUSY TSS_A
    CHECK_EQ eax, 2, "LTR marks the TSS busy"

    ; ---- JMP to the busy current task
    EXPECT_FAULT .busy
    jmp TSS_A:0
.busy:
    CHECK_EQ [fault_vector], 13, "JMP to the busy current task: #GP"
    CHECK_EQ [fault_error], TSS_A, "busy-task #GP error code is the TSS selector"

    ; ---- JMP to task B and back
    mov edi, tss_b
    mov eax, task_b_jmp
    mov ebx, stack_b_top
    call init_tss32
    mov dword [tss_b + 0x34], 0xB0B0B0B0
    mov word [tss_b + 0x60], LDT_B
    mov eax, 0x12345678
    mov esi, 0x5A5A5A5A
    jmp TSS_B:0
    mov [eax_after], eax
    CHECK_EQ [tss_a + 0x28], 0x12345678, "outgoing EAX saved in the old TSS"
    CHECK_EQ [tss_a + 0x40], 0x5A5A5A5A, "outgoing ESI saved in the old TSS"
    CHECK_EQ [eax_after], 0x12345678, "EAX reloaded on the way back"
    CHECK_EQ [b_tr], TSS_B, "task B runs with TR = its TSS"
    CHECK_EQ [b_ebx], 0xB0B0B0B0, "task B's EBX loaded from its TSS"
    CHECK_EQ [b_ldtr], LDT_B, "task B's LDTR loaded from its TSS"
    CHECK_EQ [b_busy_a], 0, "JMP clears the old task's busy bit"
    CHECK_EQ [b_busy_b], 2, "JMP sets the new task's busy bit"
    xor eax, eax
    str ax
    CHECK_EQ eax, TSS_A, "back in task A"
    BUSY TSS_B
    CHECK_EQ eax, 0, "task B no longer busy"
    xor eax, eax
    sldt ax
    CHECK_EQ eax, 0, "task A's LDTR (null) reloaded"

    ; ---- CALL to task B: NT and back-link, IRET returns
    mov edi, tss_b
    mov eax, task_b_call
    mov ebx, stack_b_top
    call init_tss32
    call TSS_B:0
    CHECK_EQ [b_nt], 0x4000, "CALL sets NT in the new task"
    CHECK_EQ [b_link], TSS_A, "CALL stores the back-link"
    CHECK_EQ [b_busy_a], 2, "CALL keeps the caller busy"
    BUSY TSS_B
    CHECK_EQ eax, 0, "IRET clears the nested task's busy bit"
    pushfd
    pop eax
    and eax, 0x4000
    CHECK_EQ eax, 0, "back in task A with NT clear"

    ; ---- interrupt through a task gate
    mov edi, tss_c
    mov eax, task_c
    mov ebx, stack_c_top
    call init_tss32
    mov ecx, 0x90
    xor eax, eax
    mov ebx, (TSS_C << 16) | 0x8500
    call set_gate
    int 0x90
    CHECK_EQ [c_ran], 1, "INT through a task gate runs the task"
    CHECK_EQ [c_link], TSS_A, "task gate: back-link to the interrupted task"

    ; ---- 16-bit TSS
    mov dword [tss_d + 0x0E], task_d - 0x100000   ; IP (and FLAGS = 0 above it)
    mov word [tss_d + 0x10], 2
    mov word [tss_d + 0x1A], 0x8000               ; SP
    mov word [tss_d + 0x22], KDATA
    mov word [tss_d + 0x24], CODE_HI
    mov word [tss_d + 0x26], KDATA
    mov word [tss_d + 0x28], KDATA
    mov dword [tss_d + 0x12], 0xFFFF1234          ; AX = 0x1234
    call TSS_D:0
    CHECK_EQ [d_ran], 1, "CALL to a 16-bit TSS runs the task"
    CHECK_EQ [d_tr], TSS_D, "16-bit task's TR"
    CHECK_EQ [d_ax], 0x1234, "16-bit task's AX loaded from its TSS"

    ; ---- TSS limit too small for its type
    EXPECT_FAULT .ts
    jmp TSS_E:0
.ts:
    CHECK_EQ [fault_vector], 10, "TSS limit below 0x67: #TS"
    CHECK_EQ [fault_error], TSS_E, "#TS error code is the TSS selector"
    ret

task_b_jmp:
    str ax
    mov [b_tr], eax
    mov [b_ebx], ebx
    sldt ax
    mov [b_ldtr], eax
    BUSY TSS_A
    mov [b_busy_a], eax
    BUSY TSS_B
    mov [b_busy_b], eax
    jmp TSS_A:0

task_b_call:
    pushfd
    pop eax
    and eax, 0x4000
    mov [b_nt], eax
    movzx eax, word [tss_b]
    mov [b_link], eax
    BUSY TSS_A
    mov [b_busy_a], eax
    iretd

task_c:
    mov dword [c_ran], 1
    movzx eax, word [tss_c]
    mov [c_link], eax
    iretd

task_d:
    mov dword [d_ran], 1
    xor eax, eax
    str ax
    mov [d_tr], eax
    mov ax, [tss_d + 0x12]
    mov [d_ax], eax
    iretd

align 4
eax_after: dd 0
b_tr:      dd 0
b_ebx:     dd 0
b_ldtr:    dd 0
b_busy_a:  dd -1
b_busy_b:  dd -1
b_nt:      dd 0
b_link:    dd 0
c_ran:     dd 0
c_link:    dd 0
d_ran:     dd 0
d_tr:      dd 0
d_ax:      dd 0
align 8
ldt_b:     DESC 0, 0xFFFFF, 0x92, 0xC

%macro extra_bss 0
alignb 16
tss_a: resb 104
tss_b: resb 104
tss_c: resb 104
tss_d: resb 44
tss_e: resb 104
alignb 16
stack_b: resb 4096
stack_b_top:
stack_c: resb 4096
stack_c_top:
%endmacro

%include "testlib_end.inc.asm"
