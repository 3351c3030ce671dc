// The email-otp plugin through the real emailOTPClient: codes read back from the outbox, sign-in
// (and sign-up) by code, email verification, password reset, change of email, the attempt cap
// (also under concurrent guesses), expiry, and the storeOTP forms. Each describe block runs its
// own server with the options it names; every call on a rate-limited route (three a minute per
// address and path) comes from a fresh browser.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "node:test";
import { emailOTPClient, twoFactorClient } from "better-auth/client/plugins";
import { expectNewMessage } from "../lib/outbox.mjs";
import { assertClientError, assertErrorResponse, assertSessionCookie } from "../lib/shapes.mjs";
import { currentSession, newCredentials, signUp, useServer } from "../lib/suite.mjs";
import { enableTotp, passwordStep } from "../lib/two-factor.mjs";

const INVALID_OTP = ["INVALID_OTP", "Invalid OTP"];
const OTP_EXPIRED = ["OTP_EXPIRED", "OTP expired"];
const TOO_MANY_ATTEMPTS = ["TOO_MANY_ATTEMPTS", "Too many attempts"];

/** A server with the plugin (and `more`), and helpers bound to it. */
function setUp({ plugins = [], config, env } = {}) {
  const fx = useServer({ plugins: ["email-otp", ...plugins], config, env });
  const browser = () => fx.browser({ plugins: [emailOTPClient()] });
  /** Asks for a code of `type` from a fresh browser; returns the code mailed. */
  const sendCode = async (email, type = "sign-in") => {
    const to = email.toLowerCase();
    const { result, message } = await expectNewMessage(
      fx.server.outbox,
      (m) => m.type === `email-otp-${type}` && m.to === to,
      () => browser().client.emailOtp.sendVerificationOtp({ email, type }),
    );
    assert.equal(result.error, null, JSON.stringify(result.error));
    assert.deepEqual(result.data, { success: true });
    return message.code;
  };
  const signInWith = (email, otp, extra = {}) => browser().client.signIn.emailOtp({ email, otp, ...extra });
  return { fx, browser, sendCode, signInWith };
}

function wrong(code) {
  return code === "000000" ? "000001" : "000000";
}

/** Waits a little, then asserts that nothing of `type` went to `to`. */
async function assertNoMail(fx, to, type) {
  await sleep(300);
  const sent = fx.server.readOutbox().filter((m) => m.to === to.toLowerCase() && (type === undefined || m.type === type));
  assert.deepEqual(sent, [], `no mail to ${to}`);
}

