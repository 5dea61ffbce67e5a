/**
 * The CPU state the 32-bit boot protocols (multiboot, Linux) hand over: protected
 * mode with flat 4 GiB code and data segments, paging and interrupts off, A20 on.
 */
import { ATTR_DB, ATTR_G, type Cpu, CR0_ET, CR0_PE } from "../cpu/cpu.js";
import { IF, VM } from "../cpu/flags.js";
import { Sreg } from "../cpu/layout.js";
import { setA20 } from "../cpu/paging.js";

export function enterFlatProtectedMode(cpu: Cpu, codeSelector: number, dataSelector: number, entry: number): void {
  cpu.setSegmentCache(Sreg.CS, codeSelector, 0, -1, 0x9b | ATTR_DB | ATTR_G);
  for (const s of [Sreg.ES, Sreg.SS, Sreg.DS, Sreg.FS, Sreg.GS]) cpu.setSegmentCache(s, dataSelector, 0, -1, 0x93 | ATTR_DB | ATTR_G);
  cpu.cr0 = CR0_PE | CR0_ET;
  cpu.cpl = 0;
  cpu.setEflagsMasked(0, IF | VM);
  setA20(cpu, true);
  cpu.eip = entry;
}
