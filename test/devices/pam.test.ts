/** The 440FX PAM: shadow RAM of 0xC0000-0xFFFFF against the BIOS flash, through the CPU's physical access. */
import { describe, expect, it } from "vitest";
import { Cpu } from "../../src/cpu/cpu.js";
import { PamShadow } from "../../src/devices/pam.js";
import { Interpreter } from "../../src/interp/interpreter.js";

function rig() {
  const cpu = new Cpu({ ramBytes: 2 << 20 });
  const flash = new Uint8Array(0x40000);
  for (let k = 0; k < flash.length; k++) flash[k] = (k >> 8) & 0xff;
  const pam = new PamShadow(cpu, flash, cpu.mmio);
  cpu.mmio = pam;
  return { cpu, pam, flash };
}

describe("PAM shadow", () => {
  it("at power-on 0xE0000-0xFFFFF reads the flash's last 128 KiB, 0xC0000-0xDFFFF floats, writes vanish", () => {
    const { cpu, flash } = rig();
    expect(cpu.readPhys8(0xfffff)).toBe(flash[0x3ffff]);
    expect(cpu.readPhys8(0xe0100)).toBe(flash[0x20100]);
    expect(cpu.readPhys8(0xc0000)).toBe(0xff);
    cpu.writePhys32(0xf0000, 0x12345678);
    expect(cpu.readPhys32(0xf0000)).toBe(flash[0x30000] * 0x01010101);
  });

  it("read/write, read-only and write-only shadow RAM", () => {
    const { cpu, pam, flash } = rig();
    pam.writeRegister(0, 0x30);
    expect(cpu.readPhys8(0xf1234)).toBe(0);
    cpu.writePhys16(0xf1234, 0xbeef);
    expect(cpu.readPhys16(0xf1234)).toBe(0xbeef);
    // Read-only: the shadow is kept, writes vanish.
    pam.writeRegister(0, 0x10);
    cpu.writePhys16(0xf1234, 0x1111);
    expect(cpu.readPhys16(0xf1234)).toBe(0xbeef);
    // Write-only: reads see the flash again, writes reach the shadow behind it.
    pam.writeRegister(0, 0x20);
    expect(cpu.readPhys8(0xf1234)).toBe(flash[0x31234]);
    cpu.writePhys8(0xf1234, 0x77);
    expect(cpu.readPhys8(0xf1234)).toBe(flash[0x31234]);
    pam.writeRegister(0, 0x30);
    expect(cpu.readPhys16(0xf1234)).toBe(0xbe77);
    expect(pam.register(0)).toBe(0x30);
  });

  it("each nibble of PAM1-PAM6 maps its own 16 KiB segment", () => {
    const { cpu, pam } = rig();
    pam.writeRegister(3, 0x03); // 0xD0000-0xD3FFF read/write, 0xD4000-0xD7FFF to the bus
    cpu.writePhys8(0xd0010, 0x5a);
    cpu.writePhys8(0xd4010, 0x5a);
    expect(cpu.readPhys8(0xd0010)).toBe(0x5a);
    expect(cpu.readPhys8(0xd4010)).toBe(0xff);
    expect(pam.register(3)).toBe(0x03);
  });

  it("a device's DMA write into a read-only segment vanishes too", () => {
    const { cpu, pam } = rig();
    pam.writeRegister(6, 0x11);
    cpu.writePhysBytes(0xec000, Uint8Array.of(1, 2, 3, 4));
    expect(cpu.readPhys32(0xec000)).toBe(0);
  });

  it("remapping drops instructions decoded from the segment", () => {
    const { cpu, pam } = rig();
    const it = new Interpreter(cpu);
    pam.writeRegister(0, 0x30);
    // inc ecx at F000:0100, run once decoded from shadow RAM.
    cpu.writePhys8(0xf0100, 0x41);
    cpu.loadSegmentReal(1, 0xf000);
    cpu.eip = 0x100;
    it.executeOne();
    expect(cpu.reg32(1)).toBe(1);
    // Back to the flash: the byte there is (0x30100 >> 8) & 0xff = 0x01, "add r/m, r", not "inc ecx".
    pam.writeRegister(0, 0x00);
    cpu.eip = 0x100;
    const before = it.decodeCache.misses;
    it.executeOne();
    expect(it.decodeCache.misses).toBe(before + 1);
    expect(cpu.reg32(1)).toBe(1);
  });
});
