// The magic-link plugin through the real magicLinkClient: the link mailed (read back from the
// outbox), its redirects (callbackURL, newUserCallbackURL, errorCallbackURL), a link working once,
// expiry, disableSignUp, storeToken "hashed", and every client-named URL refused when it leads off
// the trusted origins, disguised or not.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "node:test";
import { magicLinkClient } from "better-auth/client/plugins";
import { expectNewMessage } from "../lib/outbox.mjs";
import { assertErrorResponse, assertSessionCookie } from "../lib/shapes.mjs";
import { currentSession, newCredentials, signUp, useServer } from "../lib/suite.mjs";

function setUp({ config } = {}) {
  const fx = useServer({ plugins: ["magic-link"], config });
  const browser = () => fx.browser({ plugins: [magicLinkClient()] });
  /** Requests a link from a fresh browser; returns the mailed message ({url, token, …}). */
  const requestLink = async (email, extra = {}) => {
    const { result, message } = await expectNewMessage(
      fx.server.outbox,
      (m) => m.type === "magic-link" && m.to === email,
      () => browser().client.signIn.magicLink({ email, ...extra }),
    );
    assert.equal(result.error, null, JSON.stringify(result.error));
    assert.deepEqual(result.data, { status: true });
    return message;
  };
  /** Opens a link (its path and query) in `b`, without following the redirect. */
  const open = (b, url) => {
    const u = new URL(url);
    return b.request(`${u.pathname}${u.search}`, { method: "GET" });
  };
  return { fx, browser, requestLink, open };
}

describe("sign-in by magic link", () => {
  const { fx, browser, requestLink, open } = setUp();

  test("the link carries a 32-letter token and callbackURL=/, and the row is magic-link:<token>", async () => {
    const { email } = newCredentials("link");
    const message = await requestLink(email, { name: "Link User" });
    assert.deepEqual(Object.keys(message).sort(), ["at", "to", "token", "type", "url"]);
    assert.match(message.token, /^[A-Za-z]{32}$/);
    assert.equal(message.url, `${fx.server.url}/api/auth/magic-link/verify?token=${message.token}&callbackURL=%2F`);
    const rows = await fx.query(`select "value" from "verification" where "identifier" = ?`, [`magic-link:${message.token}`]);
    assert.equal(rows.length, 1);
    assert.deepEqual(JSON.parse(rows[0].value), { type: "magic-link", email, name: "Link User" });
  });

  test("a link opened without a callbackURL answers {token, user, session} and sets the session cookie", async () => {
    const { email } = newCredentials("json");
    const { token } = await requestLink(email, { name: "Jason" });
    const b = browser();
    const res = await b.request(`/api/auth/magic-link/verify?token=${token}`, { method: "GET" });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ["session", "token", "user"]);
    assert.equal(res.json.user.email, email.toLowerCase());
    assert.equal(res.json.user.emailVerified, true);
    assert.equal(res.json.user.name, "Jason");
    assert.equal(res.json.session.token, res.json.token);
    assertSessionCookie(res.setCookies, { token: res.json.token, secret: fx.server.secret });
    assert.equal((await currentSession(b)).user.id, res.json.user.id);
  });

  test("a new user lands on newUserCallbackURL, a known one on callbackURL, as absolute URLs", async () => {
    const { email } = newCredentials("lands");
    const first = await requestLink(email, { callbackURL: "/dashboard", newUserCallbackURL: "/welcome" });
    const b = browser();
    const res = await open(b, first.url);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), `${fx.server.url}/welcome`);
    assert.ok(res.setCookies.some((c) => c.name === "better-auth.session_token"));
    const second = await requestLink(email, { callbackURL: "/dashboard", newUserCallbackURL: "/welcome" });
    const again = await open(browser(), second.url);
    assert.equal(again.headers.get("location"), `${fx.server.url}/dashboard`);
  });

  test("a link works once; the second visit goes to errorCallbackURL with error=INVALID_TOKEN", async () => {
    const { email } = newCredentials("twice");
    const { url } = await requestLink(email, { callbackURL: "/home", errorCallbackURL: "/oops" });
    assert.equal((await open(browser(), url)).status, 302);
    const again = await open(browser(), url);
    assert.equal(again.status, 302);
    assert.equal(again.headers.get("location"), `${fx.server.url}/oops?error=INVALID_TOKEN`);
    assert.equal(again.setCookies.length, 0);
  });

  test("an unknown token goes to the callback with error=INVALID_TOKEN", async () => {
    const res = await browser().request("/api/auth/magic-link/verify?token=nosuchtokenatall&callbackURL=%2Fhome", { method: "GET" });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), `${fx.server.url}/home?error=INVALID_TOKEN`);
  });

  test("an older link still works after a newer one was requested", async () => {
    const { email } = newCredentials("older");
    const first = await requestLink(email);
    await requestLink(email);
    const res = await browser().request(`/api/auth/magic-link/verify?token=${first.token}`, { method: "GET" });
    assert.equal(res.status, 200, res.text);
  });

  for (const [field, code, message] of [
    ["callbackURL", "INVALID_CALLBACK_URL", "Invalid callbackURL"],
    ["newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL"],
    ["errorCallbackURL", "INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL"],
  ]) {
    test(`a foreign or disguised ${field} is refused when the link is requested`, async () => {
      const { email } = newCredentials("foreign");
      const host = new URL(fx.server.url).host;
      for (const url of ["https://evil.example/", "//evil.example", "/\\evil.example", `http://${host}@evil.example/`, "javascript:alert(1)"]) {
        const res = await browser().request("/api/auth/sign-in/magic-link", { json: { email, [field]: url } });
        assertErrorResponse(res, 403, code, message);
      }
      await sleep(200);
      assert.equal(fx.server.readOutbox().filter((m) => m.to === email).length, 0, "no link mailed");
    });
  }

  test("a foreign URL put on the link itself is refused with 403, and the token is not spent", async () => {
    const { email } = newCredentials("tampered");
    const { token } = await requestLink(email);
    for (const field of ["callbackURL", "newUserCallbackURL", "errorCallbackURL"]) {
      const res = await browser().request(`/api/auth/magic-link/verify?token=${token}&${field}=${encodeURIComponent("https://evil.example/")}`, { method: "GET" });
      assertErrorResponse(res, 403, "INVALID_CALLBACK_URL", "Invalid callbackURL");
    }
    const res = await browser().request(`/api/auth/magic-link/verify?token=${token}`, { method: "GET" });
    assert.equal(res.status, 200, "the link still works");
  });

  test("a link to an unverified account strips the access gained before the proof", async () => {
    const squatter = await signUp(browser());
    const { token } = await requestLink(squatter.email);
    const res = await browser().request(`/api/auth/magic-link/verify?token=${token}`, { method: "GET" });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.user.id, squatter.user.id);
    assert.equal(res.json.user.emailVerified, true);
    assert.equal(await currentSession(squatter.browser), null, "the earlier session is revoked");
    const accounts = await fx.query(`select "providerId" from "account" where "userId" = ?`, [squatter.user.id]);
    assert.deepEqual(accounts, []);
  });

  test("an invalid email is a validation error", async () => {
    const res = await browser().request("/api/auth/sign-in/magic-link", { json: { email: "not-an-email" } });
    assert.equal(res.status, 400);
    assert.equal(res.json.code, "VALIDATION_ERROR");
  });
});

