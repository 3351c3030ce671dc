#!/usr/bin/env node
// The HTTP benchmarks of the Foundation issue, real Better Auth 1.7.25 (Node) and Tessera side by
// side: same machine, same wrk, same scripts, same seeded data. `run-http.sh` builds what this
// needs and then runs it; see bench/README.md.
//
//   node bench/http.mjs [--duration S] [--hash-duration S] [--rss-duration S] [--reps N]
//                       [--servers better-auth,tessera] [--skip-postgres] [--out DIR]
//
// Each server gets a fresh database. Writes DIR/results.json (every repetition) and
// DIR/summary.md (medians, targets, PASS/FAIL).

import { spawn, spawnSync } from "node:child_process";
import { openSync, closeSync, readFileSync, writeFileSync, mkdirSync, existsSync, rmSync, readdirSync } from "node:fs";
import { loadavg, cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { summarise, verdicts, renderSummary } from "./lib/report.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..");

const opts = parseArgs(process.argv.slice(2));
const SECRET = "bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef01";
const PASSWORD = "correct horse battery staple";
const USER_PREFIX = "bench-";
const USERS = 32;
const BASE_PATH = "/api/auth";
const PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres";
const TESSERA_BIN = process.env.TESSERA_BIN ?? join(repo, "target/release/tessera");
const EMPTY_AXUM_BIN = process.env.EMPTY_AXUM_BIN ?? join(repo, "target/bench/release/empty-axum");
const SCRYPT_TIME_BIN = process.env.SCRYPT_TIME_BIN ?? join(repo, "target/bench/release/scrypt-time");
const BA_SERVER = join(repo, "compat/server/better-auth-server.mjs");
const WRK_THREADS = 2;

const outDir = resolve(opts.out ?? join(here, "results", stamp()));
mkdirSync(outDir, { recursive: true });
const scratch = join(outDir, "scratch");
mkdirSync(scratch, { recursive: true });

const results = {
  started_at: new Date().toISOString(),
  machine: machine(),
  options: opts,
  wrk_threads: WRK_THREADS,
  load_before: loadavg(),
  scrypt: readJsonIfExists(join(outDir, "scrypt.json")),
  node_scrypt: readJsonIfExists(join(outDir, "node-scrypt.json")),
  runs: {}, // runs[server][scenario] = [rep, …]
  rss: {}, // rss[server] = { idle_kib, after_load_kib, peak_200_kib, hwm_kib }
  foreign: [], // compilers seen running while we measured
};

let port = 4400;
const live = new Set();
process.on("exit", () => {
  for (const s of live) s.child.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => process.exit(130));
}

try {
  await main();
} finally {
  for (const s of live) await stopServer(s);
}

async function main() {
  log(`results in ${outDir}`);
  const servers = opts.servers;

  // The latency floor first, while nothing else has warmed anything.
  await withServer("empty-axum", "none", async (srv) => {
    await scenario(srv, "get-session-sqlite-32", getSession(srv, "", 32), { warmup: true });
  });

  for (const kind of servers) {
    await withServer(kind, "sqlite", async (srv) => {
      (results.rss[kind] ??= {}).idle_kib = await idleRss(srv);
      srv.phase = "seed";
      const cookie = await seed(srv);
      await scenario(srv, "get-session-sqlite-32", getSession(srv, cookie, 32), { warmup: true });
      await scenario(srv, "get-session-sqlite-4", getSession(srv, cookie, 4));
      await scenario(srv, "mixed-get-session-4", mixed(srv, cookie));
      await scenario(srv, "sign-in-32", signIn(srv, 32, opts.hashDuration), { limit: true });
      await scenario(srv, "sign-up-32", signUp(srv, 32, opts.hashDuration), { limit: true });
      Object.assign(results.rss[kind], await rssUnder200(srv));
      srv.phase = "idle-after-load";
      results.rss[kind].after_load_kib = await idleRss(srv);
    });
  }

  if (!opts.skipPostgres) {
    for (const kind of servers) {
      await withServer(kind, "postgres", async (srv) => {
        const cookie = await seed(srv);
        await scenario(srv, "get-session-postgres-32", getSession(srv, cookie, 32), { warmup: true });
      });
    }
  }

  results.finished_at = new Date().toISOString();
  results.load_after = loadavg();
  results.summary = summarise(results);
  results.verdicts = verdicts(results);
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, "summary.md"), renderSummary(results));
  process.stdout.write(readFileSync(join(outDir, "summary.md"), "utf8"));
  // The databases are only scaffolding (megabytes each); the server logs stay for inspection.
  for (const f of readdirSync(scratch)) {
    if (/\.db(-wal|-shm)?$/.test(f)) rmSync(join(scratch, f), { force: true });
  }
}

// ---------------------------------------------------------------- scenarios

