// Several browsers of one user: list-sessions, revoke-session(s), revoke-other-sessions, sign-out.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertClearedCookie, assertErrorResponse, assertWireSession } from "../lib/shapes.mjs";
import { currentSession, useServer } from "../lib/suite.mjs";

const fx = useServer();

/** One user signed in from `n` browsers (the first one by signing up). */
async function userWithBrowsers(n) {
  const first = await fx.signUp();
  const browsers = [{ browser: first.browser, token: first.token }];
  for (let i = 1; i < n; i++) browsers.push(await fx.signIn(first));
  return { ...first, browsers };
}

async function isSignedIn(browser) {
  return (await currentSession(browser)) !== null;
}

describe("session management", () => {
  test("list-sessions returns the user's active sessions only, each with every field", async () => {
    const alice = await userWithBrowsers(2);
    const bob = await fx.signUp();

    const res = await alice.browser.request("/api/auth/list-sessions");
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.json));
    assert.deepEqual(res.json.map((s) => s.token).sort(), alice.browsers.map((b) => b.token).sort());
    for (const s of res.json) assertWireSession(s, { userId: alice.user.id });
    assert.ok(!res.json.some((s) => s.token === bob.token));
    const second = res.json.find((s) => s.token === alice.browsers[1].token);
    assert.equal(second.ipAddress, alice.browsers[1].browser.ip);
    assert.equal(second.userAgent, alice.browsers[1].browser.userAgent);

    const viaClient = await alice.browser.client.listSessions();
    assert.equal(viaClient.error, null);
    assert.equal(viaClient.data.length, 2);
    assert.ok(viaClient.data[0].expiresAt instanceof Date);
  });

  test("list-sessions without a session is 401 UNAUTHORIZED", async () => {
    const res = await fx.browser().request("/api/auth/list-sessions");
    assertErrorResponse(res, 401, "UNAUTHORIZED", "Unauthorized");
  });

  test("revoke-session ends the named session and leaves the caller's", async () => {
    const alice = await userWithBrowsers(2);
    const [mine, other] = alice.browsers;
    const res = await mine.browser.client.revokeSession({ token: other.token });
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { status: true });
    assert.equal(await isSignedIn(other.browser), false);
    assert.equal(await isSignedIn(mine.browser), true);
  });

  test("revoke-session cannot end another user's session", async () => {
    const alice = await fx.signUp();
    const bob = await fx.signUp();
    const res = await alice.browser.request("/api/auth/revoke-session", { json: { token: bob.token } });
    assert.equal(await isSignedIn(bob.browser), true, `bob survives (response ${res.status} ${res.text})`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: true });
  });

  test("revoke-other-sessions keeps only the caller's session", async () => {
    const alice = await userWithBrowsers(3);
    const [mine, ...others] = alice.browsers;
    const res = await mine.browser.client.revokeOtherSessions();
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { status: true });
    assert.equal(await isSignedIn(mine.browser), true);
    for (const o of others) assert.equal(await isSignedIn(o.browser), false);
    const rows = await fx.query(`select "token" from "session" where "userId" = ?`, [alice.user.id]);
    assert.deepEqual(rows.map((r) => r.token), [mine.token]);
  });

  test("revoke-sessions ends every session including the caller's and clears its cookies", async () => {
    const alice = await userWithBrowsers(2);
    const [mine, other] = alice.browsers;
    const res = await mine.browser.request("/api/auth/revoke-sessions", { json: {} });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: true });
    assertClearedCookie(res.setCookies, "better-auth.session_token");
    assert.equal(await isSignedIn(other.browser), false);
    const rows = await fx.query(`select "token" from "session" where "userId" = ?`, [alice.user.id]);
    assert.equal(rows.length, 0);
  });

  test("sign-out returns {success:true}, clears the cookies, and the old cookie is dead", async () => {
    const alice = await userWithBrowsers(2);
    const [mine, other] = alice.browsers;
    const stolen = mine.browser.clone();

    const res = await mine.browser.request("/api/auth/sign-out", { json: {} });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { success: true });
    assertClearedCookie(res.setCookies, "better-auth.session_token");
    assertClearedCookie(res.setCookies, "better-auth.session_data");
    assertClearedCookie(res.setCookies, "better-auth.dont_remember");
    assert.equal(mine.browser.cookie("better-auth.session_token"), undefined);

    assert.equal(await isSignedIn(stolen), false, "a copy of the signed-out cookie is refused");
    assert.equal(await isSignedIn(other.browser), true, "other sessions stay");
    const rows = await fx.query(`select "token" from "session" where "token" = ?`, [mine.token]);
    assert.equal(rows.length, 0);
  });

  test("sign-out through the client and without any session still succeeds", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.client.signOut();
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { success: true });
    const again = await fx.browser().request("/api/auth/sign-out", { json: {} });
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, { success: true });
  });
});
