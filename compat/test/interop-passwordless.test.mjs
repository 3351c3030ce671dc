// Emailed codes and magic links across a switch-over: one server mails a sign-in code (after a
// wrong guess against it), a password-reset code and a magic link, stops, and the other server,
// on the same database with the same secret, redeems them; for each storeOTP / storeToken form.
// "The other server" is Tessera when COMPAT_TARGET=tessera and a second Better Auth process
// otherwise (which checks the test itself), in both directions.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { emailOTPClient, magicLinkClient } from "better-auth/client/plugins";
import { Browser } from "../lib/browser.mjs";
import { DB_KIND, TARGET } from "../lib/config.mjs";
import { freshDatabase } from "../lib/database.mjs";
import { expectNewMessage } from "../lib/outbox.mjs";
import { newSecret, startServer } from "../lib/server.mjs";
import { newCredentials } from "../lib/suite.mjs";

const OTHER_NAME = TARGET === "tessera" ? "Tessera" : "a second Better Auth process";
const DIRECTIONS = [
  { writer: "better-auth", writerName: "Better Auth", reader: TARGET, readerName: OTHER_NAME },
  { writer: TARGET, writerName: OTHER_NAME, reader: "better-auth", readerName: "Better Auth" },
];
const FORMS = [
  { label: "stored plain", config: {} },
  { label: "stored hashed", config: { email_otp: { store_otp: "hashed" }, magic_link: { store_token: "hashed" } } },
  { label: "codes stored encrypted", config: { email_otp: { store_otp: "encrypted" } } },
];
const PLUGINS = ["email-otp", "magic-link"];

const browserOn = (server) => new Browser(server.url, { plugins: [emailOTPClient(), magicLinkClient()] });

for (const { label, config } of FORMS) {
  for (const { writer, writerName, reader, readerName } of DIRECTIONS) {
    describe(`passwordless interop on ${DB_KIND}, ${label}: mailed by ${writerName}, redeemed on ${readerName}`, () => {
      const secret = newSecret();
      let db;
      let server;
      const sent = {};
      before(async () => {
        db = await freshDatabase();
      });
      after(async () => {
        await server?.stop();
        await db?.drop();
      });

      test(`${writerName} mails a sign-in code (and counts a wrong guess), a reset code and a magic link, then stops`, async () => {
        const first = await startServer({ kind: writer, db: db.url, secret, plugins: PLUGINS, config });
        try {
          sent.codeUser = newCredentials("interop-otp").email.toLowerCase();
          const code = await expectNewMessage(
            first.outbox,
            (m) => m.type === "email-otp-sign-in" && m.to === sent.codeUser,
            () => browserOn(first).client.emailOtp.sendVerificationOtp({ email: sent.codeUser, type: "sign-in" }),
          );
          sent.code = code.message.code;
          const guess = await browserOn(first).client.signIn.emailOtp({ email: sent.codeUser, otp: sent.code === "000000" ? "000001" : "000000" });
          assert.equal(guess.error?.code, "INVALID_OTP");

          const creds = newCredentials("interop-reset");
          const signUp = await browserOn(first).client.signUp.email(creds);
          assert.equal(signUp.error, null, JSON.stringify(signUp.error));
          sent.resetUser = creds.email.toLowerCase();
          const reset = await expectNewMessage(
            first.outbox,
            (m) => m.type === "email-otp-forget-password" && m.to === sent.resetUser,
            () => browserOn(first).client.emailOtp.requestPasswordReset({ email: sent.resetUser }),
          );
          sent.resetCode = reset.message.code;

          sent.linkUser = newCredentials("interop-link").email;
          const link = await expectNewMessage(
            first.outbox,
            (m) => m.type === "magic-link" && m.to === sent.linkUser,
            () => browserOn(first).client.signIn.magicLink({ email: sent.linkUser, name: "Linked", callbackURL: "/home" }),
          );
          sent.linkToken = link.message.token;
        } finally {
          await first.stop();
        }
      });

      test(`${readerName} takes over: the code signs in with two tries left, the reset code resets, the link signs in`, async () => {
        server = await startServer({ kind: reader, db: db.url, secret, plugins: PLUGINS, config });
        const [row] = await db.query(`select "value" from "verification" where "identifier" = ?`, [`sign-in-otp-${sent.codeUser}`]);
        assert.match(row.value, /:1$/, "the wrong guess was counted");
        const signIn = await browserOn(server).client.signIn.emailOtp({ email: sent.codeUser, otp: sent.code });
        assert.equal(signIn.error, null, JSON.stringify(signIn.error));
        assert.equal(signIn.data.user.email, sent.codeUser);

        const password = "a new password after the switch";
        const reset = await browserOn(server).client.emailOtp.resetPassword({ email: sent.resetUser, otp: sent.resetCode, password });
        assert.equal(reset.error, null, JSON.stringify(reset.error));
        const withNew = await browserOn(server).client.signIn.email({ email: sent.resetUser, password });
        assert.equal(withNew.error, null, JSON.stringify(withNew.error));

        const b = browserOn(server);
        const res = await b.request(`/api/auth/magic-link/verify?token=${sent.linkToken}&callbackURL=%2Fhome`, { method: "GET" });
        assert.equal(res.status, 302, res.text);
        assert.equal(res.headers.get("location"), `${server.url}/home`);
        const session = await b.client.getSession();
        assert.equal(session.data?.user.email, sent.linkUser.toLowerCase());
        assert.equal(session.data?.user.name, "Linked");
      });
    });
  }
}
