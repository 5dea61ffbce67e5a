/**
 * The errors a caller or user causes, as the public API throws them: one-line
 * messages, never a stack trace on the command line (which exits with `exitCode`).
 */

/** A bad argument, option or call (an out-of-range value, a second run while one is active, ...). */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** A snapshot that cannot be restored: not a snapshot, cut off, damaged, another format version, or taken with other drives. */
export class SnapshotError extends UsageError {
  override name = "SnapshotError";
}

/** A guest image (or initrd) that cannot be read or booted: unreadable, unrecognised, truncated, unsupported. */
export class ImageError extends UsageError {
  override name = "ImageError";
}
