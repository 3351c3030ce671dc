// The multi-session plugin through the real multiSessionClient: several accounts in one browser,
// each session kept in a signed cookie `better-auth.session_token_multi-<lower-cased token>`;
// list-device-sessions, set-active, revoke, maximumSessions (Better Auth's default, 5), the same
// account signing in again, sign-out ending every session of the browser, and forged cookies.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { multiSessionClient } from "better-auth/client/plugins";
import { assertClearedCookie, assertClientError, assertErrorResponse, assertWireSession, assertWireUser, findSetCookie, signCookieValue } from "../lib/shapes.mjs";
import { currentSession, signUp, useServer } from "../lib/suite.mjs";

const PLUGINS = ["multi-session"];
// Six accounts sign in from one browser (one IP) within seconds; sign-up's own rate limit is
// tested elsewhere.
const fx = useServer({ plugins: PLUGINS, rateLimit: false });
const browser = () => fx.browser({ plugins: [multiSessionClient()] });

const INVALID_SESSION_TOKEN = ["INVALID_SESSION_TOKEN", "Invalid session token"];
const multiName = (token) => `better-auth.session_token_multi-${token.toLowerCase()}`;
const multiCookies = (b) => [...b.jar.keys()].filter((k) => k.includes("_multi-")).sort();

async function listed(b) {
  const res = await b.client.multiSession.listDeviceSessions();
  assert.equal(res.error, null, JSON.stringify(res.error));
  return res.data;
}

async function sessionRows(tokens) {
  const rows = [];
  for (const token of tokens) rows.push(...(await fx.query(`select "token" from "session" where "token" = ?`, [token])));
  return rows.map((r) => r.token);
}

describe("several accounts in one browser", () => {
  test("each new session gets its own signed multi cookie, with the session cookie's attributes", async () => {
    const b = browser();
    const alice = await signUp(b);
    const c = findSetCookie(b.lastSetCookies, multiName(alice.token));
    assert.equal(c.value, signCookieValue(alice.token, fx.server.secret));
    assert.deepEqual(c.attributes, { "max-age": "604800", path: "/", httponly: true, samesite: "Lax" });
    const bob = await signUp(b);
    assert.deepEqual(multiCookies(b), [multiName(alice.token), multiName(bob.token)].sort());
  });

  test("list-device-sessions lists both accounts, each with its session", async () => {
    const b = browser();
    const alice = await signUp(b);
    const bob = await signUp(b);
    const list = await listed(b);
    assert.equal(list.length, 2);
    const byUser = Object.fromEntries(list.map((e) => [e.user.id, e]));
    assert.equal(byUser[alice.user.id].session.token, alice.token);
    assert.equal(byUser[bob.user.id].session.token, bob.token);

    const raw = await b.request("/api/auth/multi-session/list-device-sessions");
    assert.equal(raw.status, 200, raw.text);
    assert.equal(raw.json.length, 2);
    for (const entry of raw.json) {
      assert.deepEqual(Object.keys(entry), ["session", "user"]);
      assertWireSession(entry.session);
      assertWireUser(entry.user);
    }
  });

  test("a browser without multi cookies lists nothing, signed in or not", async () => {
    const res = await browser().request("/api/auth/multi-session/list-device-sessions");
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, []);
    const { browser: b } = await fx.signUp();
    for (const k of multiCookies(b)) b.jar.delete(k);
    assert.deepEqual(await listed(b), []);
  });

  test("set-active switches get-session to the other account", async () => {
    const b = browser();
    const alice = await signUp(b);
    const bob = await signUp(b);
    assert.equal((await currentSession(b)).user.id, bob.user.id);
    const res = await b.client.multiSession.setActive({ sessionToken: alice.token });
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data.session.token, alice.token);
    assert.equal(res.data.user.id, alice.user.id);
    assert.equal((await currentSession(b)).user.id, alice.user.id);
    // Switching sets no new multi cookie and ends no session.
    assert.deepEqual(multiCookies(b), [multiName(alice.token), multiName(bob.token)].sort());
    assert.equal((await listed(b)).length, 2);
  });

  test("set-active and revoke take the token in any case: the cookie name is lower-cased", async () => {
    const b = browser();
    const alice = await signUp(b);
    await signUp(b);
    const res = await b.client.multiSession.setActive({ sessionToken: alice.token.toUpperCase() });
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data.session.token, alice.token);
  });

  test("revoking the active session switches the browser to another one", async () => {
    const b = browser();
    const alice = await signUp(b);
    const bob = await signUp(b);
    const res = await b.client.multiSession.revoke({ sessionToken: bob.token });
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.deepEqual(res.data, { status: true });
    assertClearedCookie(b.lastSetCookies, multiName(bob.token));
    assert.deepEqual(await sessionRows([bob.token]), []);
    assert.equal((await currentSession(b)).user.id, alice.user.id);
    const list = await listed(b);
    assert.deepEqual(list.map((e) => e.user.id), [alice.user.id]);
  });

  test("revoking another session leaves the active one", async () => {
    const b = browser();
    const alice = await signUp(b);
    const bob = await signUp(b);
    const res = await b.client.multiSession.revoke({ sessionToken: alice.token });
    assert.deepEqual(res.data, { status: true });
    assert.deepEqual(await sessionRows([alice.token, bob.token]), [bob.token]);
    assert.equal((await currentSession(b)).user.id, bob.user.id);
  });

  test("revoking the last session signs the browser out", async () => {
    const b = browser();
    const alice = await signUp(b);
    const res = await b.client.multiSession.revoke({ sessionToken: alice.token });
    assert.deepEqual(res.data, { status: true });
    assertClearedCookie(b.lastSetCookies, "better-auth.session_token");
    assert.equal(await currentSession(b), null);
  });

  test("revoke needs a session", async () => {
    const b = browser();
    const alice = await signUp(b);
    b.jar.delete("better-auth.session_token");
    const res = await b.client.multiSession.revoke({ sessionToken: alice.token });
    assert.equal(res.error?.status, 401);
    assert.deepEqual(await sessionRows([alice.token]), [alice.token]);
    // The body is checked before the session.
    const raw = await b.request("/api/auth/multi-session/revoke", { json: {} });
    assert.equal(raw.status, 400, raw.text);
    assert.equal(raw.json.code, "VALIDATION_ERROR");
  });
});

