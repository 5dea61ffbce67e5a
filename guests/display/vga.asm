; The VGA as a guest without a BIOS programs it: mode 3 text through the
; registers (80x25, colour attributes, cursor, odd/even reads of 0xB8000), then
; "READY" and a wait for two keys through the 8042 (polled, set 1 as the
; controller translates them), then mode 13h (chain 4, the DAC) with a red
; rectangle and a green corner pixel. Checks go to the debug console as PASS /
; FAIL lines; test/display.test.ts looks at the screen between the phases.
%include "testlib.inc.asm"

TEXT    equ 0xB8000
GFX     equ 0xA0000

; OUTB port, value
%macro OUTB 2
    mov dx, %1
    mov al, %2
    out dx, al
%endmacro

tests:
    ; ---- mode 3 by its registers
    OUTB 0x3C2, 0x67
    mov esi, seq3
    call set_seq
    OUTB 0x3D4, 0x11            ; lift the CRTC write protection
    OUTB 0x3D5, 0x00
    mov esi, crtc3
    call set_crtc
    mov esi, gfx3
    call set_gfx
    mov esi, attr3
    call set_attr
    call set_dac

    ; "Hello, VGA" in white on blue at row 2, column 5; the rest of the screen blank.
    mov edi, TEXT
    mov ecx, 80 * 25
    mov ax, 0x0720
    rep stosw
    mov esi, hello
    mov edi, TEXT + (2 * 80 + 5) * 2
.h: lodsb
    test al, al
    jz .hd
    mov ah, 0x1F
    stosw
    jmp .h
.hd:
    ; Cursor at row 2, column 15 (the cell after the text).
    OUTB 0x3D4, 0x0E
    OUTB 0x3D5, 0
    OUTB 0x3D4, 0x0F
    OUTB 0x3D5, 2 * 80 + 15

    mov ax, [TEXT + (2 * 80 + 5) * 2]
    cmp ax, 0x1F48
    CHECK e, "text cell reads back (character and attribute)"
    mov dx, 0x3D4
    mov al, 0x0F
    out dx, al
    inc dx
    in al, dx
    cmp al, 2 * 80 + 15
    CHECK e, "CRTC cursor location reads back"

    mov esi, ready
    call puts

    ; ---- two keys through the 8042: 'a' pressed and released
    call getkey
    mov bl, al
    call getkey
    mov bh, al
    cmp bx, 0x9E1E
    CHECK e, "keyboard: set 1 make and break of A through the controller"

    ; ---- mode 13h
    OUTB 0x3C2, 0x63
    mov esi, seq13
    call set_seq
    OUTB 0x3D4, 0x11
    OUTB 0x3D5, 0x00
    mov esi, crtc13
    call set_crtc
    mov esi, gfx13
    call set_gfx
    mov esi, attr13
    call set_attr
    ; DAC 1 red, 2 green.
    OUTB 0x3C8, 1
    mov dx, 0x3C9
    mov al, 63
    out dx, al
    xor al, al
    out dx, al
    out dx, al
    out dx, al
    mov al, 63
    out dx, al
    xor al, al
    out dx, al

    mov edi, GFX
    mov ecx, 320 * 200
    xor al, al
    rep stosb
    ; Rectangle x 10..29, y 5..14 in colour 1.
    mov edi, GFX + 5 * 320 + 10
    mov edx, 10
.r: mov ecx, 20
    mov al, 1
    push edi
    rep stosb
    pop edi
    add edi, 320
    dec edx
    jnz .r
    mov byte [GFX + 199 * 320 + 319], 2

    mov al, [GFX + 199 * 320 + 319]
    cmp al, 2
    CHECK e, "mode 13h pixel reads back"
    mov dx, 0x3C7
    mov al, 1
    out dx, al
    mov dx, 0x3C9
    in al, dx
    cmp al, 63
    CHECK e, "DAC entry reads back"
    ret

; al = next byte from the 8042's output buffer (polled)
getkey:
.w: in al, 0x64
    test al, 1
    jz .w
    in al, 0x60
    ret

; esi = 5 sequencer values (index 0..4)
set_seq:
    xor ebx, ebx
.l: mov dx, 0x3C4
    mov al, bl
    out dx, al
    inc dx
    lodsb
    out dx, al
    inc ebx
    cmp ebx, 5
    jb .l
    ret

; esi = 25 CRTC values
set_crtc:
    xor ebx, ebx
.l: mov dx, 0x3D4
    mov al, bl
    out dx, al
    inc dx
    lodsb
    out dx, al
    inc ebx
    cmp ebx, 25
    jb .l
    ret

; esi = 9 graphics controller values
set_gfx:
    xor ebx, ebx
.l: mov dx, 0x3CE
    mov al, bl
    out dx, al
    inc dx
    lodsb
    out dx, al
    inc ebx
    cmp ebx, 9
    jb .l
    ret

; esi = 21 attribute controller values; the display on after them
set_attr:
    mov dx, 0x3DA
    in al, dx
    xor ebx, ebx
    mov dx, 0x3C0
.l: mov al, bl
    out dx, al
    lodsb
    out dx, al
    inc ebx
    cmp ebx, 21
    jb .l
    mov al, 0x20
    out dx, al
    ret

; The 64 colours of the EGA palette in the DAC's first 64 entries: rgbRGB bits, 2/3 and 1/3 intensity.
set_dac:
    OUTB 0x3C8, 0
    xor ebx, ebx
.l: mov dx, 0x3C9
    mov al, bl
    shr al, 2                   ; red: bits 2 (2/3) and 5 (1/3)
    call .c
    mov al, bl
    shr al, 1                   ; green: bits 1 and 4
    call .c
    mov al, bl                  ; blue: bits 0 and 3
    call .c
    inc ebx
    cmp ebx, 64
    jb .l
    ret
.c: movzx ecx, al
    and ecx, 1
    imul ecx, ecx, 42
    shr al, 3
    and eax, 1
    imul eax, eax, 21
    add eax, ecx
    out dx, al
    ret

seq3:   db 0x00, 0x00, 0x03, 0x00, 0x02
crtc3:  db 0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00
        db 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF
gfx3:   db 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF
attr3:  db 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F
        db 0x0C, 0x00, 0x0F, 0x08, 0x00
seq13:  db 0x00, 0x01, 0x0F, 0x00, 0x0E
crtc13: db 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
        db 0x9C, 0x8E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF
gfx13:  db 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF
attr13: db 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F
        db 0x41, 0x00, 0x0F, 0x00, 0x00
hello:  db "Hello, VGA", 0
ready:  db "READY", 10, 0

%include "testlib_end.inc.asm"
