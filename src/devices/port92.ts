/**
 * System Control Port A (port 0x92), the "fast A20" and fast-reset port of PS/2
 * and later chipsets: bit 1 gates A20, a 0→1 write of bit 0 resets the CPU. The
 * register keeps what was written (a CPU reset does not clear it), so software
 * writes bit 0 back to 0 before it can reset again.
 */
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

const A20 = 0x02;
const RESET = 0x01;

export class Port92 implements PortDevice {
  static readonly STATE: StateTable = { fields: ["value"], wiring: ["setA20", "reset"] };
  private value = 0;

  constructor(
    private readonly setA20: (enabled: boolean) => void,
    private readonly reset: () => void,
  ) {}

  /** A20 as this port drives it. */
  get a20(): boolean {
    return (this.value & A20) !== 0;
  }

  read8(): number {
    return this.value;
  }

  write8(_port: number, value: number): void {
    const old = this.value;
    this.value = value & 0xff;
    if ((old ^ value) & A20) this.setA20(this.a20);
    if (value & RESET && !(old & RESET)) this.reset();
  }
}
