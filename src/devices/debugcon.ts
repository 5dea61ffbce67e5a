/** Port 0xE9 debug console: every byte written goes to the sink; reads return 0xE9 (as Bochs and QEMU do, so guests can detect it). */
import type { PortDevice } from "./portbus.js";

export class DebugConsole implements PortDevice {
  constructor(private readonly sink: (byte: number) => void) {}
  read8(): number {
    return 0xe9;
  }
  write8(_port: number, value: number): void {
    this.sink(value);
  }
}
