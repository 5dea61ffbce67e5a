/** The public API (runtime/index.ts) refuses misuse up front, with typed one-line errors. */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { bootImage, createMachine, detectImage, disassemble, ImageError, Machine, UsageError } from "../../runtime/index.js";
import { machineCore } from "../../runtime/internal.js";
import { addressImage } from "../support/images.js";

const LOOP = addressImage([0xeb, 0xfe]); // jmp $
const CHATTER = addressImage([0x66, 0xba, 0xf8, 0x03, 0xb0, 0x78, 0xee, 0xeb, 0xfd]); // 'x' to COM1 for ever
/** Echoes COM1's input to port 0xE9 until a newline, then exits. */
const ECHO = addressImage([0x66, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x01, 0x74, 0xf7, 0x66, 0xba, 0xf8, 0x03, 0xec, 0xe6, 0xe9, 0x3c, 0x0a, 0x75, 0xec, 0xb0, 0x10, 0xe6, 0xf4]);

function booted(image: Uint8Array, engine: "jit" | "interp" = "interp"): Machine {
  const m = createMachine({ memMiB: 4, engine });
  bootImage(m, image);
  return m;
}

/** `fn` throws a UsageError (exactly `cls`) whose one-line message matches. */
function expectUsage(fn: () => unknown, message: RegExp, cls: typeof UsageError = UsageError): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(cls);
  expect((thrown as Error).constructor).toBe(cls);
  expect((thrown as Error).message).toMatch(message);
  expect((thrown as Error).message).not.toContain("\n");
}

describe("createMachine checks its options", () => {
  test.each([
    [{ engine: "x" }, /createMachine options.engine must be "jit" or "interp" \(got "x"\)/],
    [{ engine: "jti" }, /\(got "jti"\) \(did you mean "jit"\?\)/],
    [{ mem: 64 }, /createMachine options: unknown option 'mem' \(did you mean memMiB\?\)/],
    [{ memMiB: 1 }, /options.memMiB must be an integer from 2 to 3072 \(got 1\)/],
    [{ memMiB: "64" }, /options.memMiB must be an integer from 2 to 3072 \(got "64"\)/],
    [{ memMiB: NaN }, /options.memMiB must be an integer .*\(got NaN\)/],
    [{ ips: 10 }, /options.ips must be an integer/],
    [{ startTime: new Date(NaN) }, /options.startTime must be a valid Date \(got an invalid Date\)/],
    [{ reboot: "yes" }, /options.reboot must be true or false/],
    [{ jit: { hot: 5 } }, /options.jit: unknown option 'hot' \(did you mean hotThreshold\?\)/],
    [{ jit: { chain: 0 } }, /options.jit.chain must be an integer from 1/],
    [{ jit: { compile: "lazy" } }, /options.jit.compile must be "sync" or "async"/],
    [{ jit: { batchSize: 200, tableSize: 100 } }, /batchSize \(200\) must not exceed jit.tableSize \(100\)/],
    [null, /createMachine options must be an object \(got null\)/],
    [[], /createMachine options must be an object \(got an array\)/],
  ])("%j", (options, message) => {
    expectUsage(() => createMachine(options as never), message);
    expectUsage(() => new Machine(options as never), message);
  });

  test("undefined options are absent, and good ones are taken", () => {
    const m = createMachine({ memMiB: undefined, engine: "interp", jit: { hotThreshold: 10 } });
    expect(m.stats().engine).toBe("interp");
    expect(createMachine().stats().engine).toBe("jit");
  });
});

describe("run and runSync", () => {
  test.each([[NaN], ["1000"], [-1], [1.5], [null], [{}]])("run(%j) rejects and runSync(%j) throws, before running anything", async (limit) => {
    const m = booted(LOOP);
    await expect(m.run(limit as never)).rejects.toThrow(UsageError);
    await expect(m.run(limit as never)).rejects.toThrow(/run\(\): maxInstructions must be a non-negative integer or Infinity/);
    expectUsage(() => m.runSync(limit as never), /runSync\(\): maxInstructions must be a non-negative integer or Infinity/);
    expect(m.instructionCount).toBe(0);
    expect(m.running).toBe(false);
    // The machine is still usable.
    expect(m.runSync(1000)).toEqual({ reason: "limit", instructions: 1000 });
  });

  test("a second run while one is active is refused; the first counts right", async () => {
    const m = booted(LOOP, "jit");
    const first = m.run(3_000_000);
    expect(m.running).toBe(true);
    await expect(m.run(10)).rejects.toThrow(/run\(\): the machine is already running/);
    expectUsage(() => m.runSync(10), /runSync\(\): the machine is already running/);
    expect(await first).toEqual({ reason: "limit", instructions: 3_000_000 });
    expect(m.running).toBe(false);
    expect(m.instructionCount).toBe(3_000_000);
    expect(await m.run(5)).toEqual({ reason: "limit", instructions: 5 });
  });

  test("stop() outside a run does nothing; during one it ends the run; the next run is not cut short", async () => {
    const m = booted(CHATTER);
    m.stop();
    expect(await m.run(2000)).toEqual({ reason: "limit", instructions: 2000 });
    let bytes = 0;
    m.on("serial", () => {
      if (++bytes === 10) m.stop();
    });
    const stopped = await m.run();
    expect(stopped.reason).toBe("stopped");
    expect(bytes).toBe(10);
    expect(m.runSync(1000)).toEqual({ reason: "limit", instructions: 1000 });
  });

  test("run(0) runs nothing; run(Infinity) is the default", async () => {
    const m = booted(addressImage([0xb0, 0x10, 0xe6, 0xf4])); // exit with status 0x21
    expect(await m.run(0)).toEqual({ reason: "limit", instructions: 0 });
    expect(await m.run(Infinity)).toEqual({ reason: "exit", exitStatus: 0x21, instructions: 2 });
    expect(m.exitStatus).toBe(0x21);
  });
});