describe("an expired magic link", () => {
  const { fx, requestLink, open, browser } = setUp({ config: { magic_link: { expires_in: 1 } } });

  test("goes to the callback with error=INVALID_TOKEN", async () => {
    const { email } = newCredentials("stale");
    const { url } = await requestLink(email, { callbackURL: "/in" });
    await sleep(1500);
    const res = await open(browser(), url);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), `${fx.server.url}/in?error=INVALID_TOKEN`);
  });
});

describe("magic links with sign-up turned off", () => {
  const { fx, requestLink, open, browser } = setUp({ config: { magic_link: { disable_sign_up: true } } });

  test("a link is still mailed to an unknown address, and refused at the visit", async () => {
    const { email } = newCredentials("unknown");
    const { url } = await requestLink(email, { callbackURL: "/in" });
    const res = await open(browser(), url);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), `${fx.server.url}/in?error=new_user_signup_disabled`);
    const users = await fx.query(`select "id" from "user" where "email" = ?`, [email.toLowerCase()]);
    assert.deepEqual(users, []);
  });

  test("a known address still signs in", async () => {
    const user = await signUp(browser());
    const { token } = await requestLink(user.email);
    const res = await browser().request(`/api/auth/magic-link/verify?token=${token}`, { method: "GET" });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.user.id, user.user.id);
  });
});

describe("magic-link tokens stored hashed", () => {
  const { fx, requestLink, browser } = setUp({ config: { magic_link: { store_token: "hashed" } } });

  test("the row is keyed by base64url(SHA-256(token)), and the link works", async () => {
    const { email } = newCredentials("hashedlink");
    const { token } = await requestLink(email);
    const hashed = createHash("sha256").update(token).digest("base64url");
    assert.equal((await fx.query(`select "id" from "verification" where "identifier" = ?`, [`magic-link:${hashed}`])).length, 1);
    assert.equal((await fx.query(`select "id" from "verification" where "identifier" = ?`, [`magic-link:${token}`])).length, 0);
    const res = await browser().request(`/api/auth/magic-link/verify?token=${token}`, { method: "GET" });
    assert.equal(res.status, 200, res.text);
  });
});
