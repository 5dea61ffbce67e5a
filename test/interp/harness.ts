/**
 * A tiny machine for interpreter tests: 1 MiB of RAM, a CPU in 32-bit flat
 * protected mode (CPL 0) or in real mode, code loaded at CODE and run
 * instruction by instruction through the Interpreter.
 */
import { CR0_PE, Cpu } from "../../src/cpu/cpu.js";
import type { PortBus } from "../../src/cpu/bus.js";
import { FAULT } from "../../src/cpu/exceptions.js";
import { ARITH } from "../../src/cpu/flags.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { Interpreter } from "../../src/interp/interpreter.js";

export const RAM_BYTES = 1 << 20;
/** Where `exec` loads code (protected mode: offset in the flat segments; real mode: offset in CS = 0). */
export const CODE = 0x1000;
/** Initial stack pointer. */
export const STACK_TOP = 0x8000;
/** A scratch data area well away from code and stack. */
export const DATA = 0x10000;

export const ATTR_CODE32 = 0xc09b;
export const ATTR_DATA32 = 0xc093;

export interface Machine {
  cpu: Cpu;
  interp: Interpreter;
}

/** 32-bit flat protected mode, CPL 0, every segment base 0 limit 4 GiB. */
export function protectedMachine(): Machine {
  const cpu = new Cpu({ ramBytes: RAM_BYTES });
  cpu.cr0 = cpu.cr0 | CR0_PE;
  for (let s = 0; s < 6; s++) {
    if (s === Sreg.CS) cpu.setSegmentCache(s, 0x08, 0, -1, ATTR_CODE32);
    else cpu.setSegmentCache(s, 0x10, 0, -1, ATTR_DATA32);
  }
  cpu.cpl = 0;
  cpu.eip = CODE;
  cpu.setReg32(Reg.ESP, STACK_TOP);
  return { cpu, interp: new Interpreter(cpu) };
}

/** Real mode with every segment register 0 and 64 KiB limits. */
export function realMachine(): Machine {
  const cpu = new Cpu({ ramBytes: RAM_BYTES });
  for (let s = 0; s < 6; s++) cpu.loadSegmentReal(s, 0);
  cpu.eip = CODE;
  cpu.setReg32(Reg.ESP, STACK_TOP);
  return { cpu, interp: new Interpreter(cpu) };
}

/** Copy bytes into guest physical memory, forgetting instructions decoded from the frames written. */
export function load(m: Machine, addr: number, bytes: readonly number[]): void {
  for (let k = 0; k < bytes.length; k++) m.cpu.writePhys8(addr + k, bytes[k]);
  if (bytes.length === 0) return;
  for (let f = addr >>> 12; f <= (addr + bytes.length - 1) >>> 12; f++) m.interp.decodeCache.invalidateFrame(f);
}

/** Execute `n` instructions from the current CS:EIP; a fault propagates as FAULT. */
export function run(m: Machine, n = 1): void {
  for (let k = 0; k < n; k++) m.interp.executeOne();
}

/** Load `bytes` at CODE (CS base 0), point EIP there and execute `n` instructions. */
export function exec(m: Machine, bytes: readonly number[], n = 1): void {
  load(m, CODE, bytes);
  m.cpu.eip = CODE;
  run(m, n);
}

/** Like exec, but returns the vector of the fault raised (-1 when none). */
export function execFault(m: Machine, bytes: readonly number[], n = 1): number {
  try {
    exec(m, bytes, n);
  } catch (e) {
    if (e !== FAULT) throw e;
    return FAULT.vector;
  }
  return -1;
}

/** The error code of the last fault caught by execFault. */
export function lastErrorCode(): number {
  return FAULT.errorCode;
}

/** Read a little-endian value of `size` bits from guest physical memory. */
export function peek(m: Machine, addr: number, size: number): number {
  return size === 32 ? m.cpu.readPhys32(addr) : size === 16 ? m.cpu.readPhys16(addr) : m.cpu.readPhys8(addr);
}

