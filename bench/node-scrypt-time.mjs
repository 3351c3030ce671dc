#!/usr/bin/env node
// Times Better Auth 1.7.25's own hashPassword (node:crypto scrypt, N=16384 r=16 p=1 dkLen=64, on
// libuv's thread pool) so the hashing limit of the Node side is known next to Tessera's.
//
//   node bench/node-scrypt-time.mjs [ITERATIONS] [PARALLEL]   → one JSON line
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { availableParallelism } from "node:os";

const compat = resolve(dirname(fileURLToPath(import.meta.url)), "../compat");
const require = createRequire(join(compat, "package.json"));
const { hashPassword, verifyPassword } = await import(pathToFileURL(require.resolve("better-auth/crypto")).href);

const iterations = Math.max(1, Number(process.argv[2] ?? 10) | 0);
const parallel = Math.max(1, Number(process.argv[3] ?? availableParallelism()) | 0);
const password = "correct horse battery staple";

const stored = await hashPassword(password);
if (!(await verifyPassword({ hash: stored, password }))) throw new Error("hash does not verify");

const times = [];
for (let i = 0; i < iterations; i++) {
  const t0 = process.hrtime.bigint();
  await hashPassword(password);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);

const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: parallel }, async () => {
  for (let i = 0; i < iterations; i++) await hashPassword(password);
}));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;

console.log(JSON.stringify({
  node: process.version,
  iterations,
  hash_ms_median: +times[Math.floor(times.length / 2)].toFixed(2),
  parallel,
  parallel_hashes_per_s: +((parallel * iterations) / seconds).toFixed(2),
}));
