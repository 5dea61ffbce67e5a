; jit386's built-in demo guest (what `npm start` boots).
; A multiboot kernel that sets up its own GDT, IDT and TSS, turns on paging,
; drops to ring 3 and runs a small workload there: a sieve of Eratosthenes in a
; buffer that the kernel maps on demand from its page-fault handler, then a
; CRC-32 of that buffer. User code talks to the kernel through INT 0x80; all
; output goes to COM1. It ends by halting with interrupts off.
;
; Build: nasm -f bin -i ../include/ -o default.bin default.asm   (npm run guests:build)

bits 32
org 0x100000

%include "flat.inc.asm"

DEMAND_BASE equ 0x00800000          ; 8 MiB: the sieve lives here, mapped on first touch
SIEVE_SIZE  equ 65536
POOL_BASE   equ 0x00300000          ; physical frames handed out by the page-fault handler

MULTIBOOT_HEADER 0x00010002, start      ; memory info, address fields

start:
    cli
    mov esp, kstack_top
    LOAD_FLAT_SEGMENTS

    call serial_init
    mov esi, msg_banner
    call serial_puts

    call idt_init
    lidt [idtr]

    call install_tss                ; ring-0 stack for interrupts from user mode

    call paging_init
    mov eax, page_dir
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000              ; PG | WP
    mov cr0, eax
    mov esi, msg_paging
    call serial_puts

    mov esi, msg_user
    call serial_puts
    push dword UDATA                ; SS
    push dword ustack_top           ; ESP
    push dword 0x00000002           ; EFLAGS: IF off, IOPL 0
    push dword UCODE                ; CS
    push dword user_main            ; EIP
    iretd

; ---------------------------------------------------------------- kernel: serial
%include "com1.inc.asm"

; ---------------------------------------------------------------- kernel: TSS
%include "tss.inc.asm"

; ---------------------------------------------------------------- kernel: IDT
; Gates: every exception goes to a panic stub that knows its vector, #PF to the
; demand pager, INT 0x80 is a ring-3 trap gate.
idt_init:
    xor ecx, ecx
.fill:
    mov eax, [exc_stubs + ecx * 4]
    mov ebx, 0x8E00                 ; present, DPL 0, 32-bit interrupt gate
    call set_gate
    inc ecx
    cmp ecx, 20
    jb .fill
    mov ecx, 14
    mov eax, page_fault
    mov ebx, 0x8E00
    call set_gate
    mov ecx, 0x80
    mov eax, syscall
    mov ebx, 0xEF00                 ; present, DPL 3, 32-bit trap gate
    call set_gate
    ret

; ecx = vector, eax = handler, ebx = type/attribute word
set_gate:
    mov [idt + ecx * 8], ax
    mov word [idt + ecx * 8 + 2], KCODE
    mov [idt + ecx * 8 + 4], bx
    shr eax, 16
    mov [idt + ecx * 8 + 6], ax
    ret

%macro EXC 1
exc_%1:
    push dword %1
    jmp panic
%endmacro
%assign v 0
%rep 20
EXC v
%assign v v + 1
%endrep

exc_stubs:
%assign v 0
%rep 20
    dd exc_ %+ v
%assign v v + 1
%endrep

panic:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov esi, msg_panic
    call serial_puts
    pop eax
    call serial_puthex
    mov al, 10
    call serial_putc
    mov al, 1
    out 0xF4, al                    ; exit status 3: failure
    cli
    hlt

; ---------------------------------------------------------------- kernel: paging
; Page directory entry 0: identity map of the first 4 MiB, kernel pages
; supervisor-only, the user program's pages user-accessible. Entry 2 covers the
; demand region, initially with no page present.
paging_init:
    mov edi, page_table0
    xor ecx, ecx
.pte:
    mov eax, ecx
    shl eax, 12
    mov ebx, eax
    or eax, 0x003                   ; present, writable, supervisor
    cmp ebx, user_begin
    jb .store
    cmp ebx, user_end
    jae .store
    or eax, 0x004                   ; user
.store:
    mov [edi + ecx * 4], eax
    inc ecx
    cmp ecx, 1024
    jb .pte
    mov dword [page_dir], page_table0 + 0x007
    mov dword [page_dir + 2 * 4], page_table2 + 0x007
    ret

page_fault:
    push eax
    push ebx
    push ds
    mov ax, KDATA
    mov ds, ax
    mov eax, cr2
    cmp eax, DEMAND_BASE
    jb .bad
    cmp eax, DEMAND_BASE + SIEVE_SIZE
    jae .bad
    test dword [esp + 12], 1        ; error code: P set means a protection fault
    jnz .bad
    shr eax, 12
    and eax, 0x3FF
    mov ebx, [next_frame]
    add dword [next_frame], 0x1000
    or ebx, 0x007                   ; present, writable, user
    mov [page_table2 + eax * 4], ebx
    mov eax, cr2
    invlpg [eax]
    inc dword [faults_served]
    pop ds
    pop ebx
    pop eax
    add esp, 4                      ; error code
    iretd
.bad:
    mov esi, msg_pf
    call serial_puts
    mov eax, cr2
    call serial_puthex
    mov al, 10
    call serial_putc
    mov al, 1
    out 0xF4, al
    cli
    hlt

; ---------------------------------------------------------------- kernel: system calls
; eax = 1: write(ecx = buffer, edx = length); eax = 2: exit(ebx = status)
syscall:
    push ds
    push es
    push esi
    push ecx
    mov esi, KDATA
    mov ds, si
    mov es, si
    cmp eax, 1
    je .write
    cmp eax, 2
    je .exit
    mov eax, -1
    jmp .ret
