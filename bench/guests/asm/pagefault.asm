; Page-fault heavy code: a ring-3 program touches every page of a 1 MiB region
; that is not mapped; the kernel's #PF handler maps a frame on demand. After a
; read-back sweep the program asks the kernel (INT 0x80) to unmap the region
; and flush the TLB, and the next round faults on every page again.
%define BENCH_NAME "pagefault"
DEFAULT_ITERS equ 1500
REGION        equ 0x40000000        ; page-directory entry 256
PAGES         equ 256
POOL          equ 0x00800000        ; physical frames handed out by the #PF handler

%include "benchlib.inc.asm"

work:
    ; Identity map of the first 4 MiB, user-accessible; the region's table starts empty.
    mov edi, pt_low
    mov eax, 0x007
.pte:
    stosd
    add eax, 0x1000
    cmp edi, pt_low + 4096
    jb .pte
    mov dword [page_dir], pt_low + 0x007
    mov dword [page_dir + (REGION >> 22) * 4], pt_region + 0x007
    mov eax, page_dir
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax

    mov ecx, 14
    mov eax, page_fault
    mov ebx, 0x8E00
    call set_gate
    mov ecx, 0x80
    mov eax, sys_unmap
    mov ebx, 0xEE00
    call set_gate
    mov ecx, 0x81
    mov eax, to_finish
    call set_gate
    mov eax, user_main
    jmp enter_user

page_fault:
    push eax
    push ebx
    push ds
    mov ax, KDATA
    mov ds, ax
    mov eax, cr2
    sub eax, REGION
    cmp eax, PAGES * 4096
    jae .bad
    test dword [esp + 12], 1        ; P set: a protection fault, not a missing page
    jnz .bad
    shr eax, 12
    mov ebx, eax
    shl ebx, 12
    add ebx, POOL + 0x007
    mov [pt_region + eax * 4], ebx
    inc dword [faults]
    pop ds
    pop ebx
    pop eax
    add esp, 4                      ; error code
    iretd
.bad:
    pop ds
    pop ebx
    pop eax
    push dword 14
    jmp exc_common

; INT 0x80: unmap the whole region, flush the TLB; returns the fault count so far.
sys_unmap:
    push ds
    push es
    push ecx
    push edi
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov edi, pt_region
    mov ecx, PAGES
    xor eax, eax
    rep stosd
    mov eax, cr3
    mov cr3, eax
    mov eax, [faults]
    pop edi
    pop ecx
    pop es
    pop ds
    iretd

user_main:
    mov ax, UDATA
    mov ds, ax
    mov es, ax
    mov ebp, [iters]
    xor esi, esi                    ; checksum
.round:
    mov edi, REGION
    mov ecx, PAGES
.touch:
    mov eax, edi
    xor eax, ebp
    mov edx, ecx
    shl edx, 4
    and edx, 0xFFC
    mov [edi + edx], eax            ; first touch of the page: #PF, mapped on demand
    add edi, 4096
    dec ecx
    jnz .touch
    mov edi, REGION
    mov ecx, PAGES
.sum:
    mov edx, ecx
    shl edx, 4
    and edx, 0xFFC
    add esi, [edi + edx]
    rol esi, 1
    add edi, 4096
    dec ecx
    jnz .sum
    int 0x80
    add esi, eax
    dec ebp
    jnz .round
    mov ebx, esi
    int 0x81                        ; back to ring 0 to report the checksum in ebx

to_finish:
    mov eax, ebx
    jmp finish

%macro extra_bss 0
alignb 4096
page_dir:  resb 4096
pt_low:    resb 4096
pt_region: resb 4096
faults:    resd 1
%endmacro

%include "benchlib_end.inc.asm"
