// Flows that go through an e-mail, read back from the development outbox (TESSERA_OUTBOX):
// password reset and e-mail verification.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertErrorResponse, ISO_MS } from "../lib/shapes.mjs";
import { currentSession, useServer } from "../lib/suite.mjs";

const fx = useServer();
const RESET_MESSAGE = "If this email exists in our system, check your email for the reset link";

function pathOf(url) {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

describe("password reset", () => {
  test("request-password-reset mails a link; following it and posting a new password works once", async () => {
    const alice = await fx.signUp();
    const res = await fx.browser().request("/api/auth/request-password-reset", { json: { email: alice.email.toUpperCase(), redirectTo: "/reset" } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: true, message: RESET_MESSAGE });

    const mail = await fx.server.waitForMessage((m) => m.type === "reset-password" && m.to === alice.email.toLowerCase());
    assert.deepEqual(Object.keys(mail).sort(), ["at", "to", "token", "type", "url"]);
    assert.match(mail.token, /^[A-Za-z0-9]{24}$/);
    assert.equal(mail.url, `${fx.server.url}/api/auth/reset-password/${mail.token}?callbackURL=%2Freset`);
    assert.match(mail.at, ISO_MS);

    const link = await fx.browser().request(pathOf(mail.url));
    assert.equal(link.status, 302);
    assert.equal(link.headers.get("location"), `${fx.server.url}/reset?token=${mail.token}`);

    const reset = await fx.browser().client.resetPassword({ token: mail.token, newPassword: "reset password 1" });
    assert.equal(reset.error, null);
    assert.deepEqual(reset.data, { status: true });
    const reuse = await fx.browser().request("/api/auth/reset-password", { json: { token: mail.token, newPassword: "reset password 2" } });
    assertErrorResponse(reuse, 400, "INVALID_TOKEN", "Invalid token");

    const signIn = await fx.browser().client.signIn.email({ email: alice.email, password: "reset password 1" });
    assert.equal(signIn.error, null);
    assert.notEqual(await currentSession(alice.browser), null, "existing sessions survive a reset by default");
  });

  test("an unknown e-mail gets the same answer and no mail", async () => {
    const before = fx.server.readOutbox().length;
    const res = await fx.browser().request("/api/auth/request-password-reset", { json: { email: "nobody.here@example.com", redirectTo: "/reset" } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: true, message: RESET_MESSAGE });
    assert.equal(fx.server.readOutbox().length, before);
  });

  test("a redirectTo on a foreign origin is 403 INVALID_REDIRECT_URL", async () => {
    const alice = await fx.signUp();
    const res = await fx.browser().request("/api/auth/request-password-reset", { json: { email: alice.email, redirectTo: "https://evil.example/reset" } });
    assertErrorResponse(res, 403, "INVALID_REDIRECT_URL", "Invalid redirectURL");
  });

  test("a bad token: the link redirects with error=INVALID_TOKEN, the POST is 400 INVALID_TOKEN", async () => {
    const link = await fx.browser().request("/api/auth/reset-password/NoSuchTokenNoSuchToken0?callbackURL=%2Freset");
    assert.equal(link.status, 302);
    assert.equal(link.headers.get("location"), `${fx.server.url}/reset?error=INVALID_TOKEN`);
    const post = await fx.browser().request("/api/auth/reset-password", { json: { token: "NoSuchTokenNoSuchToken0", newPassword: "whatever 1234" } });
    assertErrorResponse(post, 400, "INVALID_TOKEN", "Invalid token");
  });
});

describe("e-mail verification", () => {
  test("send-verification-email mails a link; following it verifies the e-mail", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.client.sendVerificationEmail({ email: alice.email.toLowerCase() });
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { status: true });

    const mail = await fx.server.waitForMessage((m) => m.type === "verify-email" && m.to === alice.email.toLowerCase());
    assert.deepEqual(Object.keys(mail).sort(), ["at", "to", "token", "type", "url"]);
    assert.match(mail.token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "a JWT");
    assert.equal(mail.url, `${fx.server.url}/api/auth/verify-email?token=${mail.token}&callbackURL=%2F`);

    const link = await fx.browser().request(pathOf(mail.url));
    assert.equal(link.status, 302);
    assert.equal(link.headers.get("location"), "/");
    assert.equal((await currentSession(alice.browser)).user.emailVerified, true);

    const again = await fx.browser().request(`/api/auth/verify-email?token=${mail.token}`);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, { status: true, user: null });

    const more = await alice.browser.request("/api/auth/send-verification-email", { json: { email: alice.email.toLowerCase() } });
    assertErrorResponse(more, 400, "EMAIL_ALREADY_VERIFIED", "Email is already verified");
  });

  test("with a session, the e-mail must be the user's own: 400 EMAIL_MISMATCH", async () => {
    const alice = await fx.signUp();
    const res = await alice.browser.request("/api/auth/send-verification-email", { json: { email: "someone.else@example.com" } });
    assertErrorResponse(res, 400, "EMAIL_MISMATCH", "Email mismatch");
  });

  test("without a session: always {status:true} after at least half a second; a known unverified address gets the mail", async () => {
    const alice = await fx.signUp();
    const known = alice.email.toLowerCase();
    const unknown = "nobody.at.all@example.com";
    for (const email of [known, unknown]) {
      const started = Date.now();
      const res = await fx.browser().request("/api/auth/send-verification-email", { json: { email } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { status: true });
      assert.ok(Date.now() - started >= 450, `${email}: answered after ${Date.now() - started} ms`);
    }
    await fx.server.waitForMessage((m) => m.type === "verify-email" && m.to === known);
    assert.deepEqual(fx.server.readOutbox().filter((m) => m.to === unknown), [], "nothing is sent to an unknown address");
  });

  test("a bad token: 401 INVALID_TOKEN, or a redirect with error=INVALID_TOKEN when a callbackURL is given", async () => {
    const plain = await fx.browser().request("/api/auth/verify-email?token=not-a-jwt");
    assertErrorResponse(plain, 401, "INVALID_TOKEN", "Invalid token");
    const withCallback = await fx.browser().request("/api/auth/verify-email?token=not-a-jwt&callbackURL=%2Fdone");
    assert.equal(withCallback.status, 302);
    assert.equal(withCallback.headers.get("location"), "/done?error=INVALID_TOKEN");
  });
});
