/**
 * The public embedding API: a facade over the machine (runtime/machine.ts) that
 * shows what an embedder needs (boot, events, run, stop, memory, figures) and
 * nothing of the CPU, devices or engines behind it. Every argument is checked
 * before anything happens; misuse is a UsageError, a bad image an ImageError.
 * The repository's own tests and tools reach the machine behind a facade through
 * runtime/internal.ts.
 */
import { disassemble as disassembleCode } from "../src/disasm/disasm.js";
import { UsageError } from "./errors.js";
import { bootImage as bootCore, detectImage as detectCore, readImage } from "./image.js";
import { registerCore } from "./internal.js";
import { Machine as Core } from "./machine.js";
import { machineStats } from "./stats.js";
import { restoreSnapshot, saveSnapshot } from "./snapshot.js";
import type { BootOptions, ImageKind, MachineEvents, MachineOptions, MachineStats, ProfileReport, RestoreOptions, RunResult } from "./types.js";
import { checkBytes, checkInt, checkName, checkRestoreOptions, shown } from "./validate.js";

let coreOf: (m: Machine, what: string) => Core;
/** A restored machine the next facade wraps instead of making a new one (Machine.restoreState). */
let adopted: Core | undefined;

/** A PC: CPU, RAM and devices on virtual time, running under the interpreter or the JIT. */
export class Machine {
  #core: Core | undefined;
  readonly #listeners: [keyof MachineEvents, MachineEvents[keyof MachineEvents]][] = [];

