/** A machine's figures as `jit386 run --stats` prints them and `Machine.stats()` returns them. */
import { JitEngine } from "./jit.js";
import type { Machine } from "./machine.js";
import type { MachineStats } from "./types.js";

export function machineStats(m: Machine): MachineStats {
  const dc = m.interpreter.decodeCache;
  return {
    instructions: m.instructionCount,
    delivered: m.cpu.delivered,
    virtualSeconds: m.clock.now() / m.clock.ips,
    engine: m.engine.name,
    ...(m.engine instanceof JitEngine ? { jit: m.engine.stats.toJSON() } : {}),
    descriptorShadow: { ...m.cpu.descriptorShadow.stats },
    decodeCache: { hits: dc.hits, misses: dc.misses, invalidations: dc.invalidations, evictions: dc.evictions, size: dc.size },
    devices: {
      unhandledPortReads: m.ports.unhandledReads,
      unhandledPortWrites: m.ports.unhandledWrites,
      pitIrqs: m.pit.irqsRaised,
      spuriousIrqs: m.pic.spuriousCount,
      serialBytesOut: m.com1.transmitted,
    },
  };
}

/**
 * JSON with measured figures rounded for reading: fractions to three significant
 * digits, values from 1000 up to whole numbers; integers (counts) unchanged.
 */
export function roundedJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v !== "number" || Number.isInteger(v) || !Number.isFinite(v)) return v;
      return Math.abs(v) >= 1000 ? Math.round(v) : Number(v.toPrecision(3));
    },
    2,
  );
}
