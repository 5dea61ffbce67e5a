/**
 * The MultiProcessor Specification 1.4 tables firmware leaves for an operating
 * system to find the APICs: a floating pointer in the BIOS area (0xF0000-0xFFFFF,
 * where Linux and others scan for "_MP_") and a configuration table after it
 * with one processor, the ISA bus, the I/O APIC, how each ISA IRQ reaches an I/O
 * APIC pin (IRQ 0 on pin 2, the 8259's INTR as ExtINT on pin 0) and the local
 * interrupts of virtual-wire mode (LINT0 ExtINT, LINT1 NMI). Used by the direct
 * loaders, which stand in for firmware.
 */
import type { Cpu } from "../cpu/cpu.js";
import { RAM_BASE } from "../cpu/layout.js";
import type { ApicTopology } from "../devices/irqrouter.js";
import { CPU_FEATURES, CPU_SIGNATURE, EDX_APIC } from "../interp/misc.js";

/** Where the floating pointer goes (the configuration table follows it); reserved in the loaders' memory maps. */
export const MP_FLOATING_ADDR = 0xf0000;
/** Bytes the tables take from MP_FLOATING_ADDR at most. */
export const MP_TABLES_MAX = 0x400;

const enum Entry {
  PROCESSOR = 0,
  BUS = 1,
  IOAPIC = 2,
  IO_INTERRUPT = 3,
  LOCAL_INTERRUPT = 4,
}
const enum IntType {
  INT = 0,
  NMI = 1,
  EXTINT = 3,
}
const ISA_BUS = 0;

function ascii(s: string, n: number): number[] {
  return Array.from({ length: n }, (_, k) => (k < s.length ? s.charCodeAt(k) : 0x20));
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return -sum & 0xff;
}

/** The configuration table's entries, in the order the specification requires. */
function entries(t: ApicTopology): number[][] {
  const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  const out: number[][] = [];
  // Enabled, bootstrap processor.
  out.push([Entry.PROCESSOR, 0, t.lapicVersion, 0x03, ...u32(CPU_SIGNATURE), ...u32(CPU_FEATURES | EDX_APIC), ...Array(8).fill(0)]);
  out.push([Entry.BUS, ISA_BUS, ...ascii("ISA", 6)]);
  out.push([Entry.IOAPIC, t.ioapicId, t.ioapicVersion, 0x01, ...u32(t.ioapicBase)]);
  // Polarity and trigger "conform to the bus" (ISA: active high, edge).
  out.push([Entry.IO_INTERRUPT, IntType.EXTINT, 0, 0, ISA_BUS, 0, t.ioapicId, t.extIntPin]);
  t.isaPins.forEach((pin, irq) => {
    if (pin >= 0) out.push([Entry.IO_INTERRUPT, IntType.INT, 0, 0, ISA_BUS, irq, t.ioapicId, pin]);
  });
  out.push([Entry.LOCAL_INTERRUPT, IntType.EXTINT, 0, 0, ISA_BUS, 0, 0xff, 0]);
  out.push([Entry.LOCAL_INTERRUPT, IntType.NMI, 0, 0, ISA_BUS, 0, 0xff, 1]);
  return out;
}

/** Writes the floating pointer at `at` and the configuration table right after it; returns the bytes used. */
export function writeMpTables(cpu: Cpu, t: ApicTopology, at = MP_FLOATING_ADDR): number {
  const list = entries(t);
  const length = 44 + list.reduce((n, e) => n + e.length, 0);
  const tableAt = at + 16;
  if (16 + length > MP_TABLES_MAX || tableAt + length > cpu.ramBytes) throw new RangeError("MP tables do not fit");
  const table = new Uint8Array(length);
  const dv = new DataView(table.buffer);
  table.set(ascii("PCMP", 4), 0);
  dv.setUint16(4, length, true);
  table[6] = 4; // specification 1.4
  table.set(ascii("JIT386", 8), 8);
  table.set(ascii("PC", 12), 16);
  dv.setUint16(34, list.length, true);
  dv.setUint32(36, t.lapicBase, true);
  let o = 44;
  for (const e of list) {
    table.set(e, o);
    o += e.length;
  }
  table[7] = checksum(table);

  const fp = new Uint8Array(16);
  fp.set(ascii("_MP_", 4), 0);
  new DataView(fp.buffer).setUint32(4, tableAt, true);
  fp[8] = 1; // length in 16-byte units
  fp[9] = 4;
  // Feature bytes 0: the configuration table is present, no IMCR (virtual-wire mode).
  fp[10] = checksum(fp);
  cpu.u8.set(fp, RAM_BASE + at);
  cpu.u8.set(table, RAM_BASE + tableAt);
  return 16 + length;
}
