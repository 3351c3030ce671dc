#!/usr/bin/env node
// Mixed traffic against one running Tessera, for issue #11's load and database-restart legs.
// `load-soak.sh` starts the server, seeds the admin and then runs this; see bench/README.md.
//
//   node bench/load-mixed.mjs --url URL --pid PID --admin-email E --out DIR
//        [--duration 60] [--clients 48] [--users 32] [--totp-users 64] [--seed 11]
//        [--outage-at S --outage-for S --stop-cmd CMD --start-cmd CMD]
//
// Seeds users (some with TOTP) through the API, then for --duration seconds runs --clients closed-
// loop clients, each picking flows by weight: sign-up, sign-in → get-session → sign-out, a two-factor
// sign-in (verify-totp with a code computed here), get-session on a long-lived session, and the
// admin's list-users; every sixth client takes only the last two (no password hash). Each request is timed and classed; the server's VmRSS and CPU are sampled
// every second. With --stop-cmd/--start-cmd, the database is stopped at --outage-at seconds and
// started again --outage-for seconds later, and the outage is analysed (see `outageReport`).
//
// Writes DIR/results.json, DIR/summary.md, DIR/requests.tsv (every request), DIR/signed-up.txt
// (every email whose sign-up was answered 200, with the time it was answered).
// Exits 0 when every check passes, 1 when one fails, 2 on a setup error.

import http from "node:http";
import { createHmac } from "node:crypto";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync, createWriteStream } from "node:fs";
import { join, resolve } from "node:path";
import { loadavg } from "node:os";

const BASE_PATH = "/api/auth";
const PASSWORD = "correct horse battery staple";
const SESSION_COOKIE = "better-auth.session_token";
const TWO_FACTOR_COOKIE = "better-auth.two_factor";
const REQUEST_TIMEOUT_MS = 60_000;
// RSS must stay within this band (max/min over the samples from WARMUP_S to the end).
const RSS_BAND = 0.1;
const WARMUP_S = 10;
// After the database is back, service must resume within this many seconds.
const RECOVERY_LIMIT_S = 5;

// Routes that hash a password: their latency under this load is mostly the queue for a hashing
// permit, so a bound on how long a failing database call takes is checked on the others.
const HASHING_ROUTES = new Set(["sign-up/email", "sign-in/email", "sign-in/email (2fa)"]);

const HASHING_FLOWS = new Set(["sign-up", "sign-in", "two-factor"]);
const READER_EVERY = 6;

const FLOWS = [
  // [name, weight]: one flow is picked per iteration of a client.
  ["sign-up", 15],
  ["sign-in", 20],
  ["two-factor", 15],
  ["session", 35],
  ["admin-list", 15],
];

const opts = parseArgs(process.argv.slice(2));
const out = resolve(opts.out);
mkdirSync(out, { recursive: true });
const origin = opts.url;
const urlParts = new URL(opts.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: opts.clients + 8 });
const random = mulberry32(opts.seed);
const t0 = Date.now();
const rel = () => Date.now() - t0;

const requestLog = createWriteStream(join(out, "requests.tsv"));
requestLog.write("start_ms\tend_ms\troute\tstatus\tbody\tcode\terror\n");
const signedUp = [];
const stats = new Map(); // route -> { latencies: [], statuses: {}, conn_errors, timeouts, unexpected, json5xx, nonjson5xx }
const perSecond = new Map(); // second -> { ok, c4, c5, conn }
let phase = "seed";

try {
  await main();
} catch (e) {
  process.stderr.write(`[load] setup failed: ${e.stack ?? e}\n`);
  process.exit(2);
}

