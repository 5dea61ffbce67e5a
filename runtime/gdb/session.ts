/**
 * One debugger's conversation with the machine: the GDB remote serial protocol
 * in all-stop mode with one thread (gdb's manual, "Remote Protocol"). The
 * machine is stopped while commands are handled; `c`, `s` and `vCont` resume it
 * through the run loop, which reports the next stop (or the end of the run).
 */
import { Sreg } from "../../src/cpu/layout.js";
import type { Machine, RunResult } from "../machine.js";
import { escapeReserved, frame, fromHex, hexNumber, MAX_PACKET, PacketReader, toHex, unescapeBinary } from "./packet.js";
import { readAll, REGISTERS, writeAll } from "./registers.js";
import { DebugTarget, MAX_WATCH, type StopEvent, SIGTRAP, type WatchKind } from "./target.js";
import { ANNEXES } from "./tdesc.js";

/** Where the session's bytes go and how it learns the connection ended. */
export interface Transport {
  write(data: string): void;
  close(): void;
}

export interface SessionOptions {
  /** Instructions the whole run may retire (from the start of the session). */
  maxInstructions: number;
  /** The `W` status reported to gdb when the run ends this way. */
  exitCode(r: RunResult): number;
}

/** Instructions per slice of the run loop, between looks at the event loop (Ctrl-C, a disconnect). */
const SLICE = 1 << 20;
const WATCH_KINDS: Record<string, WatchKind> = { "2": "watch", "3": "rwatch", "4": "awatch" };
const E_INVALID = "E01";
const E_FAULT = "E0e";

type State = "stopped" | "running" | "detached" | "ended";

export class Session {
  private readonly reader = new PacketReader();
  private readonly target: DebugTarget;
  private state: State = "stopped";
  private noAck = false;
  private lastReply = "";
  private lastStop: StopEvent = { signal: SIGTRAP };
  private readonly start: number;
  private readonly limit: number;
  private finish!: (r: RunResult) => void;
  /** Settles with the run's result once the guest stops for good or gdb kills it. */
  readonly done: Promise<RunResult>;
  /** The run loop is going (it continues across a detach). */
  private looping = false;

