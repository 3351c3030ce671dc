// POST /sign-in/email: right and wrong credentials, rememberMe, callbackURL.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  assertClientError,
  assertClientUser,
  assertErrorResponse,
  assertNear,
  assertSessionCookie,
  assertWireUser,
  findSetCookie,
  signCookieValue,
} from "../lib/shapes.mjs";
import { currentSession, useServer } from "../lib/suite.mjs";

const fx = useServer();

describe("sign-in", () => {
  let alice;
  before(async () => {
    alice = await fx.signUp();
  });

  test("the right password returns {redirect:false, token, user} and a new session cookie", async () => {
    const browser = fx.browser();
    const res = await browser.client.signIn.email({ email: alice.email, password: alice.password });

    assert.equal(res.error, null);
    assert.deepEqual(Object.keys(res.data).sort(), ["redirect", "token", "user"], "no url key without callbackURL");
    assert.equal(res.data.redirect, false);
    assert.notEqual(res.data.token, alice.token, "a new session, not the sign-up one");
    assertClientUser(res.data.user, { id: alice.user.id, email: alice.email.toLowerCase(), name: alice.name });
    assertSessionCookie(browser.lastSetCookies, { token: res.data.token, secret: fx.server.secret });

    const session = await currentSession(browser);
    assert.equal(session.session.token, res.data.token);
    assert.equal(session.user.id, alice.user.id);
  });

  test("the e-mail is matched case-insensitively", async () => {
    const res = await fx.browser().client.signIn.email({ email: alice.email.toUpperCase(), password: alice.password });
    assert.equal(res.error, null);
    assert.equal(res.data.user.id, alice.user.id);
  });

  test("a wrong password is 401 INVALID_EMAIL_OR_PASSWORD and sets no cookie", async () => {
    const browser = fx.browser();
    const res = await browser.client.signIn.email({ email: alice.email, password: `${alice.password}!` });
    assertClientError(res, 401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password");
    assert.deepEqual(browser.lastSetCookies, []);
    assert.equal(await currentSession(browser), null);
  });

  test("an unknown e-mail gets the very same 401 as a wrong password", async () => {
    const wrong = await fx.browser().request("/api/auth/sign-in/email", { json: { email: alice.email, password: "not the password" } });
    const unknown = await fx.browser().request("/api/auth/sign-in/email", { json: { email: "nobody@example.com", password: "not the password" } });
    assertErrorResponse(wrong, 401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password");
    assert.equal(unknown.status, wrong.status);
    assert.equal(unknown.text, wrong.text);
  });

  test("a syntactically invalid e-mail is 400 INVALID_EMAIL", async () => {
    const res = await fx.browser().request("/api/auth/sign-in/email", { json: { email: "not-an-email", password: "whatever123" } });
    assertErrorResponse(res, 400, "INVALID_EMAIL", "Invalid email");
  });

  test("a missing password is a validation error", async () => {
    const res = await fx.browser().request("/api/auth/sign-in/email", { json: { email: alice.email } });
    assertErrorResponse(res, 400, "VALIDATION_ERROR", "[body.password] Invalid input: expected string, received undefined");
  });

  test("on the wire: the user object carries every field with ISO dates", async () => {
    const res = await fx.browser().request("/api/auth/sign-in/email", { json: { email: alice.email, password: alice.password } });
    assert.equal(res.status, 200);
    assert.equal(res.json.redirect, false);
    assert.equal("url" in res.json, false);
    assertWireUser(res.json.user, { id: alice.user.id, image: null, emailVerified: false });
  });

  test("rememberMe:false: cookie without Max-Age, signed dont_remember cookie, one-day session", async () => {
    const browser = fx.browser();
    const res = await browser.request("/api/auth/sign-in/email", {
      json: { email: alice.email, password: alice.password, rememberMe: false },
    });
    assert.equal(res.status, 200);
    assertSessionCookie(res.setCookies, { token: res.json.token, secret: fx.server.secret, maxAge: null });
    const dontRemember = findSetCookie(res.setCookies, "better-auth.dont_remember");
    assert.equal(dontRemember.value, signCookieValue("true", fx.server.secret));
    assert.deepEqual(dontRemember.attributes, { path: "/", httponly: true, samesite: "Lax" });

    const session = await browser.request("/api/auth/get-session");
    assert.equal(session.json.session.token, res.json.token);
    assertNear(Date.parse(session.json.session.expiresAt), Date.parse(session.json.session.createdAt) + 86_400_000, 5_000, "expiresAt");
  });

  test("rememberMe:true (the default) gives a seven-day session", async () => {
    const browser = fx.browser();
    await browser.client.signIn.email({ email: alice.email, password: alice.password, rememberMe: true });
    assert.equal(browser.cookie("better-auth.dont_remember"), undefined);
    const { session } = (await browser.request("/api/auth/get-session")).json;
    assertNear(Date.parse(session.expiresAt), Date.parse(session.createdAt) + 7 * 86_400_000, 5_000, "expiresAt");
  });

  test("a trusted callbackURL is echoed as url with redirect:true and a Location header", async () => {
    const res = await fx.browser().request("/api/auth/sign-in/email", {
      json: { email: alice.email, password: alice.password, callbackURL: "/dashboard" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.json.redirect, true);
    assert.equal(res.json.url, "/dashboard");
    assert.equal(res.headers.get("location"), "/dashboard");
  });

  test("a callbackURL on a foreign origin is 403 INVALID_CALLBACK_URL before any password check", async () => {
    const browser = fx.browser();
    const res = await browser.request("/api/auth/sign-in/email", {
      json: { email: alice.email, password: alice.password, callbackURL: "https://evil.example/steal" },
    });
    assertErrorResponse(res, 403, "INVALID_CALLBACK_URL", "Invalid callbackURL");
    assert.deepEqual(res.setCookies, []);
  });

  test("each sign-in records the client's IP (X-Forwarded-For) and user agent", async () => {
    const browser = fx.browser();
    await browser.client.signIn.email({ email: alice.email, password: alice.password });
    const { session } = await currentSession(browser);
    assert.equal(session.ipAddress, browser.ip);
    assert.equal(session.userAgent, browser.userAgent);
  });

  test("session.ipAddress: one valid X-Forwarded-For IP is kept (IPv6 cut to /64, written out in full), anything else is empty", async () => {
    const cases = [
      [null, ""],
      ["203.0.113.7, 198.51.100.1", ""],
      ["not-an-ip", ""],
      [" 203.0.113.8 ", "203.0.113.8"],
      ["::ffff:203.0.113.9", "203.0.113.9"],
      ["2001:db8:1:2:3:4:5:6", "2001:0db8:0001:0002:0000:0000:0000:0000"],
    ];
    for (const [forwardedFor, expected] of cases) {
      const browser = fx.browser();
      const res = await browser.request("/api/auth/sign-in/email", {
        json: { email: alice.email, password: alice.password },
        headers: { "x-forwarded-for": forwardedFor },
      });
      assert.equal(res.status, 200, `X-Forwarded-For ${JSON.stringify(forwardedFor)}: ${res.text}`);
      const [row] = await fx.query(`select "ipAddress" from "session" where "token" = ?`, [res.json.token]);
      assert.equal(row.ipAddress, expected, `X-Forwarded-For ${JSON.stringify(forwardedFor)}`);
    }
  });
});
