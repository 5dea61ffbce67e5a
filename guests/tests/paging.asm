; Paging: 4 KiB and 4 MiB (PSE) pages, #PF with CR2 and error codes, U/S and R/W
; from both levels, CR0.WP, accessed and dirty bits in the guest's tables, INVLPG,
; CR3 reloads flushing non-global entries while global (PGE) ones stay, and a
; write crossing into a not-present page leaving the first page untouched.
%include "testlib.inc.asm"
%include "ring3.inc.asm"

%macro extra_gdt 0
    RING3_GDT
%endmacro

PD   equ 0x380000                   ; page directory
PT0  equ 0x381000                   ; identity map of 0..4 MiB
PT1  equ 0x382000                   ; the 0x40000000 window
V    equ 0x40000000
FRAME_A equ 0x300000
FRAME_B equ 0x301000
FRAME_C equ 0x302000
BIG_V   equ 0x80000000              ; a 4 MiB page onto physical 0 (also identity-mapped)

PTE_P equ 1
PTE_W equ 2
PTE_U equ 4
PTE_A equ 0x20
PTE_D equ 0x40
PTE_PS equ 0x80
PTE_G equ 0x100

tests:
    call ring3_setup
    ; Identity map 0..4 MiB, user-accessible (the test program runs ring-3 code from it).
    mov edi, PT0
    xor ecx, ecx
.id:
    mov eax, ecx
    shl eax, 12
    or eax, PTE_P | PTE_W | PTE_U
    mov [edi + ecx * 4], eax
    inc ecx
    cmp ecx, 1024
    jb .id
    mov edi, PD
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov edi, PT1
    mov ecx, 1024
    rep stosd
    mov dword [PD], PT0 | PTE_P | PTE_W | PTE_U
    mov dword [PD + (V >> 22) * 4], PT1 | PTE_P | PTE_W | PTE_U
    mov dword [PT1 + 0 * 4], FRAME_A | PTE_P | PTE_W                 ; V+0: supervisor RW
    mov dword [PT1 + 1 * 4], FRAME_B | PTE_P | PTE_U                 ; V+0x1000: user read-only
    mov dword [PT1 + 3 * 4], FRAME_C | PTE_P | PTE_W | PTE_U         ; V+0x3000: user RW (V+0x2000 absent)
    mov dword [FRAME_A], 0xAAAA0000
    mov dword [FRAME_B], 0xBBBB0000
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax

    ; ---- translation, accessed and dirty bits
    CHECK_EQ [V], 0xAAAA0000, "4 KiB page maps to its frame"
    test dword [PT1], PTE_A
    CHECK nz, "read sets the PTE accessed bit"
    test dword [PD + (V >> 22) * 4], PTE_A
    CHECK nz, "read sets the PDE accessed bit"
    test dword [PT1], PTE_D
    CHECK z, "read leaves the dirty bit clear"
    mov dword [V + 4], 1
    test dword [PT1], PTE_D
    CHECK nz, "write sets the dirty bit"
    CHECK_EQ [FRAME_A + 4], 1, "write lands in the frame"

    ; ---- not present
    EXPECT_FAULT .np1
    mov eax, [V + 0x2000]
.np1:
    CHECK_EQ [fault_vector], 14, "not-present page: #PF"
    CHECK_EQ [fault_error], 0, "read, supervisor, not present: error 0"
    mov eax, cr2
    CHECK_EQ eax, V + 0x2000, "CR2 holds the faulting address"
    EXPECT_FAULT .np2
    mov dword [V + 0x2010], 5
.np2:
    CHECK_EQ [fault_error], 2, "write to a not-present page: error 2"
    mov eax, cr2
    CHECK_EQ eax, V + 0x2010, "CR2 after a write fault"

    ; ---- a dword crossing into a not-present page changes nothing
    mov dword [FRAME_B + 0xFFC], 0x11223344
    mov dword [PT1 + 2 * 4], 0
    mov dword [V + 0x1FFC], 0x11111111
    EXPECT_FAULT .cross
    mov dword [V + 0x3FFE], 0x55667788
