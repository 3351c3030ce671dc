#!/usr/bin/env node
// A real Better Auth 1.7.25 HTTP server configured from the same environment as Tessera, so the
// compat suite, the interop tests and the benchmarks can put either one behind a base URL.
//
//   DATABASE_URL        sqlite:///abs/path.db | sqlite://rel.db | sqlite::memory: | postgres://…
//   BETTER_AUTH_SECRET  required (production mode refuses Better Auth's default secret)
//   BETTER_AUTH_URL     default http://HOST:PORT
//   HOST, PORT          default 127.0.0.1, 3000
//   TESSERA_PLUGINS     comma list of admin,two-factor,username,phone-number,organization (default none)
//   TESSERA_RATE_LIMIT  "off" disables the rate limiter (default: Better Auth's production limits)
//   TESSERA_OUTBOX      JSON-lines file receiving e-mails and OTPs (default: messages are dropped)
//   TESSERA_ADDITIONAL_FIELDS  JSON of Tessera's `[user|session.additional_fields.*]` declarations,
//                       given to Better Auth as `user.additionalFields` / `session.additionalFields`
//   TESSERA_ORGANIZATION  JSON of Tessera's `[organization]` table (snake_case keys), given to
//                       Better Auth as `organization({…})` options (see organizationOptions in options.mjs)
//   PG_POOL_MAX         PostgreSQL pool size (default 10)
//   --migrate           create/upgrade the schema before listening
//   --migrate-only      create/upgrade the schema and exit
//
// Prints exactly one line "listening on <url>" on stdout when ready.

import { createServer } from "node:http";

// Better Auth reads NODE_ENV once, at import time: origin checks, rate-limit defaults and the
// default-secret refusal all depend on it. Comparing behaviour only means something in production
// mode, so set it before the dynamic imports below and refuse test mode outright.
if (process.env.NODE_ENV === undefined || process.env.NODE_ENV === "") {
  process.env.NODE_ENV = "production";
}
if (process.env.NODE_ENV === "test" || /^(1|true)$/i.test(process.env.TEST ?? "")) {
  fail("refusing to run with NODE_ENV=test or TEST set: Better Auth disables its origin check in test mode");
}

const { betterAuth } = await import("better-auth");
const { toNodeHandler } = await import("better-auth/node");
const { getMigrations } = await import("better-auth/db/migration");
const { buildOptions, openDatabase } = await import("./options.mjs");

function fail(message) {
  process.stderr.write(`better-auth-server: ${message}\n`);
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  for (const a of args) {
    if (a !== "--migrate" && a !== "--migrate-only") fail(`unknown argument ${a}`);
  }
  const env = process.env;
  const host = env.HOST || "127.0.0.1";
  const port = Number(env.PORT || 3000);
  if (!env.DATABASE_URL) fail("DATABASE_URL is required");
  if (!env.BETTER_AUTH_SECRET) fail("BETTER_AUTH_SECRET is required");
  env.BETTER_AUTH_URL ||= `http://${host}:${port}`;

  let db;
  let options;
  try {
    db = await openDatabase(env.DATABASE_URL);
    options = buildOptions(env, db.database);
  } catch (e) {
    fail(e.message);
  }
  const auth = betterAuth(options);

  if (args.includes("--migrate") || args.includes("--migrate-only")) {
    const { runMigrations } = await getMigrations(options);
    await runMigrations();
    if (args.includes("--migrate-only")) {
      await db.close();
      return;
    }
  }

  const server = createServer(toNodeHandler(auth));
  // Load generators keep connections open between requests; Node's 5 s default would make them
  // reconnect mid-run and measure handshakes instead of the server.
  server.keepAliveTimeout = 65_000;
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    server.close(() => db.close().finally(() => process.exit(0)));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  server.on("error", (e) => fail(`listen failed: ${e.message}`));
  server.listen(port, host, () => {
    const addr = server.address();
    const shownHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    process.stdout.write(`listening on http://${shownHost}:${addr.port}\n`);
  });
}

await main();
