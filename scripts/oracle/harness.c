/*
 * Native oracle harness: runs single IA-32 instructions on the host CPU and
 * reports the state they leave. Built by scripts/oracle/regen.sh with
 * `gcc -m32 -static` (Debian: gcc-multilib); driven by generate.ts.
 *
 * Protocol (little-endian, fixed-size records, see struct in_rec/out_rec):
 *   stdout starts with one struct hdr_rec (the selectors the cases run with),
 *   then one out_rec per in_rec read from stdin.
 *
 * Each case: the instruction bytes are copied to CODE_AT inside a page area
 * filled with INT3, the data and stack windows are loaded, and a stub loads
 * EFLAGS, DS/ES and the eight general registers and jumps to CODE_AT. Whatever
 * ends the run (the INT3 after the instruction or at a branch target, a fetch
 * fault at a branch target outside the mapped code, or an exception raised by
 * the instruction itself) arrives as a signal; the handler copies the
 * interrupted context out of the ucontext and siglongjmps back. Telling a
 * landing from an exception is left to the generator, which knows the
 * instruction.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* Keep in step with ORACLE_LAYOUT in scripts/oracle/format.ts. */
#define CODE_BASE 0x00300000u
#define CODE_SIZE 0x10000u
#define CODE_AT 0x00308000u
#define DATA_AREA 0x00200000u
#define STACK_AREA 0x00280000u
#define AREA_SIZE 0x2000u
/* The windows straddle the page boundary inside their areas. */
#define DATA_BASE (DATA_AREA + 0xf00u)
#define STACK_BASE (STACK_AREA + 0xf00u)
/*
 * ENTER checks that a write at its final stack pointer would succeed (SDM ENTER,
 * #PF): 64 KiB mapped below the stack window let it allocate up to 0xFFFF bytes.
 */
#define STACK_BELOW 0x10000u
#define WINDOW 512u
#define MAX_CODE 16u
/* LDT entry 0 (table indicator, RPL 3): a data segment based at DATA_BASE for 16-bit addressing. */
#define LDT_SEL 0x0007u
#define LDT_LIMIT 0xffffu

#define MODE_LOWSEG 1u

struct in_rec {
  uint8_t len, mode, pad[2];
  uint8_t code[MAX_CODE];
  uint32_t regs[8];
  uint32_t eflags;
  uint8_t data[WINDOW];
  uint8_t stack[WINDOW];
};

struct out_rec {
  uint32_t signo, trapno, err, cr2, eip, eflags;
  uint32_t regs[8];
  /* Bytes outside the windows but inside their areas that the case changed. */
  uint32_t stray;
  uint8_t data[WINDOW];
  uint8_t stack[WINDOW];
};

struct hdr_rec {
  char magic[8];
  uint32_t cs, ss, ds, es, fs, gs, ldt;
};

/* Read by the entry stub through absolute addresses (the binary is not PIE). */
uint32_t st_regs[8], st_eflags, st_target, st_seg;

void enter_case(void) __attribute__((noreturn));
/*
 * Loads happen in an order that keeps every register the case sets intact:
 * EFLAGS first (nothing after it writes flags), then DS/ES, after which the
 * globals are reached through SS (still flat), ESP and EAX last.
 */
__asm__(
    ".intel_syntax noprefix\n"
    ".text\n"
    ".globl enter_case\n"
    "enter_case:\n"
    "  mov eax, dword ptr [st_seg]\n"
    "  push dword ptr [st_eflags]\n"
    "  popfd\n"
    "  mov ds, ax\n"
    "  mov es, ax\n"
    "  mov ecx, dword ptr ss:[st_regs+4]\n"
    "  mov edx, dword ptr ss:[st_regs+8]\n"
    "  mov ebx, dword ptr ss:[st_regs+12]\n"
    "  mov ebp, dword ptr ss:[st_regs+20]\n"
    "  mov esi, dword ptr ss:[st_regs+24]\n"
    "  mov edi, dword ptr ss:[st_regs+28]\n"
    "  mov esp, dword ptr ss:[st_regs+16]\n"
    "  mov eax, dword ptr ss:[st_regs]\n"
    "  jmp dword ptr ss:[st_target]\n"
    ".att_syntax prefix\n");

static sigjmp_buf back;
static struct out_rec out;
static uint32_t user_ds;

/* POPF cases may leave AC (alignment checks) or NT set; neither may leak into C code. */
static inline void clean_flags(void) {
  __asm__ volatile("pushfl\n andl $~0x44400, (%%esp)\n popfl" ::: "memory", "cc");
}

