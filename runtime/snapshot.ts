/**
 * Snapshots: the whole state a run depends on, as one versioned, checksummed
 * file ("Snapshots" in ARCHITECTURE.md). A machine restored from a snapshot
 * taken at instruction N runs on exactly as the original did from N, under
 * either engine: same output, same final state, same instruction count.
 *
 * Layout: a 56-byte header (magic "jit386ss", format version, flags, payload
 * length, SHA-256 of the payload), then the payload: zlib-deflated V8
 * serialisation of a SnapshotRecord. RAM goes in as its non-zero 4 KiB frames.
 */
import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import { deflateSync, inflateSync } from "node:zlib";
import { RAM_BASE, STATE_BASE, STATE_SIZE } from "../src/cpu/layout.js";
import { flushTlb } from "../src/cpu/paging.js";
import { AtaDisk } from "../src/devices/ata.js";
import { AtapiCdrom } from "../src/devices/atapi.js";
import { restoreDevice, saveDevice, type SavedState, StateError } from "../src/devices/state.js";
import { SnapshotError } from "./errors.js";
import { bootImage } from "./image.js";
import { Machine } from "./machine.js";
import type { BootDevice, StorageOptions } from "./pc.js";
import type { RestoreOptions } from "./types.js";

export { SnapshotError };

export const SNAPSHOT_VERSION = 1;
const MAGIC = "jit386ss";
const HEADER_BYTES = 56;
const FRAME = 4096;

/** What a drive position holds, so a snapshot is restored only with the same drives. */
type DriveShape = { kind: "disk" | "cdrom"; sectors: number } | null;

/** The payload: everything needed to rebuild the machine and put it where it was. */
interface SnapshotRecord {
  machine: { memMiB: number; ips: number; reboot: boolean };
  firmware?: { bios: Uint8Array; vgaBios?: Uint8Array; boot?: BootDevice };
  /** The loader's inputs, when a reset reloads them (MachineOptions.reboot). */
  boot?: { name: string; image: Uint8Array; cmdline?: string; initrd?: Uint8Array };
  drives: DriveShape[];
  /** The CPU's state block (registers, segments, x87, MSRs, the instruction count and idle slots: the virtual clock). */
  cpu: Uint8Array;
  shutdown: boolean;
  /** Frame numbers of the non-zero RAM frames, and their bytes in that order. */
  ramFrames: Uint32Array;
  ramBytes: Uint8Array;
  devices: Record<string, SavedState>;
  exitStatus: number | undefined;
}

function driveShapes(m: Machine): DriveShape[] {
  return m.pc.ide.channels.flatMap((ch) =>
    ch.devices.map((d): DriveShape => {
      if (d instanceof AtaDisk) return { kind: "disk", sectors: d.sectors };
      if (d instanceof AtapiCdrom) return { kind: "cdrom", sectors: d.medium?.sectors ?? 0 };
      return null;
    }),
  );
}

function shapeText(shapes: DriveShape[]): string {
  const s = shapes.flatMap((d) => (d ? [`${d.kind} of ${d.sectors} sectors`] : []));
  return s.length ? s.join(", ") : "no drives";
}

/** Why a machine cannot be saved at this instruction, if it cannot. */
export function unsavableReason(m: Machine): string | undefined {
  if (m.isRunning) return "the machine is running (save between runs, or stop() it first)";
  if (m.pc.ide.channels.some((ch) => ch.busy)) return "a disk transfer is in progress (run a few more instructions)";
  return undefined;
}

/** The non-zero 4 KiB frames of guest RAM. */
function saveRam(m: Machine): { ramFrames: Uint32Array; ramBytes: Uint8Array } {
  const c = m.cpu;
  const i32 = c.i32;
  const frames = c.ramBytes / FRAME;
  const used = new Uint32Array(frames);
  let n = 0;
  for (let f = 0; f < frames; f++) {
    const w0 = (RAM_BASE + f * FRAME) >> 2;
    let any = 0;
    for (let w = w0; w < w0 + FRAME / 4 && any === 0; w++) any |= i32[w];
    if (any !== 0) used[n++] = f;
  }
  const bytes = new Uint8Array(n * FRAME);
  for (let k = 0; k < n; k++) {
    const at = RAM_BASE + used[k] * FRAME;
    bytes.set(c.u8.subarray(at, at + FRAME), k * FRAME);
  }
  return { ramFrames: used.slice(0, n), ramBytes: bytes };
}

