/**
 * Port 0xF4 exit device (QEMU's isa-debug-exit semantics): writing v ends the run
 * with status (v << 1) | 1, so a guest can report success or failure to the host.
 */
import type { PortDevice } from "./portbus.js";

export class ExitPort implements PortDevice {
  constructor(private readonly onExit: (status: number) => void) {}
  write8(_port: number, value: number): void {
    this.onExit(((value & 0xff) << 1) | 1);
  }
  write16(_port: number, value: number): void {
    this.onExit(((value & 0xffff) << 1) | 1);
  }
  write32(_port: number, value: number): void {
    this.onExit((((value >>> 0) << 1) | 1) >>> 0);
  }
}
