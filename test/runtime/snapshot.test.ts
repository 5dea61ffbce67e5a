/**
 * Snapshots of the guest programs: saved at instruction N under one engine and
 * restored under either, the run ends as the uninterrupted run does. Plus the
 * file format's refusals and the state tables' coverage of every device field.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { bootImage as bootApiImage, Machine as ApiMachine } from "../../runtime/api.js";
import { UsageError } from "../../runtime/errors.js";
import { MemoryBackend, OverlayBackend } from "../../src/devices/block.js";
import { stateTable } from "../../src/devices/state.js";
import { bootImage, DEFAULT_GUEST } from "../../runtime/image.js";
import { createMachine, type Machine } from "../../runtime/machine.js";
import { restoreSnapshot, saveSnapshot, SnapshotError, snapshotRecord } from "../../runtime/snapshot.js";
import { canonical, type EngineName, expectSameRun, resumed, runToEnd } from "../support/resume.js";

const DIR = new URL("../../guests/tests/", import.meta.url).pathname;
const GUESTS = [...readdirSync(DIR).filter((f) => f.endsWith(".bin")).sort().map((f) => join(DIR, f)), DEFAULT_GUEST];
const LIMIT = 200_000_000;

function guest(path: string, engine: EngineName): () => Machine {
  return () => {
    const m = createMachine({ memMiB: 32, engine });
    bootImage(m, path, new Uint8Array(readFileSync(path)));
    return m;
  };
}

const PAIRS: [EngineName, EngineName][] = [
  ["jit", "jit"],
  ["interp", "interp"],
  ["jit", "interp"],
  ["interp", "jit"],
];

describe("a guest program restored from a snapshot runs on as if never stopped", () => {
  test.each(GUESTS.map((g) => [g.split("/").pop()!, g]))("%s", (_name, path) => {
    const want = runToEnd(guest(path, "interp")(), LIMIT);
    expect(["exit", "halt"]).toContain(want.result.reason);
    const total = want.state.icount;
    expect(total).toBeGreaterThan(100);
    expectSameRun(runToEnd(guest(path, "jit")(), LIMIT), want);
    for (const [from, to] of PAIRS) {
      for (const at of [1, Math.floor(total / 3), Math.floor((2 * total) / 3) + 7, total - 1]) {
        expectSameRun(resumed(guest(path, from), at, LIMIT, to), want);
      }
    }
  });
});

describe("snapshot files", () => {
  const m = guest(DEFAULT_GUEST, "jit")();
  m.runSync(5000);
  const good = saveSnapshot(m);

  test("a machine restored from a snapshot saves the same snapshot", () => {
    const again = saveSnapshot(restoreSnapshot(good, { engine: "interp" }));
    expect(canonical(snapshotRecord(again))).toBe(canonical(snapshotRecord(good)));
  });

  test("RAM is stored compactly: zero frames skipped, the rest compressed", () => {
    // 32 MiB of RAM and the VGA's 16 MiB of (mostly zero) video memory.
    expect(good.length).toBeLessThan(96 * 1024);
  });

  const refusals: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(0), /is not a jit386 snapshot/],
    ["foreign", new TextEncoder().encode("\x7fELF and the rest of some other file"), /is not a jit386 snapshot/],
    ["truncated header", good.slice(0, 30), /is truncated/],
    ["truncated payload", good.slice(0, good.length - 100), /is truncated/],
    ["extended", Uint8Array.from([...good, 0]), /is damaged/],
    ["one bit flipped", good.map((b, k) => (k === good.length - 50 ? b ^ 4 : b)), /checksum mismatch/],
    ["another version", good.map((b, k) => (k === 8 ? 99 : b)), /format version 99; this jit386 reads version 1/],
  ];
  test.each(refusals)("%s: a SnapshotError with one line", (_what, bytes, message) => {
    let caught: unknown;
    try {
      restoreSnapshot(bytes, { name: "'x.snap'" });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SnapshotError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain("\n");
  });

  test("a running machine is not saved", async () => {
    const r = guest(DEFAULT_GUEST, "jit")();
    const run = r.run(10_000_000);
    expect(() => saveSnapshot(r)).toThrow(/the machine is running/);
    r.stop();
    await run;
  });
});

describe("every device field is state or wiring", () => {
  /** Each device reachable from the machine's list, with the path it was found at. */
  function devices(m: Machine): [string, object][] {
    const out: [string, object][] = [];
    const visit = (obj: unknown, where: string) => {
      const t = stateTable(obj);
      if (!t) return;
      out.push([where, obj as object]);
      for (const f of t.fields) {
        const v = (obj as Record<string, unknown>)[f];
        if (Array.isArray(v)) v.forEach((e, k) => visit(e, `${where}.${f}[${k}]`));
        else if (v instanceof Map) for (const [k, e] of v) visit(e, `${where}.${f}[${String(k)}]`);
        else visit(v, `${where}.${f}`);
      }
    };
    for (const [name, dev] of Object.entries(m.devices())) visit(dev, name);
    return out;
  }

  test("the table of each device names exactly its fields", () => {
    const m = createMachine({}, { disks: [new OverlayBackend(new MemoryBackend(new Uint8Array(512 * 64)))], cdrom: null });
    m.pc.installFirmware({ bios: new Uint8Array(0x10000) });
    const found = devices(m);
    const names = found.map(([w, d]) => `${w}: ${d.constructor.name}`).join("\n");
    for (const kind of ["LocalApic", "IoApic", "DualPic", "Pit8254", "Rtc146818", "I8042", "Uart16550", "PamShadow", "FwCfg", "IdeChannel", "BusMaster", "AtaDisk", "AtapiCdrom", "OverlayBackend", "PciConfigSpace"]) {
      expect(names).toContain(kind);
    }
    for (const [where, dev] of found) {
      const t = stateTable(dev)!;
      const declared = [...t.fields, ...t.wiring].sort();
      expect(Object.keys(dev).sort(), `${where} (${dev.constructor.name})`).toEqual(declared);
      expect(new Set(declared).size, `${where}: a field named twice`).toBe(declared.length);
    }
  });

  test("every device on the port bus is in the snapshot, or holds nothing but callbacks", () => {
    const m = createMachine({}, { disks: [new OverlayBackend(new MemoryBackend(new Uint8Array(512 * 64)))], cdrom: null });
    m.pc.installFirmware({ bios: new Uint8Array(0x10000) });
    const saved = new Set(devices(m).map(([, d]) => d));
    const onBus = new Set((m.ports as unknown as { devices: (object | undefined)[] }).devices.filter((d): d is object => d !== undefined));
    expect(onBus.size).toBeGreaterThan(15);
    for (const dev of onBus) {
      if (stateTable(dev)) expect(saved.has(dev), `${dev.constructor.name} on the port bus is not in Machine.devices()`).toBe(true);
      else for (const [k, v] of Object.entries(dev)) expect(typeof v, `${dev.constructor.name}.${k} is state no snapshot holds`).toBe("function");
    }
  });
});