describe("sign-in by emailed code", () => {
  const { fx, browser, sendCode, signInWith } = setUp();

  test("a code is six digits, mailed with its type, and stored as <code>:0 under <type>-otp-<email>", async () => {
    const { email } = newCredentials("otp");
    const code = await sendCode(email);
    assert.match(code, /^\d{6}$/);
    const mail = await fx.server.waitForMessage((m) => m.type === "email-otp-sign-in" && m.to === email.toLowerCase());
    assert.deepEqual(Object.keys(mail).sort(), ["at", "code", "otpType", "to", "type"]);
    assert.equal(mail.otpType, "sign-in");
    const rows = await fx.query(`select "value" from "verification" where "identifier" = ?`, [`sign-in-otp-${email.toLowerCase()}`]);
    assert.deepEqual(rows.map((r) => r.value), [`${code}:0`]);
  });

  test("a new address signs up by its code: verified, named as asked, signed in with a session cookie", async () => {
    const { email } = newCredentials("newcomer");
    const code = await sendCode(email);
    const b = browser();
    const res = await b.client.signIn.emailOtp({ email, otp: code, name: "New Comer" });
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.deepEqual(Object.keys(res.data).sort(), ["token", "user"]);
    assert.equal(res.data.user.email, email.toLowerCase());
    assert.equal(res.data.user.emailVerified, true);
    assert.equal(res.data.user.name, "New Comer");
    assertSessionCookie(b.lastSetCookies, { token: res.data.token, secret: fx.server.secret });
    const session = await currentSession(b);
    assert.equal(session.user.id, res.data.user.id);
  });

  test("without a name the new user's name is empty", async () => {
    const { email } = newCredentials("nameless");
    const res = await signInWith(email, await sendCode(email));
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data.user.name, "");
  });

  test("a code works once", async () => {
    const { email } = newCredentials("once");
    const code = await sendCode(email);
    assert.equal((await signInWith(email, code)).error, null);
    assertClientError(await signInWith(email, code), 400, ...INVALID_OTP);
  });

  test("a code for another address is refused", async () => {
    const a = newCredentials("mine");
    const b = newCredentials("theirs");
    const code = await sendCode(a.email);
    const theirs = await sendCode(b.email);
    if (code !== theirs) assertClientError(await signInWith(b.email, code), 400, ...INVALID_OTP);
  });

  test("three wrong guesses, then even the right code gets 403 TOO_MANY_ATTEMPTS, then INVALID_OTP", async () => {
    const { email } = newCredentials("guesser");
    const code = await sendCode(email);
    for (let i = 0; i < 3; i++) assertClientError(await signInWith(email, wrong(code)), 400, ...INVALID_OTP);
    assertClientError(await signInWith(email, code), 403, ...TOO_MANY_ATTEMPTS);
    assertClientError(await signInWith(email, code), 400, ...INVALID_OTP);
  });

  test("a new code replaces the old one, and a guess with the old one counts against the new", async () => {
    const { email } = newCredentials("resend");
    const first = await sendCode(email);
    const second = await sendCode(email);
    if (first !== second) assertClientError(await signInWith(email, first), 400, ...INVALID_OTP);
    const rows = await fx.query(`select "value" from "verification" where "identifier" = ? order by "createdAt" desc`, [`sign-in-otp-${email.toLowerCase()}`]);
    assert.equal(rows[0].value, `${second}:${first !== second ? 1 : 0}`);
    assert.equal((await signInWith(email, second)).error, null);
  });

  test("after three wrong guesses, the right code sent many times at once never signs in", async () => {
    const { email } = newCredentials("storm");
    const code = await sendCode(email);
    for (let i = 0; i < 3; i++) assertClientError(await signInWith(email, wrong(code)), 400, ...INVALID_OTP);
    const results = await Promise.all(Array.from({ length: 8 }, () => signInWith(email, code)));
    for (const r of results) {
      assert.equal(r.data, null);
      assert.ok([400, 403].includes(r.error.status), JSON.stringify(r.error));
    }
  });

  test("the right code sent many times at once signs in at most once", async () => {
    const { email } = newCredentials("race");
    const code = await sendCode(email);
    const results = await Promise.all(Array.from({ length: 8 }, () => signInWith(email, code)));
    const wins = results.filter((r) => r.error === null);
    assert.equal(wins.length <= 1, true, `${wins.length} sign-ins from one code`);
    for (const r of results.filter((r) => r.error !== null)) assert.equal(r.error.code, "INVALID_OTP");
  });

  test("an existing verified user signs in by code and keeps their password", async () => {
    const user = await signUp(browser());
    await verifyByCode(user.email);
    const res = await signInWith(user.email, await sendCode(user.email));
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data.user.id, user.user.id);
    const again = await browser().client.signIn.email({ email: user.email, password: user.password });
    assert.equal(again.error, null, "the password still works");
  });

  test("signing in by code to an unverified account strips the access gained before the proof", async () => {
    const squatter = await signUp(browser());
    const res = await signInWith(squatter.email, await sendCode(squatter.email));
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data.user.id, squatter.user.id);
    assert.equal(res.data.user.emailVerified, true);
    assert.equal(await currentSession(squatter.browser), null, "the earlier session is revoked");
    const password = await browser().client.signIn.email({ email: squatter.email, password: squatter.password });
    assert.equal(password.error?.status, 401, "the earlier password is gone");
    const accounts = await fx.query(`select "providerId" from "account" where "userId" = ?`, [squatter.user.id]);
    assert.deepEqual(accounts, []);
  });

  test("an unknown address asking for a verification or reset code is answered the same, and gets nothing", async () => {
    const { email } = newCredentials("nobody");
    for (const type of ["email-verification", "forget-password"]) {
      const res = await browser().client.emailOtp.sendVerificationOtp({ email, type });
      assert.equal(res.error, null);
      assert.deepEqual(res.data, { success: true });
    }
    await assertNoMail(fx, email);
    const rows = await fx.query(`select "identifier" from "verification" where "identifier" like ?`, [`%-otp-${email.toLowerCase()}`]);
    assert.deepEqual(rows, []);
  });

  test("type change-email is refused with a message only, an unknown type as a validation error", async () => {
    const { email } = newCredentials("types");
    const change = await browser().request("/api/auth/email-otp/send-verification-otp", { json: { email, type: "change-email" } });
    assertErrorResponse(change, 400, undefined, "Invalid OTP type");
    const unknown = await browser().request("/api/auth/email-otp/send-verification-otp", { json: { email, type: "magic" } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.code, "VALIDATION_ERROR");
    const bad = await browser().request("/api/auth/email-otp/send-verification-otp", { json: { email: "not-an-email", type: "sign-in" } });
    assertErrorResponse(bad, 400, "INVALID_EMAIL", "Invalid email");
  });

  /** Verifies `email`'s account by an email-verification code. */
  async function verifyByCode(email) {
    const code = await sendCode(email, "email-verification");
    const res = await browser().client.emailOtp.verifyEmail({ email, otp: code });
    assert.equal(res.error, null, JSON.stringify(res.error));
    return res;
  }

  test("verify-email marks the address verified and answers {status, token: null, user}", async () => {
    const user = await signUp(browser());
    const res = await verifyByCode(user.email);
    assert.equal(res.data.status, true);
    assert.equal(res.data.token, null);
    assert.equal(res.data.user.id, user.user.id);
    assert.equal(res.data.user.emailVerified, true);
  });

  test("check-verification-otp says a code is right without spending it", async () => {
    const user = await signUp(browser());
    const code = await sendCode(user.email, "email-verification");
    const check = await browser().client.emailOtp.checkVerificationOtp({ email: user.email, type: "email-verification", otp: code });
    assert.equal(check.error, null, JSON.stringify(check.error));
    assert.deepEqual(check.data, { success: true });
    const wrongCheck = await browser().client.emailOtp.checkVerificationOtp({ email: user.email, type: "email-verification", otp: wrong(code) });
    assertClientError(wrongCheck, 400, ...INVALID_OTP);
    const verify = await browser().client.emailOtp.verifyEmail({ email: user.email, otp: code });
    assert.equal(verify.error, null, "the checked code still verifies");
  });

  test("a password is reset by a forget-password code, and the old one stops working", async () => {
    const user = await signUp(browser());
    const { result, message } = await expectNewMessage(
      fx.server.outbox,
      (m) => m.type === "email-otp-forget-password" && m.to === user.email.toLowerCase(),
      () => browser().client.emailOtp.requestPasswordReset({ email: user.email }),
    );
    assert.deepEqual(result.data, { success: true });
    const password = "a brand new password 1";
    const res = await browser().client.emailOtp.resetPassword({ email: user.email, otp: message.code, password });
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.deepEqual(res.data, { success: true });
    assert.equal((await browser().client.signIn.email({ email: user.email, password })).error, null);
    assert.equal((await browser().client.signIn.email({ email: user.email, password: user.password })).error?.status, 401);
    const [row] = await fx.query(`select "emailVerified" from "user" where "id" = ?`, [user.user.id]);
    assert.equal(Boolean(row.emailVerified), true, "the code proved the address");
  });

  test("the deprecated forget-password/email-otp route mails a reset code too", async () => {
    const user = await signUp(browser());
    const { result } = await expectNewMessage(
      fx.server.outbox,
      (m) => m.type === "email-otp-forget-password" && m.to === user.email.toLowerCase(),
      () => browser().request("/api/auth/forget-password/email-otp", { json: { email: user.email } }),
    );
    assert.equal(result.status, 200);
    assert.deepEqual(result.json, { success: true });
  });

  test("a reset code with a wrong guess or a too-short password changes nothing", async () => {
    const user = await signUp(browser());
    const code = await sendCode(user.email, "forget-password");
    assertClientError(await browser().client.emailOtp.resetPassword({ email: user.email, otp: wrong(code), password: "long enough pass" }), 400, ...INVALID_OTP);
    const short = await browser().client.emailOtp.resetPassword({ email: user.email, otp: code, password: "short" });
    assert.equal(short.error?.status, 400);
    assert.equal(short.error?.code, "PASSWORD_TOO_SHORT");
    assert.equal((await browser().client.signIn.email({ email: user.email, password: user.password })).error, null);
  });
});

