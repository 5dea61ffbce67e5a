/**
 * The gdb stub against the real gdb in batch mode (ARCHITECTURE.md, "Debugging
 * with gdb"): a C guest with symbols (guests/gdb/counter.c) under both engines.
 * The JIT translates spin()'s loop, so the breakpoint on mix() and the
 * watchpoint on spin_sum land in compiled code; the engines must give gdb the
 * same answers and the guest the same instruction count.
 */
import { createServer } from "node:net";
import { describe, expect, test } from "vitest";
import { expectOneLineError, jit386 } from "../support/cli.js";
import { jit386Async } from "../support/gdb.js";
import { COUNTER_ELF, debugRun } from "../support/gdb.js";

const SESSION = [
  "info registers eip cs ss ds es fs gs eflags",
  "break bump",
  "continue",
  "print counter",
  "print spin_total",
  "print step",
  "stepi",
  "stepi",
  "info registers eip",
  "finish",
  "set $eax = 1000",
  "delete",
  "break mix",
  "continue",
  "up",
  "print i",
  "delete",
  "watch spin_sum",
  "continue",
  "continue",
  "delete",
  "rwatch total",
  "continue",
  "delete",
  "print $st0",
  "info registers fctrl",
  "continue",
];

/** The undebugged run: its exit status and instruction count. */
function plainRun(engine: string): { status: number | null; instructions: number } {
  const r = jit386("run", "--engine", engine, "--stats", "--serial", "none", COUNTER_ELF);
  return { status: r.status, instructions: (JSON.parse(r.stderr) as { instructions: number }).instructions };
}

describe("jit386 run --gdb with gdb in batch mode", () => {
  test("break at a symbol, step, read variables, change a register, watchpoints, continue to the exit: both engines alike", async () => {
    const runs = [];
    for (const engine of ["interp", "jit"] as const) {
      const r = await debugRun(engine, SESSION);
      const g = r.gdb;
      expect(g).toMatch(/^eip\s+0x1001bd\s+0x1001bd <_start>$/m);
      expect(g).toMatch(/^cs\s+0x8\s+8$/m);
      expect(g).toMatch(/^ss\s+0x10\s+16$/m);
      expect(g).toMatch(/^eflags\s+0x2\s+\[ \]$/m);
      expect(g).toContain("Breakpoint 1, bump (step=1) at");
      expect(g).toContain("$1 = 0\n");
      // spin(20000) has run (translated, under the JIT) before bump.
      expect(g).toContain("$2 = 2715987308\n");
      expect(g).toContain("$3 = 1\n");
      expect(g).toMatch(/^eip\s+0x1000e8\s+0x1000e8 <bump\+12>$/m);
      expect(g).toContain("Value returned is $4 = 1");
      expect(g).toContain("Breakpoint 2, mix (s=0, i=0) at");
      expect(g).toContain("$5 = 0\n");
      expect(g).toMatch(/Hardware watchpoint 3: spin_sum\n\nOld value = 237835898\nNew value = 0\n/);
      expect(g).toMatch(/Old value = 0\nNew value = 122873771\n/);
      // The register change after finish made the first bump add 1000.
      expect(g).toMatch(/Hardware read watchpoint 4: total\n\nValue = 1054\n/);
      expect(g).toContain("$6 = 0\n");
      expect(g).toMatch(/^fctrl\s+0x40\s+64$/m);
      expect(g).toContain("[Inferior 1 (Remote target) exited with code 075]");
      expect(r.debugcon).toBe("counting\ntotal 1054 spin 1137007320\n");
      expect(r.status).toBe(61);
      runs.push(r);
    }
    const [interp, jit] = runs;
    expect(jit.gdb).toBe(interp.gdb);
    expect(jit.instructions).toBe(interp.instructions);
  });

  test("breakpoints, steps and watchpoints that change nothing leave the run's instruction count as without gdb", async () => {
    const script = ["break mix", "continue", "stepi", "next", "delete", "watch spin_sum", "continue", "delete", "break bump", "continue", "delete", "continue"];
    for (const engine of ["interp", "jit"] as const) {
      const plain = plainRun(engine);
      const r = await debugRun(engine, script);
      expect(r.gdb).toContain("Breakpoint 1, mix (s=0, i=0) at");
      expect(r.gdb).toContain("Breakpoint 3, bump (step=1) at");
      expect(r.gdb).toContain("exited with code 0157]");
      expect(r.debugcon).toBe("counting\ntotal 55 spin 1137007320\n");
      expect(r.status).toBe(plain.status);
      expect(r.instructions).toBe(plain.instructions);
    }
  });

  test("detach lets the guest run on to its end; kill ends the run", async () => {
    const detached = await debugRun("jit", ["break bump", "continue", "detach"]);
    expect(detached.gdb).toContain("Breakpoint 1, bump (step=1)");
    expect(detached.debugcon).toBe("counting\ntotal 55 spin 1137007320\n");
    expect(detached.status).toBe(111);
    const killed = await debugRun("interp", ["break bump", "continue", "kill"]);
    expect(killed.gdb).toContain("Breakpoint 1, bump (step=1)");
    expect(killed.debugcon).toBe("counting\n");
    expect(killed.status).toBe(0);
  });
});

describe("jit386 run --gdb: bad input", () => {
  test("a port out of range, or not a number: one line, status 2", () => {
    for (const port of ["65536", "-1", "x"]) {
      const r = jit386("run", "--gdb", port, COUNTER_ELF);
      expect(r.status).toBe(2);
      expectOneLineError(r, /--gdb/);
    }
  });

  test("a port already taken: one line, status 2", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const r = await jit386Async("run", "--gdb", String(port), COUNTER_ELF);
      expect(r.status).toBe(2);
      expectOneLineError(r, new RegExp(`--gdb: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    } finally {
      server.close();
    }
  });
});