describe("the API: saveState() and Machine.restoreState()", () => {
  test("a restored machine runs on to the same end; misuse is a UsageError with one line", async () => {
    const m = new ApiMachine({ memMiB: 16 });
    bootApiImage(m, DEFAULT_GUEST);
    let out = "";
    m.on("serial", (b) => (out += String.fromCharCode(b)));
    await m.run(200_000);
    const snap = m.saveState();
    const at = out.length;
    await m.run();
    const copy = ApiMachine.restoreState(snap, { engine: "interp" });
    let copied = "";
    copy.on("serial", (b) => (copied += String.fromCharCode(b)));
    expect((await copy.run()).reason).toBe("halt");
    expect(copied).toBe(out.slice(at));
    expect(copy.instructionCount).toBe(m.instructionCount);

    const busy = ApiMachine.restoreState(snap);
    const running = busy.run(100_000_000);
    expect(() => busy.saveState()).toThrow(SnapshotError);
    expect(() => busy.saveState()).toThrow(/the machine is running/);
    busy.stop();
    await running;
    const misuse: [() => unknown, RegExp][] = [
      [() => ApiMachine.restoreState(Number.NaN as unknown as Uint8Array), /^restoreState\(\): snapshot must be a Uint8Array \(got NaN\)$/],
      [() => ApiMachine.restoreState(snap, { engine: "x" as "jit" }), /^restoreState\(\) options.engine must be/],
      [() => ApiMachine.restoreState(snap, { memMiB: 4 } as never), /^restoreState\(\) options: unknown option 'memMiB'/],
      [() => ApiMachine.restoreState(snap.subarray(0, 60)), /^the snapshot is truncated/],
    ];
    for (const [call, message] of misuse) {
      expect(call).toThrow(UsageError);
      expect(call).toThrow(message);
    }
    copy.dispose();
    expect(() => copy.saveState()).toThrow(/^saveState\(\): the machine has been disposed$/);
  });
});
