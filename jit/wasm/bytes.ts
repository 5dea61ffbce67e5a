/**
 * A growable byte buffer with the encodings the Wasm binary format uses
 * (unsigned and signed LEB128, IEEE doubles, names). One buffer is reused for
 * every module a builder writes, so translation allocates only when a module is
 * larger than any before it.
 */
export class ByteWriter {
  bytes: Uint8Array;
  length = 0;
  private readonly f64Scratch = new Float64Array(1);
  private readonly f64Bytes = new Uint8Array(this.f64Scratch.buffer);

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
  }

  reset(): void {
    this.length = 0;
  }

  private grow(extra: number): void {
    let cap = this.bytes.length;
    while (cap < this.length + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  byte(b: number): void {
    if (this.length === this.bytes.length) this.grow(1);
    this.bytes[this.length++] = b;
  }

  u32(v: number): void {
    if (this.length + 5 > this.bytes.length) this.grow(5);
    const b = this.bytes;
    let n = v >>> 0;
    while (n >= 0x80) {
      b[this.length++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[this.length++] = n;
  }

  i32(v: number): void {
    if (this.length + 5 > this.bytes.length) this.grow(5);
    const b = this.bytes;
    let n = v | 0;
    for (;;) {
      const low = n & 0x7f;
      n >>= 7;
      if ((n === 0 && (low & 0x40) === 0) || (n === -1 && (low & 0x40) !== 0)) {
        b[this.length++] = low;
        return;
      }
      b[this.length++] = low | 0x80;
    }
  }

  f64(v: number): void {
    if (this.length + 8 > this.bytes.length) this.grow(8);
    // Wasm stores doubles little-endian, as every host Node runs on does.
    this.f64Scratch[0] = v;
    for (let k = 0; k < 8; k++) this.bytes[this.length++] = this.f64Bytes[k];
  }

  name(s: string): void {
    this.u32(s.length);
    for (let k = 0; k < s.length; k++) this.byte(s.charCodeAt(k));
  }

  append(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.length + n > this.bytes.length) this.grow(n);
    this.bytes.set(src.subarray(start, end), this.length);
    this.length += n;
  }

  /**
   * Reserve a five-byte unsigned LEB128 to be patched with `patchSize` once the
   * bytes after it are written (the format allows padded LEBs, so sizes need no
   * second pass).
   */
  reserveSize(): number {
    if (this.length + 5 > this.bytes.length) this.grow(5);
    const at = this.length;
    this.length += 5;
    return at;
  }

  patchSize(at: number): void {
    let n = this.length - at - 5;
    for (let k = 0; k < 4; k++) {
      this.bytes[at + k] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.bytes[at + 4] = n & 0x7f;
  }

  /** A copy of the bytes written. */
  take(): Uint8Array<ArrayBuffer> {
    return this.bytes.slice(0, this.length);
  }
}
