// Two-factor steps shared by the plugin suite and the interop tests: turning TOTP on through the
// real twoFactorClient, and signing in up to the second factor.
import assert from "node:assert/strict";
import { Authenticator } from "./totp.mjs";
import { unsignCookieValue } from "./shapes.mjs";

export const TWO_FACTOR_COOKIE = "better-auth.two_factor";
export const TRUST_DEVICE_COOKIE = "better-auth.trust_device";

/**
 * Enables TOTP for the signed-in user of `browser` (enable, then the first code in session mode).
 * @returns {Promise<{authenticator: Authenticator, backupCodes: string[], totpURI: string}>}
 */
export async function enableTotp(browser, password) {
  const enabled = await browser.client.twoFactor.enable({ password });
  assert.equal(enabled.error, null, `two-factor/enable: ${JSON.stringify(enabled.error)}`);
  const authenticator = new Authenticator(enabled.data.totpURI);
  const verified = await browser.client.twoFactor.verifyTotp({ code: await authenticator.next() });
  assert.equal(verified.error, null, `two-factor/verify-totp (session mode): ${JSON.stringify(verified.error)}`);
  return { authenticator, backupCodes: enabled.data.backupCodes, totpURI: enabled.data.totpURI };
}

/**
 * The password step of a sign-in for a user with 2FA on: asserts it stopped at the second factor
 * and returns the response body ({twoFactorRedirect, twoFactorMethods}).
 */
export async function passwordStep(browser, { email, password, ...extra }) {
  const res = await browser.client.signIn.email({ email, password, ...extra });
  assert.equal(res.error, null, `sign-in: ${JSON.stringify(res.error)}`);
  assert.equal(res.data.twoFactorRedirect, true, `expected a 2FA challenge, got ${JSON.stringify(res.data)}`);
  assert.ok(browser.cookie(TWO_FACTOR_COOKIE), "two_factor cookie set");
  return res.data;
}

/** The challenge identifier inside a browser's signed two_factor cookie. */
export function challengeId(browser, secret) {
  const cookie = browser.cookie(TWO_FACTOR_COOKIE);
  assert.ok(cookie, "browser holds a two_factor cookie");
  const id = unsignCookieValue(cookie, secret);
  assert.ok(id, "two_factor cookie signature verifies");
  return id;
}