async function main() {
  log(`seeding ${opts.users} users and ${opts.totpUsers} TOTP users`);
  const users = await seedUsers(opts.users, "user");
  const totpUsers = await seedTotpUsers(opts.totpUsers);
  const admin = await signIn(opts.adminEmail, "seed");
  if (!admin.cookie) throw new Error(`admin sign-in answered ${admin.status}`);
  const adminCheck = await call("GET", "/admin/list-users?limit=1", { cookie: admin.cookie, route: "seed" });
  if (adminCheck.status !== 200) throw new Error(`admin list-users answered ${adminCheck.status}: ${adminCheck.text}`);
  log(`seeded; ${opts.clients} clients for ${opts.duration} s`);

  // Each client keeps one long-lived session for the `session` flow.
  const longLived = [];
  await inBatches(opts.clients, 8, async (i) => {
    const s = await signIn(users[i % users.length], "seed");
    if (!s.cookie) throw new Error(`seed sign-in answered ${s.status}`);
    longLived[i] = s.cookie;
  });

  phase = "load";
  const loadStart = rel();
  const deadline = Date.now() + opts.duration * 1000;
  const samples = [];
  const sampler = sampleServer(samples, deadline);
  const outage = opts.stopCmd ? runOutage(loadStart) : null;
  const ctx = { users, totpUsers, admin: admin.cookie, deadline };
  const flowCounts = Object.fromEntries(FLOWS.map(([n]) => [n, 0]));
  await Promise.all(
    Array.from({ length: opts.clients }, (_, i) => client(i, { ...ctx, cookie: longLived[i] }, flowCounts)),
  );
  const loadEnd = rel();
  const outageTimes = outage ? await outage : null;
  await sampler;
  phase = "done";
  await new Promise((r) => requestLog.end(r));
  writeFileSync(join(out, "signed-up.txt"), signedUp.map((s) => `${s.email}\t${s.at_ms}`).join("\n") + "\n");

  const report = buildReport({ loadStart, loadEnd, samples, flowCounts, outageTimes });
  writeFileSync(join(out, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderSummary(report);
  writeFileSync(join(out, "summary.md"), md);
  process.stdout.write(md);
  agent.destroy();
  process.exit(report.pass ? 0 : 1);
}

// ---------------------------------------------------------------- flows

async function client(id, ctx, flowCounts) {
  let n = 0;
  // Every READER_EVERY-th client never hashes: with every client queued for a hashing permit,
  // nothing would be asking the database for seconds at a time (the outage would go unprobed).
  const flows = id % READER_EVERY === 0 ? FLOWS.filter(([name]) => !HASHING_FLOWS.has(name)) : FLOWS;
  const total = flows.reduce((s, [, w]) => s + w, 0);
  // Bounded by time and by count: a client never issues more than 1,000 flows a second.
  const maxFlows = opts.duration * 1000;
  while (Date.now() < ctx.deadline && n < maxFlows) {
    n++;
    let pick = random() * total;
    let flow = flows[flows.length - 1][0];
    for (const [name, w] of flows) {
      if ((pick -= w) < 0) {
        flow = name;
        break;
      }
    }
    if (flow === "two-factor" && !freeTotpUser(ctx.totpUsers)) flow = "session";
    flowCounts[flow]++;
    switch (flow) {
      case "sign-up":
        await signUpFlow(id, n);
        break;
      case "sign-in":
        await signInFlow(ctx.users[Math.floor(random() * ctx.users.length)]);
        break;
      case "two-factor":
        await twoFactorFlow(ctx.totpUsers);
        break;
      case "session":
        for (let i = 0; i < 5 && Date.now() < ctx.deadline; i++) {
          await call("GET", "/get-session", { cookie: ctx.cookie, route: "get-session", expect: [200] });
        }
        break;
      case "admin-list":
        await call("GET", `/admin/list-users?limit=20&offset=${Math.floor(random() * 40)}`, {
          cookie: ctx.admin,
          route: "admin/list-users",
          expect: [200],
        });
        break;
    }
  }
}

async function signUpFlow(id, n) {
  const email = `load-${opts.runId}-${id}-${n}@example.com`;
  const r = await call("POST", "/sign-up/email", {
    body: { email, password: PASSWORD, name: `Load ${id}` },
    route: "sign-up/email",
    expect: [200],
  });
  if (r.status === 200) {
    signedUp.push({ email, at_ms: r.end });
    if (r.cookie) await call("POST", "/sign-out", { cookie: r.cookie, body: {}, route: "sign-out", expect: [200] });
  }
}

async function signInFlow(email) {
  const s = await signIn(email, "sign-in/email");
  if (!s.cookie) return;
  for (let i = 0; i < 2; i++) await call("GET", "/get-session", { cookie: s.cookie, route: "get-session", expect: [200] });
  await call("POST", "/sign-out", { cookie: s.cookie, body: {}, route: "sign-out", expect: [200] });
  // Signed out: the same cookie now reads as no session (200, null).
  await call("GET", "/get-session", { cookie: s.cookie, route: "get-session (signed out)", expect: [200], expectNull: true });
}

/** A TOTP user whose last code was for an earlier 30-s step: the server accepts each step once. */
function freeTotpUser(totpUsers) {
  const step = Math.floor(Date.now() / 30_000);
  return totpUsers.find((u) => !u.busy && u.lastStep < step);
}

async function twoFactorFlow(totpUsers) {
  const u = freeTotpUser(totpUsers);
  if (!u) return;
  u.busy = true;
  try {
    const first = await call("POST", "/sign-in/email", {
      body: { email: u.email, password: PASSWORD },
      route: "sign-in/email (2fa)",
      expect: [200],
    });
    const challenge = first.cookies[TWO_FACTOR_COOKIE];
    if (first.status !== 200 || !challenge || first.json?.twoFactorRedirect !== true) {
      if (first.status === 200) first.stat.unexpected++;
      return;
    }
    // A code sent is a step spent, whatever the answer: never risk a replay (it counts as a failure).
    const step = Math.floor(Date.now() / 30_000);
    u.lastStep = step;
    const verified = await call("POST", "/two-factor/verify-totp", {
      cookie: `${TWO_FACTOR_COOKIE}=${challenge}`,
      rawCookie: true,
      body: { code: hotp(u.key, step) },
      route: "two-factor/verify-totp",
      expect: [200],
    });
    if (!verified.cookie) return;
    await call("GET", "/get-session", { cookie: verified.cookie, route: "get-session", expect: [200] });
    await call("POST", "/sign-out", { cookie: verified.cookie, body: {}, route: "sign-out", expect: [200] });
  } finally {
    u.busy = false;
  }
}

// ---------------------------------------------------------------- seeding

async function seedUsers(count, kind) {
  const emails = [];
  await inBatches(count, 8, async (i) => {
    const email = `${kind}-${opts.runId}-${i}@example.com`;
    const r = await call("POST", "/sign-up/email", { body: { email, password: PASSWORD, name: `Seed ${i}` }, route: "seed" });
    if (r.status !== 200) throw new Error(`seed sign-up ${email}: ${r.status} ${r.text}`);
    signedUp.push({ email, at_ms: r.end });
    emails[i] = email;
  });
  return emails;
}

async function seedTotpUsers(count) {
  const users = [];
  await inBatches(count, 8, async (i) => {
    const email = `totp-${opts.runId}-${i}@example.com`;
    const up = await call("POST", "/sign-up/email", { body: { email, password: PASSWORD, name: `Totp ${i}` }, route: "seed" });
    if (up.status !== 200 || !up.cookie) throw new Error(`seed sign-up ${email}: ${up.status} ${up.text}`);
    signedUp.push({ email, at_ms: up.end });
    const en = await call("POST", "/two-factor/enable", { cookie: up.cookie, body: { password: PASSWORD }, route: "seed" });
    const secret = /[?&]secret=([A-Z2-7]+)/.exec(en.json?.totpURI ?? "")?.[1];
    if (en.status !== 200 || !secret) throw new Error(`two-factor/enable ${email}: ${en.status} ${en.text}`);
    const key = base32Decode(secret);
    const step = Math.floor(Date.now() / 30_000);
    const v = await call("POST", "/two-factor/verify-totp", { cookie: up.cookie, body: { code: hotp(key, step) }, route: "seed" });
    if (v.status !== 200) throw new Error(`verify-totp (enable) ${email}: ${v.status} ${v.text}`);
    users[i] = { email, key, lastStep: step, busy: false };
  });
  return users;
}

async function signIn(email, route) {
  return call("POST", "/sign-in/email", { body: { email, password: PASSWORD }, route, expect: [200] });
}

async function inBatches(count, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

// ---------------------------------------------------------------- HTTP

function statFor(route) {
  let s = stats.get(route);
  if (!s) {
    s = { latencies: [], statuses: {}, conn_errors: 0, timeouts: 0, unexpected: 0, json5xx: 0, nonjson5xx: 0, errors: {} };
    stats.set(route, s);
  }
  return s;
}

function secondFor(ms) {
  const sec = Math.floor(ms / 1000);
  let b = perSecond.get(sec);
  if (!b) {
    b = { ok: 0, c4: 0, c5: 0, conn: 0 };
    perSecond.set(sec, b);
  }
  return b;
}

/**
 * One request. `cookie` is a session token value (or, with rawCookie, a whole Cookie header).
 * Resolves to { status (0 on a connection error), text, json, cookie (new session token), cookies,
 * start, end, stat }; never rejects.
 */
function call(method, path, { body, cookie, rawCookie = false, route, expect = null, expectNull = false }) {
  const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
  const headers = { origin };
  if (payload) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(payload.length);
  }
  if (cookie) headers.cookie = rawCookie ? cookie : `${SESSION_COOKIE}=${cookie}`;
  const start = rel();
  const measured = phase === "load" && route !== "seed";
  const stat = measured ? statFor(route) : null;
  return new Promise((resolveCall) => {
    let settled = false;
    const finish = (status, text, resHeaders, error) => {
      if (settled) return;
      settled = true;
      const end = rel();
      let json;
      let bodyKind = "empty";
      if (text.length > 0) {
        try {
          json = JSON.parse(text);
          bodyKind = "json";
        } catch {
          bodyKind = "other";
        }
      }
      const cookies = parseSetCookie(resHeaders?.["set-cookie"] ?? []);
      const code = typeof json?.code === "string" ? json.code : "";
      if (stat) {
        if (status === 0) {
          if (error === "timeout") stat.timeouts++;
          else stat.conn_errors++;
          stat.errors[error] = (stat.errors[error] ?? 0) + 1;
        } else {
          stat.statuses[status] = (stat.statuses[status] ?? 0) + 1;
          stat.latencies.push(end - start);
          if (status >= 500) {
            if (bodyKind === "json" && typeof json?.message === "string") stat.json5xx++;
            else stat.nonjson5xx++;
          } else if ((expect && !expect.includes(status)) || (expectNull && status === 200 && json !== null)) {
            stat.unexpected++;
          }
        }
        const b = secondFor(end);
        if (status === 0) b.conn++;
        else if (status >= 500) b.c5++;
        else if (status >= 400) b.c4++;
        else b.ok++;
      }
      if (measured) {
        requestLog.write(`${start}\t${end}\t${route}\t${status}\t${bodyKind}\t${code}\t${error ?? ""}\n`);
      }
      resolveCall({ status, text, json, cookies, cookie: cookies[SESSION_COOKIE], start, end, stat });
    };
    const req = http.request(
      {
        agent,
        host: urlParts.hostname,
        port: urlParts.port,
        method,
        path: `${BASE_PATH}${path}`,
        headers,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => finish(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), res.headers, null));
        res.on("error", (e) => finish(0, "", null, e.code ?? e.message));
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => {
      finish(0, "", null, "timeout");
      req.destroy();
    });
    req.on("error", (e) => finish(0, "", null, e.code ?? e.message));
    req.end(payload ?? undefined);
  });
}

function parseSetCookie(lines) {
  const jar = {};
  for (const line of lines) {
    const [pair] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    // An expiring Set-Cookie (Max-Age=0) clears; it is not a new value.
    if (value === "" || /max-age=0(?:;|$)/i.test(line)) continue;
    jar[name] = value;
  }
  return jar;
}

// ---------------------------------------------------------------- TOTP (RFC 6238: SHA-1, 6 digits, 30 s)

function hotp(key, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(bin).padStart(6, "0");
}

function base32Decode(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const ch of s.replace(/=+$/, "")) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

// ---------------------------------------------------------------- the server and the database

/**
 * The server's VmRSS every 100 ms, kept per second as the value at the second's end, its peak and
 * its floor, with the server's CPU and the machine's busy share over that second. A Better Auth
 * scrypt holds 32 MiB only while it runs, so single samples swing by up to hashing-concurrency ×
 * 32 MiB depending on how many hashes happen to be in flight; the per-second peak does not.
 */
async function sampleServer(samples, deadline) {
  const ticks = 100; // USER_HZ on Linux
  let prev = cpuNow();
  let prevMachine = machineCpu();
  let peak = 0;
  let floor = Infinity;
  // Bounded: ten samples a second, at most duration + 5 seconds of them.
  for (let i = 1; Date.now() < deadline && i <= (opts.duration + 5) * 10; i++) {
    await sleep(100);
    const m = memory(opts.pid);
    if (m && Number.isFinite(m.rss_kib)) {
      peak = Math.max(peak, m.rss_kib);
      floor = Math.min(floor, m.rss_kib);
    }
    if (i % 10 !== 0) continue;
    const cpu = cpuNow();
    const machine = machineCpu();
    const busy = machine && prevMachine ? 1 - (machine.idle - prevMachine.idle) / Math.max(1, machine.total - prevMachine.total) : null;
    samples.push({
      at_ms: rel(),
      rss_kib: m?.rss_kib ?? null,
      rss_peak_kib: peak || null,
      rss_floor_kib: Number.isFinite(floor) ? floor : null,
      threads: m?.threads ?? null,
      server_cpu_pct: cpu !== null && prev !== null ? +(((cpu - prev) / ticks) * 100).toFixed(1) : null,
      machine_busy_pct: busy === null ? null : +(busy * 100).toFixed(1),
    });
    prev = cpu;
    prevMachine = machine;
    peak = 0;
    floor = Infinity;
  }
}

function cpuNow() {
  try {
    const stat = readFileSync(`/proc/${opts.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return null;
  }
}

function machineCpu() {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    return { idle, total: v.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const num = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+)`, "m"))?.[1] ?? NaN);
    return { rss_kib: num("VmRSS"), threads: num("Threads") };
  } catch {
    return null;
  }
}

