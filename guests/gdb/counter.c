/*
 * A guest for the gdb stub's tests (test/runtime/gdb-remote.test.ts): a multiboot
 * ELF kernel with symbols and debug information. It adds 1..10 through bump(),
 * prints the total on port 0xE9 and exits through port 0xF4 with the total's
 * low seven bits, so a debugger that changes a variable or a register changes
 * both. Built by scripts/build-guests.mjs (gcc -m32, ld); the image is committed.
 */
#define MULTIBOOT_MAGIC 0x1BADB002u
#define MULTIBOOT_FLAGS 0u

__attribute__((section(".multiboot"), used)) static const unsigned int multiboot_header[3] = {
    MULTIBOOT_MAGIC, MULTIBOOT_FLAGS, -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)};

volatile unsigned int counter;
unsigned int total;
static unsigned char stack[4096] __attribute__((aligned(16)));

static void outb(unsigned short port, unsigned char value) {
  __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static void print(const char *s) {
  while (*s) outb(0xe9, (unsigned char)*s++);
}

static void print_number(unsigned int n) {
  char digits[12];
  int k = 0;
  do digits[k++] = (char)('0' + n % 10);
  while ((n /= 10) != 0);
  while (k > 0) outb(0xe9, (unsigned char)digits[--k]);
}

unsigned int bump(unsigned int step) {
  counter += step;
  return step;
}

void kmain(void) {
  print("counting\n");
  for (unsigned int k = 1; k <= 10; k++) total += bump(k);
  print("total ");
  print_number(total);
  print("\n");
  outb(0xf4, (unsigned char)(total & 0x7f));
}

__asm__(
    ".text\n"
    ".globl _start\n"
    "_start:\n"
    "  mov $stack + 4096, %esp\n"
    "  call kmain\n"
    "  cli\n"
    "1: hlt\n"
    "  jmp 1b\n");
