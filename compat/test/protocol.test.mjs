// HTTP-level rules every endpoint shares: origin/CSRF checks, body parsing, unknown paths.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertErrorResponse } from "../lib/shapes.mjs";
import { currentSession, newCredentials, useServer } from "../lib/suite.mjs";

const fx = useServer();

describe("origin check on cookie-bearing POSTs", () => {
  test("no Origin (and no Referer): 403 MISSING_OR_NULL_ORIGIN, nothing changes", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.request("/api/auth/update-user", { json: { name: "Forged" }, origin: null });
    assertErrorResponse(res, 403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin");
    assert.equal((await currentSession(alice.browser)).user.name, alice.name);
  });

  test('Origin "null" counts as missing', async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.request("/api/auth/update-user", { json: { name: "Forged" }, origin: "null" });
    assertErrorResponse(res, 403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin");
  });

  test("a foreign Origin: 403 INVALID_ORIGIN, nothing changes", async () => {
    const alice = await fx.signUp();
    for (const origin of ["https://evil.example", "http://127.0.0.1:1", fx.server.url.replace("http://", "https://")]) {
      const res = await alice.browser.request("/api/auth/sign-out", { json: {}, origin });
      assertErrorResponse(res, 403, "INVALID_ORIGIN", "Invalid origin");
    }
    assert.notEqual(await currentSession(alice.browser), null, "still signed in");
  });

  test("without Origin a same-origin Referer is accepted, a foreign one is not", async () => {
    const alice = await fx.signUp();
    const ok = await alice.browser.request("/api/auth/update-user", {
      json: { name: "Via Referer" },
      origin: null,
      headers: { referer: `${fx.server.url}/settings?tab=profile` },
    });
    assert.equal(ok.status, 200, ok.text);
    const bad = await alice.browser.request("/api/auth/update-user", {
      json: { name: "Forged" },
      origin: null,
      headers: { referer: "https://evil.example/page" },
    });
    assertErrorResponse(bad, 403, "INVALID_ORIGIN", "Invalid origin");
  });

  test("GET requests are not origin-checked", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.request("/api/auth/get-session", { origin: "https://evil.example" });
    assert.equal(res.json.session.token, alice.token);
  });
});

describe("sign-in CSRF rules without cookies", () => {
  test("a server-side caller (no cookie, no Origin, no Sec-Fetch-*) may sign in", async () => {
    const alice = await fx.signUp();
    const res = await fx.browser().request("/api/auth/sign-in/email", { json: { email: alice.email, password: alice.password }, origin: null });
    assert.equal(res.status, 200, res.text);
  });

  test("Fetch Metadata without Origin is refused: 403 MISSING_OR_NULL_ORIGIN", async () => {
    const alice = await fx.signUp();
    const res = await fx.browser().request("/api/auth/sign-in/email", {
      json: { email: alice.email, password: alice.password },
      origin: null,
      headers: { "sec-fetch-mode": "cors" },
    });
    assertErrorResponse(res, 403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin");
  });

  test("a foreign Origin is refused even without cookies: 403 INVALID_ORIGIN", async () => {
    const alice = await fx.signUp();
    const res = await fx.browser().request("/api/auth/sign-in/email", {
      json: { email: alice.email, password: alice.password },
      origin: "https://evil.example",
    });
    assertErrorResponse(res, 403, "INVALID_ORIGIN", "Invalid origin");
    const signUp = await fx.browser().request("/api/auth/sign-up/email", { json: newCredentials(), origin: "https://evil.example" });
    assertErrorResponse(signUp, 403, "INVALID_ORIGIN", "Invalid origin");
  });

  test("a cross-site top-level navigation is refused: 403 CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", async () => {
    const alice = await fx.signUp();
    const res = await fx.browser().request("/api/auth/sign-in/email", {
      body: new URLSearchParams({ email: alice.email, password: alice.password }).toString(),
      origin: null,
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" },
    });
    assertErrorResponse(res, 403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", "Cross-site navigation login blocked. This request appears to be a CSRF attack.");
  });

  test("a same-origin form post (urlencoded) signs in", async () => {
    const alice = await fx.signUp();
    const browser = fx.browser();
    const res = await browser.request("/api/auth/sign-in/email", {
      body: new URLSearchParams({ email: alice.email, password: alice.password }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate" },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal((await currentSession(browser)).user.id, alice.user.id);
  });
});

describe("request parsing and routing", () => {
  test("GET /ok is {ok:true}", async () => {
    const res = await fx.browser().request("/api/auth/ok");
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { ok: true });
  });

  test("malformed JSON is 400 BAD_REQUEST", async () => {
    const res = await fx.browser().request("/api/auth/sign-in/email", { body: '{"email": "a@example.com",', headers: { "content-type": "application/json" } });
    assertErrorResponse(res, 400, "BAD_REQUEST", "Invalid JSON in request body");
  });

  test("a content type other than JSON is 415 UNSUPPORTED_MEDIA_TYPE", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.request("/api/auth/update-user", { body: "name=x", headers: { "content-type": "text/plain" } });
    assertErrorResponse(res, 415, "UNSUPPORTED_MEDIA_TYPE", 'Content-Type "text/plain" is not allowed. Allowed types: application/json');
    const form = await alice.browser.request("/api/auth/update-user", { body: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(form.status, 415, "only sign-in/sign-up take forms");
  });

  test("a POST without any body is a validation error on the body", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.request("/api/auth/update-user", { method: "POST" });
    assertErrorResponse(res, 400, "VALIDATION_ERROR", "[body] Invalid input: expected record, received undefined");
  });

  test("unknown paths, trailing slashes, double slashes and wrong methods are 404 with an empty body", async () => {
    const browser = fx.browser();
    const cases = [
      ["GET", "/api/auth/does-not-exist"],
      ["POST", "/api/auth/does-not-exist"],
      ["GET", "/api/auth/get-session/"],
      ["GET", "/api/auth//ok"],
      ["GET", "/api/auth/sign-in/email"],
      ["POST", "/api/auth/ok"],
      ["GET", "/api/auth/forget-password"],
      ["POST", "/api/auth/forget-password"],
    ];
    for (const [method, path] of cases) {
      const res = await browser.request(path, method === "POST" ? { method, json: {} } : { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.text, "", `${method} ${path} body`);
      assert.equal(res.headers.get("content-type"), null, `${method} ${path} content-type`);
    }
  });
});
