; A boot sector for the display tests under SeaBIOS and its VGA BIOS: graphics
; modes set and drawn through INT 10h, and a key read through INT 16h (the
; keyboard's scan code through the 8042 and the BIOS's IRQ 1 handler). Reports
; on the debug console (port 0xE9), where the test waits between steps:
;
;  1. Mode 12h (640x480, 16 colours, planar): a red line (colour 4) at y = 10,
;     x = 0..99, and a yellow pixel (colour 14) at (639, 479) by AH=0Ch;
;     "mode 12h" then a key: "key SSAA" (INT 16h AH=00h: scan code, ASCII).
;  2. VBE mode 101h (640x480, 256 colours, banked at A000h): a line of colour 4
;     at y = 20, x = 0..99; "vbe 004F" (AX from AX=4F02h), then exit (port 0xF4).
;
; Build: nasm -f bin -o vgamodes.bin vgamodes.asm   (npm run guests:build)

bits 16
org 0x7c00

DEBUG   equ 0xe9
EXIT    equ 0xf4

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti

    mov ax, 0x0012
    int 0x10
    mov cx, 99
.l12:
    mov ax, 0x0c04
    xor bx, bx
    mov dx, 10
    int 0x10
    dec cx
    jns .l12
    mov ax, 0x0c0e
    xor bx, bx
    mov cx, 639
    mov dx, 479
    int 0x10
    mov si, msg_mode12
    call puts

    xor ah, ah
    int 0x16
    push ax
    mov si, msg_key
    call puts
    pop ax
    call puthex16
    mov al, 10
    out DEBUG, al

    mov ax, 0x4f02
    mov bx, 0x0101
    int 0x10
    push ax
    mov ax, 0xa000
    mov es, ax
    mov di, 20 * 640
    mov cx, 100
    mov al, 4
    rep stosb
    mov si, msg_vbe
    call puts
    pop ax
    call puthex16
    mov al, 10
    out DEBUG, al
    xor al, al
    out EXIT, al
    cli
    hlt

; ds:si = NUL-terminated string, to the debug console
puts:
    lodsb
    test al, al
    jz .d
    out DEBUG, al
    jmp puts
.d: ret

; ax as four hex digits
puthex16:
    mov cx, 4
.l: rol ax, 4
    push ax
    and al, 15
    add al, '0'
    cmp al, '9'
    jbe .o
    add al, 'A' - '0' - 10
.o: out DEBUG, al
    pop ax
    loop .l
    ret

msg_mode12: db "mode 12h", 10, 0
msg_key:    db "key ", 0
msg_vbe:    db "vbe ", 0

    times 510 - ($ - $$) db 0
    dw 0xaa55