/** The machine's state as a snapshot file's bytes. Throws a SnapshotError when it cannot be saved now. */
export function saveSnapshot(m: Machine): Uint8Array {
  const why = unsavableReason(m);
  if (why) throw new SnapshotError(`cannot save the machine's state: ${why}`);
  const devices: Record<string, SavedState> = {};
  try {
    for (const [name, dev] of Object.entries(m.devices())) devices[name] = saveDevice(dev, name);
  } catch (e) {
    if (e instanceof StateError) throw new SnapshotError(`cannot save the machine's state: ${e.message} (a disk opened writable is not behind an overlay)`);
    throw e;
  }
  const o = m.options;
  const fw = m.pc.firmware;
  const record: SnapshotRecord = {
    machine: { memMiB: m.cpu.ramBytes / (1024 * 1024), ips: m.clock.ips, reboot: m.reboot },
    firmware: fw ? { bios: fw.bios, vgaBios: fw.vgaBios, boot: fw.boot } : undefined,
    boot: o.reboot && !fw ? m.bootRecord : undefined,
    drives: driveShapes(m),
    cpu: m.cpu.u8.slice(STATE_BASE, STATE_BASE + STATE_SIZE),
    shutdown: m.cpu.shutdown,
    ...saveRam(m),
    devices,
    exitStatus: m.exitStatus,
  };
  const payload = deflateSync(serialize(record), { level: 1 });
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  v.setUint32(8, SNAPSHOT_VERSION, true);
  v.setUint32(12, 0, true);
  v.setFloat64(16, payload.length, true);
  out.set(createHash("sha256").update(payload).digest(), 24);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** What a snapshot holds, decoded (for tests and tools). */
export function snapshotRecord(bytes: Uint8Array): unknown {
  return readRecord(bytes, "the snapshot");
}

/** Check the header and checksum and decode the record; a SnapshotError names what is wrong. */
function readRecord(bytes: Uint8Array, what: string): SnapshotRecord {
  if (bytes.length < MAGIC.length || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    throw new SnapshotError(`${what} is not a jit386 snapshot`);
  }
  if (bytes.length < HEADER_BYTES) throw new SnapshotError(`${what} is truncated (${bytes.length} bytes)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint32(8, true);
  if (version !== SNAPSHOT_VERSION) throw new SnapshotError(`${what} is a snapshot of format version ${version}; this jit386 reads version ${SNAPSHOT_VERSION}`);
  const length = v.getFloat64(16, true);
  const payload = bytes.subarray(HEADER_BYTES);
  if (payload.length < length) throw new SnapshotError(`${what} is truncated (${payload.length} of ${length} payload bytes)`);
  if (payload.length > length) throw new SnapshotError(`${what} is damaged (${payload.length - length} bytes past its end)`);
  const sum = createHash("sha256").update(payload).digest();
  if (!sum.equals(bytes.subarray(24, 56))) throw new SnapshotError(`${what} is damaged (checksum mismatch)`);
  try {
    return deserialize(inflateSync(payload)) as SnapshotRecord;
  } catch (e) {
    throw new SnapshotError(`${what} is damaged (${e instanceof Error ? e.message : String(e)})`);
  }
}

export interface RestoreSnapshotOptions extends RestoreOptions {
  /** The drives' base images, as when the snapshot was taken (their overlays come from the snapshot). */
  storage?: StorageOptions;
  /** Names the snapshot in error messages. */
  name?: string;
  /** Profile the resumed run (`jit386 run --load-state FILE --profile OUT`). */
  profile?: boolean;
}

/** A new machine in the state a snapshot holds, ready to run on. */
export function restoreSnapshot(bytes: Uint8Array, opts: RestoreSnapshotOptions = {}): Machine {
  const what = opts.name ?? "the snapshot";
  const r = readRecord(bytes, what);
  try {
    return restoreRecord(r, what, opts);
  } catch (e) {
    // A record that passed its checksum but lacks what this format holds was not written by this format version.
    if (e instanceof TypeError || e instanceof RangeError) throw new SnapshotError(`${what} does not fit this jit386 (${e.message})`);
    throw e;
  }
}

function restoreRecord(r: SnapshotRecord, what: string, opts: RestoreSnapshotOptions): Machine {
  const m = new Machine({ memMiB: r.machine.memMiB, ips: r.machine.ips, reboot: r.machine.reboot, engine: opts.engine, jit: opts.jit, profile: opts.profile }, opts.storage ?? {});
  const have = driveShapes(m);
  if (JSON.stringify(have) !== JSON.stringify(r.drives)) {
    throw new SnapshotError(`${what} was taken with ${shapeText(r.drives)}; this machine has ${shapeText(have)} (give the same --disk and --cdrom images)`);
  }
  if (r.firmware) {
    m.pc.installFirmware(r.firmware);
    m.rebootHandler = () => m.pc.reset();
  } else if (r.boot) {
    bootImage(m, r.boot.name, r.boot.image, { cmdline: r.boot.cmdline, initrd: r.boot.initrd });
  }
  const c = m.cpu;
  if (r.cpu.length !== STATE_SIZE || r.ramFrames.length * FRAME !== r.ramBytes.length) throw new SnapshotError(`${what} does not fit this jit386 (CPU state of ${r.cpu.length} bytes)`);
  c.u8.set(r.cpu, STATE_BASE);
  c.shutdown = r.shutdown;
  c.u8.fill(0, RAM_BASE, RAM_BASE + c.ramBytes);
  for (let k = 0; k < r.ramFrames.length; k++) {
    const f = r.ramFrames[k];
    if (f >= c.ramBytes / FRAME) throw new SnapshotError(`${what} does not fit: RAM frame ${f} past the end`);
    c.u8.set(r.ramBytes.subarray(k * FRAME, (k + 1) * FRAME), RAM_BASE + f * FRAME);
  }
  flushTlb(c, true);
  try {
    for (const [name, dev] of Object.entries(m.devices())) restoreDevice(dev, r.devices[name], name);
  } catch (e) {
    if (e instanceof StateError) throw new SnapshotError(`${what} does not fit this machine: ${e.message}`);
    throw e;
  }
  m.restored(r.exitStatus);
  return m;
}
