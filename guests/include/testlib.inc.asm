; Shared scaffolding of jit386's self-checking guest programs.
; A program includes this file, defines `tests:` (its body, entered in ring 0 with
; flat 32-bit segments, paging off, interrupts off) and ends it with `ret`.
; Results go to the debug console (port 0xE9) one line each:
;   PASS <name> / FAIL <name> (<detail>)
; and the program ends by writing the failure count to the exit port 0xF4, so the
; run's exit status is (failures << 1) | 1: 1 means every check passed.
;
; Exceptions: every vector has a handler that records vector, error code and
; faulting EIP. EXPECT_FAULT sets a recovery address; when a fault arrives with a
; recovery address set, the handler resumes there (same privilege level) instead
; of reporting an unexpected exception.

bits 32
org 0x100000

%include "flat.inc.asm"

MULTIBOOT_HEADER 0x00010000, _start     ; address fields

_start:
    cli
    mov esp, stack_top
    LOAD_FLAT_SEGMENTS
    call install_idt
    lidt [idtr]
    call tests
    mov eax, [failures]
    out 0xF4, al
    cli
    hlt

; ---------------------------------------------------------------- output
; al = byte
putc:
    out 0xE9, al
    ret

; esi = NUL-terminated string
puts:
    push eax
    push esi
.l: lodsb
    test al, al
    jz .d
    out 0xE9, al
    jmp .l
.d: pop esi
    pop eax
    ret

; eax = value, 8 hex digits
puthex:
    pushad
    mov ecx, 8
.d: rol eax, 4
    mov ebx, eax
    and ebx, 15
    mov dl, [hexdigits + ebx]
    push eax
    mov al, dl
    out 0xE9, al
    pop eax
    loop .d
    popad
    ret

; CHECK cc, "name": PASS when condition cc holds (flags from a preceding cmp/test), else FAIL.
%macro CHECK 2
    j%-1 %%fail
    push esi
    mov esi, %%pass_msg
    call puts
    pop esi
    jmp %%done
%%fail:
    push esi
    mov esi, %%fail_msg
    call puts
    pop esi
    inc dword [failures]
    jmp %%done
%%pass_msg: db "PASS ", %2, 10, 0
%%fail_msg: db "FAIL ", %2, 10, 0
%%done:
%endmacro

; CHECK_EQ a, b, "name": compares two 32-bit operands (register/memory/immediate).
%macro CHECK_EQ 3
    push eax
    mov eax, %1
    cmp eax, %2
    pop eax
    CHECK e, %3
%endmacro

; DESC base, limit, access byte, flags nibble (G, D/B, L, AVL): one segment descriptor.
%macro DESC 4
    dw (%2) & 0xFFFF
    dw (%1) & 0xFFFF
    db ((%1) >> 16) & 0xFF
    db %3
    db (((%2) >> 16) & 0x0F) | ((%4) << 4)
    db ((%1) >> 24) & 0xFF
%endmacro

; EXPECT_FAULT label: a fault until CLEAR_FAULT resumes at `label`.
%macro EXPECT_FAULT 1
    mov dword [fault_vector], -1
    mov dword [fault_error], -1
    mov dword [recover_eip], %1
    mov [recover_esp], esp
%endmacro

%macro CLEAR_FAULT 0
    mov dword [recover_eip], 0
%endmacro

; ---------------------------------------------------------------- exceptions
%include "exceptions.inc.asm"

; Stack here: vector, error code, EIP, CS, EFLAGS (+ ESP, SS from an outer ring).
exc_common:
    push eax
    push ds
    mov ax, KDATA
    mov ds, ax
    mov eax, [esp + 8]
    mov [fault_vector], eax
    mov eax, [esp + 12]
    mov [fault_error], eax
    mov eax, [esp + 16]
    mov [fault_eip], eax
    mov eax, [esp + 20]
    mov [fault_cs], eax
    inc dword [fault_count]
    mov eax, [recover_eip]
    test eax, eax
    jz .unexpected
    mov [recover_target], eax
    mov dword [recover_eip], 0
    ; Resume at the recovery point in ring 0 with the stack as it was at EXPECT_FAULT;
    ; the faulting context (possibly ring 3) is abandoned.
    mov esp, [recover_esp]
    mov ax, KDATA
    mov es, ax
    jmp [recover_target]
.unexpected:
    mov esi, msg_unexpected
    call puts
    mov eax, [fault_vector]
    call puthex
    mov esi, msg_at
    call puts
    mov eax, [fault_eip]
    call puthex
    mov esi, msg_err
    call puts
    mov eax, [fault_error]
    call puthex
    mov al, 10
    call putc
    inc dword [failures]
    mov eax, [failures]
    out 0xF4, al
    cli
    hlt

; set_gate: ecx = vector, eax = offset, ebx = selector << 16 | attributes word
set_gate:
    mov [idt + ecx * 8], ax
    shr eax, 16
    mov [idt + ecx * 8 + 6], ax
    mov [idt + ecx * 8 + 4], bx
    shr ebx, 16
    mov [idt + ecx * 8 + 2], bx
    ret
