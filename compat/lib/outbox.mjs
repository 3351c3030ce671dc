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

/**
 * Runs `action`, then waits for a message matching `predicate` that was not in the outbox before
 * it (so an older code for the same recipient is never mistaken for the new one).
 * @returns {Promise<{result: unknown, message: object}>}
 */
export async function expectNewMessage(path, predicate, action, timeoutMs = 5000) {
  const before = readOutbox(path).filter(predicate).length;
  const result = await action();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const matching = readOutbox(path).filter(predicate);
    if (matching.length > before) return { result, message: matching.at(-1) };
    if (Date.now() > deadline) throw new Error(`no new outbox message within ${timeoutMs} ms`);
    await sleep(50);
  }
}
