// POST /sign-up/email through the real client and on the wire.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ID32,
  SCRYPT_HASH,
  assertClientError,
  assertClientUser,
  assertErrorResponse,
  assertSessionCookie,
  assertWireUser,
  findSetCookie,
  signCookieValue,
} from "../lib/shapes.mjs";
import { newCredentials, useServer } from "../lib/suite.mjs";

const fx = useServer();

describe("sign-up", () => {
  test("creates the user, returns {token, user} and sets the signed session cookie", async () => {
    const browser = fx.browser();
    const creds = newCredentials();
    const res = await browser.client.signUp.email(creds);

    assert.equal(res.error, null);
    assert.deepEqual(Object.keys(res.data).sort(), ["token", "user"]);
    assert.match(res.data.token, ID32);
    assertClientUser(res.data.user, {
      name: creds.name,
      email: creds.email.toLowerCase(),
      emailVerified: false,
      image: null,
    });
    assert.equal(res.data.user.createdAt.getTime(), res.data.user.updatedAt.getTime());
    assertSessionCookie(browser.lastSetCookies, { token: res.data.token, secret: fx.server.secret });
  });

  test("on the wire: dates are ISO strings with milliseconds and nulls are explicit", async () => {
    const browser = fx.browser();
    const creds = newCredentials();
    const res = await browser.request("/api/auth/sign-up/email", { json: { ...creds, image: "https://img.example/a.png" } });

    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^application\/json/);
    assertWireUser(res.json.user, { email: creds.email.toLowerCase(), image: "https://img.example/a.png" });
    const bare = await fx.browser().request("/api/auth/sign-up/email", { json: newCredentials() });
    assert.ok(/"image":null/.test(bare.text), `image:null is written out: ${bare.text}`);
  });

  test("writes a credential account whose accountId is the user id and whose password is scrypt", async () => {
    const browser = fx.browser();
    const creds = newCredentials();
    const { data } = await browser.client.signUp.email(creds);

    const users = await fx.query(`select * from "user" where "email" = ?`, [creds.email.toLowerCase()]);
    assert.equal(users.length, 1);
    assert.equal(users[0].id, data.user.id);
    const accounts = await fx.query(`select * from "account" where "userId" = ?`, [data.user.id]);
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0].providerId, "credential");
    assert.equal(accounts[0].accountId, data.user.id);
    assert.match(accounts[0].password, SCRYPT_HASH);
    const sessions = await fx.query(`select * from "session" where "token" = ?`, [data.token]);
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].userId, data.user.id);
  });

  test("a second sign-up with the same e-mail, in any case, is 422 and sets no cookie", async () => {
    const creds = newCredentials();
    await fx.signUp(creds);
    for (const email of [creds.email, creds.email.toLowerCase(), creds.email.toUpperCase()]) {
      const browser = fx.browser();
      const res = await browser.client.signUp.email({ ...creds, email, password: "another password 1" });
      assertClientError(res, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.");
      assert.deepEqual(browser.lastSetCookies, []);
    }
    const users = await fx.query(`select "id" from "user" where "email" = ?`, [creds.email.toLowerCase()]);
    assert.equal(users.length, 1);
  });

  test("password length: 8 and 128 characters pass, 7 and 129 do not", async () => {
    const ok8 = await fx.browser().client.signUp.email({ ...newCredentials(), password: "12345678" });
    assert.equal(ok8.error, null);
    const ok128 = await fx.browser().client.signUp.email({ ...newCredentials(), password: "p".repeat(128) });
    assert.equal(ok128.error, null);

    const short = await fx.browser().request("/api/auth/sign-up/email", { json: { ...newCredentials(), password: "1234567" } });
    assertErrorResponse(short, 400, "PASSWORD_TOO_SHORT", "Password too short");
    const long = await fx.browser().request("/api/auth/sign-up/email", { json: { ...newCredentials(), password: "p".repeat(129) } });
    assertErrorResponse(long, 400, "PASSWORD_TOO_LONG", "Password too long");
  });

  test("schema violations are 400 VALIDATION_ERROR naming the field", async () => {
    const badEmail = await fx.browser().request("/api/auth/sign-up/email", { json: { ...newCredentials(), email: "not-an-email" } });
    assertErrorResponse(badEmail, 400, "VALIDATION_ERROR", "[body.email] Invalid email address");

    const { name: _omitted, ...noName } = newCredentials();
    const missingName = await fx.browser().request("/api/auth/sign-up/email", { json: noName });
    assertErrorResponse(missingName, 400, "VALIDATION_ERROR", "[body.name] Invalid input: expected string, received undefined");

    const badPasswordType = await fx.browser().request("/api/auth/sign-up/email", { json: { ...newCredentials(), password: 12345678 } });
    assertErrorResponse(badPasswordType, 400, "VALIDATION_ERROR", "[body.password] Invalid input: expected string, received number");
  });

  test("a user cannot verify their own e-mail by sending emailVerified:true (silently ignored)", async () => {
    const res = await fx.browser().request("/api/auth/sign-up/email", { json: { ...newCredentials(), emailVerified: true } });
    assert.equal(res.status, 200);
    assert.equal(res.json.user.emailVerified, false);
    const rows = await fx.query(`select "emailVerified" from "user" where "id" = ?`, [res.json.user.id]);
    assert.equal(Boolean(rows[0].emailVerified), false);
  });

  test("rememberMe:false gives a browser-session cookie and a one-day session", async () => {
    const browser = fx.browser();
    const res = await browser.request("/api/auth/sign-up/email", { json: { ...newCredentials(), rememberMe: false } });
    assert.equal(res.status, 200);
    assertSessionCookie(res.setCookies, { token: res.json.token, secret: fx.server.secret, maxAge: null });
    const dontRemember = findSetCookie(res.setCookies, "better-auth.dont_remember");
    assert.equal(dontRemember.value, signCookieValue("true", fx.server.secret));
    assert.deepEqual(dontRemember.attributes, { path: "/", httponly: true, samesite: "Lax" });
    const rows = await fx.query(`select "expiresAt" from "session" where "token" = ?`, [res.json.token]);
    const expires = new Date(rows[0].expiresAt).getTime();
    assert.ok(Math.abs(expires - (Date.now() + 86_400_000)) < 60_000, "expires in one day");
  });
});
