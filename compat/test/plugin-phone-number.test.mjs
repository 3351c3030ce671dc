// The phone-number plugin through the real phoneNumberClient: OTPs read back from the outbox,
// verifying (and adding) a number, sign-in/phone-number, password reset by phone, and the limits.
// The servers run the plugin with sendOTP and sendPasswordResetOTP only: no signUpOnVerification,
// no requireVerification, default expiry (300 s), length (6) and attempts (3).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { phoneNumberClient } from "better-auth/client/plugins";
import { expectNewMessage } from "../lib/outbox.mjs";
import { assertClientError, assertClientUser, assertErrorResponse, assertNear, assertSessionCookie, assertWireUser } from "../lib/shapes.mjs";
import { currentSession, newCredentials, signUp, useServer } from "../lib/suite.mjs";

const PLUGINS = ["phone-number"];
const fx = useServer({ plugins: PLUGINS });
const browser = () => fx.browser({ plugins: [phoneNumberClient()] });

let phones = 0;
function newPhone() {
  phones += 1;
  return `+1555010${String(phones).padStart(4, "0")}`;
}

const INVALID_OTP = ["INVALID_OTP", "Invalid OTP"];
const OTP_NOT_FOUND = ["OTP_NOT_FOUND", "OTP not found"];
const INVALID_LOGIN = ["INVALID_PHONE_NUMBER_OR_PASSWORD", "Invalid phone number or password"];

/** Sends an OTP (or a reset OTP) from a fresh browser and returns the new code from the outbox. */
async function sendOtp(phoneNumber, type = "phone-otp") {
  const path = type === "phone-otp" ? "/api/auth/phone-number/send-otp" : "/api/auth/phone-number/request-password-reset";
  const { result, message } = await expectNewMessage(
    fx.server.outbox,
    (m) => m.type === type && m.to === phoneNumber,
    () => browser().request(path, { json: { phoneNumber } }),
  );
  assert.equal(result.status, 200, result.text);
  return message.code;
}

/** A user (signed up by e-mail) who then added and verified a phone number with their session. */
async function userWithPhone() {
  const user = await signUp(browser());
  const phoneNumber = newPhone();
  const code = await sendOtp(phoneNumber);
  const res = await user.browser.client.phoneNumber.verify({ phoneNumber, code, updatePhoneNumber: true });
  assert.equal(res.error, null, `verify with updatePhoneNumber: ${JSON.stringify(res.error)}`);
  return { ...user, phoneNumber };
}

function otpWrongFor(code) {
  return code === "000000" ? "000001" : "000000";
}

