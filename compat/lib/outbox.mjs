// Reads the development outbox both servers write: one JSON object per line, e.g.
// {"type":"two-factor-otp","to":"a@example.com","code":"123456","at":"…"}.
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export function readOutbox(path) {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

/** The newest message matching `predicate`, waiting for it because senders may run in the background. */
export async function waitForMessage(path, predicate, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = readOutbox(path).filter(predicate).at(-1);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no outbox message matched within ${timeoutMs} ms (have: ${JSON.stringify(readOutbox(path).map((m) => m.type))})`);
    await sleep(50);
  }
}
