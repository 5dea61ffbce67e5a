; Segmentation: descriptor loads through the descriptor-load helper and its shadow.
; Accessed bits in guest memory, rewritten descriptors, a descriptor table sharing
; its page with data and one spanning two pages, every load fault with its error
; code, limit checks (expand-up, expand-down, stack), LDT, LAR/LSL/VERR/VERW.
%include "testlib.inc.asm"

SEL_DATA   equ 0x18
SEL_MOVED  equ 0x20
SEL_NP     equ 0x28
SEL_XONLY  equ 0x30
SEL_RONLY  equ 0x38
SEL_EDOWN  equ 0x40
SEL_SMALL  equ 0x48
SEL_LDT    equ 0x50
SEL_DPL3   equ 0x58
SEL_SSMALL equ 0x60
LSEL_DATA  equ 0x04 | 0x00          ; LDT entry 0, TI = 1

%macro extra_gdt 0
    DESC 0, 0xFFFFF, 0x92, 0xC          ; 0x18 data, not yet accessed
    DESC 0x200000, 0xFFF, 0x92, 0x4     ; 0x20 data at 2 MiB (rewritten by a test)
    DESC 0, 0xFFFFF, 0x12, 0xC          ; 0x28 not present
    DESC 0, 0xFFFFF, 0x98, 0xC          ; 0x30 execute-only code
    DESC 0, 0xFFFFF, 0x90, 0xC          ; 0x38 read-only data
    DESC 0x300000, 0xFFF, 0x96, 0x4     ; 0x40 expand-down, 32-bit: valid 0x1000..0xFFFFFFFF
    DESC 0x210000, 0xF, 0x92, 0x4       ; 0x48 16-byte data segment
    DESC ldt - $$ + 0x100000, ldt_end - ldt - 1, 0x82, 0 ; 0x50 LDT
    DESC 0, 0xFFFFF, 0xF2, 0xC          ; 0x58 DPL 3 data
    DESC 0x220000, 0xFFF, 0x92, 0x4     ; 0x60 4 KiB stack segment
%endmacro

GDT_DESC_ACCESS equ 5                 ; byte of a descriptor holding the access byte

tests:
    ; ---- accessed bit
    mov ax, SEL_DATA
    mov es, ax
    test byte [gdt + SEL_DATA + GDT_DESC_ACCESS], 1
    CHECK nz, "accessed bit set in the GDT after a load"
    and byte [gdt + SEL_DATA + GDT_DESC_ACCESS], 0xFE
    mov ax, SEL_DATA
    mov es, ax
    test byte [gdt + SEL_DATA + GDT_DESC_ACCESS], 1
    CHECK nz, "accessed bit set again after clearing it and reloading"

    ; ---- a rewritten descriptor is used on the next load (stale shadow would use the old base)
    mov ax, SEL_MOVED
    mov fs, ax
    mov dword [fs:0], 0x11111111
    CHECK_EQ [0x200000], 0x11111111, "load uses the descriptor's base"
    mov byte [gdt + SEL_MOVED + 4], 0x25          ; base 0x250000
    mov ax, SEL_MOVED
    mov fs, ax
    mov dword [fs:0], 0x22222222
    CHECK_EQ [0x250000], 0x22222222, "rewritten descriptor base used after reload"
    CHECK_EQ [0x200000], 0x11111111, "old base no longer written"
    ; The data beside the GDT lives on the same page: writing it must not disturb loads.
    mov dword [failures_shadow_probe], 0x5A5A5A5A
    mov ax, SEL_MOVED
    mov fs, ax
    mov dword [fs:4], 0x33333333
    CHECK_EQ [0x250004], 0x33333333, "data write on the GDT page leaves descriptors intact"

    ; ---- a GDT spanning two pages
    mov esi, gdt
    mov edi, gdt2
    mov ecx, (gdt_end - gdt) / 4
    rep movsd
    mov word [gdt2_lo], gdt_end - gdt - 1
    lgdt [gdtr2]
    mov eax, gdt2 + 0x18
    and eax, 0xFFF
    CHECK_EQ eax, 0x0, "test GDT entry 3 starts a page"
    mov byte [gdt2 + SEL_DATA + GDT_DESC_ACCESS], 0x92
    mov ax, SEL_DATA
    mov gs, ax
    test byte [gdt2 + SEL_DATA + GDT_DESC_ACCESS], 1
    CHECK nz, "accessed bit set in a GDT entry on the second page"
    mov byte [gdt2 + SEL_MOVED + 4], 0x26          ; entry 4, second page: base 0x260000
    mov ax, SEL_MOVED
    mov gs, ax
    mov dword [gs:0], 0x44444444
    CHECK_EQ [0x260000], 0x44444444, "rewritten descriptor on the second page used"
    mov byte [gdt2 + 0x10 + GDT_DESC_ACCESS], 0x92 ; entry 2, first page
    mov ax, 0x10
    mov gs, ax
    test byte [gdt2 + 0x10 + GDT_DESC_ACCESS], 1
    CHECK nz, "accessed bit set in a GDT entry on the first page"
    lgdt [gdtr]
    mov ax, KDATA
    mov gs, ax

    ; ---- load faults and their error codes
    EXPECT_FAULT .f1
    xor ax, ax
    mov ss, ax
