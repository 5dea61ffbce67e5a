/* SHA-256 over a 16 KiB buffer, chained: each round hashes the buffer with the last digest mixed in. */
#include "bench.h"

const char bench_name[] = "sha256";
const u32 bench_default_iters = 40;

static const u32 K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void compress(u32 h[8], const u8 *p) {
    u32 w[64];
    for (int k = 0; k < 16; k++) w[k] = (u32)p[4 * k] << 24 | (u32)p[4 * k + 1] << 16 | (u32)p[4 * k + 2] << 8 | p[4 * k + 3];
    for (int k = 16; k < 64; k++) {
        u32 s0 = ROR(w[k - 15], 7) ^ ROR(w[k - 15], 18) ^ (w[k - 15] >> 3);
        u32 s1 = ROR(w[k - 2], 17) ^ ROR(w[k - 2], 19) ^ (w[k - 2] >> 10);
        w[k] = w[k - 16] + s0 + w[k - 7] + s1;
    }
    u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int k = 0; k < 64; k++) {
        u32 t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[k] + w[k];
        u32 t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

/* The digest of `len` bytes (a multiple of 64) with standard padding. */
static void sha256(u32 h[8], const u8 *data, u32 len) {
    static const u32 H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (int k = 0; k < 8; k++) h[k] = H0[k];
    for (u32 off = 0; off < len; off += 64) compress(h, data + off);
    u8 pad[64] = {0x80};
    u64 bits = (u64)len * 8;
    for (int k = 0; k < 8; k++) pad[63 - k] = (u8)(bits >> (8 * k));
    compress(h, pad);
}

#define LEN 16384
static u8 buf[LEN];

u32 bench_run(u32 iters) {
    for (u32 k = 0; k < LEN; k++) buf[k] = (u8)(k * 7 + (k >> 8));
    u32 h[8] = {0};
    for (u32 it = 0; it < iters; it++) {
        for (int k = 0; k < 8; k++) ((u32 *)buf)[k] ^= h[k];
        sha256(h, buf, LEN);
    }
    return h[0] ^ h[7];
}