/** Write a little-endian value of `size` bits to guest physical memory. */
export function poke(m: Machine, addr: number, size: number, v: number): void {
  if (size === 32) m.cpu.writePhys32(addr, v);
  else if (size === 16) m.cpu.writePhys16(addr, v);
  else m.cpu.writePhys8(addr, v);
}

/** The six status flags of EFLAGS. */
export function arith(m: Machine): number {
  return m.cpu.getEflags() & 0x8d5;
}

/** One port access seen by RecordingPorts. */
export interface PortAccess {
  dir: "in" | "out";
  port: number;
  size: 8 | 16 | 32;
  value: number;
}

/**
 * A port bus that logs every access. Reads return the next value queued for the
 * port with `feed`, else all ones (a floating bus).
 */
export class RecordingPorts implements PortBus {
  readonly log: PortAccess[] = [];
  private readonly queued = new Map<number, number[]>();

  feed(port: number, ...values: number[]): void {
    const q = this.queued.get(port) ?? [];
    q.push(...values);
    this.queued.set(port, q);
  }

  private read(port: number, size: 8 | 16 | 32): number {
    const all = size === 32 ? -1 : (1 << size) - 1;
    const v = (this.queued.get(port)?.shift() ?? all) & all;
    this.log.push({ dir: "in", port, size, value: v });
    return v;
  }
  private write(port: number, size: 8 | 16 | 32, value: number): void {
    this.log.push({ dir: "out", port, size, value });
  }

  in8(port: number): number {
    return this.read(port, 8);
  }
  in16(port: number): number {
    return this.read(port, 16);
  }
  in32(port: number): number {
    return this.read(port, 32);
  }
  out8(port: number, value: number): void {
    this.write(port, 8, value);
  }
  out16(port: number, value: number): void {
    this.write(port, 16, value);
  }
  out32(port: number, value: number): void {
    this.write(port, 32, value);
  }
}

/**
 * One instruction checked against values recorded on the reference CPU: inputs
 * EAX ECX EDX and the six status flags, then either the outputs (EAX ECX EDX and
 * the six status flags) or the name of the fault raised ("#DE", "#GP", ...).
 */
export type OracleRow =
  | readonly [name: string, code: readonly number[], eax: number, ecx: number, edx: number, flags: number, outEax: number, outEcx: number, outEdx: number, outFlags: number]
  | readonly [name: string, code: readonly number[], eax: number, ecx: number, edx: number, flags: number, fault: string];

const FAULT_NAMES: Record<string, number> = { "#DE": 0, "#UD": 6, "#SS": 12, "#GP": 13, "#PF": 14 };

const hex = (v: number) => "0x" + (v >>> 0).toString(16);

/**
 * Run an OracleRow on `m` (registers other than EAX ECX EDX keep their values) and
 * return [actual, expected] as hex strings, ready for toEqual. On a fault the
 * registers and flags must be unchanged.
 */
export function oracleResult(m: Machine, row: OracleRow): [string[], string[]] {
  const [, code, eax, ecx, edx, flags] = row;
  const c = m.cpu;
  c.setReg32(Reg.EAX, eax);
  c.setReg32(Reg.ECX, ecx);
  c.setReg32(Reg.EDX, edx);
  c.setEflagsMasked(flags, ARITH);
  const vector = execFault(m, code);
  const actual = [vector === -1 ? "ok" : `vector ${vector}`, hex(c.reg32(Reg.EAX)), hex(c.reg32(Reg.ECX)), hex(c.reg32(Reg.EDX)), hex(arith(m))];
  if (row.length === 7) return [actual, [`vector ${FAULT_NAMES[row[6]]}`, hex(eax), hex(ecx), hex(edx), hex(flags)]];
  return [actual, ["ok", hex(row[6]), hex(row[7]), hex(row[8]), hex(row[9])]];
}