.write:
    mov esi, ecx
    mov ecx, edx
    jecxz .written
.wloop:
    lodsb
    call serial_putc
    loop .wloop
.written:
    mov eax, edx
.ret:
    pop ecx
    pop esi
    pop es
    pop ds
    iretd
.exit:
    mov esi, msg_faults
    call serial_puts
    mov eax, [faults_served]
    call serial_puthex
    mov al, 10
    call serial_putc
    mov esi, msg_exit
    call serial_puts
    mov eax, ebx
    call serial_puthex
    mov al, 10
    call serial_putc
    test ebx, ebx
    jz .halt
    mov al, bl
    out 0xF4, al
.halt:
    cli
    hlt

; ---------------------------------------------------------------- user program
align 4096
user_begin:

user_main:
    mov ax, UDATA
    mov ds, ax
    mov es, ax
    mov esi, umsg_hello
    call uputs
    mov ax, cs
    and eax, 3
    add al, '0'
    mov [umsg_cpl_digit], al
    mov esi, umsg_cpl
    call uputs

    ; Sieve of Eratosthenes over [0, SIEVE_SIZE): byte k = 1 when k is prime.
    ; The first touch of each page faults and the kernel maps it.
    mov edi, DEMAND_BASE
    mov ecx, SIEVE_SIZE / 4
    mov eax, 0x01010101
    rep stosd
    mov byte [DEMAND_BASE], 0
    mov byte [DEMAND_BASE + 1], 0
    mov ebx, 2
.outer:
    mov eax, ebx
    mul ebx
    cmp eax, SIEVE_SIZE
    jae .count
    cmp byte [DEMAND_BASE + ebx], 0
    je .nextp
.mark:
    mov byte [DEMAND_BASE + eax], 0
    add eax, ebx
    cmp eax, SIEVE_SIZE
    jb .mark
.nextp:
    inc ebx
    jmp .outer
.count:
    xor eax, eax
    mov esi, DEMAND_BASE
    mov ecx, SIEVE_SIZE
.cnt:
    movzx edx, byte [esi]
    add eax, edx
    inc esi
    loop .cnt
    push eax
    mov esi, umsg_primes
    call uputs
    pop eax
    call uputdec

    ; CRC-32 (IEEE, reflected) of the sieve bytes, bit by bit.
    mov esi, DEMAND_BASE
    mov ecx, SIEVE_SIZE
    mov eax, 0xFFFFFFFF
.byte:
    xor al, [esi]
    inc esi
    mov edx, 8
.bit:
    shr eax, 1
    jnc .nopoly
    xor eax, 0xEDB88320
.nopoly:
    dec edx
    jnz .bit
    loop .byte
    not eax
    push eax
    mov esi, umsg_crc
    call uputs
    pop eax
    call uputhex

    mov eax, 2
    xor ebx, ebx
    int 0x80

; esi = NUL-terminated string, written with one system call
uputs:
    push eax
    push ecx
    push edx
    mov ecx, esi
    xor edx, edx
.len:
    cmp byte [esi + edx], 0
    je .go
    inc edx
    jmp .len
.go:
    mov eax, 1
    int 0x80
    pop edx
    pop ecx
    pop eax
    ret

; eax = value, printed in decimal with a newline
uputdec:
    mov edi, unum_end
    mov byte [edi], 10
    mov byte [edi + 1], 0
    mov ecx, 10
.div:
    xor edx, edx
    div ecx
    add dl, '0'
    dec edi
    mov [edi], dl
    test eax, eax
    jnz .div
    mov esi, edi
    jmp uputs

; eax = value, printed as 8 hex digits with a newline
uputhex:
    mov edi, unum_end - 8
    mov ecx, 8
.hex:
    rol eax, 4
    mov edx, eax
    and edx, 0x0F
    mov dl, [uhexdigits + edx]
    mov [edi], dl
    inc edi
    loop .hex
    mov byte [edi], 10
    mov byte [edi + 1], 0
    mov esi, unum_end - 8
    jmp uputs

umsg_hello:     db "ring 3: user program running", 10, 0
umsg_cpl:       db "ring 3: CPL = "
umsg_cpl_digit: db "?", 10, 0
umsg_primes:    db "ring 3: primes below 65536: ", 0
umsg_crc:       db "ring 3: crc32 of the sieve: ", 0
uhexdigits:     db "0123456789ABCDEF"
unum:           times 16 db 0
unum_end:       db 0, 0
align 16
ustack:         times 1024 db 0
ustack_top:

align 4096
user_end:

; ---------------------------------------------------------------- kernel data
msg_banner: db "jit386 demo guest: 32-bit protected mode, own GDT/IDT/TSS", 10, 0
msg_paging: db "paging on: identity map, kernel pages supervisor-only, demand-mapped user buffer", 10, 0
msg_user:   db "entering ring 3", 10, 0
msg_faults: db "kernel: page faults served on demand: 0x", 0
msg_exit:   db "kernel: user program exited with status 0x", 0
msg_panic:  db "kernel: unexpected exception, vector 0x", 0
msg_pf:     db "kernel: bad page fault at 0x", 0
hexdigits:  db "0123456789ABCDEF"

GDT_BEGIN
USER_DESCRIPTORS
GDT_END
next_frame:    dd POOL_BASE
faults_served: dd 0

load_end:

; ---------------------------------------------------------------- bss
absolute load_end
alignb 4096
page_dir:    resb 4096
page_table0: resb 4096
page_table2: resb 4096
idt:         resb 256 * 8
tss:         resb 104
alignb 16
kstack:      resb 8192
kstack_top:
bss_end:
