/**
 * A whole PC: CPU, engine, port bus and devices on virtual time, with a run loop
 * that yields to the event loop. This is the embedding API's core
 * (`createMachine`).
 */
import { Cpu } from "../src/cpu/cpu.js";
import { IF } from "../src/cpu/flags.js";
import { IDLE_SLOTS, RAM_BASE } from "../src/cpu/layout.js";
import { writeTsc } from "../src/cpu/msr.js";
import { setA20 } from "../src/cpu/paging.js";
import { DEFAULT_IPS, VirtualClock } from "../src/devices/clock.js";
import { DebugConsole } from "../src/devices/debugcon.js";
import { ExitPort } from "../src/devices/exitport.js";
import { I8042 } from "../src/devices/i8042.js";
import { InterruptRouter } from "../src/devices/irqrouter.js";
import { PciHost } from "../src/devices/pci.js";
import { Pit8254 } from "../src/devices/pit8254.js";
import { Port92 } from "../src/devices/port92.js";
import { IoPortBus } from "../src/devices/portbus.js";
import { PostCodePort } from "../src/devices/post.js";
import { Rtc146818 } from "../src/devices/rtc.js";
import { Uart16550 } from "../src/devices/uart16550.js";
import { DISPI_INDEX_PORT, Vga } from "../src/devices/vga.js";
import { VGA_PCI_DEVICE, VgaPci } from "../src/devices/vgapci.js";
import { VIDEO_WINDOW, VIDEO_WINDOW_SIZE } from "../src/cpu/layout.js";
import { Interpreter } from "../src/interp/interpreter.js";
import { type Engine, InterpreterEngine } from "./engine.js";
import { UsageError } from "./errors.js";
import { JitEngine } from "./jit.js";
import { PcPlatform, type StorageOptions } from "./pc.js";
import { Activity, Profiler } from "./profiler.js";
import { screenshotPng } from "./screenshot.js";
import type { MachineEvents, MachineOptions, ProfileReport, RunResult } from "./types.js";
import { checkBytes, checkFunction, checkInt, checkLimit, checkMachineOptions, checkName } from "./validate.js";

export type { JitOptions, MachineEvents, MachineOptions, RunResult, StopReason } from "./types.js";

type Listeners = { [K in keyof MachineEvents]: MachineEvents[K][] };

/** Instructions per slice between checks of stop requests and event-loop yields. */
const SLICE = 1 << 20;
/** In real time, device deadlines are in wall-clock slots: look at the clock this often. */
const REALTIME_QUANTUM = 20_000;
const RTC_DEFAULT_START = new Date(Date.UTC(2026, 0, 1));
const NEVER = (): boolean => false;
const EVENTS: readonly (keyof MachineEvents)[] = ["serial", "debugcon", "post", "reset", "halt"];

export class Machine {
  readonly cpu: Cpu;
  readonly interpreter: Interpreter;
  /** The engine the run loop drives: the interpreter itself, or the JIT (which falls back to it). */
  readonly engine: Engine;
  private readonly jit: JitEngine | undefined;
  readonly ports = new IoPortBus();
  readonly clock: VirtualClock;
  /** The 8259 pair, local APIC and I/O APIC; devices drive their IRQ lines through it. */
  readonly irq: InterruptRouter;
  readonly pit: Pit8254;
  readonly rtc: Rtc146818;
  readonly kbc: I8042;
  readonly com1: Uart16550;
  readonly com2: Uart16550;
  readonly port92: Port92;
  readonly post: PostCodePort;
  /** The options the machine was made with (a snapshot records them). */
  readonly options: MachineOptions;
  /** What bootImage loaded, for a snapshot of a machine that reboots (the loader runs again after a reset). */
  bootRecord: { name: string; image: Uint8Array; cmdline?: string; initrd?: Uint8Array } | undefined;
  private readonly listeners: Listeners = { serial: [], debugcon: [], post: [], reset: [], halt: [] };
  private exitValue: number | undefined;
  private stopRequested = false;
  /** A run (run or runSync) is in progress: stop() applies to it, another run is refused. */
  private running = false;
  private resetRequested = false;
  /** Re-runs the loader after a reset when rebooting (set by the boot code). */
  rebootHandler: (() => void) | undefined;
  readonly reboot: boolean;
  readonly pci = new PciHost();
  /** The PIIX parts, fw_cfg and firmware (runtime/pc.ts). */
  readonly pc: PcPlatform;
  /** The VGA with Bochs VBE, and its PCI function (ARCHITECTURE.md, "Display"). */
  readonly vga = new Vga();
  readonly vgaPci: VgaPci;
  /** With MachineOptions.profile: where the host's time goes (runtime/profiler.ts). */
  readonly profiler: Profiler | undefined;

