// Two-factor across a switch-over: one server enables TOTP for a user (encrypted secret, encrypted
// backup codes, a trusted device, a sign-in left half-way), stops, and the other server, on the same
// database with the same secret, takes over. "The other server" is Tessera when COMPAT_TARGET=tessera
// and a second Better Auth process otherwise (which checks the test itself), in both directions.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { twoFactorClient } from "better-auth/client/plugins";
import { Browser } from "../lib/browser.mjs";
import { DB_KIND, TARGET } from "../lib/config.mjs";
import { freshDatabase } from "../lib/database.mjs";
import { newSecret, startServer } from "../lib/server.mjs";
import { assertSessionCookie } from "../lib/shapes.mjs";
import { newCredentials } from "../lib/suite.mjs";
import { enableTotp, passwordStep, TRUST_DEVICE_COOKIE } from "../lib/two-factor.mjs";

const OTHER_NAME = TARGET === "tessera" ? "Tessera" : "a second Better Auth process";
const ALL_PLUGINS = ["admin", "two-factor", "username", "phone-number"];
const PLUGIN_SETS = [["two-factor"], ALL_PLUGINS];
const DIRECTIONS = [
  { writer: "better-auth", writerName: "Better Auth", reader: TARGET, readerName: OTHER_NAME },
  { writer: TARGET, writerName: OTHER_NAME, reader: "better-auth", readerName: "Better Auth" },
];

const browserOn = (server) => new Browser(server.url, { plugins: [twoFactorClient()] });

/**
 * Everything a user leaves behind on the first server: TOTP on (first code verified), backup
 * codes, a browser whose device is trusted, and a browser that passed the password step only.
 */
async function enableEverything(server) {
  const creds = newCredentials("interop-2fa");
  const own = browserOn(server);
  const signUp = await own.client.signUp.email(creds);
  assert.equal(signUp.error, null, `sign-up on ${server.kind}: ${JSON.stringify(signUp.error)}`);
  const { authenticator, backupCodes, totpURI } = await enableTotp(own, creds.password);

  const trusted = browserOn(server);
  await passwordStep(trusted, creds);
  const trust = await trusted.client.twoFactor.verifyBackupCode({ code: backupCodes[9], trustDevice: true });
  assert.equal(trust.error, null, `trusting a device on ${server.kind}: ${JSON.stringify(trust.error)}`);
  assert.ok(trusted.cookie(TRUST_DEVICE_COOKIE), "trust_device cookie set");

  const pending = browserOn(server);
  await passwordStep(pending, creds);
  return { creds, userId: signUp.data.user.id, authenticator, backupCodes, totpURI, trusted, pending };
}

for (const plugins of PLUGIN_SETS) {
  const label = plugins.length === 1 ? "two-factor only" : "all plugins";
  for (const { writer, writerName, reader, readerName } of DIRECTIONS) {
    describe(`two-factor interop on ${DB_KIND}, ${label}: enabled on ${writerName}, used on ${readerName}`, () => {
      const secret = newSecret();
      let db;
      let server;
      let written;
      before(async () => {
        db = await freshDatabase();
      });
      after(async () => {
        await server?.stop();
        await db?.drop();
      });

      test(`${writerName} enables TOTP, trusts a device and leaves a sign-in at the second factor, then stops`, async () => {
        const first = await startServer({ kind: writer, db: db.url, secret, plugins });
        try {
          written = await enableEverything(first);
        } finally {
          await first.stop();
        }
        const [row] = await db.query(`select "twoFactorEnabled" from "user" where "id" = ?`, [written.userId]);
        assert.equal(Boolean(row.twoFactorEnabled), true);
      });

      test(`${readerName} starts on the same database and asks that user for the second factor`, async () => {
        server = await startServer({ kind: reader, db: db.url, secret, plugins });
        const step = await passwordStep(browserOn(server), written.creds);
        assert.deepEqual(step, { twoFactorRedirect: true, twoFactorMethods: ["totp", "otp"] });
      });

      test(`a code from the secret ${writerName} generated signs in on ${readerName}, which shows the same otpauth URI`, async () => {
        const b = browserOn(server);
        await passwordStep(b, written.creds);
        const res = await b.request("/api/auth/two-factor/verify-totp", { json: { code: await written.authenticator.next() } });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.user.id, written.userId);
        assertSessionCookie(res.setCookies, { token: res.json.token, secret });
        assert.equal((await b.request("/api/auth/get-session")).json?.user?.id, written.userId);

        const uri = await b.client.twoFactor.getTotpUri({ password: written.creds.password });
        assert.equal(uri.error, null);
        assert.equal(uri.data.totpURI, written.totpURI, `${readerName} decrypts the secret ${writerName} encrypted`);
      });

      test(`a backup code ${writerName} issued works once on ${readerName}`, async () => {
        const b = browserOn(server);
        await passwordStep(b, written.creds);
        const ok = await b.client.twoFactor.verifyBackupCode({ code: written.backupCodes[0] });
        assert.equal(ok.error, null, JSON.stringify(ok.error));
        const again = browserOn(server);
        await passwordStep(again, written.creds);
        const used = await again.client.twoFactor.verifyBackupCode({ code: written.backupCodes[0] });
        assert.equal(used.error?.status, 401);
        assert.equal(used.error?.code, "INVALID_BACKUP_CODE");
        const spent = await again.client.twoFactor.verifyBackupCode({ code: written.backupCodes[9] });
        assert.equal(spent.error?.code, "INVALID_BACKUP_CODE", `the code spent on ${writerName} stays spent`);
      });

      test(`the sign-in left at the second factor on ${writerName} completes on ${readerName}`, async () => {
        const b = written.pending.moveTo(server.url);
        const res = await b.client.twoFactor.verifyTotp({ code: await written.authenticator.next() });
        assert.equal(res.error, null, JSON.stringify(res.error));
        assert.equal(res.data.user.id, written.userId);
      });

      test(`the device trusted on ${writerName} skips the second factor on ${readerName}`, async () => {
        const b = written.trusted.moveTo(server.url);
        const res = await b.request("/api/auth/sign-in/email", { json: { email: written.creds.email, password: written.creds.password } });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(Object.keys(res.json).sort(), ["redirect", "token", "user"]);
        assertSessionCookie(res.setCookies, { token: res.json.token, secret });
      });
    });
  }
}