  static {
    coreOf = (m, what) => {
      if (!(m instanceof Machine)) throw new UsageError(`${what}: expected a Machine from createMachine() (got ${shown(m)})`);
      if (m.#core === undefined) throw new UsageError(`${what}: the machine has been disposed`);
      return m.#core;
    };
  }

  /** Same as createMachine(options). */
  constructor(options: MachineOptions = {}) {
    const core = adopted ?? new Core(options);
    adopted = undefined;
    this.#core = core;
    registerCore(this, core);
  }

  /**
   * A new machine in the state `snapshot` (from saveState()) holds, which runs on
   * exactly as the saved one would have: same output, same state, same
   * instruction count, under either engine. Listeners are not part of the state:
   * add them to the new machine. A SnapshotError when the bytes are not a
   * snapshot, are cut off or damaged, or are of another format version.
   */
  static restoreState(snapshot: Uint8Array, options: RestoreOptions = {}): Machine {
    checkBytes(snapshot, "restoreState(): snapshot");
    checkRestoreOptions(options);
    adopted = restoreSnapshot(snapshot, { engine: options.engine, jit: options.jit });
    return new Machine();
  }

  /**
   * The machine's whole state (CPU, RAM, devices, virtual time, queued serial
   * input) as the bytes of a snapshot file; not during a run (await it or stop()
   * it first). Translated code is not state: a restored machine translates
   * afresh.
   */
  saveState(): Uint8Array {
    return saveSnapshot(coreOf(this, "saveState()"));
  }

  /** Instructions retired since the machine was created. */
  get instructionCount(): number {
    return coreOf(this, "instructionCount").instructionCount;
  }

  /** The status the guest wrote to the exit port (0xF4), once it has. */
  get exitStatus(): number | undefined {
    return coreOf(this, "exitStatus").exitStatus;
  }

  /** Is a run (run() or runSync()) in progress? */
  get running(): boolean {
    return this.#core?.isRunning ?? false;
  }

  /** Has dispose() been called? */
  get disposed(): boolean {
    return this.#core === undefined;
  }

  /** Call `listener` on every `event`; see MachineEvents. */
  on<K extends keyof MachineEvents>(event: K, listener: MachineEvents[K]): this {
    coreOf(this, "on()").on(event, listener);
    this.#listeners.push([event, listener]);
    return this;
  }

  /** Stop calling a listener added with on(). */
  off<K extends keyof MachineEvents>(event: K, listener: MachineEvents[K]): this {
    coreOf(this, "off()").off(event, listener);
    const k = this.#listeners.findIndex(([e, fn]) => e === event && fn === listener);
    if (k >= 0) this.#listeners.splice(k, 1);
    return this;
  }

  /** Bytes (or a string, as UTF-8) typed into COM1; they wait until the guest has read the ones before. */
  sendSerial(data: Uint8Array | string): void {
    coreOf(this, "sendSerial()").sendSerial(data);
  }

  /** A copy of guest physical memory [address, address + length). */
  /** What the display shows (the VGA's text or graphics mode), as the bytes of a PNG file. */
  screenshot(): Uint8Array {
    return coreOf(this, "screenshot()").screenshot();
  }

  readMemory(address: number, length: number): Uint8Array {
    return coreOf(this, "readMemory()").readMemory(address, length);
  }

  /** Write guest physical memory, as a device would (translated code over it is dropped). */
  writeMemory(address: number, data: Uint8Array): void {
    coreOf(this, "writeMemory()").writeMemory(address, data);
  }

  /**
   * Run until the guest stops (exit port, halt for good, triple fault, reset),
   * `maxInstructions` retire (a non-negative integer or Infinity, the default;
   * exceptions and interrupts delivered count towards it, so a guest faulting
   * for ever still reaches it) or stop() is called, yielding to the event loop between slices of about a
   * million instructions. One run at a time.
   */
  async run(maxInstructions: number = Infinity): Promise<RunResult> {
    return coreOf(this, "run()").run(maxInstructions);
  }

  /** run() without yielding: stop() can then only come from an event listener. */
  runSync(maxInstructions: number = Infinity): RunResult {
    return coreOf(this, "runSync()").runSync(maxInstructions);
  }

  /** End the run in progress at the next instruction boundary (reason "stopped"); outside a run it does nothing. */
  stop(): void {
    coreOf(this, "stop()").stop();
  }

  /** The machine's figures: instructions, virtual time, the JIT's counters, caches, devices. */
  stats(): MachineStats {
    return machineStats(coreOf(this, "stats()"));
  }

  /**
   * Where the host's time went since the machine was created: compiled code,
   * interpreter, translation, helpers by name, dispatcher, devices, page walks;
   * instructions by engine, region exits by cause, the hottest code
   * disassembled. Needs createMachine({ profile: true }).
   */
  profile(): ProfileReport {
    return coreOf(this, "profile()").profile();
  }

  /**
   * Release the machine: its listeners are removed, a run in progress stops (its
   * promise resolves with "stopped"), and every later call but dispose() throws.
   */
  dispose(): void {
    const core = this.#core;
    if (core === undefined) return;
    for (const [event, fn] of this.#listeners) core.off(event, fn);
    this.#listeners.length = 0;
    core.stop();
    this.#core = undefined;
    registerCore(this, undefined);
  }
}

/** A new machine; see MachineOptions (an unknown or out-of-range option is a UsageError). */
export function createMachine(options: MachineOptions = {}): Machine {
  return new Machine(options);
}

function imageBytes(image: unknown, what: string): { bytes: Uint8Array; path: string | undefined } {
  if (typeof image === "string") return { bytes: readImage(image, what), path: image };
  return { bytes: checkBytes(image, `bootImage(): ${what}`).slice(), path: undefined };
}

/**
 * Load a guest image into `machine` (a multiboot kernel, ELF or address-field; a
 * Linux bzImage; a ROM image): its bytes, or the path of a file. A guest reset
 * with MachineOptions.reboot loads it again. Returns the kind found.
 */
export function bootImage(machine: Machine, image: Uint8Array | string, options: BootOptions = {}): ImageKind {
  const core = coreOf(machine, "bootImage()");
  if (typeof options !== "object" || options === null) throw new UsageError(`bootImage(): options must be an object (got ${shown(options)})`);
  for (const k of Object.keys(options)) checkName(k, "bootImage(): option", ["cmdline", "initrd", "name"] as const);
  if (options.cmdline !== undefined && typeof options.cmdline !== "string") throw new UsageError(`bootImage(): cmdline must be a string (got ${shown(options.cmdline)})`);
  if (options.name !== undefined && typeof options.name !== "string") throw new UsageError(`bootImage(): name must be a string (got ${shown(options.name)})`);
  if (typeof image !== "string" && !(image instanceof Uint8Array)) throw new UsageError(`bootImage(): image must be a Uint8Array or a path (got ${shown(image)})`);
  const { bytes, path } = imageBytes(image, "image");
  const initrd = options.initrd === undefined ? undefined : imageBytes(options.initrd, "initrd").bytes;
  return bootCore(core, options.name ?? path ?? "image", bytes, { cmdline: options.cmdline, initrd });
}

/** What kind of guest image `image` is; an ImageError when none jit386 can boot. */
export function detectImage(image: Uint8Array): ImageKind {
  return detectCore("image", checkBytes(image, "detectImage(): image"));
}

/** One disassembled instruction. */
export interface Instruction {
  address: number;
  length: number;
  bytes: Uint8Array;
  /** Intel syntax, as objdump -M intel writes it ("mov eax,DWORD PTR [ebx+0x4]"; "(bad)" for an undefined encoding). */
  text: string;
}

/** Disassemble `code` loaded at `address` as 16- or 32-bit code (an instruction cut off by the end is "(bad)"). */
export function disassemble(code: Uint8Array, address = 0, bits: 16 | 32 = 32): Instruction[] {
  checkBytes(code, "disassemble(): code");
  checkInt(address, "disassemble(): address", 0, 0xffffffff);
  if (bits !== 16 && bits !== 32) throw new UsageError(`disassemble(): bits must be 16 or 32 (got ${shown(bits)})`);
  return Array.from(disassembleCode(code, address, bits), (l) => ({ address: l.address, length: l.length, bytes: l.bytes.slice(), text: l.text }));
}
