; A boot sector that checks the firmware's disk services, for the SeaBIOS boot
; tests: booted from a hard disk (MBR at 0x7C00) or from a CD (El Torito
; no-emulation boot image, loaded at 0x7C00), it reads its payload through
; INT 13h and reports on the debug console (port 0xE9) and through INT 10h
; (the firmware's console: the screen, or COM1 without one).
;
;  1. INT 13h AH=48h: the drive's sector size.
;  2. AH=42h: read `payload_count` sectors from `payload_lba` (patched in by
;     the test that builds the image) to 0x8000; print the text they begin with.
;  3. On a hard disk (512-byte sectors) also: AH=02h (CHS) read of the same first
;     sector, compared with the LBA read; AH=43h write of the payload's first
;     sector, changed, to the sector after it, and AH=42h read back and compared.
;  4. Exit through port 0xF4: 0 when every step passed, else the failing step.
;
; Build: nasm -f bin -o bootsector.bin bootsector.asm   (npm run guests:build)

bits 16
org 0x7c00

BUF     equ 0x8000
BUF2    equ 0xa000
EXIT    equ 0xf4
DEBUG   equ 0xe9

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov [drive], dl

    mov si, msg_hello
    call puts
    mov al, [drive]
    call puthex
    mov si, msg_nl
    call puts

    ; 1. Sector size.
    mov ah, 0x48
    mov dl, [drive]
    mov si, params
    mov word [params], 0x1e
    int 0x13
    mov al, 1
    jc fail
    mov si, msg_size
    call puts
    mov al, [params + 0x19]
    call puthex
    mov al, [params + 0x18]
    call puthex
    mov si, msg_nl
    call puts

    ; 2. Extended read of the payload.
    mov ax, [payload_count]
    mov [dap_count], ax
    mov eax, [payload_lba]
    mov [dap_lba], eax
    mov word [dap_buf], BUF
    mov ah, 0x42
    mov dl, [drive]
    mov si, dap
    int 0x13
    mov al, 2
    jc fail
    mov si, BUF
    call puts

    cmp word [params + 0x18], 512
    jne done

    ; 3a. The same first sector by CHS (the payload is on cylinder 0, head 0).
    mov ax, 0x0201
    mov cx, [payload_lba]
    inc cx                          ; sector numbers start at 1
    xor dh, dh
    mov dl, [drive]
    mov bx, BUF2
    int 0x13
    mov al, 3
    jc fail
    mov si, BUF
    mov di, BUF2
    mov cx, 256
    repe cmpsw
    mov al, 4
    jne fail

    ; 3b. Write the first sector, its first byte changed, after the payload; read it back.
    mov byte [BUF], '*'
    mov eax, [payload_lba]
    add eax, [payload_count]
    mov [dap_lba], eax
    mov word [dap_count], 1
    mov word [dap_buf], BUF
    mov ax, 0x4300
    mov dl, [drive]
    mov si, dap
    int 0x13
    mov al, 5
    jc fail
    mov word [dap_buf], BUF2
    mov ah, 0x42
    mov dl, [drive]
    mov si, dap
    int 0x13
    mov al, 6
    jc fail
    mov si, BUF
    mov di, BUF2
    mov cx, 256
    repe cmpsw
    mov al, 7
    jne fail
    mov si, BUF2
    call puts

done:
    mov si, msg_ok
    call puts
    xor al, al
fail:
    out EXIT, al
    hlt
    jmp fail

; Print the NUL-terminated string at ds:si on the debug console and the firmware's console.
puts:
    lodsb
    test al, al
    jz .end
    call putc
    jmp puts
.end:
    ret

putc:
    out DEBUG, al
    push bx
    mov ah, 0x0e
    xor bx, bx
    int 0x10
    pop bx
    ret

puthex:
    push ax
    shr al, 4
    call .digit
    pop ax
.digit:
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '0' - 10
.out:
    jmp putc

msg_hello: db "bootsector: drive ", 0
msg_size:  db "bootsector: sector size ", 0
msg_ok:    db "bootsector: ok", 13, 10, 0
msg_nl:    db 13, 10, 0

drive:  db 0
align 4
dap:        db 0x10, 0
dap_count:  dw 0
dap_buf:    dw 0, 0
dap_lba:    dd 0, 0
params: times 0x1e db 0

; Patched by the image builder: where the payload is, in the medium's own sectors.
times 0x1b0 - ($ - $$) db 0
payload_lba:    dd 1
payload_count:  dw 1

times 510 - ($ - $$) db 0
dw 0xaa55
