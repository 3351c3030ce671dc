// The account lifecycle beyond reset and verification (email-flows.test.mjs): sign-in that waits
// for a verified e-mail, change of e-mail, deletion of the account. Each block runs its own server
// with the switches it needs (Better Auth's options, Tessera's TESSERA_* settings).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertClientError, assertErrorResponse } from "../lib/shapes.mjs";
import { currentSession, newCredentials, useServer } from "../lib/suite.mjs";

function pathOf(url) {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

/** Sends a verification link to the signed-in user and follows it, so the e-mail is verified. */
async function verifyEmail(fx, person) {
  const email = person.email.toLowerCase();
  const { message } = await newMail(fx, (m) => m.type === "verify-email" && m.to === email, () =>
    person.browser.client.sendVerificationEmail({ email }),
  );
  const res = await person.browser.request(pathOf(message.url));
  assert.equal(res.status, 302);
}

/** Runs `action`; returns its result and the first new outbox message matching `predicate`. */
async function newMail(fx, predicate, action) {
  const before = fx.server.readOutbox().filter(predicate).length;
  const result = await action();
  for (let i = 0; i < 100; i++) {
    const matching = fx.server.readOutbox().filter(predicate);
    if (matching.length > before) return { result, message: matching.at(-1) };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("no new outbox message");
}

describe("off by default", () => {
  const fx = useServer();

  test("change-email is 400 CHANGE_EMAIL_DISABLED and delete-user is 404", async () => {
    const alice = await fx.signUp();
    const change = await alice.browser.client.changeEmail({ newEmail: "elsewhere@example.com" });
    assertClientError(change, 400, "CHANGE_EMAIL_DISABLED", "Change email is disabled");
    const del = await alice.browser.request("/api/auth/delete-user", { json: {} });
    assert.equal(del.status, 404);
    assert.equal(del.text, "");
    const callback = await alice.browser.request("/api/auth/delete-user/callback?token=x");
    assertErrorResponse(callback, 404, "NOT_FOUND", "Not found");
    assert.notEqual(await currentSession(alice.browser), null);
  });
});

describe("requireEmailVerification with sendOnSignIn and autoSignInAfterVerification", () => {
  const fx = useServer({
    env: {
      TESSERA_REQUIRE_EMAIL_VERIFICATION: "on",
      TESSERA_SEND_ON_SIGN_IN: "on",
      TESSERA_AUTO_SIGN_IN_AFTER_VERIFICATION: "on",
    },
  });

  test("sign-up opens no session; sign-in is 403 EMAIL_NOT_VERIFIED and mails a link; the link signs in", async () => {
    const creds = newCredentials("unverified");
    const email = creds.email.toLowerCase();
    const browser = fx.browser();
    const { result: signUp } = await newMail(fx, (m) => m.type === "verify-email" && m.to === email, () =>
      browser.client.signUp.email(creds),
    );
    assert.equal(signUp.error, null);
    assert.equal(signUp.data.token, null);
    assert.equal(signUp.data.user.email, email);
    assert.equal(await currentSession(browser), null);

    const { result: signIn, message } = await newMail(fx, (m) => m.type === "verify-email" && m.to === email, () =>
      fx.browser().client.signIn.email({ email, password: creds.password }),
    );
    assertClientError(signIn, 403, "EMAIL_NOT_VERIFIED", "Email not verified");

    const opener = fx.browser();
    const link = await opener.request(pathOf(message.url));
    assert.equal(link.status, 302);
    assert.equal(link.headers.get("location"), "/");
    const session = await currentSession(opener);
    assert.equal(session.user.email, email);
    assert.equal(session.user.emailVerified, true);

    const again = await fx.browser().client.signIn.email({ email, password: creds.password });
    assert.equal(again.error, null);
  });

  test("a sign-up with a taken address answers a made-up user and no session", async () => {
    const creds = newCredentials("taken");
    const first = await fx.browser().client.signUp.email(creds);
    const second = await fx.browser().client.signUp.email(creds);
    assert.equal(second.error, null);
    assert.equal(second.data.token, null);
    assert.notEqual(second.data.user.id, first.data.user.id);
    assert.deepEqual(Object.keys(second.data.user).sort(), Object.keys(first.data.user).sort());
  });
});

describe("change-email with confirmation from the current address", () => {
  const fx = useServer({ env: { TESSERA_CHANGE_EMAIL: "on", TESSERA_CHANGE_EMAIL_CONFIRMATION: "on" } });

  test("an unverified user: the new address gets a link that moves the e-mail, once", async () => {
    const alice = await fx.signUp();
    const newEmail = newCredentials("moved").email.toLowerCase();
    const { result, message } = await newMail(fx, (m) => m.type === "verify-email" && m.to === newEmail, () =>
      alice.browser.client.changeEmail({ newEmail, callbackURL: "/moved" }),
    );
    assert.equal(result.error, null);
    assert.deepEqual(result.data, { status: true });
    assert.ok(message.url.endsWith("&callbackURL=%2Fmoved"));
    assert.equal((await currentSession(alice.browser)).user.email, alice.email.toLowerCase(), "not yet");

    const link = await alice.browser.request(pathOf(message.url));
    assert.equal(link.status, 302);
    assert.equal(link.headers.get("location"), "/moved");
    const session = await currentSession(alice.browser);
    assert.equal(session.user.email, newEmail);
    assert.equal(session.user.emailVerified, false);

    const reused = await fx.browser().request(pathOf(message.url));
    assert.equal(reused.headers.get("location"), "/moved?error=INVALID_TOKEN");
  });

  test("a verified user confirms from the current address, then verifies the new one", async () => {
    const bob = await fx.signUp();
    await verifyEmail(fx, bob);
    const oldEmail = bob.email.toLowerCase();
    const newEmail = newCredentials("confirmed").email.toLowerCase();
    const { result, message: confirm } = await newMail(
      fx,
      (m) => m.type === "change-email-confirmation" && m.to === oldEmail,
      () => bob.browser.client.changeEmail({ newEmail }),
    );
    assert.deepEqual(result.data, { status: true });
    assert.equal(confirm.newEmail, newEmail);

    const { result: step1, message: verify } = await newMail(
      fx,
      (m) => m.type === "verify-email" && m.to === newEmail,
      () => bob.browser.request(pathOf(confirm.url)),
    );
    assert.equal(step1.status, 302);
    assert.equal((await currentSession(bob.browser)).user.email, oldEmail, "not yet");

    const step2 = await bob.browser.request(pathOf(verify.url));
    assert.equal(step2.status, 302);
    const session = await currentSession(bob.browser);
    assert.equal(session.user.email, newEmail);
    assert.equal(session.user.emailVerified, true);
  });

  test("an address another user holds: the same answer, no mail, nothing changes", async () => {
    const holder = await fx.signUp();
    const carol = await fx.signUp();
    const before = fx.server.readOutbox().length;
    const res = await carol.browser.client.changeEmail({ newEmail: holder.email });
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { status: true });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(fx.server.readOutbox().length, before);
    assert.equal((await currentSession(carol.browser)).user.email, carol.email.toLowerCase());
  });

  test("bad input: the same address, an invalid one, no session, a tampered link", async () => {
    const dan = await fx.signUp();
    const same = await dan.browser.request("/api/auth/change-email", { json: { newEmail: dan.email } });
    assertErrorResponse(same, 400, undefined, "Email is the same");
    const invalid = await dan.browser.request("/api/auth/change-email", { json: { newEmail: "not-an-email" } });
    assertErrorResponse(invalid, 400, "VALIDATION_ERROR");
    const anonymous = await fx.browser().request("/api/auth/change-email", { json: { newEmail: "x@example.com" } });
    assertErrorResponse(anonymous, 401, "UNAUTHORIZED", "Unauthorized");

    const newEmail = newCredentials("tampered").email.toLowerCase();
    const { message } = await newMail(fx, (m) => m.type === "verify-email" && m.to === newEmail, () =>
      dan.browser.client.changeEmail({ newEmail }),
    );
    const tampered = message.token.slice(0, -2) + (message.token.endsWith("AA") ? "BB" : "AA");
    const res = await dan.browser.request(`/api/auth/verify-email?token=${tampered}`);
    assertErrorResponse(res, 401, "INVALID_TOKEN", "Invalid token");
    assert.equal((await currentSession(dan.browser)).user.email, dan.email.toLowerCase());
  });
});

describe("delete-user with a password or a fresh session", () => {
  const fx = useServer({ env: { TESSERA_DELETE_USER: "on" } });

  test("a wrong password is 400 INVALID_PASSWORD; the right one deletes the user and signs out", async () => {
    const erin = await fx.signUp();
    const wrong = await erin.browser.client.deleteUser({ password: "not my password" });
    assertClientError(wrong, 400, "INVALID_PASSWORD", "Invalid password");
    const res = await erin.browser.client.deleteUser({ password: erin.password });
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { success: true, message: "User deleted" });
    assert.equal(await currentSession(erin.browser), null);
    const signIn = await fx.browser().client.signIn.email({ email: erin.email, password: erin.password });
    assertClientError(signIn, 401, "INVALID_EMAIL_OR_PASSWORD");
  });

  test("a fresh session alone is enough; a made-up token is 404 INVALID_TOKEN", async () => {
    const finn = await fx.signUp();
    const bad = await finn.browser.client.deleteUser({ token: "no-such-token" });
    assertClientError(bad, 404, "INVALID_TOKEN", "Invalid token");
    const res = await finn.browser.client.deleteUser({});
    assert.deepEqual(res.data, { success: true, message: "User deleted" });
    const rows = await fx.query("SELECT id FROM \"user\" WHERE email = ?", [finn.email.toLowerCase()]);
    assert.deepEqual(rows, []);
  });
});

