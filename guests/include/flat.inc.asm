; The frame the project's multiboot guests start from: the multiboot header
; (loaded at 1 MiB up to the includer's load_end, zeroed up to bss_end), the
; switch to flat 4 GiB segments, and the GDT that holds them. The includer puts
; GDT_BEGIN, its further descriptors and GDT_END among its data, and defines
; `idt` (256 gates) in its bss. Equates and macros only: include it first.

MB_MAGIC equ 0x1BADB002
KCODE    equ 0x08
KDATA    equ 0x10

; MULTIBOOT_HEADER flags, entry
%macro MULTIBOOT_HEADER 2
header:
    dd MB_MAGIC, %1, -(MB_MAGIC + %1)
    dd header, 0x100000, load_end, bss_end, %2
%endmacro

; Loads the GDT, CS with KCODE and every other segment register with KDATA.
%macro LOAD_FLAT_SEGMENTS 0
    lgdt [gdtr]
    jmp KCODE:%%cs
%%cs:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
%endmacro

; The GDT's first descriptors: null, then KCODE and KDATA (base 0, 4 GiB, ring 0).
%macro GDT_BEGIN 0
align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF           ; 0x08 ring-0 code
    dq 0x00CF92000000FFFF           ; 0x10 ring-0 data
%endmacro

; After the last descriptor: the GDT's and the IDT's pseudo-descriptors.
%macro GDT_END 0
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt
idtr:
    dw 256 * 8 - 1
    dd idt
%endmacro