describe("memory", () => {
  test.each([
    [() => [NaN, 16], /readMemory\(\): address must be an integer from 0 to 0x400000 \(got NaN\)/],
    [() => ["0", 16], /readMemory\(\): address must be an integer .*\(got "0"\)/],
    [() => [0, NaN], /readMemory\(\): length must be an integer from 0 to 0x400000 \(got NaN\)/],
    [() => [-1, 1], /readMemory\(\): address/],
    [() => [0x400000 - 8, 16], /readMemory\(\): length must be an integer from 0 to 8 \(got 16\)/],
  ])("readMemory(%#)", (args, message) => {
    const m = createMachine({ memMiB: 4, engine: "interp" });
    expectUsage(() => m.readMemory(...(args() as [number, number])), message);
  });

  test("writeMemory with a bad address or data writes nothing", () => {
    const m = createMachine({ memMiB: 4, engine: "interp" });
    expectUsage(() => m.writeMemory(NaN, Uint8Array.of(1, 2)), /writeMemory\(\): address must be an integer .*\(got NaN\)/);
    expectUsage(() => m.writeMemory(0, [1, 2] as never), /writeMemory\(\): data must be a Uint8Array \(got an array\)/);
    expectUsage(() => m.writeMemory(0x400000 - 1, Uint8Array.of(1, 2)), /writeMemory\(\): data length must be an integer from 0 to 1 \(got 2\)/);
    expect(m.readMemory(0, 4)).toEqual(new Uint8Array(4));
    expect(m.readMemory(0x400000 - 1, 1)).toEqual(new Uint8Array(1));
    m.writeMemory(0x1000, Uint8Array.of(1, 2, 3));
    expect(m.readMemory(0x1000, 3)).toEqual(Uint8Array.of(1, 2, 3));
  });
});

describe("events, serial input, disposal", () => {
  test("on() checks the event and the listener; off() removes a listener", async () => {
    const m = booted(CHATTER);
    expectUsage(() => m.on("serail" as never, (() => {}) as never), /on\(\): event must be one of "serial", .* \(got "serail"\) \(did you mean "serial"\?\)/);
    expectUsage(() => m.on("serial", 5 as never), /on\("serial"\): listener must be a function \(got 5\)/);
    expectUsage(() => m.off("nope" as never, (() => {}) as never), /off\(\): event must be one of/);
    let a = 0;
    let b = 0;
    const countA = () => a++;
    m.on("serial", countA).on("serial", () => b++);
    await m.run(100);
    m.off("serial", countA);
    const before = a;
    await m.run(100);
    expect(before).toBeGreaterThan(0);
    expect(a).toBe(before);
    expect(b).toBeGreaterThan(before);
  });

  test("sendSerial(): text waits for the guest to read it, none lost; bad data is refused", () => {
    const m = booted(ECHO);
    let echoed = "";
    m.on("debugcon", (c) => (echoed += String.fromCharCode(c)));
    const line = `${"0123456789".repeat(10)}\n`;
    m.sendSerial(line);
    expect(m.runSync(10_000_000).reason).toBe("exit");
    expect(echoed).toBe(line);
    expectUsage(() => m.sendSerial(42 as never), /sendSerial\(\): data must be a Uint8Array \(got 42\)/);
  });

  test("dispose() removes the listeners, stops a run in progress and refuses every later call", async () => {
    const m = booted(CHATTER, "jit");
    let bytes = 0;
    m.on("serial", () => {
      if (++bytes === 5) m.dispose();
    });
    const r = await m.run();
    expect(r.reason).toBe("stopped");
    expect(m.disposed).toBe(true);
    expect(m.running).toBe(false);
    expect(machineCore(m)).toBeUndefined();
    m.dispose();
    expectUsage(() => m.runSync(1), /runSync\(\): the machine has been disposed/);
    await expect(m.run(1)).rejects.toThrow(/run\(\): the machine has been disposed/);
    expectUsage(() => m.stats(), /stats\(\): the machine has been disposed/);
    expectUsage(() => m.screenshot(), /screenshot\(\): the machine has been disposed/);
    expectUsage(() => m.on("serial", () => {}), /on\(\): the machine has been disposed/);
    expectUsage(() => bootImage(m, LOOP), /bootImage\(\): the machine has been disposed/);
  });
});