describe("change of email by code", () => {
  const { fx, browser, sendCode } = setUp({ config: { email_otp: { change_email: true } } });

  test("a code mailed to the new address moves the account there, verified", async () => {
    const user = await signUp(browser());
    const { email: newEmail } = newCredentials("moved");
    const { result, message } = await expectNewMessage(
      fx.server.outbox,
      (m) => m.type === "email-otp-change-email" && m.to === newEmail.toLowerCase(),
      () => user.browser.client.emailOtp.requestEmailChange({ newEmail }),
    );
    assert.equal(result.error, null, JSON.stringify(result.error));
    const rows = await fx.query(`select "identifier" from "verification" where "identifier" = ?`, [`change-email-otp-${user.user.id}:${newEmail.toLowerCase()}`]);
    assert.equal(rows.length, 1, "keyed to the user and the new address");
    const res = await user.browser.client.emailOtp.changeEmail({ newEmail, otp: message.code });
    assert.equal(res.error, null, JSON.stringify(res.error));
    const session = await currentSession(user.browser);
    assert.equal(session.user.email, newEmail.toLowerCase());
    assert.equal(session.user.emailVerified, true);
  });

  test("a taken address gets no code, and the same address is refused", async () => {
    const user = await signUp(browser());
    const other = await signUp(browser());
    const res = await user.browser.client.emailOtp.requestEmailChange({ newEmail: other.email });
    assert.equal(res.error, null);
    await assertNoMail(fx, other.email, "email-otp-change-email");
    const same = await user.browser.request("/api/auth/email-otp/request-email-change", { json: { newEmail: user.email } });
    assertErrorResponse(same, 400, undefined, "Email is the same");
  });

  test("without a session the change routes answer 401", async () => {
    const res = await browser().request("/api/auth/email-otp/request-email-change", { json: { newEmail: "x@example.com" } });
    assert.equal(res.status, 401);
    void sendCode;
  });
});