describe("sending and verifying an OTP", () => {
  test("send-otp answers {message:'code sent'} and sends six digits valid for five minutes", async () => {
    const phoneNumber = newPhone();
    const res = await browser().client.phoneNumber.sendOtp({ phoneNumber });
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { message: "code sent" });
    const mail = await fx.server.waitForMessage((m) => m.type === "phone-otp" && m.to === phoneNumber);
    assert.deepEqual(Object.keys(mail).sort(), ["at", "code", "to", "type"]);
    assert.match(mail.code, /^\d{6}$/);
    const [row] = await fx.query(`select "expiresAt" from "verification" where "identifier" = ?`, [`phone-number-otp-${phoneNumber}`]);
    assert.ok(row, "stored under phone-number-otp-<phone>");
    assertNear(new Date(row.expiresAt).getTime(), Date.now() + 300_000, 10_000, "OTP expiry");
  });

  test("a signed-in user adds a number: updatePhoneNumber sets it verified and keeps the session", async () => {
    const alice = await signUp(browser());
    assertClientUser(alice.user, { plugins: PLUGINS, phoneNumber: null, phoneNumberVerified: null });
    const phoneNumber = newPhone();
    const code = await sendOtp(phoneNumber);

    const res = await alice.browser.request("/api/auth/phone-number/verify", { json: { phoneNumber, code, updatePhoneNumber: true } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ["status", "token", "user"]);
    assert.equal(res.json.status, true);
    assert.equal(res.json.token, alice.token, "the caller's own session");
    assertWireUser(res.json.user, { plugins: PLUGINS, id: alice.user.id, phoneNumber, phoneNumberVerified: true });
    assert.deepEqual(res.setCookies, []);
    const session = await currentSession(alice.browser);
    assert.equal(session.user.phoneNumber, phoneNumber);
    assert.equal(session.user.phoneNumberVerified, true);
  });

  test("updatePhoneNumber without a session is 401 USER_NOT_FOUND", async () => {
    const phoneNumber = newPhone();
    const code = await sendOtp(phoneNumber);
    const res = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber, code, updatePhoneNumber: true } });
    assertErrorResponse(res, 401, "USER_NOT_FOUND", "User not found");
  });

  test("a number another user holds is 400 PHONE_NUMBER_EXIST", async () => {
    const alice = await userWithPhone();
    const bob = await signUp(browser());
    const code = await sendOtp(alice.phoneNumber);
    const res = await bob.browser.client.phoneNumber.verify({ phoneNumber: alice.phoneNumber, code, updatePhoneNumber: true });
    assertClientError(res, 400, "PHONE_NUMBER_EXIST", "Phone number already exists");
    assert.equal((await currentSession(bob.browser)).user.phoneNumber, null);
  });

  test("verify for a registered number signs its owner in (7-day session)", async () => {
    const alice = await userWithPhone();
    const b = browser();
    const code = await sendOtp(alice.phoneNumber);
    const res = await b.request("/api/auth/phone-number/verify", { json: { phoneNumber: alice.phoneNumber, code } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, true);
    assertWireUser(res.json.user, { plugins: PLUGINS, id: alice.user.id, phoneNumber: alice.phoneNumber, phoneNumberVerified: true });
    assertSessionCookie(res.setCookies, { token: res.json.token, secret: fx.server.secret });
    assert.equal((await currentSession(b)).user.id, alice.user.id);
  });

  test("disableSession:true verifies without a session: token null, no cookie", async () => {
    const alice = await userWithPhone();
    const code = await sendOtp(alice.phoneNumber);
    const res = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: alice.phoneNumber, code, disableSession: true } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.token, null);
    assert.equal(res.json.user.id, alice.user.id);
    assert.deepEqual(res.setCookies, []);
  });

  test("an unknown number does not sign up (signUpOnVerification is off): 500 FAILED_TO_UPDATE_USER, nothing created", async () => {
    const phoneNumber = newPhone();
    const code = await sendOtp(phoneNumber);
    const [{ n: before }] = await fx.query(`select count(*) as n from "user"`);
    const res = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber, code } });
    assertErrorResponse(res, 500, "FAILED_TO_UPDATE_USER", "Failed to update user");
    assert.deepEqual(res.setCookies, []);
    const [{ n: after }] = await fx.query(`select count(*) as n from "user"`);
    assert.equal(Number(after), Number(before));
  });
});

