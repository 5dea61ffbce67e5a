/* Code shared by both platform layers: argument parsing, output, the C runtime's memory primitives. */
#include "bench.h"

u32 parse_iters(const char *s) {
    if (!s) return 0;
    for (; *s; s++) {
        const char *k = "iters=";
        const char *p = s;
        while (*k && *p == *k) p++, k++;
        if (*k) continue;
        u32 n = 0;
        while (*p >= '0' && *p <= '9') n = n * 10 + (u32)(*p++ - '0');
        return n;
    }
    return 0;
}

static u32 str_len(const char *s) {
    u32 n = 0;
    while (s[n]) n++;
    return n;
}

void bench_main(const char *cmdline) {
    u32 iters = parse_iters(cmdline);
    if (iters == 0) iters = bench_default_iters;
    u32 sum = bench_run(iters);
    char line[64];
    u32 n = str_len(bench_name);
    memcpy(line, bench_name, n);
    memcpy(line + n, ": checksum ", 11);
    n += 11;
    for (int k = 7; k >= 0; k--) line[n++] = "0123456789abcdef"[(sum >> (k * 4)) & 15];
    line[n++] = '\n';
    plat_write(line, n);
    plat_exit(0);
}

/* The compiler may emit calls to these four even in freestanding code. */
void *memcpy(void *dst, const void *src, size_t n) {
    u8 *d = dst;
    const u8 *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    u8 *d = dst;
    while (n--) *d++ = (u8)c;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    u8 *d = dst;
    const u8 *s = src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}
