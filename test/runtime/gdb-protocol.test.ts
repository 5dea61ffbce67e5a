/**
 * The gdb stub's protocol (runtime/gdb/): framing, checksums and escapes; the
 * commands on a machine, with malformed packets answered by an error and never
 * a host exception; memory through the guest's page tables; and, over TCP, a
 * Ctrl-C, breakpoints, steps, and a debugger that goes away.
 */
import { connect, type Socket } from "node:net";
import { describe, expect, test } from "vitest";
import { Reg } from "../../src/cpu/layout.js";
import { checksum, escapeReserved, frame, PacketReader, type PacketEvent, unescapeBinary } from "../../runtime/gdb/packet.js";
import { serveGdb } from "../../runtime/gdb/server.js";
import { JitEngine } from "../../runtime/jit.js";
import { Session } from "../../runtime/gdb/session.js";
import { bootImage } from "../../runtime/image.js";
import { createMachine, type Machine, type RunResult } from "../../runtime/machine.js";
import { addressImage } from "../support/images.js";

/** jmp $ */
const SPIN = [0xeb, 0xfe];
/** mov ecx, 300000; loop $; mov al, 5; out 0xf4, al: 300,003 instructions, then exit status 11. */
const COUNTDOWN = [0xb9, 0xe0, 0x93, 0x04, 0x00, 0xe2, 0xfe, 0xb0, 0x05, 0xe6, 0xf4];
/** The same with ECX = 0x7fffffff: it runs until something stops it. */
const LONG_COUNTDOWN = [0xb9, 0xff, 0xff, 0xff, 0x7f, 0xe2, 0xfe, 0xb0, 0x05, 0xe6, 0xf4];

function machine(code: number[], engine: "interp" | "jit" = "interp"): Machine {
  const m = createMachine({ engine, memMiB: 16 });
  bootImage(m, "guest.bin", addressImage(code));
  return m;
}

const latin1 = (s: string) => Buffer.from(s, "latin1");
const status = (r: RunResult) => r.exitStatus ?? 0;

/** A session over a transport that keeps what it is sent. */
function session(m: Machine): { s: Session; ask: (payload: string) => string; raw: string[] } {
  const raw: string[] = [];
  const s = new Session(m, { write: (d) => raw.push(d), close: () => {} }, { maxInstructions: Infinity, exitCode: status });
  const ask = (payload: string): string => {
    const before = raw.length;
    s.receive(latin1(frame(payload)));
    const replies = raw.slice(before).filter((d) => d.startsWith("$"));
    expect(replies).toHaveLength(1);
    return replies[0].slice(1, replies[0].lastIndexOf("#"));
  };
  return { s, ask, raw };
}

describe("packet framing", () => {
  test("checksums and frames", () => {
    expect(checksum("OK")).toBe(0x9a);
    expect(frame("OK")).toBe("$OK#9a");
    expect(frame("")).toBe("$#00");
    // Reserved bytes are escaped as } and the byte XOR 0x20, and the checksum covers the escaped form.
    expect(escapeReserved("a#b$c}d*")).toBe("a}\x03b}\x04c}]d}\x0a");
    expect(unescapeBinary("a}\x03b}]")).toEqual(Uint8Array.from([0x61, 0x23, 0x62, 0x7d]));
    expect(unescapeBinary("ab}")).toBeUndefined();
  });

  test("the reader splits packets, acknowledgements and interrupts, and refuses bad checksums", () => {
    const r = new PacketReader();
    const events: PacketEvent[] = [];
    const feed = (s: string) => events.push(...r.feed(latin1(s)));
    feed("+$g#6");
    feed("7-\x03junk$m100,4#");
    feed("00$qC#00$0* #");
    feed(`${checksum("0* ").toString(16)}$ab#zz`);
    expect(events).toEqual([
      { kind: "ack" },
      { kind: "packet", payload: "g" },
      { kind: "nak" },
      { kind: "interrupt" },
      { kind: "corrupt" },
      { kind: "corrupt" },
      // Run-length encoding: "0* " is 0 and three more.
      { kind: "packet", payload: "0000" },
      { kind: "corrupt" },
    ]);
  });

  test("an endless packet is dropped, and the reader goes on", () => {
    const r = new PacketReader();
    const events = r.feed(latin1("$" + "a".repeat(0x5000) + "#00" + frame("?")));
    expect(events).toEqual([{ kind: "corrupt" }, { kind: "packet", payload: "?" }]);
  });
});

