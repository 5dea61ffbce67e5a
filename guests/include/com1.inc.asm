; Polled output on COM1 (no interrupts, the FIFO on), shared by the guests that
; report on the serial line: the demo guest and the assembly benchmark workloads.
; serial_puthex reads its digits from `hexdigits` (16 bytes), which the includer
; defines, so each guest keeps the case it prints in.

COM1 equ 0x3F8

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
serial_putc:
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

; esi = NUL-terminated string (esi is left after the NUL)
serial_puts:
    push eax
.next:
    lodsb
    test al, al
    jz .done
    call serial_putc
    jmp .next
.done:
    pop eax
    ret

; eax = value, 8 hex digits
serial_puthex:
    push ecx
    push eax
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and eax, 15
    mov al, [hexdigits + eax]
    call serial_putc
    pop eax
    loop .digit
    pop eax
    pop ecx
    ret