/** Stops the database at --outage-at s into the load and starts it --outage-for s after it stopped. */
async function runOutage(loadStart) {
  await sleep(Math.max(0, loadStart + opts.outageAt * 1000 - rel()));
  const times = { stop_begin_ms: rel() };
  log("stopping the database");
  times.stop_exit = await sh(opts.stopCmd);
  times.stop_done_ms = rel();
  await sleep(opts.outageFor * 1000);
  times.start_begin_ms = rel();
  log("starting the database");
  times.start_exit = await sh(opts.startCmd);
  times.start_done_ms = rel();
  log(`database back after ${((times.start_done_ms - times.stop_begin_ms) / 1000).toFixed(1)} s`);
  return times;
}

function sh(cmd) {
  return new Promise((r) => {
    const child = spawn("bash", ["-c", cmd], { stdio: ["ignore", "ignore", "inherit"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      r(code);
    });
  });
}

// ---------------------------------------------------------------- report

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function buildReport({ loadStart, loadEnd, samples, flowCounts, outageTimes }) {
  const seconds = (loadEnd - loadStart) / 1000;
  const routes = {};
  const totals = { requests: 0, c2: 0, c3: 0, c4: 0, c5: 0, conn_errors: 0, timeouts: 0, unexpected: 0, json5xx: 0, nonjson5xx: 0 };
  for (const [route, s] of [...stats.entries()].sort()) {
    const lat = [...s.latencies].sort((a, b) => a - b);
    const byClass = { c2: 0, c3: 0, c4: 0, c5: 0 };
    for (const [st, n] of Object.entries(s.statuses)) byClass[`c${String(st)[0]}`] += n;
    const requests = lat.length + s.conn_errors + s.timeouts;
    routes[route] = {
      requests,
      per_s: +(requests / seconds).toFixed(1),
      statuses: s.statuses,
      conn_errors: s.conn_errors,
      timeouts: s.timeouts,
      errors: s.errors,
      unexpected: s.unexpected,
      json5xx: s.json5xx,
      nonjson5xx: s.nonjson5xx,
      p50_ms: percentile(lat, 50),
      p90_ms: percentile(lat, 90),
      p99_ms: percentile(lat, 99),
      max_ms: lat.length ? lat[lat.length - 1] : null,
    };
    totals.requests += requests;
    for (const k of ["c2", "c3", "c4", "c5"]) totals[k] += byClass[k];
    for (const k of ["conn_errors", "timeouts", "unexpected", "json5xx", "nonjson5xx"]) totals[k] += s[k];
  }
  for (const s of samples) s.t_s = +((s.at_ms - loadStart) / 1000).toFixed(2);
  const steady = samples.filter((s) => s.t_s >= WARMUP_S && Number.isFinite(s.rss_peak_kib));
  const band = (key) => {
    const v = steady.map((s) => s[key]).filter(Number.isFinite);
    if (v.length === 0) return { min_kib: null, max_kib: null, spread: null };
    const min = Math.min(...v);
    const max = Math.max(...v);
    return { min_kib: min, max_kib: max, spread: max / min - 1 };
  };
  const rssPeak = band("rss_peak_kib");
  const rssPoint = band("rss_kib");
  const rssFloor = band("rss_floor_kib");
  const at10 = steady[0]?.rss_peak_kib ?? null;
  // The peak of each 10-s window from WARMUP_S on: a leak raises it; a hash that happens to be
  // starting or ending at a sampling instant does not.
  const windowPeaks = [];
  for (let from = WARMUP_S; from < opts.duration; from += 10) {
    const v = steady.filter((s) => s.t_s >= from && s.t_s < from + 10).map((s) => s.rss_peak_kib);
    if (v.length > 0) windowPeaks.push({ from_s: from, peak_kib: Math.max(...v) });
  }
  const wp = windowPeaks.map((w) => w.peak_kib);
  const windowSpread = wp.length ? Math.max(...wp) / Math.min(...wp) - 1 : null;
  const cpu = samples.map((s) => s.server_cpu_pct).filter((v) => v !== null);
  const busy = samples.map((s) => s.machine_busy_pct).filter((v) => v !== null);
  const mean = (a) => (a.length ? +(a.reduce((x, y) => x + y, 0) / a.length).toFixed(1) : null);

  const timeline = [...perSecond.entries()]
    .map(([sec, b]) => ({ t_s: +((sec * 1000 - loadStart) / 1000).toFixed(0), ...b }))
    .filter((b) => b.t_s >= 0)
    .sort((a, b) => a.t_s - b.t_s);

  const checks = [];
  const outage = outageTimes ? outageReport(outageTimes, loadStart) : null;
  if (!outage) {
    checks.push({ name: "zero 5xx", pass: totals.c5 === 0, value: totals.c5 });
  } else {
    checks.push({ name: "5xx only while the database was away", pass: outage.c5_outside === 0, value: outage.c5_outside });
    checks.push({ name: "every 5xx has a JSON error body", pass: totals.nonjson5xx === 0, value: `${totals.json5xx} JSON, ${totals.nonjson5xx} not` });
    checks.push({
      name: "no hang: every 5xx of a route without a password hash answered within 10 s",
      pass: outage.failure_max_no_hash_ms !== null && outage.failure_max_no_hash_ms < 10_000,
      value: `max ${outage.failure_max_no_hash_ms} ms; on hashing routes, which first queue for a hashing permit, max ${outage.failure_max_ms} ms`,
    });
    checks.push({ name: `service back within ${RECOVERY_LIMIT_S} s of the database`, pass: outage.recovered_s !== null && outage.recovered_s <= RECOVERY_LIMIT_S, value: `${outage.recovered_s} s` });
  }
  checks.push({ name: "zero connection errors and timeouts", pass: totals.conn_errors + totals.timeouts === 0, value: totals.conn_errors + totals.timeouts });
  checks.push({
    name: "no unexpected status (every non-5xx answer as the flow expects)",
    pass: totals.unexpected === 0,
    value: totals.unexpected,
  });
  checks.push({
    name: `RSS flat after ${WARMUP_S} s: max/min of the peak VmRSS of each 10-s window from ${WARMUP_S} s to ${opts.duration} s within ${RSS_BAND * 100}%`,
    pass: windowSpread !== null && windowSpread <= RSS_BAND,
    value: windowSpread === null ? "no samples" : `${(windowSpread * 100).toFixed(1)}% (${windowPeaks.map((w) => `${w.from_s}s ${kib(w.peak_kib)}`).join(", ")})`,
  });

  return {
    started_at: new Date(t0).toISOString(),
    options: opts,
    load_avg_at_end: loadavg(),
    duration_s: seconds,
    flows: flowCounts,
    totals: { ...totals, per_s: +(totals.requests / seconds).toFixed(1) },
    routes,
    signed_up_ok: signedUp.length,
    rss: {
      peak_at_10s_kib: at10,
      window_peaks: windowPeaks,
      window_spread: windowSpread,
      per_second_peak: rssPeak,
      one_sample_a_second: rssPoint,
      per_second_floor: rssFloor,
      // [t_s, VmRSS at the second's end, peak in the second, floor in the second] (KiB)
      samples: samples.map((s) => [s.t_s, s.rss_kib, s.rss_peak_kib, s.rss_floor_kib]),
    },
    cpu: { server_mean_pct: mean(cpu), machine_busy_mean_pct: mean(busy), samples: samples.map((s) => [s.t_s, s.server_cpu_pct, s.machine_busy_pct]) },
    timeline,
    outage,
    checks,
    pass: checks.every((c) => c.pass),
  };
}

/**
 * The outage seen from the clients. "During" = requests that started after the stop command
 * returned and before the start command began. Recovery = from the start command's return (pg_ctl
 * -w returns once the server accepts connections) to the end of the last 5xx or connection error,
 * and to the first 2xx that started after the database was back.
 */
function outageReport(times, loadStart) {
  const lines = readFileSync(join(out, "requests.tsv"), "utf8").trim().split("\n").slice(1);
  const rows = lines.map((l) => {
    const [start, end, route, status, body, code, error] = l.split("\t");
    return { start: +start, end: +end, route, status: +status, body, code, error };
  }).filter((r) => r.route !== "seed");
  const during = rows.filter((r) => r.start >= times.stop_done_ms && r.start < times.start_begin_ms);
  const statuses = {};
  const bodies = {};
  for (const r of during) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status >= 500) bodies[`${r.body}${r.code ? ` ${r.code}` : ""}`] = (bodies[`${r.body}${r.code ? ` ${r.code}` : ""}`] ?? 0) + 1;
  }
  const failures = rows.filter((r) => r.status >= 500 || r.status === 0);
  const lastFailure = failures.reduce((m, r) => Math.max(m, r.end), -Infinity);
  const firstOkAfter = rows
    .filter((r) => r.status >= 200 && r.status < 300 && r.start >= times.start_done_ms)
    .reduce((m, r) => Math.min(m, r.end), Infinity);
  const c5Outside = rows.filter((r) => r.status >= 500 && (r.end < times.stop_begin_ms || r.start > times.start_done_ms + RECOVERY_LIMIT_S * 1000)).length;
  const lastFailureAfterBack = Number.isFinite(lastFailure) ? Math.max(0, lastFailure - times.start_done_ms) : 0;
  const firstOk = Number.isFinite(firstOkAfter) ? firstOkAfter - times.start_done_ms : null;
  const rel0 = (ms) => +((ms - loadStart) / 1000).toFixed(2);
  const lat = during.map((r) => r.end - r.start).sort((a, b) => a - b);
  const failureLat = failures.map((r) => r.end - r.start).sort((a, b) => a - b);
  const failureNoHash = failures.filter((r) => !HASHING_ROUTES.has(r.route)).map((r) => r.end - r.start);
  return {
    // Milliseconds since the generator started, as in requests.tsv and signed-up.txt.
    stop_begin_ms: times.stop_begin_ms,
    start_done_ms: times.start_done_ms,
    stop_begin_s: rel0(times.stop_begin_ms),
    stop_done_s: rel0(times.stop_done_ms),
    start_begin_s: rel0(times.start_begin_ms),
    start_done_s: rel0(times.start_done_ms),
    stop_exit: times.stop_exit,
    start_exit: times.start_exit,
    database_away_s: +((times.start_done_ms - times.stop_begin_ms) / 1000).toFixed(2),
    during_requests: during.length,
    during_statuses: statuses,
    during_5xx_bodies: bodies,
    during_p50_ms: percentile(lat, 50),
    during_max_ms: lat.length ? lat[lat.length - 1] : null,
    failures_total: failures.length,
    failure_p50_ms: percentile(failureLat, 50),
    failure_max_ms: failureLat.length ? failureLat[failureLat.length - 1] : null,
    failure_max_no_hash_ms: failureNoHash.length ? Math.max(...failureNoHash) : null,
    first_failure_s: failures.length ? rel0(failures.reduce((m, r) => Math.min(m, r.end), Infinity)) : null,
    last_failure_s: failures.length ? rel0(lastFailure) : null,
    first_2xx_after_back_ms: firstOk,
    last_failure_after_back_ms: lastFailureAfterBack,
    recovered_s: firstOk === null ? null : +(Math.max(firstOk, lastFailureAfterBack) / 1000).toFixed(2),
    c5_outside: c5Outside,
  };
}

