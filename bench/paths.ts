/** The child-process entry points, next to the bundled harness (dist/bench/). */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const JIT386_WORKER = join(HERE, "worker.js");
export const V86_WORKER = join(HERE, "v86-worker.js");
