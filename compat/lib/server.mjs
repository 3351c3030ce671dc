// Starts the server under test (real Better Auth on Node, or the Tessera binary) on a free port
// and waits until it answers. Both are configured through the same contract:
//
//   better-auth: node server/better-auth-server.mjs --migrate
//                DATABASE_URL, BETTER_AUTH_SECRET, BETTER_AUTH_URL, HOST, PORT,
//                TESSERA_PLUGINS, TESSERA_RATE_LIMIT, TESSERA_OUTBOX, NODE_ENV=production
//   tessera:     $TESSERA_BIN migrate   then   $TESSERA_BIN serve
//                TESSERA_DATABASE_URL, BETTER_AUTH_SECRET, BETTER_AUTH_URL, TESSERA_LISTEN=127.0.0.1:<port>,
//                TESSERA_PLUGINS, TESSERA_RATE_LIMIT, TESSERA_OUTBOX, NODE_ENV=production
//
// Both run in production mode: that is the behaviour worth comparing (Better Auth turns its origin
// check off in test mode and its rate limiter off outside production).
//
// Ready = a line "listening on <url>" on stdout or stderr, or GET /api/auth/ok answering 200.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BETTER_AUTH_SERVER, COMPAT_DIR, TARGET, tesseraBin } from "./config.mjs";
import { tempDir, trackChild } from "./cleanup.mjs";
import { readOutbox, waitForMessage } from "./outbox.mjs";
import { freePort } from "./ports.mjs";

const READY_TIMEOUT_MS = Number(process.env.COMPAT_READY_TIMEOUT_MS || 30_000);

/** A fresh 32-byte hex secret, the form `tessera secret` and Better Auth's CLI print. */
export function newSecret() {
  return randomBytes(32).toString("hex");
}

/**
 * @param {object} opts
 * @param {"better-auth"|"tessera"} [opts.kind]  default: COMPAT_TARGET
 * @param {string} opts.db                      database URL (sqlite://… or postgres://…)
 * @param {string[]} [opts.plugins]             subset of admin, two-factor, username, phone-number, organization
 * @param {string} [opts.secret]                default: a fresh random secret
 * @param {boolean} [opts.rateLimit]            default true (production behaviour)
 * @param {boolean} [opts.migrate]              default true
 * @param {Record<string,string>} [opts.env]    extra environment for the child
 * @param {object} [opts.fields]               additional fields, in Tessera's config shape:
 *                                             {user: {additional_fields: {name: {type, required,
 *                                             default, input, returned, unique}}}, session: {…}}
 * @param {object} [opts.organization]         Tessera's `[organization]` table (snake_case keys, e.g.
 *                                             {membership_limit: 3, teams: {enabled: true},
 *                                             roles: {auditor: {member: ["read"]}}}); Better Auth
 *                                             gets it as TESSERA_ORGANIZATION (server/options.mjs)
 * @param {object} [opts.config]               further tables of Tessera's config, snake_case keys
 *                                             (e.g. {email_otp: {store_otp: "hashed"}, magic_link:
 *                                             {disable_sign_up: true}}); Better Auth gets them as
 *                                             TESSERA_CONFIG_TABLES (server/options.mjs)
 * @param {number} [opts.port]                 a port chosen beforehand (e.g. registered at an OAuth provider)
 */
export async function startServer(opts) {
  let lastError;
  // The free port can be taken between probing and binding; a new port fixes that.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts, opts.port ?? (await freePort()));
    } catch (e) {
      lastError = e;
      if (!e.portInUse) throw e;
    }
  }
  throw lastError;
}

async function startOnce(opts, port) {
  const kind = opts.kind ?? TARGET;
  const secret = opts.secret ?? newSecret();
  const plugins = (opts.plugins ?? []).join(",");
  const dir = tempDir(`compat-${kind}-`);
  const outbox = join(dir, "outbox.jsonl");
  const url = `http://127.0.0.1:${port}`;
  const shared = {
    BETTER_AUTH_SECRET: secret,
    BETTER_AUTH_URL: url,
    TESSERA_PLUGINS: plugins,
    TESSERA_RATE_LIMIT: opts.rateLimit === false ? "off" : "on",
    TESSERA_OUTBOX: outbox,
  };
  if (opts.fields) shared.TESSERA_ADDITIONAL_FIELDS = JSON.stringify(opts.fields);
  if (opts.organization) shared.TESSERA_ORGANIZATION = JSON.stringify(opts.organization);
  if (opts.config) shared.TESSERA_CONFIG_TABLES = JSON.stringify(opts.config);
  const env = { ...baseEnv(), ...shared, ...(opts.env ?? {}) };

  let command;
  let args;
  if (kind === "better-auth") {
    Object.assign(env, { DATABASE_URL: opts.db, HOST: "127.0.0.1", PORT: String(port), NODE_ENV: "production" });
    command = process.execPath;
    args = [BETTER_AUTH_SERVER, ...(opts.migrate === false ? [] : ["--migrate"])];
  } else if (kind === "tessera") {
    const bin = tesseraBin();
    if (!existsSync(bin)) throw new Error(`Tessera binary not found at ${bin} (build it, or set TESSERA_BIN)`);
    Object.assign(env, { TESSERA_DATABASE_URL: opts.db, TESSERA_LISTEN: `127.0.0.1:${port}`, NODE_ENV: "production" });
    if (opts.fields || opts.organization || opts.config) {
      // Tessera reads declarations from its config file: the same ones, written as TOML.
      const config = join(dir, "tessera.toml");
      const parts = [];
      if (opts.fields) parts.push(fieldsToml(opts.fields));
      if (opts.organization) parts.push(tablesToml({ organization: opts.organization }));
      if (opts.config) parts.push(tablesToml(opts.config));
      writeFileSync(config, parts.join("\n"));
      env.TESSERA_CONFIG = config;
    }
    if (opts.migrate !== false) await runToCompletion(bin, ["migrate"], env, "tessera migrate");
    command = bin;
    args = ["serve"];
  } else {
    throw new Error(`unknown server kind ${kind}`);
  }

  const child = trackChild(spawn(command, args, { env, cwd: COMPAT_DIR, stdio: ["ignore", "pipe", "pipe"] }));
  const log = [];
  const collect = (stream) => (chunk) => {
    log.push(`[${stream}] ${chunk}`);
  };
  child.stdout.setEncoding("utf8").on("data", collect("stdout"));
  child.stderr.setEncoding("utf8").on("data", collect("stderr"));
  await waitUntilReady(child, url, log);

  const handle = {
    kind,
    url,
    secret,
    db: opts.db,
    plugins: opts.plugins ?? [],
    outbox,
    pid: child.pid,
    log: () => log.join(""),
    readOutbox: () => readOutbox(outbox),
    waitForMessage: (predicate, timeoutMs) => waitForMessage(outbox, predicate, timeoutMs),
    stop: () => stopChild(child),
  };
  return handle;
}