/** `limit`: time one scrypt right before each repetition, since this VM's speed drifts by several
 * per cent within minutes; the hashing limit a repetition is held to is the one of its minute. */
async function scenario(srv, name, once, { warmup = false, limit = false } = {}) {
  srv.phase = name;
  if (warmup) {
    log(`${srv.kind}: ${name}: warm-up`);
    await once({ duration: 3 });
  }
  const reps = [];
  for (let i = 0; i < opts.reps; i++) {
    const scrypt = limit ? await scryptNow() : null;
    const r = await once({});
    if (scrypt) Object.assign(r, { scrypt_ms: scrypt.hash_ms_median, limit_per_s: scrypt.limit_per_s });
    r.load_after = loadavg()[0];
    reps.push(r);
    log(`${srv.kind}: ${name} #${i + 1}: ${brief(r)}`);
    noteForeign(`${srv.kind} ${name} #${i + 1}`);
  }
  (results.runs[srv.kind] ??= {})[name] = reps;
  srv.phase = "between";
}

/** One scrypt timed now (median of 5), once the previous load's last hashes have finished. */
async function scryptNow() {
  await sleep(500);
  const r = spawnSync(SCRYPT_TIME_BIN, ["5", "1"], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`scrypt-time failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function getSession(srv, cookie, connections) {
  return ({ duration = opts.duration }) =>
    wrk(srv, "get-session.lua", [BASE_PATH, cookie], { connections, duration });
}

function signIn(srv, connections, duration) {
  return () =>
    wrk(srv, "sign-in.lua", [BASE_PATH, srv.url, String(USERS), PASSWORD, USER_PREFIX], {
      connections,
      duration,
      timeout: 60,
    });
}

function signUp(srv, connections, duration) {
  return () =>
    wrk(srv, "sign-up.lua", [BASE_PATH, srv.url, PASSWORD, `${process.pid}x${Date.now()}`], {
      connections,
      duration,
      timeout: 60,
    });
}

/** get-session at 4 connections while 32 connections sign in; the sign-in run brackets it. */
function mixed(srv, cookie) {
  return async () => {
    const lead = 3;
    const background = wrk(srv, "sign-in.lua", [BASE_PATH, srv.url, String(USERS), PASSWORD, USER_PREFIX], {
      connections: 32,
      duration: opts.duration + 2 * lead,
      timeout: 60,
    });
    await sleep(lead * 1000);
    const fg = await wrk(srv, "get-session.lua", [BASE_PATH, cookie], { connections: 4, duration: opts.duration });
    const bg = await background;
    return { ...fg, background_sign_in: bg };
  };
}

/** 200 concurrent sign-ins; VmRSS sampled every 100 ms, VmHWM read at the end. */
async function rssUnder200(srv) {
  log(`${srv.kind}: 200 concurrent sign-ins for ${opts.rssDuration} s, sampling RSS`);
  srv.phase = "sign-in-200";
  const hwmBefore = memory(srv.pid).hwm_kib;
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    // Bounded by the run: at most (duration + 60 s) / 100 ms samples.
    const limit = Math.ceil(((opts.rssDuration + 60) * 1000) / 100);
    for (let i = 0; sampling && i < limit; i++) {
      const m = memory(srv.pid);
      if (m) peak = Math.max(peak, m.rss_kib);
      await sleep(100);
    }
  })();
  const run = await wrk(srv, "sign-in.lua", [BASE_PATH, srv.url, String(USERS), PASSWORD, USER_PREFIX], {
    connections: 200,
    duration: opts.rssDuration,
    timeout: 120,
  });
  sampling = false;
  await sampler;
  const m = memory(srv.pid);
  (results.runs[srv.kind] ??= {})["sign-in-200"] = [run];
  log(`${srv.kind}: sign-in-200: ${brief(run)}; peak RSS ${(peak / 1024).toFixed(1)} MiB, HWM ${(m.hwm_kib / 1024).toFixed(1)} MiB`);
  noteForeign(`${srv.kind} sign-in-200`);
  srv.phase = "between";
  return { peak_200_kib: peak, hwm_before_200_kib: hwmBefore, hwm_kib: m.hwm_kib };
}

async function idleRss(srv) {
  await sleep(3000);
  return memory(srv.pid).rss_kib;
}

// ---------------------------------------------------------------- servers

async function withServer(kind, db, body) {
  const srv = await startServer(kind, db);
  const sampler = samplePeaks(srv);
  try {
    await body(srv);
  } finally {
    srv.sampling = false;
    await sampler;
    if (db === "sqlite") (results.rss[kind] ??= {}).peak_by_phase_kib = srv.peaks;
    await stopServer(srv);
  }
}

/** VmRSS every 50 ms for the server's whole life, the peak kept per phase (scenario). */
async function samplePeaks(srv) {
  srv.phase = "start";
  srv.peaks = {};
  srv.sampling = true;
  // Bounded: at most two hours of samples.
  for (let i = 0; srv.sampling && !srv.exited && i < 144_000; i++) {
    const m = memory(srv.pid);
    if (m) srv.peaks[srv.phase] = Math.max(srv.peaks[srv.phase] ?? 0, m.rss_kib);
    await sleep(50);
  }
}

async function startServer(kind, db) {
  const p = port++;
  const url = `http://127.0.0.1:${p}`;
  const tag = `${kind}-${db}`;
  const logPath = join(scratch, `${tag}.log`);
  let dbUrl = null;
  let dropDb = null;
  if (db === "sqlite") {
    const file = join(scratch, `${tag}.db`);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
    dbUrl = `sqlite://${file}`;
  } else if (db === "postgres") {
    const name = `bench_${kind.replace(/-/g, "_")}_${process.pid}`;
    psql(`DROP DATABASE IF EXISTS ${name}`);
    psql(`CREATE DATABASE ${name}`);
    dbUrl = `postgres://postgres@127.0.0.1:5432/${name}`;
    dropDb = () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }

  const common = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    BETTER_AUTH_SECRET: SECRET,
    BETTER_AUTH_URL: url,
    TESSERA_RATE_LIMIT: "off",
    NODE_ENV: "production",
  };
  let cmd;
  let args;
  let env;
  if (kind === "tessera") {
    env = { ...common, TESSERA_DATABASE_URL: dbUrl, TESSERA_LISTEN: `127.0.0.1:${p}` };
    const m = spawnSync(TESSERA_BIN, ["migrate"], { env, encoding: "utf8", timeout: 60_000 });
    if (m.status !== 0) throw new Error(`tessera migrate failed: ${m.stderr}`);
    [cmd, args] = [TESSERA_BIN, ["serve"]];
  } else if (kind === "better-auth") {
    env = { ...common, DATABASE_URL: dbUrl, HOST: "127.0.0.1", PORT: String(p) };
    [cmd, args] = [process.execPath, [BA_SERVER, "--migrate"]];
  } else if (kind === "empty-axum") {
    env = common;
    [cmd, args] = [EMPTY_AXUM_BIN, [`127.0.0.1:${p}`]];
  } else {
    throw new Error(`unknown server ${kind}`);
  }

  // Output goes to a file: a pipe would make this process spend CPU the servers need.
  const fd = openSync(logPath, "w");
  const child = spawn(cmd, args, { env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const srv = { kind, db, url, port: p, pid: child.pid, child, logPath, dropDb, exited: false };
  child.on("exit", () => {
    srv.exited = true;
  });
  live.add(srv);
  const deadline = Date.now() + 60_000;
  while (!readFileSync(logPath, "utf8").includes("listening on ")) {
    if (srv.exited) throw new Error(`${tag} exited before listening:\n${readFileSync(logPath, "utf8")}`);
    if (Date.now() > deadline) throw new Error(`${tag} not listening after 60 s`);
    await sleep(100);
  }
  log(`${tag}: listening at ${url} (pid ${child.pid})`);
  return srv;
}

async function stopServer(srv) {
  if (!live.has(srv)) return;
  live.delete(srv);
  if (!srv.exited) {
    srv.child.kill("SIGTERM");
    for (let i = 0; i < 50 && !srv.exited; i++) await sleep(100);
    if (!srv.exited) srv.child.kill("SIGKILL");
  }
  if (srv.dropDb) srv.dropDb();
}

function psql(sql) {
  const r = spawnSync("psql", [PG_ADMIN, "-v", "ON_ERROR_STOP=1", "-qc", sql], { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr}`);
}

/** USERS users signed up through the API; returns the signed session cookie value of user 0. */
async function seed(srv) {
  log(`${srv.kind}-${srv.db}: seeding ${USERS} users`);
  for (let i = 0; i < USERS; i++) {
    const r = await post(srv, "/sign-up/email", { email: `${USER_PREFIX}${i}@example.com`, password: PASSWORD, name: `Bench ${i}` });
    if (r.status !== 200) throw new Error(`${srv.kind}: sign-up ${i}: ${r.status} ${await r.text()}`);
  }
  const r = await post(srv, "/sign-in/email", { email: `${USER_PREFIX}0@example.com`, password: PASSWORD });
  if (r.status !== 200) throw new Error(`${srv.kind}: sign-in: ${r.status} ${await r.text()}`);
  const set = r.headers.getSetCookie().find((c) => c.startsWith("better-auth.session_token="));
  if (!set) throw new Error(`${srv.kind}: sign-in set no session cookie`);
  const cookie = set.slice("better-auth.session_token=".length).split(";")[0];
  const check = await fetch(`${srv.url}${BASE_PATH}/get-session`, { headers: { cookie: `better-auth.session_token=${cookie}` } });
  const body = await check.json();
  if (body?.user?.email !== `${USER_PREFIX}0@example.com`) {
    throw new Error(`${srv.kind}: get-session with the new cookie answered ${JSON.stringify(body)}`);
  }
  return cookie;
}

function post(srv, path, body) {
  return fetch(`${srv.url}${BASE_PATH}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: srv.url },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
}

// ---------------------------------------------------------------- measuring

function wrk(srv, script, scriptArgs, { connections, duration, timeout = 10 }) {
  const threads = Math.min(WRK_THREADS, connections);
  const args = [
    "-t", String(threads),
    "-c", String(connections),
    "-d", `${duration}s`,
    "--timeout", `${timeout}s`,
    "-s", join(here, "lua", script),
    `${srv.url}${BASE_PATH}/`,
    "--",
    ...scriptArgs,
  ];
  // `timeout` is the hard stop should wrk itself hang: its own -d plus the request timeout. The
  // count bound (per wrk thread) is far above what any server here reaches; a run that meets it
  // is marked `capped`, since its req/s would then understate the server.
  const hardStop = String(duration + timeout + 30);
  const maxPerThread = duration * 300_000;
  return new Promise((resolvePromise, reject) => {
    const child = spawn("timeout", ["-k", "5", hardStop, "wrk", ...args], {
      env: { ...process.env, LUA_PATH: `${join(here, "lua")}/?.lua;;`, BENCH_MAX_REQUESTS: String(maxPerThread) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("BENCH-RESULT "));
      if (code !== 0 || !line) {
        reject(new Error(`wrk ${script} exited ${code}:\n${out}\n${err}`));
        return;
      }
      const r = JSON.parse(line.slice("BENCH-RESULT ".length));
      r.connections = connections;
      r.wrk_threads = threads;
      r.capped = r.requests >= threads * maxPerThread;
      resolvePromise(r);
    });
  });
}

function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
    return { rss_kib: kib("VmRSS"), hwm_kib: kib("VmHWM") };
  } catch {
    return null;
  }
}

