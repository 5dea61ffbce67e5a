; x87: arithmetic results against known doubles, 80-bit load/store round trip,
; compare into EFLAGS (FCOMI), masked divide-by-zero giving infinity, CR0.TS and
; CR0.EM raising #NM (Linux's lazy FPU switching), CR0.MP deciding FWAIT's #NM,
; an unmasked exception reported as #MF at the next waiting instruction
; (CR0.NE = 1), and FNSAVE/FRSTOR restoring the whole state.
%include "testlib.inc.asm"

tests:
    mov eax, cr0
    and eax, ~0x0C                  ; EM = 0, TS = 0
    or eax, 0x22                    ; MP = 1, NE = 1
    mov cr0, eax
    fninit
    fnstcw [cw]
    CHECK_EQ [cw], 0x037F, "FNINIT: control word 0x037F"

    ; ---- arithmetic: (1 + pi) * 3 / 7, sqrt(2)
    fld1
    fldpi
    faddp
    fimul dword [three]
    fidiv dword [seven]
    fstp qword [result]
    CHECK_EQ [result], 0x23A826A7, "(1 + pi) * 3 / 7: low dword of the double (as a real x87)"
    CHECK_EQ [result + 4], 0x3FFC6645, "(1 + pi) * 3 / 7: high dword of the double"
    fld qword [two]
    fsqrt
    fstp qword [result]
    CHECK_EQ [result], 0x667F3BCD, "sqrt(2): low dword"
    CHECK_EQ [result + 4], 0x3FF6A09E, "sqrt(2): high dword"

    ; ---- 80-bit round trip keeps all 64 significand bits
    fld tword [ext]
    fstp tword [ext_out]
    mov esi, ext
    mov edi, ext_out
    mov ecx, 10
    repe cmpsb
    CHECK e, "FLD m80 / FSTP m80 round trip is exact"

    ; ---- FCOMI sets ZF/PF/CF
    fld1
    fldz
    fcomi st0, st1                  ; 0 < 1: CF = 1, ZF = 0
    CHECK b, "FCOMI 0 < 1 sets CF"
    fcomip st0, st0
    CHECK e, "FCOMIP equal sets ZF"
    fstp st0

    ; ---- masked divide by zero: +infinity, ZE flag
    fld1
    fldz
    fdivp st1, st0
    fstp qword [result]
    CHECK_EQ [result + 4], 0x7FF00000, "1 / 0 masked: +infinity"
    fnstsw ax
    and eax, 4
    CHECK_EQ eax, 4, "1 / 0 masked: ZE set in the status word"
    fnclex

    ; ---- #NM from CR0.TS and CR0.EM
    mov eax, cr0
    or eax, 8
    mov cr0, eax
    EXPECT_FAULT .nm1
    fld1
.nm1:
    CHECK_EQ [fault_vector], 7, "CR0.TS: x87 instruction raises #NM"
    EXPECT_FAULT .nm2
    fwait
.nm2:
    CHECK_EQ [fault_vector], 7, "CR0.TS with MP = 1: FWAIT raises #NM"
    clts
    mov eax, cr0
    or eax, 4
    mov cr0, eax
    EXPECT_FAULT .nm3
    fldz
.nm3:
    CHECK_EQ [fault_vector], 7, "CR0.EM: x87 instruction raises #NM"
    mov eax, cr0
    and eax, ~4
    mov cr0, eax

    ; ---- unmasked exception: #MF at the next waiting instruction
    fninit
    fldcw [cw_zm_unmasked]
    fld1
    fldz
    fdivp st1, st0
    mov dword [after_div], 1
    EXPECT_FAULT .mf
    fwait
.mf:
    CHECK_EQ [after_div], 1, "the faulting FDIV itself completes"
    CHECK_EQ [fault_vector], 16, "unmasked divide by zero: #MF at the next FWAIT"
    fnstsw ax
    and eax, 0x8084
    CHECK_EQ eax, 0x8084, "status word: B, ES and ZE set"
    fninit

    ; ---- FNSAVE / FRSTOR
    fldpi
    fld1
    fnsave [state]
    fnstcw [cw]
    CHECK_EQ [cw], 0x037F, "FNSAVE reinitialises the FPU"
    frstor [state]
    fstp qword [result]
    CHECK_EQ [result + 4], 0x3FF00000, "FRSTOR: st(0) = 1.0 again"
    fstp qword [result]
    CHECK_EQ [result + 4], 0x400921FB, "FRSTOR: st(1) = pi again"
    ret

align 8
three:  dd 3
seven:  dd 7
two:    dq 2.0
result: dq 0
ext:    dq 0x8000000000000001
        dw 0x4001
ext_out: times 10 db 0
cw:     dd 0
cw_zm_unmasked: dw 0x037B
after_div: dd 0
state:  times 108 db 0

%include "testlib_end.inc.asm"