describe("OTP failures", () => {
  test("a wrong code is 400 INVALID_OTP; no code sent is 400 OTP_NOT_FOUND; a used code is gone", async () => {
    const alice = await userWithPhone();
    const none = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: newPhone(), code: "123456" } });
    assertErrorResponse(none, 400, ...OTP_NOT_FOUND);

    const code = await sendOtp(alice.phoneNumber);
    const wrong = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: alice.phoneNumber, code: otpWrongFor(code) } });
    assertErrorResponse(wrong, 400, ...INVALID_OTP);
    const ok = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: alice.phoneNumber, code } });
    assert.equal(ok.status, 200, ok.text);
    const reused = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: alice.phoneNumber, code } });
    assertErrorResponse(reused, 400, ...OTP_NOT_FOUND);
  });

  test("an expired code is 400 OTP_EXPIRED", async () => {
    const alice = await userWithPhone();
    const code = await sendOtp(alice.phoneNumber);
    await fx.query(`update "verification" set "expiresAt" = ? where "identifier" = ?`, [new Date(Date.now() - 1000).toISOString(), `phone-number-otp-${alice.phoneNumber}`]);
    const res = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: alice.phoneNumber, code } });
    assertErrorResponse(res, 400, "OTP_EXPIRED", "OTP expired");
    const again = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: alice.phoneNumber, code } });
    assertErrorResponse(again, 400, ...OTP_NOT_FOUND);
  });

  test("three wrong codes use it up: the fourth try, even right, is 403 TOO_MANY_ATTEMPTS; a new code works", async () => {
    const alice = await userWithPhone();
    const code = await sendOtp(alice.phoneNumber);
    for (let i = 0; i < 3; i++) {
      const res = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: alice.phoneNumber, code: otpWrongFor(code) } });
      assertErrorResponse(res, 400, ...INVALID_OTP);
    }
    const capped = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: alice.phoneNumber, code } });
    assertErrorResponse(capped, 403, "TOO_MANY_ATTEMPTS", "Too many attempts");
    const gone = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: alice.phoneNumber, code } });
    assertErrorResponse(gone, 400, ...OTP_NOT_FOUND);

    const fresh = await sendOtp(alice.phoneNumber);
    const ok = await browser().client.phoneNumber.verify({ phoneNumber: alice.phoneNumber, code: fresh });
    assert.equal(ok.error, null);
  });

  test("concurrent right codes sign in once (M6)", async () => {
    const alice = await userWithPhone();
    const code = await sendOtp(alice.phoneNumber);
    const [{ n: before }] = await fx.query(`select count(*) as n from "session" where "userId" = ?`, [alice.user.id]);
    const burst = await Promise.all(
      Array.from({ length: 6 }, () => browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: alice.phoneNumber, code } })),
    );
    assert.equal(burst.filter((r) => r.status === 200).length, 1, burst.map((r) => `${r.status} ${r.text.slice(0, 60)}`).join("\n"));
    for (const r of burst.filter((x) => x.status !== 200)) {
      // Losers find the code consumed mid-flight (INVALID_OTP) or already gone (OTP_NOT_FOUND).
      assert.equal(r.status, 400, r.text);
      assert.ok(["INVALID_OTP", "OTP_NOT_FOUND"].includes(r.json?.code), r.text);
      assert.deepEqual(r.setCookies, []);
    }
    const [{ n: after }] = await fx.query(`select count(*) as n from "session" where "userId" = ?`, [alice.user.id]);
    assert.equal(Number(after), Number(before) + 1);
  });

  test("a verification code cannot reset the password, nor a reset code verify (M5)", async () => {
    const alice = await userWithPhone();
    const verifyCode = await sendOtp(alice.phoneNumber);
    const reset = await browser().request("/api/auth/phone-number/reset-password", {
      json: { phoneNumber: alice.phoneNumber, otp: verifyCode, newPassword: "hijacked password 1" },
    });
    assertErrorResponse(reset, 400, ...OTP_NOT_FOUND);

    const other = await userWithPhone();
    const resetCode = await sendOtp(other.phoneNumber, "phone-reset-otp");
    await fx.query(`delete from "verification" where "identifier" = ?`, [`phone-number-otp-${other.phoneNumber}`]);
    const verify = await browser().request("/api/auth/phone-number/verify", { json: { phoneNumber: other.phoneNumber, code: resetCode } });
    assertErrorResponse(verify, 400, ...OTP_NOT_FOUND);
  });
});

