/** QEMU's fw_cfg interface: items and files through the ports and by DMA. */
import { describe, expect, it } from "vitest";
import type { DmaBus } from "../../src/cpu/bus.js";
import { FwCfg, FwCfgItem, le32 } from "../../src/devices/fwcfg.js";
import { IoPortBus } from "../../src/devices/portbus.js";

function rig() {
  const mem = new Uint8Array(0x10000);
  const dma: DmaBus = {
    readPhysBytes: (pa, out) => out.set(mem.subarray(pa, pa + out.length)),
    writePhysBytes: (pa, data) => mem.set(data, pa),
  };
  const f = new FwCfg(dma);
  const ports = new IoPortBus();
  ports.register(0x510, 2, f);
  ports.register(0x514, 8, f);
  const read = (key: number, n: number) => {
    ports.out16(0x510, key);
    return Uint8Array.from({ length: n }, () => ports.in8(0x511));
  };
  return { f, ports, mem, read };
}

describe("fw_cfg", () => {
  it("signature, feature bits with DMA, and the DMA signature", () => {
    const { ports, read } = rig();
    expect(new TextDecoder().decode(read(FwCfgItem.SIGNATURE, 4))).toBe("QEMU");
    expect(read(FwCfgItem.ID, 4)).toEqual(le32(3));
    expect(ports.in32(0x514) >>> 0).toBe(0x51454d55);
    expect(ports.in32(0x518) >>> 0).toBe(0x20434647);
  });

  it("the file directory lists files big-endian; a file reads from its selector; reads past the end give 0", () => {
    const { f, read } = rig();
    f.addFile("etc/one", Uint8Array.of(1, 2, 3));
    f.addFile("bootorder", new TextEncoder().encode("/x\n"));
    const dir = read(FwCfgItem.FILE_DIR, 4 + 2 * 64);
    const v = new DataView(dir.buffer);
    expect(v.getUint32(0)).toBe(2);
    expect(v.getUint32(4)).toBe(3);
    const select = v.getUint16(8);
    expect(new TextDecoder().decode(dir.subarray(12, 19))).toBe("etc/one");
    expect(dir[19]).toBe(0);
    expect(read(select, 5)).toEqual(Uint8Array.of(1, 2, 3, 0, 0));
    expect(read(0x7777, 2)).toEqual(Uint8Array.of(0, 0));
  });

  it("a DMA descriptor selects, reads into memory and clears its control word", () => {
    const { f, ports, mem } = rig();
    f.addFile("etc/data", Uint8Array.of(9, 8, 7, 6, 5));
    const d = new DataView(mem.buffer);
    // control: select 0x20 | SELECT | READ; 4 bytes to 0x2000.
    d.setUint32(0x1000, (0x20 << 16) | 0x08 | 0x02);
    d.setUint32(0x1004, 4);
    d.setUint32(0x1008, 0);
    d.setUint32(0x100c, 0x2000);
    ports.out32(0x514, 0);
    // The address is written big-endian.
    ports.out32(0x518, 0x00100000);
    expect(mem.subarray(0x2000, 0x2004)).toEqual(Uint8Array.of(9, 8, 7, 6));
    expect(d.getUint32(0x1000)).toBe(0);
    // A write transfer is refused with the error bit.
    d.setUint32(0x1000, 0x10);
    ports.out32(0x518, 0x00100000);
    expect(d.getUint32(0x1000)).toBe(1);
  });
});
