import { createServer } from "node:net";

/** A TCP port on 127.0.0.1 that was free a moment ago (the caller retries if someone took it). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}
