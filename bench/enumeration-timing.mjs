#!/usr/bin/env node
// Does the time of an answer tell a known account from an unknown one? For each route that must
// not (security requirement A4, reference §6.4), this sends N requests about known accounts and N
// about unknown ones, alternating, one at a time, against a real release Tessera with the rate
// limiter off, and prints the median latency of each side and their difference.
//
//   node bench/enumeration-timing.mjs [--requests N=200] [--out DIR]
//
// Routes: POST /request-password-reset (email), POST /phone-number/request-password-reset,
// POST /sign-up/email with requireEmailVerification on (a taken address gets a made-up user), and
// email-otp's POST /email-otp/send-verification-otp (types email-verification and forget-password,
// mailed to accounts only) and POST /email-otp/request-password-reset.
// Needs target/release/tessera (cargo build --release -p tessera-cli). Loopback only.

import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..");
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const N = Number(opt("requests", "200"));
const out = resolve(opt("out", join(here, "results", `${new Date().toISOString().replace(/[:.]/g, "-")}-enumeration`)));
const BIN = process.env.TESSERA_BIN ?? join(repo, "target/release/tessera");
const PORT = 4491;
const URL_BASE = `http://127.0.0.1:${PORT}`;
const API = `${URL_BASE}/api/auth`;
const PASSWORD = "correct horse battery staple";
const KNOWN = 20;

mkdirSync(out, { recursive: true });
rmSync(join(out, "tessera.db"), { force: true });
rmSync(join(out, "outbox.jsonl"), { force: true });
const env = {
  ...process.env,
  TESSERA_DATABASE_URL: `sqlite://${join(out, "tessera.db")}`,
  TESSERA_LISTEN: `127.0.0.1:${PORT}`,
  BETTER_AUTH_URL: URL_BASE,
  BETTER_AUTH_SECRET: "bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef01",
  TESSERA_RATE_LIMIT: "off",
  TESSERA_PLUGINS: "phone-number,email-otp",
  TESSERA_PHONE_SIGN_UP_ON_VERIFICATION: "on",
  TESSERA_REQUIRE_EMAIL_VERIFICATION: "on",
  TESSERA_OUTBOX: join(out, "outbox.jsonl"),
  RUST_LOG: "warn",
};

const migrate = spawn(BIN, ["migrate"], { env, stdio: "ignore" });
await new Promise((ok) => migrate.on("exit", ok));
const server = spawn(BIN, ["serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
let serverLog = "";
server.stderr.on("data", (d) => (serverLog += d));
process.on("exit", () => server.kill("SIGKILL"));
for (let i = 0; i < 100 && !serverLog.includes("listening on"); i++) await sleep(100);
if (!serverLog.includes("listening on")) throw new Error(`server did not start:\n${serverLog}`);

async function post(path, body) {
  const started = performance.now();
  const r = await fetch(`${API}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: URL_BASE },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, text, ms: performance.now() - started };
}

function sleep(ms) {
  return new Promise((ok) => setTimeout(ok, ms));
}

function outboxCode(kind, to) {
  const lines = readFileSync(env.TESSERA_OUTBOX, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  return lines.reverse().find((m) => m.type === kind && m.to === to)?.code;
}

// ---- seed: users with an email, users with a phone number
for (let i = 0; i < KNOWN; i++) {
  const r = await post("/sign-up/email", { name: "Known", email: `known-${i}@example.com`, password: PASSWORD });
  if (r.status !== 200) throw new Error(`seed sign-up: ${r.status} ${r.text}`);
}
const phone = (i) => `+1555${String(i).padStart(7, "0")}`;
for (let i = 0; i < KNOWN; i++) {
  let r = await post("/phone-number/send-otp", { phoneNumber: phone(i) });
  if (r.status !== 200) throw new Error(`seed send-otp: ${r.status} ${r.text}`);
  r = await post("/phone-number/verify", { phoneNumber: phone(i), code: outboxCode("phone-otp", phone(i)) });
  if (r.status !== 200) throw new Error(`seed verify: ${r.status} ${r.text}`);
}

// ---- the cases: each returns the body for the i-th known or unknown request
const run = Date.now().toString(36);
const cases = {
  "request-password-reset": {
    path: "/request-password-reset",
    known: (i) => ({ email: `known-${i % KNOWN}@example.com` }),
    unknown: (i) => ({ email: `nobody-${run}-${i}@example.com` }),
  },
  "phone-number/request-password-reset": {
    path: "/phone-number/request-password-reset",
    known: (i) => ({ phoneNumber: phone(i % KNOWN) }),
    unknown: (i) => ({ phoneNumber: `+1666${String(i).padStart(7, "0")}` }),
  },
  "email-otp/send-verification-otp (email-verification)": {
    path: "/email-otp/send-verification-otp",
    known: (i) => ({ email: `known-${i % KNOWN}@example.com`, type: "email-verification" }),
    unknown: (i) => ({ email: `nobody-${run}-${i}@example.com`, type: "email-verification" }),
  },
  "email-otp/send-verification-otp (forget-password)": {
    path: "/email-otp/send-verification-otp",
    known: (i) => ({ email: `known-${i % KNOWN}@example.com`, type: "forget-password" }),
    unknown: (i) => ({ email: `nobody-${run}-${i}@example.com`, type: "forget-password" }),
  },
  "email-otp/request-password-reset": {
    path: "/email-otp/request-password-reset",
    known: (i) => ({ email: `known-${i % KNOWN}@example.com` }),
    unknown: (i) => ({ email: `nobody-${run}-${i}@example.com` }),
  },
  "sign-up/email (requireEmailVerification)": {
    path: "/sign-up/email",
    known: (i) => ({ name: "Again", email: `known-${i % KNOWN}@example.com`, password: PASSWORD }),
    unknown: (i) => ({ name: "New", email: `new-${run}-${i}@example.com`, password: PASSWORD }),
  },
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const results = {
  started_at: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, mem_gib: +(totalmem() / 2 ** 30).toFixed(1), load_before: loadavg() },
  requests_per_side: N,
  routes: {},
};

for (const [name, c] of Object.entries(cases)) {
  // A few of each first, so neither side pays for a cold cache.
  for (let i = 0; i < 5; i++) {
    await post(c.path, c.known(i + 1000));
    await post(c.path, c.unknown(i + 1000));
  }
  const known = [];
  const unknown = [];
  for (let i = 0; i < N; i++) {
    // Alternate which side goes first, so neither always follows the other's background work.
    const order = i % 2 ? ["unknown", "known"] : ["known", "unknown"];
    for (const side of order) {
      const r = await post(c.path, c[side](i));
      if (r.status !== 200) throw new Error(`${name} ${side}: ${r.status} ${r.text}`);
      (side === "known" ? known : unknown).push(r.ms);
    }
  }
  const k = median(known);
  const u = median(unknown);
  const diff = (Math.abs(k - u) / Math.min(k, u)) * 100;
  results.routes[name] = { known_median_ms: +k.toFixed(3), unknown_median_ms: +u.toFixed(3), difference_pct: +diff.toFixed(1), within_10pct: diff <= 10 };
  console.log(`${name}: known ${k.toFixed(2)} ms, unknown ${u.toFixed(2)} ms, difference ${diff.toFixed(1)}% ${diff <= 10 ? "PASS" : "FAIL"}`);
}
results.load_after = loadavg();
writeFileSync(join(out, "results.json"), JSON.stringify(results, null, 2));
console.log(`results in ${out}/results.json`);
server.kill("SIGTERM");
process.exit(Object.values(results.routes).every((r) => r.within_10pct) ? 0 : 1);
