; Ring 3 for a guest kernel: user code and data segments after the flat ring-0
; ones, and the one TSS, which gives interrupts from ring 3 the kernel's stack.
; Put USER_DESCRIPTORS right after GDT_BEGIN (flat.inc.asm); the includer's bss
; has `tss` (104 bytes) and `kstack_top`. call install_tss before leaving ring 0.

UCODE  equ 0x1B
UDATA  equ 0x23
TSSSEL equ 0x28

%macro USER_DESCRIPTORS 0
    dq 0x00CFFA000000FFFF           ; 0x18 ring-3 code
    dq 0x00CFF2000000FFFF           ; 0x20 ring-3 data
gdt_tss:
    dq 0x0000890000000067           ; 0x28 TSS (base filled in by install_tss)
%endmacro

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