.f1:
    CHECK_EQ [fault_vector], 13, "null selector into SS: #GP"
    CHECK_EQ [fault_error], 0, "null selector into SS: error code 0"
    mov ax, 0
    mov es, ax
    CHECK_EQ [fault_count], 1, "null selector into ES is allowed"
    EXPECT_FAULT .f2
    mov ax, 0x1F8
    mov ds, ax
.f2:
    CHECK_EQ [fault_vector], 13, "selector beyond the GDT limit: #GP"
    CHECK_EQ [fault_error], 0x1F8, "selector beyond the GDT limit: error code"
    EXPECT_FAULT .f3
    mov ax, SEL_NP
    mov ds, ax
.f3:
    CHECK_EQ [fault_vector], 11, "not-present data segment: #NP"
    CHECK_EQ [fault_error], SEL_NP, "not-present data segment: error code"
    EXPECT_FAULT .f4
    mov ax, SEL_NP
    mov ss, ax
.f4:
    CHECK_EQ [fault_vector], 12, "not-present stack segment: #SS"
    CHECK_EQ [fault_error], SEL_NP, "not-present stack segment: error code"
    EXPECT_FAULT .f5
    mov ax, SEL_XONLY
    mov ds, ax
.f5:
    CHECK_EQ [fault_vector], 13, "execute-only code into DS: #GP"
    CHECK_EQ [fault_error], SEL_XONLY, "execute-only code into DS: error code"
    EXPECT_FAULT .f6
    mov ax, SEL_RONLY
    mov ss, ax
.f6:
    CHECK_EQ [fault_vector], 13, "read-only data into SS: #GP"
    CHECK_EQ [fault_error], SEL_RONLY, "read-only data into SS: error code"
    EXPECT_FAULT .f7
    mov ax, SEL_DATA | 3
    mov ss, ax
.f7:
    CHECK_EQ [fault_vector], 13, "SS with RPL != CPL: #GP"
    CHECK_EQ [fault_error], SEL_DATA, "SS with RPL != CPL: error code"
    EXPECT_FAULT .f8
    mov ax, SEL_DPL3
    mov ss, ax
.f8:
    CHECK_EQ [fault_error], SEL_DPL3, "SS with DPL != CPL: #GP(selector)"
    mov ax, SEL_DPL3
    mov es, ax
    CHECK_EQ [fault_count], 8, "ring 0 may load a DPL 3 data segment into ES"
    mov ax, KDATA
    mov es, ax

    ; ---- limits and rights on access
    mov ax, SEL_SMALL
    mov fs, ax
    mov dword [fs:12], 0x55555555
    CHECK_EQ [0x21000C], 0x55555555, "access ending at the limit is allowed"
    EXPECT_FAULT .l1
    mov eax, [fs:13]
