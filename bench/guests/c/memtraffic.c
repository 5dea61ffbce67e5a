/*
 * Memory traffic through the string instructions: rep stosd fills, rep movsd
 * copies between 256 KiB buffers, rep movsb at odd offsets, and rep cmpsd and
 * rep scasb sweeps, with a light checksum over sampled words.
 */
#include "bench.h"

const char bench_name[] = "memtraffic";
const u32 bench_default_iters = 150;

#define WORDS (256 * 1024 / 4)
static u32 a[WORDS], b[WORDS];

static void fill32(u32 *dst, u32 v, u32 n) {
    __asm__ volatile("rep stosl" : "+D"(dst), "+c"(n) : "a"(v) : "memory");
}
static void copy32(u32 *dst, const u32 *src, u32 n) {
    __asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}
static void copy8(u8 *dst, const u8 *src, u32 n) {
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}
/* Words left uncompared when the first difference is found (0 when equal). */
static u32 compare32(const u32 *x, const u32 *y, u32 n) {
    __asm__ volatile("repe cmpsl; je 1f; incl %2; 1:" : "+D"(y), "+S"(x), "+c"(n) : : "memory", "cc");
    return n;
}
/* Bytes left unscanned when `v` is found (0 when absent). */
static u32 scan8(const u8 *p, u8 v, u32 n) {
    __asm__ volatile("repne scasb; jne 1f; incl %1; 1:" : "+D"(p), "+c"(n) : "a"(v) : "memory", "cc");
    return n;
}

static u32 sample(const u32 *p, u32 salt) {
    u32 s = salt;
    for (u32 k = salt & 63; k < WORDS; k += 509) s = (s << 1 | s >> 31) ^ p[k];
    return s;
}

u32 bench_run(u32 iters) {
    u32 sum = 0;
    for (u32 it = 0; it < iters; it++) {
        fill32(a, 0x01010101u * (it & 0xFF) ^ 0x5A5A0000u, WORDS);
        for (u32 k = it & 7; k < WORDS; k += 4099) a[k] = k * 2654435761u;
        copy32(b, a, WORDS);
        copy8((u8 *)b + 3 + (it & 7), (const u8 *)a + 1, WORDS * 4 - 64);
        sum += sample(b, it);
        sum ^= compare32(a, b, WORDS);
        copy32(a + 17, b, WORDS - 17);
        sum += scan8((const u8 *)a, (u8)(0x5A ^ it), WORDS * 4);
        sum = (sum << 9 | sum >> 23) ^ sample(a, sum);
    }
    return sum;
}
