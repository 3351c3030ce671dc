// The production rate limiter: sign-in is 3 requests per 10 s per client IP and path.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { useServer } from "../lib/suite.mjs";

const limited = useServer();

describe("rate limiter (on, as in production)", () => {
  test("the fourth sign-in within ten seconds from one IP is 429 with X-Retry-After", async () => {
    const alice = await limited.signUp();
    const attacker = limited.browser();
    const wrong = { json: { email: alice.email, password: "guess number one" } };
    for (let i = 1; i <= 3; i++) {
      const res = await attacker.request("/api/auth/sign-in/email", wrong);
      assert.equal(res.status, 401, `attempt ${i}`);
    }
    const blocked = await attacker.request("/api/auth/sign-in/email", { json: { email: alice.email, password: alice.password } });
    assert.equal(blocked.status, 429);
    assert.deepEqual(blocked.json, { message: "Too many requests. Please try again later." });
    const retryAfter = Number(blocked.headers.get("x-retry-after"));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 10, `X-Retry-After ${blocked.headers.get("x-retry-after")}`);
    assert.deepEqual(blocked.setCookies, [], "a blocked request signs nobody in");

    const viaClient = await attacker.client.signIn.email({ email: alice.email, password: alice.password });
    assert.equal(viaClient.error?.status, 429);
  });

  test("the limit is per client IP: another address is unaffected", async () => {
    const alice = await limited.signUp();
    const noisy = limited.browser();
    for (let i = 0; i < 4; i++) await noisy.request("/api/auth/sign-in/email", { json: { email: alice.email, password: "wrong password" } });
    const res = await limited.browser().request("/api/auth/sign-in/email", { json: { email: alice.email, password: alice.password } });
    assert.equal(res.status, 200);
  });

  test("the limit is per path: a client blocked on sign-in still reaches get-session", async () => {
    const alice = await limited.signUp();
    for (let i = 0; i < 4; i++) await alice.browser.request("/api/auth/sign-in/email", { json: { email: alice.email, password: "wrong password" } });
    const blocked = await alice.browser.request("/api/auth/sign-in/email", { json: { email: alice.email, password: "wrong password" } });
    assert.equal(blocked.status, 429);
    for (let i = 0; i < 10; i++) {
      const res = await alice.browser.request("/api/auth/get-session");
      assert.equal(res.status, 200, `get-session ${i + 1}`);
      assert.equal(res.json.session.token, alice.token);
    }
  });
});

describe("rate limiter off (TESSERA_RATE_LIMIT=off)", () => {
  const unlimited = useServer({ rateLimit: false });

  test("ten wrong sign-ins from one IP are all 401, never 429", async () => {
    const alice = await unlimited.signUp();
    const browser = unlimited.browser();
    for (let i = 0; i < 10; i++) {
      const res = await browser.request("/api/auth/sign-in/email", { json: { email: alice.email, password: "wrong password" } });
      assert.equal(res.status, 401, `attempt ${i + 1}`);
    }
  });
});