static void on_signal(int sig, siginfo_t *si, void *ctx) {
  (void)si;
  clean_flags();
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  out.signo = (uint32_t)sig;
  out.trapno = (uint32_t)g[REG_TRAPNO];
  out.err = (uint32_t)g[REG_ERR];
  out.cr2 = (uint32_t)uc->uc_mcontext.cr2;
  out.eip = (uint32_t)g[REG_EIP];
  out.eflags = (uint32_t)g[REG_EFL];
  out.regs[0] = (uint32_t)g[REG_EAX];
  out.regs[1] = (uint32_t)g[REG_ECX];
  out.regs[2] = (uint32_t)g[REG_EDX];
  out.regs[3] = (uint32_t)g[REG_EBX];
  out.regs[4] = (uint32_t)g[REG_UESP];
  out.regs[5] = (uint32_t)g[REG_EBP];
  out.regs[6] = (uint32_t)g[REG_ESI];
  out.regs[7] = (uint32_t)g[REG_EDI];
  siglongjmp(back, 1);
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

/*
 * Populated up front: a demand-paging fault in the middle of an instruction makes the
 * kernel restart it, and an instruction that already wrote over its own source (ENTER's
 * frame copy before its final-ESP write check) would then run on changed data.
 */
static void *map_fixed(uint32_t addr, uint32_t size, int prot) {
  void *p = mmap((void *)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE, -1, 0);
  if (p != (void *)addr) die("mmap");
  return p;
}

static uint32_t stray_bytes(const uint8_t *area, const uint8_t *window) {
  uint32_t n = 0;
  for (uint32_t k = 0; k < AREA_SIZE; k++) n += area[k] != 0 && (area + k < window || area + k >= window + WINDOW);
  return n;
}

#define SEL(reg, var) __asm__ volatile("movl %%" reg ", %0" : "=r"(var))

int main(void) {
  uint8_t *code = map_fixed(CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
  uint8_t *data_area = map_fixed(DATA_AREA, AREA_SIZE, PROT_READ | PROT_WRITE);
  uint8_t *stack_area = (uint8_t *)map_fixed(STACK_AREA - STACK_BELOW, STACK_BELOW + AREA_SIZE, PROT_READ | PROT_WRITE) + STACK_BELOW;
  uint8_t *data = data_area + (DATA_BASE - DATA_AREA);
  uint8_t *stack = stack_area + (STACK_BASE - STACK_AREA);
  memset(code, 0xcc, CODE_SIZE);

  struct user_desc d = {0};
  d.entry_number = 0;
  d.base_addr = DATA_BASE;
  d.limit = LDT_LIMIT;
  d.seg_32bit = 1;
  if (syscall(SYS_modify_ldt, 1, &d, sizeof d) != 0) die("modify_ldt");

  static uint8_t altstack[1 << 16];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  const int sigs[] = {SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
  for (unsigned k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
    if (sigaction(sigs[k], &sa, NULL) != 0) die("sigaction");

  struct hdr_rec h = {.magic = "ORACLE1", .ldt = LDT_SEL};
  SEL("cs", h.cs);
  SEL("ss", h.ss);
  SEL("ds", h.ds);
  SEL("es", h.es);
  SEL("fs", h.fs);
  SEL("gs", h.gs);
  h.cs &= 0xffff; h.ss &= 0xffff; h.ds &= 0xffff; h.es &= 0xffff; h.fs &= 0xffff; h.gs &= 0xffff;
  user_ds = h.ds;
  if (fwrite(&h, sizeof h, 1, stdout) != 1) die("write");

  static struct in_rec in;
  while (fread(&in, sizeof in, 1, stdin) == 1) {
    if (in.len == 0 || in.len > MAX_CODE) {
      fprintf(stderr, "bad case length %u\n", in.len);
      return 2;
    }
    memcpy(code + (CODE_AT - CODE_BASE), in.code, in.len);
    memcpy(data, in.data, WINDOW);
    memcpy(stack, in.stack, WINDOW);
    memcpy(st_regs, in.regs, sizeof st_regs);
    st_eflags = in.eflags;
    st_target = CODE_AT;
    st_seg = in.mode & MODE_LOWSEG ? LDT_SEL : user_ds;
    memset(&out, 0, sizeof out);
    if (sigsetjmp(back, 1) == 0) enter_case();
    __asm__ volatile("movl %0, %%ds\n movl %0, %%es" ::"r"(user_ds));
    clean_flags();
    memset(code + (CODE_AT - CODE_BASE), 0xcc, in.len);
    out.stray = stray_bytes(data_area, data) + stray_bytes(stack_area, stack);
    memcpy(out.data, data, WINDOW);
    memcpy(out.stack, stack, WINDOW);
    memset(data_area, 0, AREA_SIZE);
    memset(stack_area, 0, AREA_SIZE);
    if (fwrite(&out, sizeof out, 1, stdout) != 1) die("write");
  }
  return 0;
}