  /** `storage`: the IDE drives (runtime/pc.ts), opened by the runtime from image files. */
  constructor(opts: MachineOptions = {}, storage: StorageOptions = {}) {
    checkMachineOptions(opts);
    this.options = { ...opts, jit: opts.jit ? { ...opts.jit } : undefined };
    const mib = opts.memMiB ?? 64;
    this.reboot = opts.reboot ?? false;
    const cpu = (this.cpu = new Cpu({ ramBytes: mib * 1024 * 1024, videoWindow: true }));
    cpu.ports = this.ports;
    this.interpreter = new Interpreter(cpu);
    this.jit = (opts.engine ?? "jit") === "jit" ? new JitEngine(cpu, this.interpreter, opts.jit) : undefined;
    this.engine = this.jit ?? new InterpreterEngine(this.interpreter);
    if (opts.profile) {
      const p = (this.profiler = new Profiler(cpu));
      cpu.ports = p.ports(this.ports);
      const walk = cpu.pageWalk;
      cpu.pageWalk = (c, la, write, user) => {
        p.enter(Activity.PAGE_WALKS);
        try {
          return walk(c, la, write, user);
        } finally {
          p.leave();
        }
      };
      if (this.jit) this.jit.profiler = p;
    }
    this.clock = new VirtualClock(cpu, opts.ips ?? DEFAULT_IPS, opts.realtime ?? false);
    // A timer the guest has just programmed may fire before the target the engine runs to.
    this.clock.onReschedule = () => {
      this.interpreter.attention = true;
    };
    const ports = this.ports;

    // The core's INTR and NMI inputs follow the local APIC; INIT resets the machine.
    const irq = (this.irq = new InterruptRouter({ cpu, clock: this.clock, init: () => this.requestReset() }));
    irq.onChange = () => {
      this.interpreter.irqPending = irq.intr;
      this.interpreter.nmiPending = irq.nmi;
    };
    ports.register(0x20, 2, irq.pic);
    ports.register(0xa0, 2, irq.pic);

    this.pit = new Pit8254(this.clock, () => irq.pulseIrq(0));
    this.clock.add(this.pit);
    ports.register(0x40, 4, this.pit);
    ports.register(0x61, 1, this.pit);

    this.rtc = new Rtc146818(this.clock, (l) => irq.setIrq(8, l), {
      ramBytes: cpu.ramBytes,
      startTime: opts.startTime ?? RTC_DEFAULT_START,
    });
    this.clock.add(this.rtc);
    ports.register(0x70, 2, this.rtc);

    const updateA20 = () => this.updateA20();
    const guestReset = () => this.requestReset();
    this.kbc = new I8042({
      setIrq1: (l) => irq.setIrq(1, l),
      setIrq12: (l) => irq.setIrq(12, l),
      setA20: updateA20,
      reset: guestReset,
    });
    ports.register(0x60, 1, this.kbc);
    ports.register(0x64, 1, this.kbc);
    this.port92 = new Port92(updateA20, guestReset);
    ports.register(0x92, 1, this.port92);

    ports.register(0xcf8, 1, this.pci.addressPort);
    ports.register(0xcfc, 4, this.pci.dataPort);

    this.post = new PostCodePort((code) => this.emit("post", code));
    ports.register(0x80, 1, this.post);
    ports.register(0xe9, 1, new DebugConsole((b) => this.emitDebugcon(b)));
    ports.register(
      0xf4,
      1,
      new ExitPort((status) => {
        this.exitValue = status;
        this.interpreter.attention = true;
      }),
    );

    this.com1 = new Uart16550(0x3f8, (b) => this.emit("serial", b), (l) => irq.setIrq(4, l));
    ports.register(0x3f8, 8, this.com1);
    this.com2 = new Uart16550(0x2f8, () => {}, (l) => irq.setIrq(3, l));
    ports.register(0x2f8, 8, this.com2);

    const vga = this.vga;
    for (const port of [0x3b4, 0x3b5, 0x3ba, 0x3d4, 0x3d5, 0x3da]) ports.register(port, 1, vga);
    ports.register(0x3c0, 16, vga);
    ports.register(DISPI_INDEX_PORT, 2, vga);
    cpu.mapMmio(vga.window, VIDEO_WINDOW, VIDEO_WINDOW_SIZE);
    this.vgaPci = new VgaPci(cpu, vga);
    this.pci.register(VGA_PCI_DEVICE, 0, this.vgaPci.config);

    this.pc = new PcPlatform(this, storage);
  }

