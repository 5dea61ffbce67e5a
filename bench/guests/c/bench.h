/*
 * Interface between a benchmark workload and its platform layer. A workload
 * defines bench_name, bench_default_iters and bench_run; the platform layer
 * (multiboot kernel or i386 Linux process) supplies output and the iteration
 * count, so the same workload object code runs in both.
 */
#ifndef BENCH_H
#define BENCH_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef unsigned int size_t;

extern const char bench_name[];
extern const u32 bench_default_iters;
/* Runs the fixed work `iters` times over and returns the checksum. */
u32 bench_run(u32 iters);

/* Platform layer. */
void plat_write(const char *s, u32 len);
void plat_exit(u32 status) __attribute__((noreturn));

/* Shared by the platform layers: "iters=N" anywhere in a command line, else 0. */
u32 parse_iters(const char *cmdline);
/* Prints "<name>: checksum <8 hex digits>" and exits with status 0. */
void bench_main(const char *cmdline) __attribute__((noreturn));

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Keeps the compiler from folding work whose inputs it could see at build time. */
#define OPAQUE(x) __asm__ volatile("" : "+r"(x))

#endif