/**
 * The child inherits PATH and friends, but nothing that would change its configuration behind the
 * test's back: no test mode, no stray database, secret or TESSERA_* setting from the caller's
 * shell (TESSERA_LOG excepted, for debugging).
 */
function baseEnv() {
  const env = { ...process.env };
  const dropped = ["NODE_TEST_CONTEXT", "NODE_ENV", "TEST", "DATABASE_URL", "BETTER_AUTH_TRUSTED_ORIGINS", "BETTER_AUTH_SECRETS", "AUTH_SECRET"];
  for (const k of Object.keys(env)) {
    if (dropped.includes(k) || (k.startsWith("TESSERA_") && k !== "TESSERA_LOG")) delete env[k];
  }
  return env;
}

function runToCompletion(command, args, env, what) {
  return new Promise((resolveRun, reject) => {
    const child = trackChild(spawn(command, args, { env, cwd: COMPAT_DIR, stdio: ["ignore", "pipe", "pipe"] }));
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c) => (out += c));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolveRun(out);
      else reject(new Error(`${what} failed (code ${code}, signal ${signal}):\n${out}`));
    });
  });
}

function waitUntilReady(child, url, log) {
  return new Promise((resolveReady, reject) => {
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poller);
      child.stdout.off("data", onData);
      child.stderr.off("data", onData);
      child.off("exit", onExit);
      if (err) {
        child.kill("SIGKILL");
        reject(err);
      } else resolveReady();
    };
    // The collectors run first, so the log already holds this chunk; a line split across chunks still matches.
    const onData = () => {
      if (/listening on /.test(log.join(""))) finish();
    };
    const onExit = (code, signal) => {
      const output = log.join("");
      const err = new Error(`server exited before it was ready (code ${code}, signal ${signal}):\n${output}`);
      err.portInUse = /EADDRINUSE|address already in use/i.test(output);
      finish(err);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", onExit);
    child.on("error", (e) => finish(e));
    const timer = setTimeout(() => finish(new Error(`server not ready after ${READY_TIMEOUT_MS} ms:\n${log.join("")}`)), READY_TIMEOUT_MS);
    const poller = setInterval(async () => {
      try {
        const res = await fetch(`${url}/api/auth/ok`);
        if (res.status === 200) finish();
      } catch {
        // not listening yet
      }
    }, 200);
  });
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const hard = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(hard);
      resolveStop();
    });
    child.kill("SIGTERM");
  });
}

/** `{user: {additional_fields: {…}}}` as `[user.additional_fields.<name>]` tables. */
export function fieldsToml(fields) {
  const lines = [];
  for (const [table, { additional_fields: declared = {} } = {}] of Object.entries(fields)) {
    for (const [name, field] of Object.entries(declared)) {
      lines.push(`[${table}.additional_fields.${name}]`);
      for (const [key, value] of Object.entries(field)) lines.push(`${key} = ${tomlValue(value)}`);
      lines.push("");
    }
  }
  return lines.join("\n");
}

/**
 * Nested objects as TOML tables: `{organization: {membership_limit: 3, teams: {enabled: true}}}`
 * → `[organization]` `membership_limit = 3` `[organization.teams]` `enabled = true`. Arrays stay
 * inline arrays; table names are quoted where they are not bare keys.
 */
export function tablesToml(tables, prefix = []) {
  const lines = [];
  for (const [name, table] of Object.entries(tables)) {
    const path = [...prefix, name];
    const scalars = Object.entries(table).filter(([, v]) => !isTable(v));
    const nested = Object.entries(table).filter(([, v]) => isTable(v));
    if (scalars.length > 0 || nested.length === 0) {
      lines.push(`[${path.map(tomlKey).join(".")}]`);
      for (const [k, v] of scalars) lines.push(`${tomlKey(k)} = ${tomlValue(v)}`);
      lines.push("");
    }
    if (nested.length > 0) lines.push(tablesToml(Object.fromEntries(nested), path));
  }
  return lines.join("\n");
}

function isTable(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function tomlKey(k) {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

function tomlValue(value) {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)} = ${tomlValue(v)}`).join(", ")} }`;
  }
  throw new Error(`no TOML for ${JSON.stringify(value)}`);
}
