#!/usr/bin/env node
// A local stand-in for Clerk's Backend API user listing, serving a generated snapshot
// (`tessera example clerk-export` writes users.json) with Clerk's paging rules
// (clerk-export.md §2.2): `limit` 1..500 (default 10), `offset`, the `starting_after` cursor (only
// with created_at ordering, never with a non-zero offset), `order_by` `±created_at` (default
// newest first), `GET /v1/users/count`, a bearer key. Both importers in the comparison read it.
//
//   node clerk-api.mjs SNAPSHOT [PORT]     prints "listening on http://127.0.0.1:PORT/v1"
//
// Only what the comparison needs: no other filters, no rate limit (neither importer comes near
// Clerk's 1000 requests / 10 s with 10,000 users: 20 pages).

import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const [snapshotPath, portArg] = process.argv.slice(2);
if (!snapshotPath) {
  process.stderr.write("usage: clerk-api.mjs SNAPSHOT [PORT]\n");
  process.exit(2);
}
const users = JSON.parse(readFileSync(snapshotPath, "utf8"));
// Each user pre-serialised once: pages are then string joins, so the stand-in costs little next to
// the importers it serves.
const byCreated = users
  .map((u) => ({ id: u.id, created: u.created_at ?? 0, json: JSON.stringify(u) }))
  .sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const newestFirst = [...byCreated].reverse();
const position = new Map(byCreated.map((u, i) => [u.id, i]));

function clerkError(res, status, code, message) {
  const body = { errors: [{ message, long_message: message, code, meta: {} }], clerk_trace_id: "stand-in" };
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function listUsers(url, res) {
  const q = url.searchParams;
  const limit = q.has("limit") ? Number(q.get("limit")) : 10;
  const offset = q.has("offset") ? Number(q.get("offset")) : 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    return clerkError(res, 422, "form_param_value_invalid", "limit must be between 1 and 500");
  }
  if (!Number.isInteger(offset) || offset < 0) {
    return clerkError(res, 422, "form_param_value_invalid", "offset must be 0 or more");
  }
  const orderBy = q.get("order_by") ?? "-created_at";
  const ascending = orderBy === "+created_at" || orderBy === "created_at";
  if (!ascending && orderBy !== "-created_at") {
    if (q.has("starting_after")) {
      return clerkError(res, 422, "form_param_value_invalid", "starting_after needs created_at ordering");
    }
    return clerkError(res, 422, "form_param_value_invalid", "unsupported order_by in the stand-in");
  }
  const list = ascending ? byCreated : newestFirst;
  let start = offset;
  if (q.has("starting_after")) {
    if (offset !== 0) {
      return clerkError(res, 422, "form_param_value_invalid", "starting_after cannot be combined with offset");
    }
    const at = position.get(q.get("starting_after"));
    if (at === undefined) return clerkError(res, 422, "resource_not_found", "starting_after: no such user");
    start = ascending ? at + 1 : byCreated.length - at;
  }
  const page = list.slice(start, start + limit);
  res.writeHead(200, { "content-type": "application/json" });
  res.end(`[${page.map((u) => u.json).join(",")}]`);
}

const server = createServer((req, res) => {
  const url = new URL(req.url, "http://stand-in");
  if (!/^Bearer sk_(live|test)_\S+$/.test(req.headers.authorization ?? "")) {
    return clerkError(res, 401, "authentication_invalid", "invalid secret key");
  }
  if (req.method === "GET" && url.pathname === "/v1/users") return listUsers(url, res);
  if (req.method === "GET" && url.pathname === "/v1/users/count") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ object: "total_count", total_count: byCreated.length }));
  }
  clerkError(res, 404, "resource_not_found", "not served by the stand-in");
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portArg ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}/v1\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
