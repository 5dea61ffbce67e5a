; System-call heavy code: a ring-3 loop calling into ring 0 through INT 0x80
; (a DPL-3 interrupt gate) and back with IRETD. The kernel entry loads its own
; data segments and the exit restores the user's, as a real kernel does.
; Calls: 0 exit(ebx = checksum), 1 mix(ebx) -> eax, 2 counter() -> eax.
%define BENCH_NAME "syscall"
DEFAULT_ITERS equ 100000

%include "benchlib.inc.asm"

work:
    mov ecx, 0x80
    mov eax, sys_entry
    mov ebx, 0xEE00                 ; present, DPL 3, 32-bit interrupt gate
    call set_gate
    mov eax, user_main
    jmp enter_user

sys_entry:
    push ds
    push es
    push edx
    mov dx, KDATA
    mov ds, dx
    mov es, dx
    cmp eax, SYSCALLS
    jae .bad
    call [systab + eax * 4]
.ret:
    pop edx
    pop es
    pop ds
    iretd
.bad:
    mov eax, -1
    jmp .ret

sys_exit:
    mov eax, ebx
    jmp finish

sys_mix:
    mov eax, [kstate]
    xor eax, ebx
    rol eax, 7
    add eax, 0x6D2B79F5
    mov [kstate], eax
    ret

sys_counter:
    inc dword [kcount]
    mov eax, [kcount]
    ret

systab: dd sys_exit, sys_mix, sys_counter
SYSCALLS equ ($ - systab) / 4

user_main:
    mov ax, UDATA
    mov ds, ax
    mov es, ax
    mov ecx, [iters]
    xor edi, edi
.loop:
    mov eax, 1
    mov ebx, edi
    int 0x80
    xor edi, eax
    mov eax, 2
    int 0x80
    add edi, eax
    rol edi, 3
    dec ecx
    jnz .loop
    mov ebx, edi
    xor eax, eax
    int 0x80

kstate: dd 0x12345678
kcount: dd 0

%include "benchlib_end.inc.asm"