.cross:
    mov eax, cr2
    CHECK_EQ eax, V + 0x4000, "page-crossing write: CR2 is the first byte of the missing page"
    CHECK_EQ [FRAME_C + 0xFFC], 0, "page-crossing write: first page untouched"

    ; ---- CR0.WP
    mov eax, cr0
    and eax, ~0x10000
    mov cr0, eax
    mov dword [V + 0x1000], 0xBBBB0001
    CHECK_EQ [FRAME_B], 0xBBBB0001, "WP = 0: supervisor writes a read-only page"
    mov eax, cr0
    or eax, 0x10000
    mov cr0, eax
    EXPECT_FAULT .wp
    mov dword [V + 0x1000], 0xBBBB0002
.wp:
    CHECK_EQ [fault_error], 3, "WP = 1: supervisor write to read-only: error 3"
    CHECK_EQ [FRAME_B], 0xBBBB0001, "faulting write changed nothing"

    ; ---- user / supervisor from ring 3
    EXPECT_FAULT .us1
    TO_RING3
    mov eax, [ss:V]
    int 0x82
.us1:
    CHECK_EQ [fault_error], 5, "user read of a supervisor page: error 5"
    EXPECT_FAULT .us2
    TO_RING3
    mov eax, [ss:V + 0x1000]
    mov [ss:user_read], eax
    mov dword [ss:V + 0x1000], 7
    int 0x82
.us2:
    CHECK_EQ [user_read], 0xBBBB0001, "user read of a user read-only page"
    CHECK_EQ [fault_error], 7, "user write of a read-only page: error 7"
    ; A user page under a supervisor-only PDE is supervisor-only.
    and dword [PD + (V >> 22) * 4], ~PTE_U
    mov eax, cr3
    mov cr3, eax
    EXPECT_FAULT .us3
    TO_RING3
    mov eax, [ss:V + 0x3000]
    int 0x82
.us3:
    CHECK_EQ [fault_error], 5, "PDE U/S = 0 overrides a user PTE"
    or dword [PD + (V >> 22) * 4], PTE_U

    ; ---- INVLPG and CR3 reloads
    mov eax, [V]                                        ; cached: V -> FRAME_A
    mov dword [PT1], FRAME_C | PTE_P | PTE_W
    invlpg [V]
    mov eax, [V]
    CHECK_EQ eax, [FRAME_C], "INVLPG: the new mapping is used"
    mov dword [PT1], FRAME_A | PTE_P | PTE_W
    mov eax, cr3
    mov cr3, eax
    CHECK_EQ [V], 0xAAAA0000, "CR3 reload: non-global entries refetched"

    ; ---- global pages survive a CR3 reload (PGE)
    mov eax, cr4
    or eax, 0x80
    mov cr4, eax
    mov dword [PT1 + 4 * 4], FRAME_A | PTE_P | PTE_W | PTE_G
    mov eax, [V + 0x4000]                               ; cache the global entry
    mov dword [PT1 + 4 * 4], FRAME_B | PTE_P | PTE_W | PTE_G
    mov eax, cr3
    mov cr3, eax
    CHECK_EQ [V + 0x4000], 0xAAAA0000, "global entry kept across a CR3 reload"
    invlpg [V + 0x4000]
    CHECK_EQ [V + 0x4000], 0xBBBB0001, "INVLPG drops a global entry"
    mov eax, cr4
    and eax, ~0x80
    mov cr4, eax

    ; ---- 4 MiB pages
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov dword [PD + (BIG_V >> 22) * 4], 0 | PTE_P | PTE_W | PTE_PS
    mov dword [0x312344], 0x4444
    CHECK_EQ [BIG_V + 0x312344], 0x4444, "4 MiB page maps its 4 MiB frame"
    test dword [PD + (BIG_V >> 22) * 4], PTE_A
    CHECK nz, "4 MiB page: accessed bit in the PDE"
    mov dword [BIG_V + 0x3FFFFC], 9
    test dword [PD + (BIG_V >> 22) * 4], PTE_D
    CHECK nz, "4 MiB page: dirty bit in the PDE"
    CHECK_EQ [0x3FFFFC], 9, "4 MiB page: last dword"
    mov dword [PD + (BIG_V >> 22) * 4], 0x2000 | PTE_P | PTE_W | PTE_PS
    invlpg [BIG_V]
    EXPECT_FAULT .rsvd
    mov eax, [BIG_V]
.rsvd:
    CHECK_EQ [fault_error], 9, "reserved bit in a 4 MiB PDE: error 9 (RSVD | P)"

    mov eax, cr0
    and eax, ~0x80000000
    mov cr0, eax
    ret

user_read: dd 0

%macro extra_bss 0
    RING3_BSS
%endmacro

%include "testlib_end.inc.asm"
