/*
 * A bytecode interpreter in the guest: a stack machine dispatched through a
 * table of label addresses (threaded code, one indirect jump per bytecode),
 * running a program that sieves primes and then hashes them.
 */
#include "bench.h"

const char bench_name[] = "bytecode";
const u32 bench_default_iters = 30;

enum op { PUSH, LOAD, STORE, ADD, MUL, XOR, SHL, SHR, LT, JMP, JZ, LDM, STM, HALT };

/* Globals: 0 n, 1 i, 2 j, 3 hash, 4 count. The sieve lives in mem. */
enum { G_N, G_I, G_J, G_HASH, G_COUNT, GLOBALS };

#define MEM 8192
static i32 mem[MEM];
static i32 code[256];
static u32 pos;

static void emit(i32 op) { code[pos++] = op; }
static void emit2(i32 op, i32 arg) {
    emit(op);
    emit(arg);
}
/* A forward jump; returns the slot to patch with its target. */
static u32 jump(i32 op) {
    emit2(op, 0);
    return pos - 1;
}
static void land(u32 slot) { code[slot] = (i32)pos; }

static void assemble(void) {
    pos = 0;
    /* Sieve of Eratosthenes over mem[0..n): mem[k] = 1 marks k composite. */
    emit2(PUSH, 2), emit2(STORE, G_I);
    u32 outer = pos;
    emit2(LOAD, G_I), emit2(LOAD, G_I), emit(MUL), emit2(LOAD, G_N), emit(LT);
    u32 sieved = jump(JZ);
    emit2(LOAD, G_I), emit(LDM);
    u32 prime = jump(JZ);
    u32 skip = jump(JMP);
    land(prime);
    emit2(LOAD, G_I), emit2(LOAD, G_I), emit(MUL), emit2(STORE, G_J);
    u32 inner = pos;
    emit2(LOAD, G_J), emit2(LOAD, G_N), emit(LT);
    u32 marked = jump(JZ);
    emit2(PUSH, 1), emit2(LOAD, G_J), emit(STM);
    emit2(LOAD, G_J), emit2(LOAD, G_I), emit(ADD), emit2(STORE, G_J), emit2(JMP, (i32)inner);
    land(skip);
    land(marked);
    emit2(LOAD, G_I), emit2(PUSH, 1), emit(ADD), emit2(STORE, G_I), emit2(JMP, (i32)outer);
    land(sieved);
    /* For every prime i: count++, hash = rotl(hash, 1) ^ i. */
    emit2(PUSH, 2), emit2(STORE, G_I);
    u32 loop = pos;
    emit2(LOAD, G_I), emit2(LOAD, G_N), emit(LT);
    u32 done = jump(JZ);
    emit2(LOAD, G_I), emit(LDM);
    u32 isprime = jump(JZ);
    u32 next = jump(JMP);
    land(isprime);
    emit2(LOAD, G_HASH), emit2(PUSH, 1), emit(SHL), emit2(LOAD, G_HASH), emit2(PUSH, 31), emit(SHR), emit(XOR);
    emit2(LOAD, G_I), emit(XOR), emit2(STORE, G_HASH);
    emit2(LOAD, G_COUNT), emit2(PUSH, 1), emit(ADD), emit2(STORE, G_COUNT);
    land(next);
    emit2(LOAD, G_I), emit2(PUSH, 1), emit(ADD), emit2(STORE, G_I), emit2(JMP, (i32)loop);
    land(done);
    emit(HALT);
}

static void interpret(i32 *globals) {
    static const void *const dispatch[] = {
        &&op_push, &&op_load, &&op_store, &&op_add, &&op_mul, &&op_xor, &&op_shl,
        &&op_shr, &&op_lt, &&op_jmp, &&op_jz, &&op_ldm, &&op_stm, &&op_halt,
    };
    i32 stack[64];
    i32 *sp = stack;
    const i32 *pc = code;
#define NEXT goto *dispatch[*pc++]
    NEXT;
op_push: *sp++ = *pc++; NEXT;
op_load: *sp++ = globals[*pc++]; NEXT;
op_store: globals[*pc++] = *--sp; NEXT;
op_add: sp--; sp[-1] += sp[0]; NEXT;
op_mul: sp--; sp[-1] *= sp[0]; NEXT;
op_xor: sp--; sp[-1] ^= sp[0]; NEXT;
op_shl: sp--; sp[-1] = (i32)((u32)sp[-1] << (sp[0] & 31)); NEXT;
op_shr: sp--; sp[-1] = (i32)((u32)sp[-1] >> (sp[0] & 31)); NEXT;
op_lt: sp--; sp[-1] = sp[-1] < sp[0]; NEXT;
op_jmp: pc = code + *pc; NEXT;
op_jz: sp--; pc = sp[0] == 0 ? code + *pc : pc + 1; NEXT;
op_ldm: sp[-1] = mem[sp[-1] & (MEM - 1)]; NEXT;
op_stm: sp -= 2; mem[sp[1] & (MEM - 1)] = sp[0]; NEXT;
op_halt: return;
#undef NEXT
}

u32 bench_run(u32 iters) {
    assemble();
    u32 sum = 0;
    for (u32 it = 0; it < iters; it++) {
        i32 globals[GLOBALS] = {MEM - (i32)(it & 15), 0, 0, (i32)it, 0};
        memset(mem, 0, sizeof mem);
        interpret(globals);
        sum = (sum << 3 | sum >> 29) ^ (u32)globals[G_HASH] ^ (u32)globals[G_COUNT];
    }
    return sum;
}
