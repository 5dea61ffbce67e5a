; A 16-bit real-mode workload. The multiboot entry (32-bit protected mode)
; copies the real-mode part below 1 MiB, drops to real mode through a 16-bit
; protected-mode segment, and the rest runs in real mode with its own
; interrupt vector table: a sieve in one 64 KiB segment, a CRC-16 of 16 KiB in
; each of two segments, REP MOVSW between segments, 32-bit arithmetic through operand-
; size prefixes, and a software interrupt per round. It prints its checksum and
; exits from real mode.
%define BENCH_NAME "realmode"
DEFAULT_ITERS equ 25
RM_BASE       equ 0x8000            ; where the real-mode part runs
RM_ITERS      equ 0x0500            ; iteration count handed to real mode
SIEVE_SEG     equ 0x2000
SIEVE_SIZE    equ 60000
CRC_SEG       equ 0x3000            ; two segments: 0x30000..0x4FFFF
CRC_BYTES     equ 0x4000            ; checked in each
COPY_SEG      equ 0x5000
CODE16        equ 0x30
DATA16        equ 0x38

%macro extra_gdt 0
    dq 0x00009A000000FFFF           ; 0x30 16-bit code, base 0, limit 64 KiB
    dq 0x000092000000FFFF           ; 0x38 16-bit data, base 0, limit 64 KiB
%endmacro

%include "benchlib.inc.asm"

; Addresses of the real-mode part where it runs.
%define RM(x) ((x) - rm_start + RM_BASE)

work:
    mov eax, [iters]
    mov [RM_ITERS], eax
    mov esi, rm_start
    mov edi, RM_BASE
    mov ecx, rm_end - rm_start
    rep movsb
    jmp CODE16:RM(pm16)

align 16
rm_start:
bits 16
pm16:
    mov ax, DATA16
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp 0:RM(real)

real:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    lidt [RM(ivt_ptr)]
    mov word [0x60 * 4], RM(int60)
    mov word [0x60 * 4 + 2], 0
    xor ebx, ebx                    ; 32-bit checksum
    mov bp, [RM_ITERS]

.round:
    ; Sieve of Eratosthenes: byte k of SIEVE_SEG is 1 when k is composite.
    mov ax, SIEVE_SEG
    mov es, ax
    xor di, di
    mov cx, SIEVE_SIZE / 2
    xor ax, ax
    rep stosw
    mov si, 2
.outer:
    mov ax, si
    mul si
    test dx, dx
    jnz .count
    cmp ax, SIEVE_SIZE
    jae .count
    cmp byte [es:si], 0
    jne .nextp
    mov di, ax
.mark:
    mov byte [es:di], 1
    add di, si
    jc .nextp
    cmp di, SIEVE_SIZE
    jb .mark
.nextp:
    inc si
    jmp .outer
.count:
    xor di, di
    mov cx, SIEVE_SIZE
    xor dx, dx
.cnt:
    cmp byte [es:di], 0
    jne .comp
    inc dx
.comp:
    inc di
    loop .cnt
    movzx eax, dx
    add ebx, eax
    rol ebx, 3

    ; Fill two segments with a pattern, CRC-16 a part of each, walking the segment register.
    mov ax, CRC_SEG
    mov es, ax
    xor di, di
    mov cx, 0x8000
    mov ax, bp
.fill1:
    stosw
    add ax, 0x3579
    loop .fill1
    mov dx, es
    add dx, 0x1000
    mov es, dx
    mov cx, 0x8000
.fill2:
    stosw
    xor ax, di
    loop .fill2

    mov ax, CRC_SEG
    mov ds, ax
    mov dx, 0xFFFF                  ; CRC-16/CCITT state
    mov cx, 2                       ; segments
.seg:
    xor si, si
.byte:
    lodsb
    xor dh, al
    mov al, 8
.bit:
    shl dx, 1
    jnc .nopoly
    xor dx, 0x1021
.nopoly:
    dec al
    jnz .bit
    cmp si, CRC_BYTES
    jb .byte
    mov ax, ds
    add ax, 0x1000
    mov ds, ax
    loop .seg
    xor ax, ax
    mov ds, ax
    movzx eax, dx
    xor ebx, eax

    ; Copy 32 KiB between segments and sample the copy.
    push ds
    mov ax, CRC_SEG
    mov ds, ax
    mov ax, COPY_SEG
    mov es, ax
    mov si, bp
    and si, 0x0FFE
    xor di, di
    mov cx, 0x4000
    rep movsw
    pop ds
    mov eax, [es:0x1234]
    add ebx, eax

    ; 32-bit arithmetic in 16-bit code, and a software interrupt through the IVT.
    mov cx, 2000
.mix:
    mov eax, ebx
    imul eax, eax, 0x01000193
    xor eax, ecx
    mov edx, eax
    shr edx, 13
    xor ebx, edx
    int 0x60
    loop .mix

    dec bp
    jnz .round

    ; Report: "<name>: checksum xxxxxxxx".
    mov si, RM(name16)
    call puts16
    mov cx, 8
.hex:
    rol ebx, 4
    mov al, bl
    and al, 15
    add al, '0'
    cmp al, '9'
    jbe .digit
    add al, 'a' - '0' - 10
.digit:
    call putc16
    loop .hex
    mov al, 10
    call putc16
    xor al, al
    out 0xF4, al
    cli
    hlt

; The software interrupt: one more mixing step of the checksum.
int60:
    add ebx, 0x9E3779B9
    rol ebx, 5
    iret

; si = NUL-terminated string (segment 0)
puts16:
    lodsb
    test al, al
    jz .done
    call putc16
    jmp puts16
.done:
    ret

putc16:
    push dx
    push ax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop ax
    mov dx, COM1
    out dx, al
    pop dx
    ret

ivt_ptr:
    dw 0x3FF
    dd 0
name16: db BENCH_NAME, ": checksum ", 0
rm_end:
bits 32

%include "benchlib_end.inc.asm"
