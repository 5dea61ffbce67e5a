/**
 * A whole machine: CPU, engine, port bus and devices, with a run loop that yields
 * to the event loop. This is the embedding API's core (`createMachine`).
 */
import { Cpu } from "../src/cpu/cpu.js";
import { RAM_BASE } from "../src/cpu/layout.js";
import { DebugConsole } from "../src/devices/debugcon.js";
import { ExitPort } from "../src/devices/exitport.js";
import { IoPortBus } from "../src/devices/portbus.js";
import { Uart16550 } from "../src/devices/uart16550.js";
import { Interpreter } from "../src/interp/interpreter.js";

export interface MachineOptions {
  /** Guest RAM in MiB (default 64). */
  memMiB?: number;
  /** Receives every byte the guest transmits on COM1. */
  serial?: (byte: number) => void;
}

export type StopReason =
  /** The guest wrote the exit port. */
  | "exit"
  /** HLT with nothing that could wake the CPU. */
  | "halt"
  /** Triple fault. */
  | "shutdown"
  /** The instruction limit was reached. */
  | "limit"
  /** stop() was called. */
  | "stopped";

export interface RunResult {
  reason: StopReason;
  /** Exit-port status when reason is "exit". */
  exitStatus?: number;
  instructions: number;
}

export interface MachineEvents {
  debugcon: (byte: number) => void;
  halt: () => void;
  shutdown: () => void;
}

type Listeners = { [K in keyof MachineEvents]: MachineEvents[K][] };

/** Instructions per slice between checks of stop requests and event-loop yields. */
const SLICE = 1 << 20;

export class Machine {
  readonly cpu: Cpu;
  readonly interpreter: Interpreter;
  readonly ports = new IoPortBus();
  readonly com1: Uart16550;
  private readonly listeners: Listeners = { debugcon: [], halt: [], shutdown: [] };
  private exitStatus: number | undefined;
  private stopRequested = false;

  constructor(opts: MachineOptions = {}) {
    const mib = opts.memMiB ?? 64;
    this.cpu = new Cpu({ ramBytes: mib * 1024 * 1024 });
    this.cpu.ports = this.ports;
    this.interpreter = new Interpreter(this.cpu);
    this.ports.register(0xe9, 1, new DebugConsole((b) => this.emit("debugcon", b)));
    this.ports.register(0xf4, 1, new ExitPort((status) => this.requestExit(status)));
    this.com1 = new Uart16550(0x3f8, opts.serial ?? (() => {}), () => {});
    this.ports.register(0x3f8, 8, this.com1);
  }

  on<K extends keyof MachineEvents>(event: K, fn: MachineEvents[K]): void {
    this.listeners[event].push(fn);
  }

  private emit<K extends keyof MachineEvents>(event: K, ...args: Parameters<MachineEvents[K]>): void {
    for (const fn of this.listeners[event]) (fn as (...a: Parameters<MachineEvents[K]>) => void)(...args);
  }

  private requestExit(status: number): void {
    this.exitStatus = status;
  }

  get instructionCount(): number {
    return this.cpu.icount;
  }

  readMemory(pa: number, length: number): Uint8Array {
    if (pa < 0 || pa + length > this.cpu.ramBytes) throw new RangeError("readMemory outside guest RAM");
    return this.cpu.u8.slice(RAM_BASE + pa, RAM_BASE + pa + length);
  }

  writeMemory(pa: number, data: Uint8Array): void {
    if (pa < 0 || pa + data.length > this.cpu.ramBytes) throw new RangeError("writeMemory outside guest RAM");
    for (let k = 0; k < data.length; k++) this.cpu.writePhys8(pa + k, data[k]);
  }

  stop(): void {
    this.stopRequested = true;
  }

  /** Run synchronously until the guest stops or `maxInstructions` retire. */
  runSync(maxInstructions = Infinity): RunResult {
    const start = this.cpu.icount;
    for (;;) {
      const r = this.slice(start, maxInstructions);
      if (r) return r;
    }
  }

  /** Run until the guest stops, yielding to the event loop between slices. */
  async run(maxInstructions = Infinity): Promise<RunResult> {
    const start = this.cpu.icount;
    for (;;) {
      const r = this.slice(start, maxInstructions);
      if (r) return r;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private slice(start: number, maxInstructions: number): RunResult | undefined {
    const c = this.cpu;
    const it = this.interpreter;
    const budget = Math.min(SLICE, start + maxInstructions - c.icount);
    const end = c.icount + budget;
    while (c.icount < end && !it.halted && !c.shutdown && this.exitStatus === undefined && !this.stopRequested) it.step();
    const instructions = c.icount - start;
    if (this.exitStatus !== undefined) return { reason: "exit", exitStatus: this.exitStatus, instructions };
    if (c.shutdown) {
      this.emit("shutdown");
      return { reason: "shutdown", instructions };
    }
    if (it.halted) {
      // Without interrupt sources nothing can wake a halted CPU, whatever IF says.
      this.emit("halt");
      return { reason: "halt", instructions };
    }
    if (this.stopRequested) return { reason: "stopped", instructions };
    if (c.icount - start >= maxInstructions) return { reason: "limit", instructions };
    return undefined;
  }
}

export function createMachine(opts: MachineOptions = {}): Machine {
  return new Machine(opts);
}