/** Records any compiler or linker running now: other work on the machine skews figures. */
function noteForeign(when) {
  const seen = {};
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let comm;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
    } catch {
      continue;
    }
    if (/^(rustc|cargo|cc1|cc1plus|ld|ld\.lld|collect2|clippy-driver|rustdoc|build-script)/.test(comm)) {
      seen[comm] = (seen[comm] ?? 0) + 1;
    }
  }
  if (Object.keys(seen).length > 0) {
    results.foreign.push({ when, processes: seen, load1: loadavg()[0] });
    log(`  note: other work running: ${JSON.stringify(seen)}`);
  }
}

// ---------------------------------------------------------------- plumbing

function parseArgs(argv) {
  const o = { duration: 10, hashDuration: 15, rssDuration: 30, reps: 3, servers: ["better-auth", "tessera"], skipPostgres: false, out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--duration") o.duration = positive(next(), a);
    else if (a === "--hash-duration") o.hashDuration = positive(next(), a);
    else if (a === "--rss-duration") o.rssDuration = positive(next(), a);
    else if (a === "--reps") o.reps = positive(next(), a);
    else if (a === "--servers") o.servers = next().split(",").filter(Boolean);
    else if (a === "--skip-postgres") o.skipPostgres = true;
    else if (a === "--out") o.out = next();
    else throw new Error(`unknown argument ${a}`);
  }
  for (const s of o.servers) {
    if (s !== "better-auth" && s !== "tessera") throw new Error(`--servers: unknown ${s}`);
  }
  return o;
}

function positive(v, name) {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 3600) throw new Error(`${name}: want an integer in 1..3600`);
  return n;
}

function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpus()[0]?.model ?? "unknown";
  const nproc = spawnSync("nproc", { encoding: "utf8" }).stdout.trim();
  const wrkVersion = spawnSync("wrk", ["--version"], { encoding: "utf8" }).stdout.split("\n")[0];
  return {
    nproc: Number(nproc),
    cpu_model: model,
    ram_gib: +(totalmem() / 2 ** 30).toFixed(1),
    kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
    node: process.version,
    wrk: wrkVersion.trim(),
  };
}

function readJsonIfExists(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : null;
}

function brief(r) {
  const errs = r.errors_connect + r.errors_read + r.errors_write + r.errors_status + r.errors_timeout;
  return `${r.rps.toFixed(1)} req/s, p99 ${r.p99_ms.toFixed(2)} ms, ${r.requests} requests, ${errs} errors`;
}

function stamp() {
  return new Date().toISOString().replace(/[:.]/g, "-").replace(/-\d+Z$/, "Z");
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