describe("commands", () => {
  test("qSupported, the target description, the stop reason and threads", () => {
    const { ask } = session(machine(SPIN));
    expect(ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386")).toContain("qXfer:features:read+");
    let xml = "";
    for (let off = 0; ; off += 0x100) {
      const part = ask(`qXfer:features:read:target.xml:${off.toString(16)},100`);
      xml += part.slice(1);
      if (part[0] === "l") break;
      expect(part[0]).toBe("m");
    }
    expect(xml).toContain("<architecture>i386</architecture>");
    expect(xml).toContain('<feature name="org.gnu.gdb.i386.core">');
    expect(xml.match(/<reg /g)).toHaveLength(32);
    expect(ask("qXfer:features:read:nothing.xml:0,100")).toBe("E00");
    expect(ask("?")).toBe("T05thread:01;");
    expect(ask("qfThreadInfo")).toBe("m01");
    expect(ask("qAttached")).toBe("1");
    expect(ask("qSomethingNew")).toBe("");
  });

  test("registers in gdb's order: g, p, P, G", () => {
    const m = machine(SPIN);
    const { ask } = session(m);
    m.cpu.i32[Reg.EBX] = 0x11223344;
    const g = ask("g");
    // 16 dwords, 8 x87 registers of 10 bytes, 8 x87 control dwords.
    expect(g).toHaveLength(2 * (16 * 4 + 8 * 10 + 8 * 4));
    expect(g.slice(3 * 8, 4 * 8)).toBe("44332211");
    expect(g.slice(8 * 8, 9 * 8)).toBe("20001000");
    expect(ask("p8")).toBe("20001000");
    expect(ask("pa")).toBe("08000000");
    expect(ask("P0=78563412")).toBe("OK");
    expect(m.cpu.i32[Reg.EAX]).toBe(0x12345678);
    // EFLAGS: CF and ZF set through P, read back with the fixed bit.
    expect(ask("P9=41000000")).toBe("OK");
    expect(ask("p9")).toBe("43000000");
    // A selector loads its descriptor from the GDT the loader built.
    expect(ask("Pd=10000000")).toBe("OK");
    expect(m.cpu.segBase(3)).toBe(0);
    expect(ask("G" + g)).toBe("OK");
    expect(ask("g")).toBe(g);
    // The multiboot magic the loader left in EAX, back from the first g.
    expect(m.cpu.i32[Reg.EAX]).toBe(0x2badb002);
  });

  test("memory: m, M and X by linear address; outside RAM an error", () => {
    const m = machine(SPIN);
    const { ask } = session(m);
    expect(ask("m100020,2")).toBe("ebfe");
    expect(ask("M200000,4:deadbeef")).toBe("OK");
    expect(Array.from(m.readMemory(0x200000, 4))).toEqual([0xde, 0xad, 0xbe, 0xef]);
    // X carries binary data with } escapes.
    expect(ask("X200004,3:}]}\x03a")).toBe("OK");
    expect(ask("m200000,7")).toBe("deadbeef7d2361");
    expect(ask("m2000000,4")).toBe("E0e");
    // A read running off the end of RAM returns what there is.
    expect(ask("mfffffe,4")).toBe("0000");
    expect(ask("Mfffffe,4:01020304")).toBe("E0e");
    expect(Array.from(m.readMemory(0xfffffe, 2))).toEqual([0, 0]);
  });

  test("memory through the guest's page tables, without touching accessed bits or the TLB", () => {
    const m = machine(SPIN);
    const { ask } = session(m);
    const c = m.cpu;
    // Page directory at 0x200000, one page table at 0x201000: linear 0x40000000 -> physical 0x300000.
    c.writePhys32(0x200000 + (0x40000000 >>> 22) * 4, 0x201000 | 3);
    c.writePhys32(0x201000, 0x300000 | 3);
    // Identity-map the first 4 MiB with a 4 MiB page so the guest's code stays where it is.
    c.writePhys32(0x200000, 0x83);
    c.cr4 = c.cr4 | 0x10;
    c.cr3 = 0x200000;
    c.cr0 = c.cr0 | 0x80000000;
    c.writePhys32(0x300000, 0x44332211);
    expect(ask("m40000000,4")).toBe("11223344");
    expect(ask("m40001000,4")).toBe("E0e");
    expect(ask("M40000002,2:aabb")).toBe("OK");
    expect(c.readPhys32(0x300000) >>> 0).toBe(0xbbaa2211);
    expect(ask("M40000ffe,4:01020304")).toBe("E0e");
    expect(c.readPhys32(0x300ffc)).toBe(0);
    expect(ask("m100020,2")).toBe("ebfe");
    // The walk set no accessed bit.
    expect(c.readPhys32(0x201000) & 0x20).toBe(0);
    expect(c.readPhys32(0x200000 + (0x40000000 >>> 22) * 4) & 0x20).toBe(0);
    expect(ask("Z2,40001000,4")).toBe("E0e");
    expect(ask("Z2,40000000,4")).toBe("OK");
  });

  test("malformed packets get an error reply, never an exception, and the session goes on", () => {
    const { ask, s, raw } = session(machine(SPIN));
    const bad = [
      "m", "m100020", "mzz,4", "m100020,", "m1,2,3", "m100020,100000", "M100020,2", "M100020,2:zz", "M100020,4:ebfe",
      "X100020,2:a", "X100020,2:a}", "p", "pzz", "p20", "P", "P8", "P8=zz", "P8=0000", "P20=00000000", "Gzz", "Z", "Z0",
      "Z0,zz,1", "Z2,100000,0", "Z2,100000,9", "C", "Czz", "c12345678901", "s1g", "vCont;x", "vCont;", "qXfer:features:read:target.xml:zz",
      "qXfer:features:read:target.xml:0", "g0",
    ];
    for (const p of bad) expect([p, ask(p)]).toEqual([p, expect.stringMatching(/^E[0-9a-f]{2}$/)]);
    expect(ask("Z9,100020,1")).toBe("");
    expect(ask("\u00ff\u0080")).toBe("");
    const before = raw.length;
    s.receive(latin1("$g#00"));
    expect(raw.slice(before)).toEqual(["-"]);
    expect(ask("?")).toBe("T05thread:01;");
    expect(ask("p8")).toBe("20001000");
  });
});

/** A debugger on a TCP connection to serveGdb. */
class Client {
  private buffer = "";
  private waiters: (() => void)[] = [];
  constructor(readonly socket: Socket) {
    socket.on("data", (b: Buffer) => {
      this.buffer += b.toString("latin1");
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(port: number): Promise<Client> {
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    return new Client(socket);
  }

  send(payload: string): void {
    this.socket.write(latin1(frame(payload)));
  }

  /** The next packet's payload (acknowledgements skipped). */
  async reply(): Promise<string> {
    for (;;) {
      const m = /\$([^#]*)#[0-9a-f]{2}/.exec(this.buffer);
      if (m) {
        this.buffer = this.buffer.slice(m.index + m[0].length);
        return m[1];
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async ask(payload: string): Promise<string> {
    this.send(payload);
    return this.reply();
  }
}

/** serveGdb on a free port, and a client connected to it. */
async function serve(m: Machine): Promise<{ client: Client; done: Promise<RunResult> }> {
  let listening: (port: number) => void = () => {};
  const port = new Promise<number>((resolve) => (listening = resolve));
  const done = serveGdb(m, { port: 0, maxInstructions: Infinity, exitCode: status, listening });
  return { client: await Client.open(await port), done };
}

describe("over TCP", () => {
  for (const engine of ["interp", "jit"] as const) {
    test(`${engine}: Ctrl-C stops a running guest, breakpoints and steps stop exactly, kill ends the run`, async () => {
      const m = machine(LONG_COUNTDOWN, engine);
      const { client, done } = await serve(m);
      expect(m.instructionCount).toBe(0);
      // A step over MOV ECX: one instruction.
      expect(await client.ask("vCont;s:1")).toBe("T05thread:01;");
      expect(m.instructionCount).toBe(1);
      expect(await client.ask("p8")).toBe("25001000");
      expect(await client.ask("s")).toBe("T05thread:01;");
      expect(m.cpu.i32[Reg.ECX]).toBe(0x7ffffffe);
      // Run the loop a while (translated under the JIT), then interrupt it.
      client.send("c");
      await new Promise((resolve) => setTimeout(resolve, 20));
      client.socket.write(Buffer.of(3));
      expect(await client.reply()).toBe("T02thread:01;");
      const stoppedAt = m.instructionCount;
      expect(stoppedAt).toBeGreaterThan(2);
      // Each loop iteration is one instruction: ECX counts them.
      expect(m.cpu.i32[Reg.ECX]).toBe(0x7fffffff - (stoppedAt - 1));
      if (m.engine instanceof JitEngine) expect(m.engine.stats.compiledInstructions).toBeGreaterThan(0);
      // A breakpoint on the loop itself, in translated code under the JIT: one more iteration and it stops there.
      expect(await client.ask("Z0,100025,1")).toBe("OK");
      expect(await client.ask("c")).toBe("T05thread:01;swbreak:;");
      expect(await client.ask("p8")).toBe("25001000");
      expect(m.instructionCount).toBe(stoppedAt + 1);
      expect(m.cpu.i32[Reg.ECX]).toBe(0x7fffffff - stoppedAt);
      expect(await client.ask("z0,100025,1")).toBe("OK");
      // Ten more iterations, then a breakpoint on the instruction after the loop: it stops there, before running it.
      expect(await client.ask("P1=0a000000")).toBe("OK");
      expect(await client.ask("Z0,100027,1")).toBe("OK");
      expect(await client.ask("c")).toBe("T05thread:01;swbreak:;");
      expect(await client.ask("p8")).toBe("27001000");
      expect(m.instructionCount).toBe(stoppedAt + 11);
      expect(await client.ask("z0,100027,1")).toBe("OK");
      client.send("k");
      const r = await done;
      expect(r.reason).toBe("stopped");
      expect(m.instructionCount).toBe(stoppedAt + 11);
    });
  }

  for (const engine of ["interp", "jit"] as const) {
    test(`${engine}: a write watchpoint on a store in a hot loop stops right after the store`, async () => {
      // mov ecx, 0x7fffffff; L: mov [0x200000], ecx; loop L; mov al, 5; out 0xf4, al
      const m = machine([0xb9, 0xff, 0xff, 0xff, 0x7f, 0x89, 0x0d, 0x00, 0x00, 0x20, 0x00, 0xe2, 0xf8, 0xb0, 0x05, 0xe6, 0xf4], engine);
      const { client, done } = await serve(m);
      client.send("c");
      await new Promise((resolve) => setTimeout(resolve, 20));
      client.socket.write(Buffer.of(3));
      expect(await client.reply()).toBe("T02thread:01;");
      if (m.engine instanceof JitEngine) expect(m.engine.stats.compiledInstructions).toBeGreaterThan(0);
      const stoppedAt = m.instructionCount;
      const atStore = m.cpu.eip === 0x100025;
      expect(await client.ask("Z2,200000,4")).toBe("OK");
      expect(await client.ask("c")).toBe("T05thread:01;watch:200000;");
      expect(await client.ask("p8")).toBe("2b001000");
      expect(m.instructionCount).toBe(stoppedAt + (atStore ? 1 : 2));
      expect(m.readMemory(0x200000, 4)).toEqual(Uint8Array.from([m.cpu.i32[Reg.ECX], m.cpu.i32[Reg.ECX] >> 8, m.cpu.i32[Reg.ECX] >> 16, m.cpu.i32[Reg.ECX] >>> 24]));
      for (let k = 1; k <= 3; k++) {
        expect(await client.ask("c")).toBe("T05thread:01;watch:200000;");
        expect(m.instructionCount).toBe(stoppedAt + (atStore ? 1 : 2) + 2 * k);
      }
      expect(await client.ask("z2,200000,4")).toBe("OK");
      client.send("k");
      expect((await done).reason).toBe("stopped");
    });
  }

  test("the end of the run is reported with W and the guest's status", async () => {
    const { client, done } = await serve(machine(COUNTDOWN, "jit"));
    expect(await client.ask("c")).toBe("W0b");
    expect((await done).reason).toBe("exit");
  });

  test("a debugger that disconnects while the guest is stopped or running lets it run to its end", async () => {
    for (const running of [false, true]) {
      const m = machine(COUNTDOWN, "jit");
      const { client, done } = await serve(m);
      expect(await client.ask("Z1,100027,1")).toBe("OK");
      if (running) client.send("c");
      client.socket.destroy();
      const r = await done;
      expect(r).toEqual({ reason: "exit", exitStatus: 11, instructions: 300003 });
    }
  });

  test("a hardware breakpoint and a watchpoint on the stack", async () => {
    // mov esp, 0x200000; push eax; push ebx; mov al, 5; out 0xf4, al
    const m = machine([0xbc, 0x00, 0x00, 0x20, 0x00, 0x50, 0x53, 0xb0, 0x05, 0xe6, 0xf4], "jit");
    const { client, done } = await serve(m);
    expect(await client.ask("Z2,1ffff8,4")).toBe("OK");
    expect(await client.ask("Z1,100029,1")).toBe("OK");
    // The watchpoint stops after push ebx (the write), before the breakpoint on OUT.
    expect(await client.ask("c")).toBe("T05thread:01;watch:1ffff8;");
    expect(await client.ask("p8")).toBe("27001000");
    expect(m.instructionCount).toBe(3);
    expect(await client.ask("c")).toBe("T05thread:01;hwbreak:;");
    expect(await client.ask("p8")).toBe("29001000");
    expect(await client.ask("p0")).toBe("05b0ad2b");
    expect(await client.ask("D")).toBe("OK");
    expect((await done).exitStatus).toBe(11);
  });
});