function kib(v) {
  return v === null ? "-" : `${(v / 1024).toFixed(1)} MiB`;
}

function renderSummary(r) {
  const L = [];
  L.push(`# Mixed load: ${opts.label}`, "");
  L.push(`${r.started_at}, ${opts.clients} clients; new flows for ${opts.duration} s, the last in-flight ones done at ${r.duration_s.toFixed(1)} s; ${r.totals.requests} requests (${r.totals.per_s}/s over ${r.duration_s.toFixed(1)} s).`);
  L.push(`Flows: ${Object.entries(r.flows).map(([k, v]) => `${k} ${v}`).join(", ")}. Sign-ups answered 200: ${r.signed_up_ok} (with the seed).`);
  L.push(`Server CPU mean ${r.cpu.server_mean_pct}% (200% = both cores), machine busy mean ${r.cpu.machine_busy_mean_pct}%. Load average at end: ${r.load_avg_at_end.map((v) => v.toFixed(2)).join(" ")}.`, "");
  L.push("| route | requests | /s | 2xx | 4xx | 5xx | conn err | unexpected | p50 ms | p99 ms | max ms |");
  L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [route, s] of Object.entries(r.routes)) {
    const cls = (c) => Object.entries(s.statuses).filter(([st]) => String(st)[0] === c).reduce((a, [, n]) => a + n, 0);
    L.push(`| ${route} | ${s.requests} | ${s.per_s} | ${cls("2")} | ${cls("4")} | ${cls("5")} | ${s.conn_errors + s.timeouts} | ${s.unexpected} | ${s.p50_ms} | ${s.p99_ms} | ${s.max_ms} |`);
  }
  L.push("");
  const rs = r.rss.samples.filter(([t]) => t >= 0);
  const mib = (v) => (Number.isFinite(v) ? (v / 1024).toFixed(1) : "-");
  const spread = (b) => (b.spread === null ? "-" : `${mib(b.min_kib)}..${mib(b.max_kib)} MiB (${(b.spread * 100).toFixed(1)}%)`);
  L.push(`VmRSS from ${WARMUP_S} s on: per-second peak ${spread(r.rss.per_second_peak)}; one sample a second ${spread(r.rss.one_sample_a_second)}; per-second floor ${spread(r.rss.per_second_floor)}.`, "");
  L.push(`Per-second peak VmRSS (MiB): ${rs.map(([t, , p]) => `${Math.round(t)}s ${mib(p)}`).join(", ")}.`, "");
  if (r.outage) {
    const o = r.outage;
    L.push("## Database outage", "");
    L.push(`Stop began ${o.stop_begin_s} s (returned ${o.stop_done_s} s, exit ${o.stop_exit}); start began ${o.start_begin_s} s, database accepting at ${o.start_done_s} s (exit ${o.start_exit}); away ${o.database_away_s} s.`);
    L.push(`Requests started while it was down: ${o.during_requests} (a request whose database call began in the last 5 s of the outage waits for a connection and succeeds once it is back); statuses ${JSON.stringify(o.during_statuses)}; 5xx bodies ${JSON.stringify(o.during_5xx_bodies)}; latency p50 ${o.during_p50_ms} ms, max ${o.during_max_ms} ms.`);
    L.push(`Failures (5xx or connection errors) in all: ${o.failures_total}, answered from ${o.first_failure_s} s to ${o.last_failure_s} s, latency p50 ${o.failure_p50_ms} ms, max ${o.failure_max_ms} ms (routes without a hash: max ${o.failure_max_no_hash_ms} ms). First 2xx of a request started after the database was back: +${o.first_2xx_after_back_ms} ms; last failure ended +${o.last_failure_after_back_ms} ms after it was back. Recovered in ${o.recovered_s} s. 5xx outside the outage: ${o.c5_outside}.`, "");
  }
  L.push("## Checks", "");
  for (const c of r.checks) L.push(`- ${c.pass ? "PASS" : "FAIL"}: ${c.name} (${c.value})`);
  L.push("", `Overall: ${r.pass ? "PASS" : "FAIL"}`, "");
  return L.join("\n");
}

