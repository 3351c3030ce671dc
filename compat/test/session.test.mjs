// GET /get-session: shape, headers, bad cookies, expiry and sliding refresh.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newSecret } from "../lib/server.mjs";
import { assertClearedCookie, assertNear, assertSessionCookie, assertWireSession, assertWireUser, signCookieValue } from "../lib/shapes.mjs";
import { currentSession, useServer } from "../lib/suite.mjs";

const fx = useServer();
const DAY = 86_400_000;

/** Moves a session's clock back by editing its row, the only way to age it without waiting. */
async function setSessionTimes(token, { expiresAt, updatedAt }) {
  await fx.query(`update "session" set "expiresAt" = ?, "updatedAt" = ? where "token" = ?`, [
    new Date(expiresAt).toISOString(),
    new Date(updatedAt).toISOString(),
    token,
  ]);
}

describe("get-session", () => {
  test("with a session: {session, user} with every field, ISO dates, no-store headers", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.request("/api/auth/get-session");

    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^application\/json/);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(res.headers.get("pragma"), "no-cache");
    assert.deepEqual(Object.keys(res.json).sort(), ["session", "user"]);
    assertWireSession(res.json.session, {
      token: alice.token,
      userId: alice.user.id,
      ipAddress: alice.browser.ip,
      userAgent: alice.browser.userAgent,
    });
    assertWireUser(res.json.user, { id: alice.user.id, email: alice.email.toLowerCase(), name: alice.name, image: null });
    assertNear(Date.parse(res.json.session.expiresAt), Date.parse(res.json.session.createdAt) + 7 * DAY, 5_000, "expiresAt");
    assert.deepEqual(res.setCookies, [], "a fresh session is not re-issued");
  });

  test("through the client: dates come back as Date objects", async () => {
    const alice = await fx.signUp();
    const data = await currentSession(alice.browser);
    assert.ok(data.session.expiresAt instanceof Date);
    assert.ok(data.user.createdAt instanceof Date);
    assert.equal(data.user.email, alice.email.toLowerCase());
  });

  test("without a cookie: the literal body null, still no-store", async () => {
    const res = await fx.browser().request("/api/auth/get-session");
    assert.equal(res.status, 200);
    assert.equal(res.text, "null");
    assert.match(res.headers.get("content-type"), /^application\/json/);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(res.headers.get("pragma"), "no-cache");
    assert.equal(await currentSession(fx.browser()), null);
  });

  test("a cookie whose signature does not verify is no session", async () => {
    const alice = await fx.signUp();
    const cases = {
      "tampered signature": signCookieValue(alice.token, newSecret()),
      "bare token": alice.token,
      "signature of another token": `${alice.token}.${decodeURIComponent(signCookieValue("x".repeat(32), fx.server.secret)).split(".")[1]}`,
      garbage: "not-a-cookie",
    };
    for (const [label, value] of Object.entries(cases)) {
      const thief = fx.browser();
      thief.setCookie("better-auth.session_token", value);
      const res = await thief.request("/api/auth/get-session");
      assert.equal(res.status, 200, label);
      assert.equal(res.text, "null", label);
      assert.deepEqual(res.setCookies, [], `${label}: an unverifiable cookie is ignored, not cleared`);
    }
  });

  test("the signature is checked on the decoded value, so an un-encoded cookie works too", async () => {
    const alice = await fx.signUp();
    const copy = fx.browser();
    copy.setCookie("better-auth.session_token", decodeURIComponent(alice.browser.cookie("better-auth.session_token")));
    const res = await copy.request("/api/auth/get-session");
    assert.equal(res.json?.session?.token, alice.token);
  });

  test("a correctly signed cookie whose session is gone: null and the cookies cleared", async () => {
    const alice = await fx.signUp();
    const revoked = alice.browser.clone();
    assert.equal((await alice.browser.client.revokeSessions()).error, null);
    const res = await revoked.request("/api/auth/get-session");
    assert.equal(res.text, "null");
    assertClearedCookie(res.setCookies, "better-auth.session_token");
    assertClearedCookie(res.setCookies, "better-auth.session_data");
    assertClearedCookie(res.setCookies, "better-auth.dont_remember");
  });

  test("an expired session is null, its row deleted, its cookies cleared", async () => {
    const alice = await fx.signUp();
    await setSessionTimes(alice.token, { expiresAt: Date.now() - 60_000, updatedAt: Date.now() - 8 * DAY });

    const res = await alice.browser.request("/api/auth/get-session");
    assert.equal(res.text, "null");
    assertClearedCookie(res.setCookies, "better-auth.session_token");
    assertClearedCookie(res.setCookies, "better-auth.session_data");
    assertClearedCookie(res.setCookies, "better-auth.dont_remember");
    const rows = await fx.query(`select "id" from "session" where "token" = ?`, [alice.token]);
    assert.equal(rows.length, 0);
  });

  test("a session older than a day slides: seven more days and a re-issued cookie, same token", async () => {
    const alice = await fx.signUp();
    await setSessionTimes(alice.token, { expiresAt: Date.now() + 5 * DAY, updatedAt: Date.now() - 2 * DAY });

    const res = await alice.browser.request("/api/auth/get-session");
    assert.equal(res.json.session.token, alice.token);
    assertNear(Date.parse(res.json.session.expiresAt), Date.now() + 7 * DAY, 10_000, "refreshed expiresAt");
    assertNear(Date.parse(res.json.session.updatedAt), Date.now(), 10_000, "refreshed updatedAt");
    assertSessionCookie(res.setCookies, { token: alice.token, secret: fx.server.secret });
    const [row] = await fx.query(`select "expiresAt" from "session" where "token" = ?`, [alice.token]);
    assertNear(new Date(row.expiresAt).getTime(), Date.now() + 7 * DAY, 10_000, "stored expiresAt");
  });

  test("a session younger than a day is not refreshed", async () => {
    const alice = await fx.signUp();
    const expiresAt = Date.now() + 6.5 * DAY;
    await setSessionTimes(alice.token, { expiresAt, updatedAt: Date.now() - 0.5 * DAY });
    const res = await alice.browser.request("/api/auth/get-session");
    assert.equal(Date.parse(res.json.session.expiresAt), expiresAt);
    assert.deepEqual(res.setCookies, []);
  });

  test("a don't-remember session is never refreshed", async () => {
    const alice = await fx.signUp();
    const browser = fx.browser();
    const signIn = await browser.client.signIn.email({ email: alice.email, password: alice.password, rememberMe: false });
    const expiresAt = Date.now() + 0.2 * DAY;
    await setSessionTimes(signIn.data.token, { expiresAt, updatedAt: Date.now() - 0.8 * DAY });
    const res = await browser.request("/api/auth/get-session");
    assert.equal(res.json.session.token, signIn.data.token);
    assert.equal(Date.parse(res.json.session.expiresAt), expiresAt);
    assert.deepEqual(res.setCookies, []);
  });

  test("POST /get-session is 405 (deferSessionRefresh is off)", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.request("/api/auth/get-session", { json: {} });
    assert.equal(res.status, 405);
    assert.deepEqual(res.json, {
      message: "POST method requires deferSessionRefresh to be enabled in session config",
      code: "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
    });
  });
});
