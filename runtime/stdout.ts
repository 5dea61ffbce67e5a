/**
 * Standard output and error of the command line. A reader that goes away
 * (`jit386 run | head -3`) is not an error: output stops, whatever waits on it
 * (the run) is told, and the process ends quietly with its own status.
 */
let closed = false;
const closeListeners: (() => void)[] = [];

function closedStream(e: NodeJS.ErrnoException, name: string): void {
  if (e.code !== "EPIPE" && !closed) process.stderr.write(`jit386: cannot write ${name}: ${e.message}\n`);
  if (closed) return;
  closed = true;
  for (const fn of closeListeners) fn();
}

/** Install the handlers (once, at start-up). */
export function watchStdio(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => closedStream(e, "standard output"));
  // Nothing more can be said on a closed standard error; writes to it are dropped.
  process.stderr.on("error", () => {});
}

/** Call `fn` when standard output closes; returns a function that stops listening. */
export function onStdoutClosed(fn: () => void): () => void {
  closeListeners.push(fn);
  return () => {
    const k = closeListeners.indexOf(fn);
    if (k >= 0) closeListeners.splice(k, 1);
  };
}

/** Write to standard output unless its reader has gone. */
export function out(data: string | Uint8Array): void {
  if (!closed) process.stdout.write(data);
}