  constructor(
    private readonly m: Machine,
    private readonly io: Transport,
    private readonly opts: SessionOptions,
  ) {
    this.target = new DebugTarget(m);
    this.start = m.cpu.icount;
    this.limit = this.start + opts.maxInstructions;
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  /** Bytes from the debugger. */
  receive(bytes: Uint8Array): void {
    for (const e of this.reader.feed(bytes)) {
      switch (e.kind) {
        case "packet": {
          if (!this.noAck) this.io.write("+");
          const reply = this.handle(e.payload);
          if (reply !== undefined) this.send(reply);
          break;
        }
        case "corrupt":
          if (!this.noAck) this.io.write("-");
          break;
        case "nak":
          if (this.lastReply) this.io.write(this.lastReply);
          break;
        case "interrupt":
          if (this.state === "running") this.target.interrupt();
          break;
        case "ack":
          break;
      }
    }
  }

  /** The connection is gone: without a debugger the guest runs on to its end. */
  disconnected(): void {
    if (this.state === "stopped" || this.state === "running") this.detach();
  }

  private send(payload: string): void {
    this.lastReply = frame(payload);
    this.io.write(this.lastReply);
  }

  /** The reply to one packet; undefined when it comes later (a resume's stop reply). */
  private handle(p: string): string | undefined {
    if (this.state === "ended" || this.state === "detached") return E_INVALID;
    const cmd = p[0];
    const rest = p.slice(1);
    switch (cmd) {
      case "?":
        return this.stopReply(this.lastStop);
      case "g":
        return p === "g" ? toHex(readAll(this.m.cpu)) : E_INVALID;
      case "G": {
        const bytes = fromHex(rest);
        return bytes && writeAll(this.m.cpu, bytes) ? "OK" : E_INVALID;
      }
      case "p": {
        const n = hexNumber(rest);
        return n !== undefined && n < REGISTERS.length ? toHex(REGISTERS[n].read(this.m.cpu)) : E_INVALID;
      }
      case "P": {
        const [num, value] = rest.split("=");
        const n = hexNumber(num);
        const bytes = value !== undefined ? fromHex(value) : undefined;
        if (n === undefined || n >= REGISTERS.length || !bytes || bytes.length !== REGISTERS[n].bytes) return E_INVALID;
        return REGISTERS[n].write(this.m.cpu, bytes) ? "OK" : E_INVALID;
      }
      case "m": {
        const [addr, len] = this.addressLength(rest);
        if (addr === undefined || len === undefined || len > MAX_PACKET / 2) return E_INVALID;
        const data = this.target.readMemory(addr, len);
        return data.length > 0 || len === 0 ? toHex(data) : E_FAULT;
      }
      case "M":
      case "X": {
        const colon = rest.indexOf(":");
        if (colon < 0) return E_INVALID;
        const [addr, len] = this.addressLength(rest.slice(0, colon));
        const body = rest.slice(colon + 1);
        const data = cmd === "M" ? fromHex(body) : unescapeBinary(body);
        if (addr === undefined || len === undefined || !data || data.length !== len) return E_INVALID;
        return this.target.writeMemory(addr, data) ? "OK" : E_FAULT;
      }
      case "Z":
      case "z":
        return this.point(cmd === "Z", rest);
      case "c":
      case "s":
        return this.resume(cmd === "s", rest);
      case "C":
      case "S": {
        // The signal is the guest's business: nothing to deliver to a bare machine.
        const semi = rest.indexOf(";");
        if (hexNumber(semi < 0 ? rest : rest.slice(0, semi)) === undefined) return E_INVALID;
        return this.resume(cmd === "S", semi < 0 ? "" : rest.slice(semi + 1));
      }
      case "v":
        return this.vPacket(p);
      case "q":
      case "Q":
        return this.query(p);
      case "H":
        return "OK";
      case "T":
        return "OK";
      case "D":
        this.send("OK");
        this.detach();
        return undefined;
      case "k":
        this.kill();
        return undefined;
      default:
        return "";
    }
  }

  private addressLength(text: string): [number | undefined, number | undefined] {
    const [a, l, extra] = text.split(",");
    if (extra !== undefined || l === undefined) return [undefined, undefined];
    return [hexNumber(a), hexNumber(l)];
  }

  private point(insert: boolean, args: string): string {
    const [type, a, kind, ...conds] = args.split(/[,;]/);
    const addr = hexNumber(a ?? "");
    const len = hexNumber(kind ?? "");
    if (addr === undefined || len === undefined || conds.some((c) => c.length === 0)) return E_INVALID;
    const t = this.target;
    if (type === "0" || type === "1") {
      if (insert) t.addBreakpoint(addr | 0, type === "1");
      else t.removeBreakpoint(addr | 0, type === "1");
      return "OK";
    }
    const watch = WATCH_KINDS[type];
    if (!watch) return "";
    if (len < 1 || len > MAX_WATCH) return E_INVALID;
    if (!insert) {
      t.removeWatch(watch, addr, len);
      return "OK";
    }
    return t.addWatch(watch, addr, len) ? "OK" : E_FAULT;
  }

  private query(p: string): string | undefined {
    if (p.startsWith("qSupported")) {
      return `PacketSize=${MAX_PACKET.toString(16)};qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+`;
    }
    if (p === "QStartNoAckMode") {
      this.send("OK");
      this.noAck = true;
      return undefined;
    }
    if (p.startsWith("qXfer:features:read:")) {
      const [annex, range] = p.slice("qXfer:features:read:".length).split(":");
      const text = ANNEXES.get(annex);
      const [off, len] = this.addressLength(range ?? "");
      if (text === undefined) return "E00";
      if (off === undefined || len === undefined) return E_INVALID;
      const chunk = text.slice(off, off + len);
      return (off + len >= text.length ? "l" : "m") + escapeReserved(chunk);
    }
    switch (p) {
      case "qAttached":
        return "1";
      case "qC":
        return "QC01";
      case "qfThreadInfo":
        return "m01";
      case "qsThreadInfo":
        return "l";
      default:
        return "";
    }
  }

  private vPacket(p: string): string | undefined {
    if (p === "vCont?") return "vCont;c;C;s;S";
    if (p.startsWith("vCont;")) {
      // One thread: the first action that applies to it (all of them do) decides.
      const action = p.slice(6).split(";")[0].split(":")[0];
      if (/^[cC]([0-9a-fA-F]{2})?$/.test(action)) return this.resume(false, "");
      if (/^[sS]([0-9a-fA-F]{2})?$/.test(action)) return this.resume(true, "");
      return E_INVALID;
    }
    if (p.startsWith("vKill")) {
      this.send("OK");
      this.kill();
      return undefined;
    }
    return "";
  }

  private stopReply(e: StopEvent): string {
    let s = `T${e.signal.toString(16).padStart(2, "0")}thread:01;`;
    if (e.watch) s += `${e.watch.kind}:${(e.watch.addr >>> 0).toString(16)};`;
    else if (e.cause) s += `${e.cause}:;`;
    return s;
  }

  // ---- running -------------------------------------------------------------

  private resume(step: boolean, addr: string): string | undefined {
    // All-stop: the machine is already running until it reports a stop.
    if (this.state === "running") return E_INVALID;
    if (addr !== "") {
      const a = hexNumber(addr);
      if (a === undefined) return E_INVALID;
      this.m.cpu.eip = (a - this.m.cpu.segBase(Sreg.CS)) | 0;
    }
    this.target.resume(step);
    this.state = "running";
    if (!this.looping) void this.run();
    return undefined;
  }

  private detach(): void {
    this.target.release();
    this.state = "detached";
    this.io.close();
    if (!this.looping) void this.run();
  }

  private kill(): void {
    this.state = "ended";
    this.target.release();
    this.io.close();
    this.finish({ reason: "stopped", instructions: this.m.cpu.icount - this.start });
  }

  private readonly pause = (): boolean => this.target.pending !== null;

  /** The run loop: slices of the machine's loop until a stop for the debugger or the end of the run. */
  private async run(): Promise<void> {
    const m = this.m;
    const c = m.cpu;
    this.looping = true;
    try {
      while (this.state === "running" || this.state === "detached") {
        const stop = this.target.pending;
        if (stop !== null && this.state === "running") {
          this.target.pending = null;
          this.lastStop = stop;
          this.state = "stopped";
          this.send(this.stopReply(stop));
          return;
        }
        const r =
          m.advance(Math.min(c.icount + SLICE, this.limit), this.start, this.pause) ??
          (c.icount >= this.limit ? { reason: "limit" as const, instructions: c.icount - this.start } : undefined);
        if (r) {
          this.end(r);
          return;
        }
        // A halted CPU in real time waits for its next device deadline on the wall clock, as run() does.
        const wait = m.interpreter.halted && m.clock.realtime ? m.clock.msUntil(m.clock.deadline()) : 0;
        await new Promise<void>((resolve) => (wait > 0 ? setTimeout(resolve, Math.min(wait, 100)) : setImmediate(resolve)));
      }
    } finally {
      this.looping = false;
    }
  }

  private end(r: RunResult): void {
    if (this.state === "running") {
      this.send(`W${(this.opts.exitCode(r) & 0xff).toString(16).padStart(2, "0")}`);
      this.io.close();
    }
    this.state = "ended";
    this.finish(r);
  }
}
