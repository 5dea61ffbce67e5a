/** Port 0x80 POST-code port: every byte written is reported; reads return the last one (0xFF before any write, as a floating bus). */
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

export class PostCodePort implements PortDevice {
  static readonly STATE: StateTable = { fields: ["last"], wiring: ["onCode"] };
  private last = 0xff;

  constructor(private readonly onCode: (code: number) => void) {}

  read8(): number {
    return this.last;
  }

  write8(_port: number, value: number): void {
    this.last = value & 0xff;
    this.onCode(this.last);
  }
}