describe("sign-in/phone-number", () => {
  test("the right password: {token, user} and a session cookie", async () => {
    const alice = await userWithPhone();
    const b = browser();
    const res = await b.request("/api/auth/sign-in/phone-number", { json: { phoneNumber: alice.phoneNumber, password: alice.password } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ["token", "user"]);
    assertWireUser(res.json.user, { plugins: PLUGINS, id: alice.user.id, phoneNumber: alice.phoneNumber, phoneNumberVerified: true });
    assertSessionCookie(res.setCookies, { token: res.json.token, secret: fx.server.secret });
    assert.equal((await currentSession(b)).session.token, res.json.token);
  });

  test("through the client, rememberMe:false gives a cookie without Max-Age", async () => {
    const alice = await userWithPhone();
    const b = browser();
    const res = await b.client.signIn.phoneNumber({ phoneNumber: alice.phoneNumber, password: alice.password, rememberMe: false });
    assert.equal(res.error, null);
    assertSessionCookie(b.lastSetCookies, { token: res.data.token, secret: fx.server.secret, maxAge: null });
  });

  test("a wrong password and an unknown number get the same 401 INVALID_PHONE_NUMBER_OR_PASSWORD", async () => {
    const alice = await userWithPhone();
    const wrong = await browser().request("/api/auth/sign-in/phone-number", { json: { phoneNumber: alice.phoneNumber, password: "not the password" } });
    const unknown = await browser().request("/api/auth/sign-in/phone-number", { json: { phoneNumber: newPhone(), password: "not the password" } });
    assertErrorResponse(wrong, 401, ...INVALID_LOGIN);
    assert.equal(unknown.status, wrong.status);
    assert.equal(unknown.text, wrong.text);
    assert.deepEqual(wrong.setCookies, []);
  });
});

describe("password reset by phone", () => {
  test("request-password-reset sends a code; reset-password with it sets the new password, once", async () => {
    const alice = await userWithPhone();
    const res = await browser().client.phoneNumber.requestPasswordReset({ phoneNumber: alice.phoneNumber });
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { status: true });
    const mail = await fx.server.waitForMessage((m) => m.type === "phone-reset-otp" && m.to === alice.phoneNumber);
    assert.match(mail.code, /^\d{6}$/);

    const wrong = await browser().request("/api/auth/phone-number/reset-password", {
      json: { phoneNumber: alice.phoneNumber, otp: otpWrongFor(mail.code), newPassword: "new phone password" },
    });
    assertErrorResponse(wrong, 400, ...INVALID_OTP);
    const tooShort = await browser().request("/api/auth/phone-number/reset-password", {
      json: { phoneNumber: alice.phoneNumber, otp: mail.code, newPassword: "short" },
    });
    assertErrorResponse(tooShort, 400, "PASSWORD_TOO_SHORT", "Password too short");

    const reset = await browser().client.phoneNumber.resetPassword({ phoneNumber: alice.phoneNumber, otp: mail.code, newPassword: "new phone password" });
    assert.equal(reset.error, null);
    assert.deepEqual(reset.data, { status: true });
    const reuse = await browser().request("/api/auth/phone-number/reset-password", {
      json: { phoneNumber: alice.phoneNumber, otp: mail.code, newPassword: "another phone password" },
    });
    assertErrorResponse(reuse, 400, ...OTP_NOT_FOUND);

    const old = await browser().client.signIn.phoneNumber({ phoneNumber: alice.phoneNumber, password: alice.password });
    assertClientError(old, 401, ...INVALID_LOGIN);
    const fresh = await browser().client.signIn.email({ email: alice.email, password: "new phone password" });
    assert.equal(fresh.error, null);
    assert.notEqual(await currentSession(alice.browser), null, "existing sessions survive a reset by default");
  });

  test("an unknown number gets the same {status:true} and no message", async () => {
    const before = fx.server.readOutbox().length;
    const phoneNumber = newPhone();
    const res = await browser().request("/api/auth/phone-number/request-password-reset", { json: { phoneNumber } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: true });
    assert.equal(fx.server.readOutbox().length, before);
  });
});

describe("the phone number is only set by verifying it", () => {
  test("sign-up with phoneNumber is 400 PHONE_NUMBER_CANNOT_BE_SET", async () => {
    const creds = newCredentials();
    const res = await browser().client.signUp.email({ ...creds, phoneNumber: newPhone() });
    assertClientError(res, 400, "PHONE_NUMBER_CANNOT_BE_SET", "Phone number can only be set by verifying it");
    assert.deepEqual(await fx.query(`select "id" from "user" where "email" = ?`, [creds.email.toLowerCase()]), []);
  });

  test("update-user with phoneNumber is 400 PHONE_NUMBER_CANNOT_BE_UPDATED", async () => {
    const alice = await userWithPhone();
    const res = await alice.browser.client.updateUser({ phoneNumber: newPhone() });
    assertClientError(res, 400, "PHONE_NUMBER_CANNOT_BE_UPDATED", "Phone number cannot be updated");
    assert.equal((await currentSession(alice.browser)).user.phoneNumber, alice.phoneNumber);
  });

  test("phoneNumberVerified is not an input", async () => {
    const alice = await signUp(browser());
    const res = await alice.browser.request("/api/auth/update-user", { json: { phoneNumberVerified: true } });
    assertErrorResponse(res, 400, "FIELD_NOT_ALLOWED", "phoneNumberVerified is not allowed to be set");
    assert.equal((await currentSession(alice.browser)).user.phoneNumberVerified, null);
  });
});