describe("tokens the browser does not hold", () => {
  test("revoke of an unknown token is 401 INVALID_SESSION_TOKEN", async () => {
    const b = browser();
    await signUp(b);
    assertClientError(await b.client.multiSession.revoke({ sessionToken: "unknown-token" }), 401, ...INVALID_SESSION_TOKEN);
    const raw = await b.request("/api/auth/multi-session/revoke", { json: { sessionToken: "unknown-token" } });
    assertErrorResponse(raw, 401, ...INVALID_SESSION_TOKEN);
  });

  test("set-active of an unknown token is 401 INVALID_SESSION_TOKEN", async () => {
    const b = browser();
    const alice = await signUp(b);
    assertClientError(await b.client.multiSession.setActive({ sessionToken: "unknown-token" }), 401, ...INVALID_SESSION_TOKEN);
    assert.equal((await currentSession(b)).user.id, alice.user.id);
  });

  test("another browser's token is unknown here, even a live one", async () => {
    const other = await fx.signUp();
    const b = browser();
    await signUp(b);
    assertClientError(await b.client.multiSession.setActive({ sessionToken: other.token }), 401, ...INVALID_SESSION_TOKEN);
    assertClientError(await b.client.multiSession.revoke({ sessionToken: other.token }), 401, ...INVALID_SESSION_TOKEN);
    assert.deepEqual(await sessionRows([other.token]), [other.token]);
  });

  test("set-active of a session ended elsewhere is 401, and its cookie is dropped from the list", async () => {
    const b = browser();
    const alice = await signUp(b);
    const bob = await signUp(b);
    await fx.query(`delete from "session" where "token" = ?`, [alice.token]);
    assertClientError(await b.client.multiSession.setActive({ sessionToken: alice.token }), 401, ...INVALID_SESSION_TOKEN);
    assertClearedCookie(b.lastSetCookies, multiName(alice.token));
    assert.equal((await currentSession(b)).user.id, bob.user.id);
    assert.deepEqual((await listed(b)).map((e) => e.user.id), [bob.user.id]);
  });

  test("a multi cookie that is not signed with the server's secret is ignored", async () => {
    const victim = await fx.signUp();
    const b = browser();
    const alice = await signUp(b);
    const forged = encodeURIComponent(`${victim.token}.${"A".repeat(43)}=`);
    b.setCookie(multiName(victim.token), forged);
    b.setCookie(`better-auth.session_token_multi-plain`, victim.token);
    assert.deepEqual((await listed(b)).map((e) => e.user.id), [alice.user.id]);
    assertClientError(await b.client.multiSession.setActive({ sessionToken: victim.token }), 401, ...INVALID_SESSION_TOKEN);
    assertClientError(await b.client.multiSession.revoke({ sessionToken: victim.token }), 401, ...INVALID_SESSION_TOKEN);
    assert.equal((await currentSession(b)).user.id, alice.user.id);
    await b.client.signOut();
    assert.deepEqual(await sessionRows([alice.token, victim.token]), [victim.token]);
  });

  test("a signed cookie under another name does not stand for the token in the body", async () => {
    const b = browser();
    const alice = await signUp(b);
    const bob = await signUp(b);
    // Bob's signed value under a name made from a different token.
    b.setCookie(multiName("decoy"), b.cookie(multiName(bob.token)));
    const res = await b.client.multiSession.setActive({ sessionToken: "DECOY" });
    // The cookie is found by name and its signature is good: it stands for Bob's session.
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data.user.id, bob.user.id);
    assert.notEqual(res.data.user.id, alice.user.id);
  });
});