  /**
   * Every device whose state a snapshot holds, by name ("Snapshots" in
   * ARCHITECTURE.md): each has a state table (src/devices/state.ts). A new
   * device is added here.
   */
  devices(): Record<string, object> {
    const pc = this.pc;
    const d: Record<string, object> = {
      ports: this.ports,
      irq: this.irq,
      pit: this.pit,
      rtc: this.rtc,
      kbc: this.kbc,
      port92: this.port92,
      com1: this.com1,
      com2: this.com2,
      pci: this.pci,
      // After the PCI host: restoring its ROM remaps the BARs the host put back.
      vgaPci: this.vgaPci,
      vga: this.vga,
      post: this.post,
      elcr: pc.elcr,
      resetControl: pc.resetControl,
      fwcfg: pc.fwcfg,
      ide: pc.ide,
    };
    if (pc.pam) d.pam = pc.pam;
    return d;
  }

  /** The A20 gate: open when the keyboard controller's output port or port 0x92 opens it. */
  updateA20(): void {
    setA20(this.cpu, this.kbc.a20 || (this.port92?.a20 ?? false));
  }

  /**
   * After a snapshot is restored into this (new) machine: what derives from the
   * restored state. Caches start empty: nothing was decoded or translated yet.
   */
  restored(exitValue: number | undefined): void {
    this.exitValue = exitValue;
    this.updateA20();
    this.clock.reschedule();
    this.irq.onChange();
    this.interpreter.attention = false;
  }

  /** For the JIT engine: stop at the next instruction boundary for an interrupt or a request. */
  private readonly shouldStop = (): boolean => {
    const it = this.interpreter;
    return it.attention || (it.irqPending && it.interruptible) || it.nmiDeliverable;
  };

  /** The 8259 pair. */
  get pic(): InterruptRouter["pic"] {
    return this.irq.pic;
  }

  on<K extends keyof MachineEvents>(event: K, fn: MachineEvents[K]): void {
    checkName(event, "on(): event", EVENTS);
    checkFunction(fn, `on("${event}"): listener`);
    this.listeners[event].push(fn);
  }

  /** Remove a listener added with on() (the last one added, if it was added twice). */
  off<K extends keyof MachineEvents>(event: K, fn: MachineEvents[K]): void {
    checkName(event, "off(): event", EVENTS);
    const list = this.listeners[event];
    const k = list.lastIndexOf(fn);
    if (k >= 0) list.splice(k, 1);
  }

  private emit<K extends keyof MachineEvents>(event: K, ...args: Parameters<MachineEvents[K]>): void {
    for (const fn of this.listeners[event]) (fn as (...a: Parameters<MachineEvents[K]>) => void)(...args);
  }

  /** A byte for the debug console (port 0xE9, or QEMU's 0x402). */
  emitDebugcon(byte: number): void {
    this.emit("debugcon", byte);
  }

  /** The guest asked for a reset (keyboard controller, port 0x92, the PIIX's 0xCF9). */
  requestReset(): void {
    this.resetRequested = true;
    this.interpreter.attention = true;
  }

  /** The status the guest wrote to the exit port, once it has. */
  get exitStatus(): number | undefined {
    return this.exitValue;
  }

  get instructionCount(): number {
    return this.cpu.icount;
  }

  /** Bytes typed into COM1 (the host side of the serial console); they wait for the guest to read them. */
  sendSerial(data: Uint8Array | string): void {
    this.com1.send(typeof data === "string" ? new TextEncoder().encode(data) : checkBytes(data, "sendSerial(): data"));
  }

