; Scaffolding of jit386's assembly benchmark workloads.
; A workload defines BENCH_NAME (a string), DEFAULT_ITERS and `work` (entered in
; ring 0 with flat 32-bit segments, paging and interrupts off; [iters] holds the
; iteration count: "iters=N" on the multiboot command line, else DEFAULT_ITERS).
; `work` returns the checksum in EAX, or jumps to `finish` with it from any
; stack. The result is printed on COM1 as "<name>: checksum <8 hex digits>" and
; the run ends through the exit port (status 1; 3 after an unexpected fault).
; The workload includes benchlib_end.inc.asm last; it may define `extra_bss`.
; The multiboot frame, serial output, exception stubs and TSS come from guests/include/.

bits 32
org 0x100000

%include "flat.inc.asm"

MULTIBOOT_HEADER 0x00010002, _start     ; memory info, address fields

_start:
    cli
    cld
    mov esp, stack_top
    mov [mb_magic], eax
    mov [mb_info], ebx
    LOAD_FLAT_SEGMENTS
    call serial_init
    call install_idt
    lidt [idtr]
    call install_tss
    call parse_iters
    mov [iters], eax
    call work
finish:
    mov ebx, eax
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov esi, bench_name
    call serial_puts
    mov esi, msg_checksum
    call serial_puts
    mov eax, ebx
    call serial_puthex
    mov al, 10
    call serial_putc
    xor eax, eax
    out 0xF4, al
    cli
    hlt

; ---------------------------------------------------------------- serial
%include "com1.inc.asm"

; ---------------------------------------------------------------- command line
; eax = N from "iters=N" on the multiboot command line, else DEFAULT_ITERS.
parse_iters:
    mov eax, DEFAULT_ITERS
    cmp dword [mb_magic], 0x2BADB002
    jne .done
    mov esi, [mb_info]
    test dword [esi], 4
    jz .done
    mov esi, [esi + 16]
.scan:
    cmp byte [esi], 0
    je .done
    mov edi, key_iters
    mov edx, esi
.cmp:
    mov cl, [edi]
    test cl, cl
    jz .number
    cmp cl, [edx]
    jne .advance
    inc edi
    inc edx
    jmp .cmp
.advance:
    inc esi
    jmp .scan
.number:
    xor ecx, ecx
.digit:
    movzx ebx, byte [edx]
    sub ebx, '0'
    cmp ebx, 9
    ja .parsed
    imul ecx, ecx, 10
    add ecx, ebx
    inc edx
    jmp .digit
.parsed:
    test ecx, ecx
    jz .done
    mov eax, ecx
.done:
    ret

; ---------------------------------------------------------------- descriptors
; Every exception vector reports itself and ends the run with status 3.
%include "exceptions.inc.asm"

; Stack here: vector, error code, EIP.
exc_common:
    mov ax, KDATA
    mov ds, ax
    mov esi, bench_name
    call serial_puts
    mov esi, msg_fault
    call serial_puts
    mov eax, [esp]
    call serial_puthex
    mov esi, msg_at
    call serial_puts
    mov eax, [esp + 8]
    call serial_puthex
    mov al, 10
    call serial_putc
    mov al, 1
    out 0xF4, al
    cli
    hlt

; ecx = vector, eax = handler, ebx = type/attribute word (0x8E00 ring 0, 0xEE00 callable from ring 3)
set_gate:
    push eax
    mov [idt + ecx * 8], ax
    mov word [idt + ecx * 8 + 2], KCODE
    mov [idt + ecx * 8 + 4], bx
    shr eax, 16
    mov [idt + ecx * 8 + 6], ax
    pop eax
    ret

%include "tss.inc.asm"

; Continue at eax in ring 3 (IF off, IOPL 0) on the user stack, data segments not yet loaded.
enter_user:
    push dword UDATA
    push dword ustack_top
    push dword 0x00000002
    push dword UCODE
    push eax
    iretd
