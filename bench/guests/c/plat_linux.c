/* Platform layer of the i386 Linux build: write(2) and exit(2) through INT 0x80. */
#include "bench.h"

void plat_write(const char *s, u32 len) {
    while (len) {
        i32 r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(4), "b"(1), "c"(s), "d"(len) : "memory");
        if (r <= 0) plat_exit(1);
        s += r;
        len -= (u32)r;
    }
}

void plat_exit(u32 status) {
    for (;;) __asm__ volatile("int $0x80" : : "a"(1), "b"(status));
}

/* Entered from crt0 with argc and argv: the first argument is the command line. */
void plat_start(u32 argc, char **argv) __attribute__((noreturn));
void plat_start(u32 argc, char **argv) {
    bench_main(argc > 1 ? argv[1] : 0);
}