describe("change of email while it is off", () => {
  const { browser } = setUp();

  test("request-email-change is refused with a message", async () => {
    const user = await signUp(browser());
    const res = await user.browser.request("/api/auth/email-otp/request-email-change", { json: { newEmail: "else@example.com" } });
    assertErrorResponse(res, 400, undefined, "Change email with OTP is disabled");
  });
});

describe("an expired code", () => {
  const { sendCode, signInWith } = setUp({ config: { email_otp: { expires_in: 1 } } });

  test("is answered OTP_EXPIRED once, then INVALID_OTP", async () => {
    const { email } = newCredentials("late");
    const code = await sendCode(email);
    await sleep(1500);
    assertClientError(await signInWith(email, code), 400, ...OTP_EXPIRED);
    assertClientError(await signInWith(email, code), 400, ...INVALID_OTP);
  });
});

describe("sign-up by code turned off", () => {
  const { fx, browser, sendCode, signInWith } = setUp({ config: { email_otp: { disable_sign_up: true } } });

  test("an unknown address asking for a sign-in code is answered the same and gets nothing", async () => {
    const { email } = newCredentials("stranger");
    const res = await browser().client.emailOtp.sendVerificationOtp({ email, type: "sign-in" });
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { success: true });
    await assertNoMail(fx, email);
  });

  test("a known address still signs in by code", async () => {
    const user = await signUp(browser());
    const res = await signInWith(user.email, await sendCode(user.email));
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data.user.id, user.user.id);
  });
});

