; Scaffolding of jit386's assembly benchmark workloads.
; A workload defines BENCH_NAME (a string), DEFAULT_ITERS and `work` (entered in
; ring 0 with flat 32-bit segments, paging and interrupts off; [iters] holds the
; iteration count: "iters=N" on the multiboot command line, else DEFAULT_ITERS).
; `work` returns the checksum in EAX, or jumps to `finish` with it from any
; stack. The result is printed on COM1 as "<name>: checksum <8 hex digits>" and
; the run ends through the exit port (status 1; 3 after an unexpected fault).
; The workload includes benchlib_end.inc.asm last; it may define `extra_bss`.

bits 32
org 0x100000

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00010002             ; memory info, address fields
COM1     equ 0x3F8

KCODE  equ 0x08
KDATA  equ 0x10
UCODE  equ 0x1B
UDATA  equ 0x23
TSSSEL equ 0x28

header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    dd header, 0x100000, load_end, bss_end, _start

_start:
    cli
    cld
    mov esp, stack_top
    mov [mb_magic], eax
    mov [mb_info], ebx
    lgdt [gdtr]
    jmp KCODE:.cs
.cs:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
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
    call puts
    mov esi, msg_checksum
    call puts
    mov eax, ebx
    call puthex
    mov al, 10
    call putc
    xor eax, eax
    out 0xF4, al
    cli
    hlt

; ---------------------------------------------------------------- serial
serial_init:
    mov dx, COM1 + 1
    xor al, al
    out dx, al                      ; no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                      ; DLAB
    mov dx, COM1
    mov al, 1
    out dx, al                      ; 115200 baud
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                      ; 8N1
    mov dx, COM1 + 2
    mov al, 0xC7
    out dx, al                      ; FIFO on
    ret

; al = byte
putc:
    push edx
    push eax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret

; esi = NUL-terminated string
puts:
    push eax
.next:
    lodsb
    test al, al
    jz .done
    call putc
    jmp .next
.done:
    pop eax
    ret

; eax = value, 8 lowercase hex digits
puthex:
    push ecx
    push eax
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and eax, 15
    mov al, [hexdigits + eax]
    call putc
    pop eax
    loop .digit
    pop eax
    pop ecx
    ret

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

; Stack here: vector, error code, EIP.
exc_common:
    mov ax, KDATA
    mov ds, ax
    mov esi, bench_name
    call puts
    mov esi, msg_fault
    call puts
    mov eax, [esp]
    call puthex
    mov esi, msg_at
    call puts
    mov eax, [esp + 8]
    call puthex
    mov al, 10
    call putc
    mov al, 1
    out 0xF4, al
    cli
    hlt

install_idt:
    xor ecx, ecx
.l: mov eax, [exc_table + ecx * 4]
    mov ebx, 0x8E00
    call set_gate
    inc ecx
    cmp ecx, 32
    jb .l
    ret

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

install_tss:
    mov eax, tss
    mov [gdt_tss + 2], ax
    shr eax, 16
    mov [gdt_tss + 4], al
    mov [gdt_tss + 7], ah
    mov dword [tss + 4], kstack_top
    mov dword [tss + 8], KDATA
    mov word [tss + 102], 104
    mov ax, TSSSEL
    ltr ax
    ret

; Continue at eax in ring 3 (IF off, IOPL 0) on the user stack, data segments not yet loaded.
enter_user:
    push dword UDATA
    push dword ustack_top
    push dword 0x00000002
    push dword UCODE
    push eax
    iretd
