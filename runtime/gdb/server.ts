/**
 * `jit386 run --gdb PORT`: listen on 127.0.0.1, hold the guest before its first
 * instruction until a debugger connects, then let the session (session.ts)
 * drive the machine. One debugger: the listening socket closes once it is
 * connected, and after it detaches or disconnects the guest runs on to its end.
 */
import { createServer, type Socket } from "node:net";
import { UsageError } from "../errors.js";
import type { Machine, RunResult } from "../machine.js";
import { Session, type SessionOptions } from "./session.js";

export interface GdbServerOptions extends SessionOptions {
  port: number;
  /** Told once the port is open (the command line prints where to connect). */
  listening?: (port: number) => void;
}

/** Serve one debugger on `opts.port` (0: any free port); settles with the run's result. */
export async function serveGdb(m: Machine, opts: GdbServerOptions): Promise<RunResult> {
  const server = createServer({ noDelay: true });
  const socket = await new Promise<Socket>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(new UsageError(`--gdb: cannot listen on 127.0.0.1:${opts.port}: ${e.code ?? e.message}`)));
    server.once("connection", resolve);
    server.listen(opts.port, "127.0.0.1", () => {
      const address = server.address();
      opts.listening?.(typeof address === "object" && address ? address.port : opts.port);
    });
  });
  server.close();
  let open = true;
  const session = new Session(m, {
    write: (data) => {
      if (open) socket.write(Buffer.from(data, "latin1"));
    },
    close: () => {
      if (!open) return;
      open = false;
      // Flush what was sent (a W reply, an OK to D), then let go of the connection.
      socket.end(() => socket.destroy());
    },
  }, opts);
  socket.on("data", (b) => session.receive(b));
  const gone = () => {
    open = false;
    session.disconnected();
  };
  socket.on("close", gone);
  // A reset connection is a disconnect: the guest runs on.
  socket.on("error", gone);
  return session.done;
}