// ---------------------------------------------------------------- plumbing

function parseArgs(argv) {
  const o = {
    url: null, pid: null, adminEmail: null, out: null, duration: 60, clients: 48, users: 32, totpUsers: 64,
    seed: 11, outageAt: 20, outageFor: 8, stopCmd: null, startCmd: null, label: "tessera", runId: `${process.pid}`,
  };
  const num = (v, name, max) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${name}: want an integer in 0..${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    switch (a) {
      case "--url": o.url = v; break;
      case "--pid": o.pid = num(v, a, 1 << 30); break;
      case "--admin-email": o.adminEmail = v; break;
      case "--out": o.out = v; break;
      case "--duration": o.duration = num(v, a, 3600); break;
      case "--clients": o.clients = num(v, a, 1000); break;
      case "--users": o.users = num(v, a, 10_000); break;
      case "--totp-users": o.totpUsers = num(v, a, 10_000); break;
      case "--seed": o.seed = num(v, a, 2 ** 31); break;
      case "--outage-at": o.outageAt = num(v, a, 3600); break;
      case "--outage-for": o.outageFor = num(v, a, 3600); break;
      case "--stop-cmd": o.stopCmd = v; break;
      case "--start-cmd": o.startCmd = v; break;
      case "--label": o.label = v; break;
      case "--run-id": o.runId = v; break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  for (const k of ["url", "pid", "adminEmail", "out"]) if (o[k] === null) throw new Error(`--${k} is required`);
  const host = new URL(o.url).hostname;
  if (!/^127\.|^localhost$|^\[::1\]$/.test(host)) throw new Error("--url must be a loopback address");
  if (Boolean(o.stopCmd) !== Boolean(o.startCmd)) throw new Error("--stop-cmd and --start-cmd go together");
  if (o.users < 1 || o.clients < 1) throw new Error("--users and --clients must be at least 1");
  return o;
}

/** A small seeded generator, so that a run's choice of flows is reproducible. */
function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function log(msg) {
  process.stderr.write(`[load ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