  /** What the display shows (text or graphics mode), as a PNG file's bytes. */
  screenshot(): Uint8Array {
    return screenshotPng(this.vga);
  }

  readMemory(pa: number, length: number): Uint8Array {
    const ram = this.cpu.ramBytes;
    checkInt(pa, "readMemory(): address", 0, ram);
    checkInt(length, "readMemory(): length", 0, ram - pa);
    const bytes = this.cpu.u8.slice(RAM_BASE + pa, RAM_BASE + pa + length);
    // The video window is the VGA's: its bytes as the CPU would read them, without touching the latches.
    for (let a = Math.max(pa, VIDEO_WINDOW); a < Math.min(pa + length, VIDEO_WINDOW + VIDEO_WINDOW_SIZE); a++) bytes[a - pa] = this.vga.readByte(a - VIDEO_WINDOW, true);
    return bytes;
  }

  writeMemory(pa: number, data: Uint8Array): void {
    const ram = this.cpu.ramBytes;
    checkInt(pa, "writeMemory(): address", 0, ram);
    checkBytes(data, "writeMemory(): data");
    checkInt(data.length, "writeMemory(): data length", 0, ram - pa);
    for (let k = 0; k < data.length; k++) this.cpu.writePhys8(pa + k, data[k]);
  }

  /** Is a run (run() or runSync()) in progress? */
  get isRunning(): boolean {
    return this.running;
  }

  /** End the run in progress at the next instruction boundary ("stopped"); outside a run it does nothing. */
  stop(): void {
    if (!this.running) return;
    this.stopRequested = true;
    this.interpreter.attention = true;
  }

  /** Refuse a second run while one is in progress, and check the limit. */
  private beginRun(what: string, maxInstructions: unknown): number {
    if (this.running) throw new UsageError(`${what}: the machine is already running (await the run in progress, or stop() it first)`);
    const limit = checkLimit(maxInstructions, `${what}: maxInstructions`);
    this.running = true;
    this.stopRequested = false;
    return limit;
  }

  /** Run synchronously until the guest stops or `maxInstructions` retire. */
  runSync(maxInstructions = Infinity): RunResult {
    const limit = this.beginRun("runSync()", maxInstructions);
    try {
      const start = this.cpu.icount;
      const base = this.cpu.progress;
      for (;;) {
        const r = this.slice(start, base, limit);
        if (r) return r;
      }
    } finally {
      this.running = false;
    }
  }