.l1:
    CHECK_EQ [fault_vector], 13, "dword crossing the limit: #GP"
    CHECK_EQ [fault_error], 0, "limit fault: error code 0"
    mov ax, SEL_RONLY
    mov fs, ax
    mov eax, [fs:0x100000]
    EXPECT_FAULT .l2
    mov [fs:0x100000], eax
.l2:
    CHECK_EQ [fault_vector], 13, "write to read-only data: #GP(0)"
    mov ax, SEL_EDOWN
    mov fs, ax
    mov dword [fs:0x1000], 0x66666666
    CHECK_EQ [0x301000], 0x66666666, "expand-down: offset just above the limit is valid"
    EXPECT_FAULT .l3
    mov dword [fs:0xFFF], 1
.l3:
    CHECK_EQ [fault_vector], 13, "expand-down: offset at the limit faults"
    mov [saved_esp], esp
    mov ax, SEL_SSMALL
    mov ss, ax
    mov esp, 0x1000
    push dword 0x77777777
    CHECK_EQ [0x220FFC], 0x77777777, "push inside the stack segment"
    EXPECT_FAULT .l4
    mov esp, 0xFFE
    pop eax
.l4:
    mov ax, KDATA
    mov ss, ax
    mov esp, [saved_esp]
    CHECK_EQ [fault_vector], 12, "pop crossing the stack limit: #SS(0)"
    CHECK_EQ [fault_error], 0, "stack limit fault: error code 0"

    ; ---- LDT
    mov ax, SEL_LDT
    lldt ax
    sldt bx
    CHECK_EQ ebx, SEL_LDT, "SLDT returns the LDT selector"
    mov ax, LSEL_DATA
    mov es, ax
    test byte [ldt + GDT_DESC_ACCESS], 1
    CHECK nz, "accessed bit set in the LDT"
    mov dword [es:0], 0x88888888
    CHECK_EQ [0x270000], 0x88888888, "LDT descriptor's base used"
    mov byte [ldt + 4], 0x28
    mov ax, LSEL_DATA
    mov es, ax
    mov dword [es:0], 0x99999999
    CHECK_EQ [0x280000], 0x99999999, "rewritten LDT descriptor used after reload"
    mov ax, KDATA
    mov es, ax

    ; ---- LAR, LSL, VERR, VERW
    mov ax, SEL_SMALL
    lsl ebx, ax
    CHECK z, "LSL on a data segment sets ZF"
    CHECK_EQ ebx, 0xF, "LSL returns the byte limit"
    mov ax, SEL_DATA
    lsl ebx, ax
    CHECK_EQ ebx, 0xFFFFFFFF, "LSL returns the scaled limit of a 4 KiB-granular segment"
    mov ax, SEL_RONLY
    lar ebx, ax
    CHECK z, "LAR on a data segment sets ZF"
    and ebx, 0x00F0FF00
    CHECK_EQ ebx, 0x00C09100, "LAR returns access rights (accessed by an earlier load)"
    mov ax, 0x1F8
    lar ebx, ax
    CHECK nz, "LAR beyond the GDT limit clears ZF"
    mov ax, SEL_XONLY
    verr ax
    CHECK nz, "VERR on execute-only code clears ZF"
    mov ax, SEL_RONLY
    verr ax
    CHECK z, "VERR on read-only data sets ZF"
    verw ax
    CHECK nz, "VERW on read-only data clears ZF"
    mov ax, SEL_DATA
    verw ax
    CHECK z, "VERW on writable data sets ZF"
    ret

align 4
failures_shadow_probe: dd 0
saved_esp: dd 0

%macro extra_bss 0
alignb 4096
    resb 4096 - 0x18
gdt2: resb 0x1000
%endmacro

align 8
ldt:
    DESC 0x270000, 0xFFF, 0x92, 0x4
ldt_end:

gdtr2:
gdt2_lo: dw 0
    dd gdt2

%include "testlib_end.inc.asm"
