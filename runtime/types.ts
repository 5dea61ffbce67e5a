/**
 * The types the public API shares with the machine (runtime/machine.ts) and its
 * facade (runtime/api.ts). They stand alone: the published declarations must not
 * reach the machine's internals (see ARCHITECTURE.md, "The public API").
 */
import type { JitStats } from "./jitstats.js";

export interface MachineOptions {
  /** Guest RAM in MiB, 2 to 3072 (default 64). */
  memMiB?: number;
  /** Virtual instruction slots per second, 1000 to 10^12 (default 200 million). */
  ips?: number;
  /** RTC start time; default a fixed date, so runs are deterministic. */
  startTime?: Date;
  /** Devices follow the wall clock (interactive use; runs are then not reproducible). */
  realtime?: boolean;
  /** Restart the guest on a guest-initiated reset instead of ending the run. */
  reboot?: boolean;
  /** Execution engine (default "jit": the interpreter with hot code translated to Wasm). */
  engine?: "interp" | "jit";
  /** JIT tuning (engine "jit"). */
  jit?: JitOptions;
  /** Record where the host's time goes, for Machine.profile() (costs a little speed; no effect on the guest). */
  profile?: boolean;
}

/** Machine.restoreState's options: the engine to resume under; the machine itself comes from the snapshot. */
export interface RestoreOptions {
  /** Default "jit"; a snapshot saved under either engine resumes under either. */
  engine?: "interp" | "jit";
  jit?: JitOptions;
}

export interface JitOptions {
  /**
   * How translated code becomes Wasm (ARCHITECTURE.md, "Code generators and tiers"): "direct", the
   * translator's own encoder (default: tier 2 has not yet measured faster, ARCHITECTURE.md "Code
   * generators and tiers"); "binaryen", every module built through Binaryen in its thread (the guest
   * waits); "tiered", direct, with regions that stay hot rebuilt through Binaryen in the background
   * and swapped in.
   */
  codegen?: "direct" | "binaryen" | "tiered";
  /** Instructions a region retires within about 2^20 before tier 2 rebuilds it (codegen "tiered"; default 16384). */
  tierUpThreshold?: number;
  /** Block-start executions before an entry is translated (default 50). */
  hotThreshold?: number;
  /** Regions per module (default 64). */
  batchSize?: number;
  /** Instructions a partial batch may wait before it is compiled anyway (default 200000). */
  batchDelay?: number;
  /** "sync" (default): create and install modules at once; "async": WebAssembly.compile while interpreting. */
  compile?: "async" | "sync";
  /** Regions the dispatcher may chain before returning (default: unlimited); 1 for a lockstep comparison. */
  chain?: number;
  /** Region functions the code cache holds at once (default 32768). */
  tableSize?: number;
  /** Translated guest instructions the code cache holds at once (default 1 << 20). */
  maxInstructions?: number;
  /** Count the instructions that ran in blocks without translation-time checks (a statistic; costs a little speed). */
  profile?: boolean;
}

export type StopReason =
  /** The guest wrote the exit port. */
  | "exit"
  /** HLT with interrupts off, or with nothing left that could wake the CPU. */
  | "halt"
  /** Triple fault. */
  | "shutdown"
  /** The guest reset the machine (keyboard controller, port 0x92) and reboot is off. */
  | "reset"
  /** The instruction limit was reached. */
  | "limit"
  /** stop() was called. */
  | "stopped";

export interface RunResult {
  reason: StopReason;
  /** Exit-port status when reason is "exit". */
  exitStatus?: number;
  /** Instructions retired by this run (the limit bounds these plus exceptions and interrupts delivered). */
  instructions: number;
}

export interface MachineEvents {
  /** A byte the guest sent out of COM1. */
  serial: (byte: number) => void;
  /** A byte the guest wrote to the debug console (port 0xE9). */
  debugcon: (byte: number) => void;
  /** A POST code (port 0x80). */
  post: (code: number) => void;
  /** A triple fault or a guest-initiated reset (before the reboot, with MachineOptions.reboot). */
  reset: (cause: "triple-fault" | "guest") => void;
  /** The CPU halted for good (HLT with interrupts off or nothing left to wake it). */
  halt: () => void;
}

/** The JIT's counters (see ARCHITECTURE.md, "The JIT": Statistics). */
export type JitFigures = ReturnType<JitStats["toJSON"]>;

/** A machine's figures, as `Machine.stats()` returns them and `jit386 run --stats` prints them. */
export interface MachineStats {
  /** Instructions retired since the machine was created. */
  instructions: number;
  /** Exceptions and interrupts delivered since the machine was created (they count towards run limits). */
  delivered: number;
  /** Virtual time since the machine was created, in seconds. */
  virtualSeconds: number;
  engine: "interp" | "jit";
  /** With the JIT engine. */
  jit?: JitFigures;
  descriptorShadow: { hits: number; misses: number; invalidations: number };
  decodeCache: { hits: number; misses: number; invalidations: number; evictions: number; size: number };
  devices: { unhandledPortReads: number; unhandledPortWrites: number; pitIrqs: number; spuriousIrqs: number; serialBytesOut: number };
}

/** What kind of guest image bootImage found. */
export type ImageKind = "multiboot" | "bzimage" | "rom";

export interface BootOptions {
  /** Kernel command line (multiboot default: the image's name; Linux default: empty). */
  cmdline?: string;
  /** Initial ramdisk for a Linux bzImage: its bytes or a path. */
  initrd?: Uint8Array | string;
  /** The image's name in messages and the default multiboot command line (default: its path, or "image"). */
  name?: string;
}

/** What Machine.profile() returns and `jit386 run --profile FILE` writes (ARCHITECTURE.md "The profiler"). */
export interface ProfileReport {
  /** Host milliseconds since the machine was created. */
  totalMs: number;
  /** Exclusive host time by activity: compiled code, interpreter, translation, dispatcher, devices and timers, page walks, ... */
  activities: { name: string; ms: number; share: number; calls: number }[];
  /** Helpers compiled code called, by name (exec:MNEMONIC for the generic helper), most time first. */
  helpers: { name: string; ms: number; share: number; calls: number }[];
  /** Instructions retired by each engine. */
  retired: { compiled: number; interpreted: number; total: number };
  /** Exceptions and interrupts delivered. */
  delivered: number;
  /** Returns from compiled code to the engine, by cause. */
  exits: { cause: string; count: number }[];
  /** The dispatch starts (linear CS:EIP) that took the most host time, disassembled. */
  hottest: { eip: number; linear: number; engine: "compiled" | "interpreter"; ms: number; share: number; dispatches: number; instruction: string }[];
}
