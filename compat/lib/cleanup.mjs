// Children and temp dirs die with the test process, even when a test throws or the runner is
// interrupted: a stray server would hold its port and its database into the next run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const children = new Set();
const dirs = new Set();

export function trackChild(child) {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export function tempDir(prefix = "compat-") {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  dirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

function killAll() {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  children.clear();
  if (process.env.COMPAT_KEEP_TMP) return;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}
