// The wire shapes the npm client depends on, written once: which keys a user or session object
// carries (per enabled plugin), how dates and ids look, how an error body and a signed cookie look.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";

/** Date.prototype.toJSON(): what Better Auth puts on the wire and in SQLite. */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** generateId(32): ids and session tokens. */
export const ID32 = /^[A-Za-z0-9]{32}$/;
/** Better Auth's default password hash: 16-byte salt as hex, ':', 64-byte scrypt key as hex. */
export const SCRYPT_HASH = /^[0-9a-f]{32}:[0-9a-f]{128}$/;

const USER_CORE = ["id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"];
const USER_BY_PLUGIN = {
  admin: ["role", "banned", "banReason", "banExpires"],
  "two-factor": ["twoFactorEnabled"],
  username: ["username", "displayUsername"],
  "phone-number": ["phoneNumber", "phoneNumberVerified"],
};
const SESSION_CORE = ["id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId"];
const SESSION_BY_PLUGIN = { admin: ["impersonatedBy"] };

export function userKeys(plugins = []) {
  return [...USER_CORE, ...plugins.flatMap((p) => USER_BY_PLUGIN[p] ?? [])].sort();
}

export function sessionKeys(plugins = []) {
  return [...SESSION_CORE, ...plugins.flatMap((p) => SESSION_BY_PLUGIN[p] ?? [])].sort();
}

/**
 * A user object exactly as it travels as JSON (dates still strings): every key of the schema
 * present, nulls explicit, nothing secret.
 */
export function assertWireUser(user, { plugins = [], ...expected } = {}) {
  assert.deepEqual(Object.keys(user).sort(), userKeys(plugins), "user keys");
  assert.match(user.id, ID32);
  assert.match(user.createdAt, ISO_MS);
  assert.match(user.updatedAt, ISO_MS);
  assert.equal(typeof user.emailVerified, "boolean");
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(user[k], v, `user.${k}`);
}

export function assertWireSession(session, { plugins = [], ...expected } = {}) {
  assert.deepEqual(Object.keys(session).sort(), sessionKeys(plugins), "session keys");
  assert.match(session.id, ID32);
  assert.match(session.token, ID32);
  assert.match(session.expiresAt, ISO_MS);
  assert.match(session.createdAt, ISO_MS);
  assert.match(session.updatedAt, ISO_MS);
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(session[k], v, `session.${k}`);
}

/** The same user after the client revived its ISO strings into Dates. */
export function assertClientUser(user, { plugins = [], ...expected } = {}) {
  assert.deepEqual(Object.keys(user).sort(), userKeys(plugins), "user keys");
  assert.match(user.id, ID32);
  assert.ok(user.createdAt instanceof Date, "createdAt revived to a Date");
  assert.ok(user.updatedAt instanceof Date, "updatedAt revived to a Date");
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(user[k], v, `user.${k}`);
}

/** A non-2xx raw response with Better Auth's `{"message","code"}` body. */
export function assertErrorResponse(res, status, code, message) {
  assert.equal(res.status, status, `status (body: ${res.text})`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const expected = code === undefined ? { message } : { message, code };
  if (message === undefined) {
    assert.equal(res.json?.code, code, `code (body: ${res.text})`);
    assert.equal(typeof res.json?.message, "string");
  } else {
    assert.deepEqual(res.json, expected);
  }
}

/** A client `{data, error}` result that failed the way Better Auth fails. */
export function assertClientError(result, status, code, message) {
  assert.equal(result.data, null, "no data on error");
  assert.ok(result.error, "an error");
  assert.equal(result.error.status, status, `status (${JSON.stringify(result.error)})`);
  assert.equal(result.error.code, code);
  if (message !== undefined) assert.equal(result.error.message, message);
}

/** Better Auth's signed cookie value: encodeURIComponent(value + "." + base64(HMAC-SHA256(secret, value))). */
export function signCookieValue(value, secret) {
  const sig = createHmac("sha256", secret).update(value).digest("base64");
  return encodeURIComponent(`${value}.${sig}`);
}

/** The value inside a signed cookie if its signature verifies with `secret`, else null. */
export function unsignCookieValue(cookieValue, secret) {
  const decoded = decodeURIComponent(cookieValue);
  const dot = decoded.lastIndexOf(".");
  if (dot < 0) return null;
  const value = decoded.slice(0, dot);
  return signCookieValue(value, secret) === encodeURIComponent(decoded) ? value : null;
}

/** Finds the Set-Cookie for `name` among parsed cookies, failing with the names that were set. */
export function findSetCookie(setCookies, name) {
  const c = setCookies.find((x) => x.name === name);
  assert.ok(c, `Set-Cookie ${name} (got: ${setCookies.map((x) => x.name).join(", ") || "none"})`);
  return c;
}

/**
 * The session cookie of a remembered session: signed token, 7-day Max-Age, Path=/, HttpOnly,
 * SameSite=Lax, and nothing else over plain http (no Secure, no Domain, no Expires).
 */
export function assertSessionCookie(setCookies, { token, secret, maxAge = "604800" }) {
  const c = findSetCookie(setCookies, "better-auth.session_token");
  assert.equal(c.value, signCookieValue(token, secret), "cookie value is the HMAC-signed session token");
  const attrs = { path: "/", httponly: true, samesite: "Lax" };
  if (maxAge !== null) attrs["max-age"] = maxAge;
  assert.deepEqual(c.attributes, attrs, `attributes of ${c.raw}`);
  return c;
}

/** A Set-Cookie that deletes `name`: empty value, Max-Age=0, same Path/HttpOnly/SameSite. */
export function assertClearedCookie(setCookies, name) {
  const c = findSetCookie(setCookies, name);
  assert.equal(c.value, "", `${name} emptied`);
  assert.deepEqual(c.attributes, { "max-age": "0", path: "/", httponly: true, samesite: "Lax" }, `attributes of ${c.raw}`);
}

/** |a - b| <= tolerance, for timestamps computed on the server. */
export function assertNear(actualMs, expectedMs, toleranceMs, what) {
  assert.ok(Math.abs(actualMs - expectedMs) <= toleranceMs, `${what}: ${new Date(actualMs).toISOString()} not within ${toleranceMs} ms of ${new Date(expectedMs).toISOString()}`);
}