describe("screenshot", () => {
  test("a PNG of what the VGA shows: the power-on text mode before any guest programs it", () => {
    const png = booted(LOOP).screenshot();
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR: width and height, big-endian, right after the signature and the chunk header.
    const v = new DataView(png.buffer, png.byteOffset);
    expect(v.getUint32(16) * v.getUint32(20)).toBeGreaterThan(0);
  });
});

describe("bootImage", () => {
  test("bytes without a path, or a path; the kind found", async () => {
    const m = createMachine({ memMiB: 16, engine: "interp" });
    let out = "";
    m.on("serial", (b) => (out += String.fromCharCode(b)));
    const guest = new URL("../../guests/default/default.bin", import.meta.url).pathname;
    expect(bootImage(m, new Uint8Array(readFileSync(guest)))).toBe("multiboot");
    expect((await m.run(50_000_000)).reason).toBe("halt");
    expect(out).toContain("ring 3: primes below 65536: 6542");
    expect(bootImage(createMachine({ memMiB: 16 }), guest)).toBe("multiboot");
    expect(detectImage(readFileSync(guest))).toBe("multiboot");
  });

  test("the image is copied: changing the caller's bytes later changes nothing", () => {
    const bytes = addressImage([0xb0, 0x10, 0xe6, 0xf4]);
    const m = createMachine({ memMiB: 4, engine: "interp", reboot: true });
    bootImage(m, bytes);
    bytes.fill(0);
    expect(m.runSync().exitStatus).toBe(0x21);
  });

  test.each([
    [(m: Machine) => bootImage(m, new Uint8Array(64)), /^'image' is not a guest image jit386 can boot/, ImageError],
    [(m: Machine) => bootImage(m, new Uint8Array(64), { name: "kernel" }), /^'kernel' is not a guest image/, ImageError],
    [(m: Machine) => bootImage(m, "/nonexistent/kernel"), /^cannot read image '\/nonexistent\/kernel': no such file or directory$/, ImageError],
    [(m: Machine) => bootImage(m, LOOP, { initrd: "/nonexistent/initrd" }), /^cannot read initrd/, ImageError],
    [(m: Machine) => bootImage(m, LOOP, { initrd: Uint8Array.of(1) }), /^an initrd is for a Linux bzImage, and 'image' is a multiboot image$/, UsageError],
    [(m: Machine) => bootImage(m, LOOP, { cmdlne: "x" } as never), /bootImage\(\): option must be one of "cmdline", "initrd", "name" \(got "cmdlne"\) \(did you mean "cmdline"\?\)/, UsageError],
    [(m: Machine) => bootImage(m, LOOP, { cmdline: 5 } as never), /bootImage\(\): cmdline must be a string \(got 5\)/, UsageError],
    [(m: Machine) => bootImage(m, 42 as never), /bootImage\(\): image must be a Uint8Array or a path \(got 42\)/, UsageError],
    [() => bootImage({} as never, LOOP), /bootImage\(\): expected a Machine from createMachine\(\) \(got an object \(Object\)\)/, UsageError],
    [() => detectImage("x" as never), /detectImage\(\): image must be a Uint8Array \(got "x"\)/, UsageError],
  ])("%#: %s", (call, message, cls) => {
    const m = createMachine({ memMiB: 4, engine: "interp" });
    expectUsage(() => call(m), message, cls);
  });

  test("ImageError is a UsageError; both are Errors with their own names", () => {
    const e = new ImageError("x");
    expect(e).toBeInstanceOf(UsageError);
    expect(e).toBeInstanceOf(Error);
    expect([e.name, new UsageError("y").name]).toEqual(["ImageError", "UsageError"]);
  });
});

test("disassemble() checks its arguments", () => {
  expect(disassemble(Uint8Array.of(0x90, 0xc3), 0x1000).map((i) => [i.address, i.text])).toEqual([
    [0x1000, "nop"],
    [0x1001, "ret"],
  ]);
  expectUsage(() => disassemble(Uint8Array.of(0x90), NaN), /disassemble\(\): address must be an integer/);
  expectUsage(() => disassemble(Uint8Array.of(0x90), 0, 64 as never), /disassemble\(\): bits must be 16 or 32 \(got 64\)/);
});