describe("codes stored hashed", () => {
  const { fx, sendCode, signInWith } = setUp({ config: { email_otp: { store_otp: "hashed" } } });

  test("the row holds base64url(SHA-256(code)), and the code still signs in", async () => {
    const { email } = newCredentials("hashed");
    const code = await sendCode(email);
    const [row] = await fx.query(`select "value" from "verification" where "identifier" = ?`, [`sign-in-otp-${email.toLowerCase()}`]);
    assert.equal(row.value, `${createHash("sha256").update(code).digest("base64url")}:0`);
    assert.equal((await signInWith(email, code)).error, null);
  });
});

describe("codes stored encrypted", () => {
  const { fx, sendCode, signInWith } = setUp({ config: { email_otp: { store_otp: "encrypted" } } });

  test("the row does not hold the code, and the code still signs in", async () => {
    const { email } = newCredentials("sealed");
    const code = await sendCode(email);
    const [row] = await fx.query(`select "value" from "verification" where "identifier" = ?`, [`sign-in-otp-${email.toLowerCase()}`]);
    assert.ok(!row.value.startsWith(`${code}:`), "not stored plain");
    assert.match(row.value, /^[0-9a-f]+:0$/);
    assertClientError(await signInWith(email, wrong(code)), 400, ...INVALID_OTP);
    assert.equal((await signInWith(email, code)).error, null);
  });
});

describe("a verification code on sign-up", () => {
  const { fx, browser } = setUp({ config: { email_otp: { send_verification_on_sign_up: true } } });

  test("signing up mails an email-verification code, which verifies the address", async () => {
    const creds = newCredentials("fresh");
    const { message } = await expectNewMessage(
      fx.server.outbox,
      (m) => m.type === "email-otp-email-verification" && m.to === creds.email.toLowerCase(),
      () => signUp(browser(), creds),
    );
    const res = await browser().client.emailOtp.verifyEmail({ email: creds.email, otp: message.code });
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data.user.emailVerified, true);
  });
});

describe("codes in place of verification links", () => {
  const { fx, browser } = setUp({
    config: { email_otp: { override_default_email_verification: true } },
    env: { TESSERA_SEND_ON_SIGN_UP: "on" },
  });

  test("the verification email sent on sign-up is a code, not a link", async () => {
    const creds = newCredentials("coded");
    const { message } = await expectNewMessage(
      fx.server.outbox,
      (m) => m.type === "email-otp-email-verification" && m.to === creds.email.toLowerCase(),
      () => signUp(browser(), creds),
    );
    assert.match(message.code, /^\d{6}$/);
    await assertNoMail(fx, creds.email, "verify-email");
  });
});

describe("a banned user", () => {
  const { fx, sendCode, signInWith, browser } = setUp({ plugins: ["admin"] });

  test("is refused with BANNED_USER after the code is spent", async () => {
    const user = await signUp(browser());
    await fx.query(`update "user" set "banned" = true, "emailVerified" = true where "id" = ?`, [user.user.id]);
    const code = await sendCode(user.email);
    const res = await signInWith(user.email, code);
    assert.equal(res.error?.status, 403);
    assert.equal(res.error?.code, "BANNED_USER");
    assertClientError(await signInWith(user.email, code), 400, ...INVALID_OTP);
  });
});

describe("a user with two-factor on", () => {
  const { fx, sendCode, signInWith } = setUp({ plugins: ["two-factor"] });

  test("signs in by emailed code without a second factor, as Better Auth's two-factor hook covers password sign-ins only", async () => {
    const b = fx.browser({ plugins: [emailOTPClient(), twoFactorClient()] });
    const user = await signUp(b);
    await enableTotp(b, user.password);
    await passwordStep(fx.browser({ plugins: [twoFactorClient()] }), user);
    const code = await sendCode(user.email, "email-verification");
    assert.equal((await fx.browser({ plugins: [emailOTPClient()] }).client.emailOtp.verifyEmail({ email: user.email, otp: code })).error, null);
    const res = await signInWith(user.email, await sendCode(user.email));
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.deepEqual(Object.keys(res.data).sort(), ["token", "user"]);
    assert.equal(res.data.user.twoFactorEnabled, true);
  });
});
