/*
 * A guest for the gdb stub's tests (test/runtime/gdb-remote.test.ts): a multiboot
 * ELF kernel with symbols and debug information. It adds 1..10 through bump(),
 * prints the total on port 0xE9 and exits through port 0xF4 with the total's
 * low seven bits, so a debugger that changes a variable or a register changes
 * both. Around that, spin() runs a loop hot enough for the JIT to translate, on
 * a page of its own (counter.ld), so a breakpoint or a watchpoint there lands in
 * compiled code. Built by scripts/build-guests.mjs (gcc -m32, ld); the image is
 * committed.
 */
#define MULTIBOOT_MAGIC 0x1BADB002u
#define MULTIBOOT_FLAGS 0u

__attribute__((section(".multiboot"), used)) static const unsigned int multiboot_header[3] = {
    MULTIBOOT_MAGIC, MULTIBOOT_FLAGS, -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)};

volatile unsigned int counter;
unsigned int total;
volatile unsigned int spin_sum;
unsigned int spin_total;
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

__attribute__((noinline, section(".text.spin"))) unsigned int mix(unsigned int s, unsigned int i) {
  return s + (i ^ (s >> 3));
}

__attribute__((noinline, section(".text.spin"))) unsigned int spin(unsigned int n) {
  unsigned int s = 0;
  for (unsigned int i = 0; i < n; i++) {
    s = mix(s, i);
    if ((i & 1023) == 0) spin_sum = s;
  }
  return s;
}

unsigned int bump(unsigned int step) {
  counter += step;
  return step;
}

void kmain(void) {
  print("counting\n");
  spin_total = spin(20000);
  for (unsigned int k = 1; k <= 10; k++) total += bump(k);
  spin_total += spin(20000);
  print("total ");
  print_number(total);
  print(" spin ");
  print_number(spin_total);
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
