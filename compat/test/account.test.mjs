// The signed-in user changing themselves: update-user, change-password, verify-password.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertClientError, assertClientUser, assertErrorResponse, assertSessionCookie, SCRYPT_HASH } from "../lib/shapes.mjs";
import { currentSession, useServer } from "../lib/suite.mjs";

const fx = useServer();

async function passwordWorks(email, password) {
  const res = await fx.browser().client.signIn.email({ email, password });
  if (res.error && res.error.status !== 401) throw new Error(`unexpected sign-in failure ${JSON.stringify(res.error)}`);
  return res.error === null;
}

describe("update-user", () => {
  test("changes name and image, returns {status:true}, and the session shows it", async () => {
    const alice = await fx.signUp();
    const before = await currentSession(alice.browser);
    const res = await alice.browser.client.updateUser({ name: "Alice Renamed", image: "https://img.example/alice.png" });
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { status: true });

    const after = await currentSession(alice.browser);
    assert.equal(after.user.name, "Alice Renamed");
    assert.equal(after.user.image, "https://img.example/alice.png");
    assert.ok(after.user.updatedAt > before.user.updatedAt, "updatedAt moves");
    assert.equal(after.user.createdAt.getTime(), before.user.createdAt.getTime());
    const other = await currentSession((await fx.signIn(alice)).browser);
    assert.equal(other.user.name, "Alice Renamed", "stored, not only cached in a cookie");
  });

  test("image can be cleared with null", async () => {
    const alice = await fx.signUp({ image: "https://img.example/x.png" });
    const res = await alice.browser.client.updateUser({ image: null });
    assert.equal(res.error, null);
    assert.equal((await currentSession(alice.browser)).user.image, null);
  });

  test("the e-mail cannot be changed here: 400 EMAIL_CAN_NOT_BE_UPDATED", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.request("/api/auth/update-user", { json: { email: "new@example.com" } });
    assertErrorResponse(res, 400, "EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated");
  });

  test("an empty update is 400 with a message and no code", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.request("/api/auth/update-user", { json: {} });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { message: "No fields to update" });
  });

  test("emailVerified cannot be set by the user: the key is ignored, the rest applied", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.request("/api/auth/update-user", { json: { name: "Renamed", emailVerified: true } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { status: true });
    const { user } = await currentSession(alice.browser);
    assert.equal(user.emailVerified, false);
    assert.equal(user.name, "Renamed");
  });

  test("without a session: 401 UNAUTHORIZED", async () => {
    const res = await fx.browser().request("/api/auth/update-user", { json: { name: "x" } });
    assertErrorResponse(res, 401, "UNAUTHORIZED", "Unauthorized");
  });
});

describe("change-password", () => {
  test("without revokeOtherSessions: {token:null, user}, other sessions live on", async () => {
    const alice = await fx.signUp();
    const elsewhere = await fx.signIn(alice);
    const res = await alice.browser.client.changePassword({ currentPassword: alice.password, newPassword: "a brand new password" });

    assert.equal(res.error, null);
    assert.deepEqual(Object.keys(res.data).sort(), ["token", "user"]);
    assert.equal(res.data.token, null);
    assertClientUser(res.data.user, { id: alice.user.id, email: alice.email.toLowerCase() });
    assert.equal((await currentSession(alice.browser)).session.token, alice.token);
    assert.notEqual(await currentSession(elsewhere.browser), null);

    assert.equal(await passwordWorks(alice.email, alice.password), false, "old password refused");
    assert.equal(await passwordWorks(alice.email, "a brand new password"), true, "new password accepted");
    const [account] = await fx.query(`select "password" from "account" where "userId" = ? and "providerId" = 'credential'`, [alice.user.id]);
    assert.match(account.password, SCRYPT_HASH);
  });

  test("with revokeOtherSessions: every old session ends and the caller gets a new one", async () => {
    const alice = await fx.signUp();
    const elsewhere = await fx.signIn(alice);
    const stolen = alice.browser.clone();
    const res = await alice.browser.request("/api/auth/change-password", {
      json: { currentPassword: alice.password, newPassword: "rotated password 1", revokeOtherSessions: true },
    });

    assert.equal(res.status, 200);
    assert.match(res.json.token, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(res.json.token, alice.token);
    assertSessionCookie(res.setCookies, { token: res.json.token, secret: fx.server.secret });
    assert.equal((await currentSession(alice.browser)).session.token, res.json.token);
    assert.equal(await currentSession(elsewhere.browser), null);
    assert.equal(await currentSession(stolen), null, "the caller's old cookie is dead too");
    const rows = await fx.query(`select "token" from "session" where "userId" = ?`, [alice.user.id]);
    assert.deepEqual(rows.map((r) => r.token), [res.json.token]);
  });

  test("a wrong current password is 400 INVALID_PASSWORD and changes nothing", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.client.changePassword({ currentPassword: "not my password", newPassword: "whatever 12345" });
    assertClientError(res, 400, "INVALID_PASSWORD", "Invalid password");
    assert.equal(await passwordWorks(alice.email, alice.password), true);
  });

  test("the new password obeys the length rules", async () => {
    const alice = await fx.signUp();
    const short = await alice.browser.request("/api/auth/change-password", { json: { currentPassword: alice.password, newPassword: "short" } });
    assertErrorResponse(short, 400, "PASSWORD_TOO_SHORT", "Password too short");
    const long = await alice.browser.request("/api/auth/change-password", { json: { currentPassword: alice.password, newPassword: "x".repeat(129) } });
    assertErrorResponse(long, 400, "PASSWORD_TOO_LONG", "Password too long");
  });

  test("without a session: 401 UNAUTHORIZED", async () => {
    const res = await fx.browser().request("/api/auth/change-password", { json: { currentPassword: "a password 1", newPassword: "b password 2" } });
    assertErrorResponse(res, 401, "UNAUTHORIZED", "Unauthorized");
  });
});

describe("verify-password", () => {
  test("the right password: {status:true}; a wrong one: 400 INVALID_PASSWORD", async () => {
    const alice = await fx.signUp();
    const ok = await alice.browser.client.verifyPassword({ password: alice.password });
    assert.equal(ok.error, null);
    assert.deepEqual(ok.data, { status: true });
    const bad = await alice.browser.request("/api/auth/verify-password", { json: { password: "not my password" } });
    assertErrorResponse(bad, 400, "INVALID_PASSWORD", "Invalid password");
  });

  test("without a session: 401 UNAUTHORIZED", async () => {
    const res = await fx.browser().request("/api/auth/verify-password", { json: { password: "whatever 123" } });
    assertErrorResponse(res, 401, "UNAUTHORIZED", "Unauthorized");
  });
});
