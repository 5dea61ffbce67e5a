/* Platform layer of the multiboot build: COM1 output by polling, exit through port 0xF4. */
#include "bench.h"

#define COM1 0x3F8

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) {
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

void plat_write(const char *s, u32 len) {
    for (u32 k = 0; k < len; k++) {
        while (!(inb(COM1 + 5) & 0x20)) {}
        outb(COM1, (u8)s[k]);
    }
}

void plat_exit(u32 status) {
    outb(0xF4, (u8)status);
    for (;;) __asm__ volatile("cli; hlt");
}

struct mb_info {
    u32 flags, mem_lower, mem_upper, boot_device, cmdline;
};

/* Entered from crt0 with the loader's EAX and EBX. */
void plat_start(u32 magic, const struct mb_info *info) __attribute__((noreturn));
void plat_start(u32 magic, const struct mb_info *info) {
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x80);
    outb(COM1 + 0, 0x01);
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);
    outb(COM1 + 2, 0xC7);
    const char *cmdline = 0;
    if (magic == 0x2BADB002 && (info->flags & 4)) cmdline = (const char *)info->cmdline;
    bench_main(cmdline);
}