  /** Run until the guest stops, yielding to the event loop between slices. */
  async run(maxInstructions = Infinity): Promise<RunResult> {
    const limit = this.beginRun("run()", maxInstructions);
    try {
      const start = this.cpu.icount;
      const base = this.cpu.progress;
      for (;;) {
        const r = this.slice(start, base, limit);
        if (r) return r;
        // A halted CPU in real time waits for its next device deadline on the wall clock.
        const wait = this.interpreter.halted && this.clock.realtime ? this.clock.msUntil(this.clock.deadline()) : 0;
        await new Promise<void>((resolve) => (wait > 0 ? setTimeout(resolve, Math.min(wait, 100)) : setImmediate(resolve)));
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Run at most SLICE instructions or deliveries; a result when the run is over.
   * The limit bounds progress from `base` (ARCHITECTURE.md "Progress and the
   * instruction limit"); the result counts instructions retired from `start`.
   */
  private slice(start: number, base: number, maxInstructions: number): RunResult | undefined {
    const c = this.cpu;
    const limit = base + maxInstructions;
    const r = this.advance(Math.min(c.progress + SLICE, limit), start, NEVER);
    if (r) return r;
    if (c.progress >= limit) return { reason: "limit", instructions: c.icount - start };
    return undefined;
  }

  /**
   * The run loop: due devices first, then a pending interrupt when the CPU is
   * interruptible, HLT skipping to the next deadline, else the engine up to the
   * next deadline (or until an interrupt becomes deliverable). Runs until the
   * progress (Cpu.progress) reaches `until`, the guest stops (the result, counted from `start`),
   * or `pause()` answers true after the engine returns. The lockstep comparison
   * (runtime/diff.ts) drives both of its machines through this loop.
   */
  advance(until: number, start: number, pause: () => boolean): RunResult | undefined {
    const c = this.cpu;
    const it = this.interpreter;
    const clock = this.clock;
    const p = this.profiler;
    while (c.progress < until) {
      if (p) {
        p.enter(Activity.DEVICES);
        clock.runDue();
        p.leave();
      } else clock.runDue();
      if (it.nmiDeliverable) {
        p?.enter(Activity.DELIVERY);
        this.irq.takeNmi();
        it.nmi();
        p?.leave();
        continue;
      }
      // Acknowledge only when the CPU takes the interrupt, or the request is lost.
      if (it.irqPending && it.interruptible) {
        p?.enter(Activity.DELIVERY);
        it.interrupt(this.irq.acknowledge());
        p?.leave();
        continue;
      }
      if (it.halted) {
        const deadline = clock.deadline();
        // HLT with interrupts off (or nothing that will ever interrupt) is the end of the run.
        if (!(c.eflagsRaw & IF) || deadline === Infinity) {
          this.emit("halt");
          return { reason: "halt", instructions: c.icount - start };
        }
        if (clock.realtime) {
          if (clock.now() < deadline) return undefined;
          continue;
        }
        clock.skipTo(deadline);
        continue;
      }
      // Run to the next device deadline, stopping early if an interrupt becomes deliverable
      // or the guest asked for something the loop must handle.
      const ahead = Math.max(1, clock.deadline() - clock.now());
      const target = Math.min(until, c.progress + (clock.realtime ? Math.min(ahead, REALTIME_QUANTUM) : ahead));
      if (this.jit) this.jit.runUntil(target, pause === NEVER ? this.shouldStop : () => this.shouldStop() || pause());
      else if (p) this.interpretProfiled(p, target);
      else it.runUntil(target);
      const r = this.checkStop(start);
      if (r) return r;
      // Nothing to stop for: what raised attention (a rescheduled device) is seen to by the loop.
      it.attention = false;
      if (pause()) return undefined;
    }
    return this.checkStop(start);
  }

  private interpretProfiled(p: Profiler, target: number): void {
    const eip = this.cpu.eip;
    const t0 = performance.now();
    p.enter(Activity.INTERPRETER);
    try {
      this.interpreter.runUntil(target);
    } finally {
      p.leave();
      p.pause();
      p.spot(eip, performance.now() - t0, false);
      p.resume();
    }
  }

  /** Where the host's time went since the machine was created (MachineOptions.profile). */
  profile(): ProfileReport {
    const p = this.profiler;
    if (!p) throw new UsageError("profile(): the machine was created without the profile option (createMachine({ profile: true }))");
    const st = this.jit?.stats;
    const retired = st ? { compiled: st.compiledInstructions, interpreted: st.interpretedInstructions } : { compiled: 0, interpreted: this.cpu.icount };
    return p.report(retired, this.cpu.delivered, st?.invalidations.demoted ?? 0);
  }

  private checkStop(start: number): RunResult | undefined {
    const c = this.cpu;
    const instructions = c.icount - start;
    if (this.exitValue !== undefined) return { reason: "exit", exitStatus: this.exitValue, instructions };
    if (c.shutdown || this.resetRequested) {
      const cause = c.shutdown ? "triple-fault" : "guest";
      this.emit("reset", cause);
      this.resetRequested = false;
      this.interpreter.attention = false;
      if (this.reboot && this.rebootHandler) {
        // Virtual time runs on through a reset (device deadlines are in it); the TSC restarts.
        const idle = c.f64[IDLE_SLOTS >> 3];
        const count = c.icount;
        const delivered = c.delivered;
        c.reset();
        c.icount = count;
        c.delivered = delivered;
        c.f64[IDLE_SLOTS >> 3] = idle;
        writeTsc(c, 0);
        this.irq.reset();
        // The loaders write RAM directly: nothing decoded or translated before may survive.
        this.interpreter.decodeCache.clear();
        this.jit?.reset();
        this.rebootHandler();
        return undefined;
      }
      return { reason: cause === "triple-fault" ? "shutdown" : "reset", instructions };
    }
    if (this.stopRequested) {
      this.stopRequested = false;
      this.interpreter.attention = false;
      return { reason: "stopped", instructions };
    }
    return undefined;
  }
}

export function createMachine(opts: MachineOptions = {}, storage: StorageOptions = {}): Machine {
  return new Machine(opts, storage);
}