describe("delete-user by e-mailed link", () => {
  const fx = useServer({ env: { TESSERA_DELETE_USER: "on", TESSERA_DELETE_USER_VERIFICATION: "on" } });

  test("the link deletes the account in the user's browser, and only there", async () => {
    const gail = await fx.signUp();
    const email = gail.email.toLowerCase();
    const { result, message } = await newMail(fx, (m) => m.type === "delete-account" && m.to === email, () =>
      gail.browser.client.deleteUser({ callbackURL: "/bye" }),
    );
    assert.deepEqual(result.data, { success: true, message: "Verification email sent" });
    assert.match(message.token, /^[0-9a-z]{32}$/);
    assert.equal(message.url, `${fx.server.url}/api/auth/delete-user/callback?token=${message.token}&callbackURL=%2Fbye`);

    const anonymous = await fx.browser().request(pathOf(message.url));
    assertErrorResponse(anonymous, 404, "FAILED_TO_GET_USER_INFO", "Failed to get user info");
    assert.notEqual(await currentSession(gail.browser), null);

    const link = await gail.browser.request(pathOf(message.url));
    assert.equal(link.status, 302);
    assert.equal(link.headers.get("location"), "/bye");
    assert.equal(await currentSession(gail.browser), null);
    const rows = await fx.query("SELECT id FROM \"user\" WHERE email = ?", [email]);
    assert.deepEqual(rows, []);
  });

  test("a link opened by someone else signed in is 404 INVALID_TOKEN, and that uses it up", async () => {
    const jan = await fx.signUp();
    const kai = await fx.signUp();
    const email = jan.email.toLowerCase();
    const { message } = await newMail(fx, (m) => m.type === "delete-account" && m.to === email, () =>
      jan.browser.client.deleteUser({}),
    );
    const foreign = await kai.browser.request(pathOf(message.url));
    assertErrorResponse(foreign, 404, "INVALID_TOKEN", "Invalid token");
    const own = await jan.browser.request(pathOf(message.url));
    assertErrorResponse(own, 404, "INVALID_TOKEN", "Invalid token");
    assert.notEqual(await currentSession(jan.browser), null);
    assert.notEqual(await currentSession(kai.browser), null);
  });

  test("the token also works in the delete-user body; someone else's token is 404 INVALID_TOKEN", async () => {
    const hugo = await fx.signUp();
    const ida = await fx.signUp();
    const email = hugo.email.toLowerCase();
    const { message } = await newMail(fx, (m) => m.type === "delete-account" && m.to === email, () =>
      hugo.browser.client.deleteUser({}),
    );
    const foreign = await ida.browser.client.deleteUser({ token: message.token });
    assertClientError(foreign, 404, "INVALID_TOKEN", "Invalid token");
    assert.notEqual(await currentSession(ida.browser), null);

    const { message: second } = await newMail(fx, (m) => m.type === "delete-account" && m.to === email, () =>
      hugo.browser.client.deleteUser({}),
    );
    const res = await hugo.browser.client.deleteUser({ token: second.token });
    assert.deepEqual(res.data, { success: true, message: "User deleted" });
    assert.equal(await currentSession(hugo.browser), null);
  });
});