describe("the same account again", () => {
  test("signing the same account in again ends its earlier session in this browser", async () => {
    const b = browser();
    const alice = await signUp(b);
    const bob = await signUp(b);
    const again = await b.client.signIn.email({ email: alice.email, password: alice.password });
    assert.equal(again.error, null, JSON.stringify(again.error));
    const token = again.data.token;
    assert.notEqual(token, alice.token);
    assertClearedCookie(b.lastSetCookies, multiName(alice.token));
    assert.deepEqual(await sessionRows([alice.token, bob.token, token]), [bob.token, token]);
    assert.deepEqual(multiCookies(b), [multiName(bob.token), multiName(token)].sort());
    const list = await listed(b);
    assert.equal(list.length, 2);
    assert.equal(list.find((e) => e.user.id === alice.user.id).session.token, token);
  });

  test("sessions of the same account in other browsers are left alone", async () => {
    const alice = await fx.signUp();
    const b = browser();
    const res = await b.client.signIn.email({ email: alice.email, password: alice.password });
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.deepEqual(await sessionRows([alice.token]), [alice.token]);
  });
});

describe("maximumSessions", () => {
  test("past five, the newest account is active but not added to the list", async () => {
    const b = browser();
    const accounts = [];
    for (let i = 0; i < 6; i++) accounts.push(await signUp(b));
    const sixth = accounts[5];
    assert.equal(b.lastSetCookies.some((c) => c.name.includes("_multi-")), false);
    assert.equal(multiCookies(b).length, 5);
    assert.equal((await currentSession(b)).user.id, sixth.user.id);
    const list = await listed(b);
    assert.deepEqual(list.map((e) => e.user.id).sort(), accounts.slice(0, 5).map((a) => a.user.id).sort());
    assertClientError(await b.client.multiSession.setActive({ sessionToken: sixth.token }), 401, ...INVALID_SESSION_TOKEN);
  });

  test("at five, signing one of them in again still fits: its old cookie goes, its new one comes", async () => {
    const b = browser();
    const accounts = [];
    for (let i = 0; i < 5; i++) accounts.push(await signUp(b));
    const first = accounts[0];
    const again = await b.client.signIn.email({ email: first.email, password: first.password });
    assert.equal(again.error, null, JSON.stringify(again.error));
    assert.ok(multiCookies(b).includes(multiName(again.data.token)));
    assert.equal(multiCookies(b).length, 5);
    assert.equal((await listed(b)).length, 5);
  });
});

describe("sign-out", () => {
  test("sign-out deletes every session the browser holds and expires their cookies", async () => {
    const b = browser();
    const accounts = [await signUp(b), await signUp(b), await signUp(b)];
    const tokens = accounts.map((a) => a.token);
    const stolen = b.clone();
    const res = await b.client.signOut();
    assert.equal(res.error, null, JSON.stringify(res.error));
    for (const t of tokens) assertClearedCookie(b.lastSetCookies, multiName(t));
    assert.deepEqual(await sessionRows(tokens), []);
    assert.deepEqual(multiCookies(b), []);
    assert.equal(await currentSession(b), null);
    // A copy of the cookies taken before is worth nothing now.
    assert.deepEqual(await listed(stolen), []);
    assert.equal(await currentSession(stolen), null);
  });

  test("sessions of the same accounts in other browsers survive", async () => {
    const alice = await fx.signUp();
    const b = browser();
    await b.client.signIn.email({ email: alice.email, password: alice.password });
    await b.client.signOut();
    assert.deepEqual(await sessionRows([alice.token]), [alice.token]);
  });
});
