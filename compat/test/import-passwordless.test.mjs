// Clerk users without a password, imported by `tessera import clerk`, then signed in the way they
// signed in at Clerk, through the real clients: a passwordless email user by emailed code (read
// from the outbox) and by magic link, and a phone-only user by a code to their phone. The importer
// is Tessera's, so against Better Auth this file is skipped.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { emailOTPClient, magicLinkClient, phoneNumberClient } from "better-auth/client/plugins";
import { Browser } from "../lib/browser.mjs";
import { removeTempDir, tempDir } from "../lib/cleanup.mjs";
import { TARGET, tesseraBin } from "../lib/config.mjs";
import { freshDatabase } from "../lib/database.mjs";
import { expectNewMessage } from "../lib/outbox.mjs";
import { newSecret, startServer } from "../lib/server.mjs";

const skip = TARGET !== "tessera" ? "the Clerk importer is Tessera's" : false;
const PLUGINS = ["admin", "two-factor", "username", "phone-number", "organization", "email-otp", "magic-link"];

/** The export's CSV rows as objects (the example's fields hold no newlines). */
function csvRows(path) {
  const [header, ...lines] = readFileSync(path, "utf8").split("\n").filter(Boolean);
  const split = (line) => {
    const out = [];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted && c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = !quoted;
      else if (c === "," && !quoted) {
        out.push(cur);
        cur = "";
      } else cur += c;
    }
    out.push(cur);
    return out;
  };
  const names = split(header);
  return lines.map((l) => Object.fromEntries(split(l).map((v, i) => [names[i], v])));
}

describe("Clerk's passwordless users, imported, sign in as they did at Clerk", { skip }, () => {
  const secret = newSecret();
  let dir;
  let db;
  let server;
  let rows;
  const browser = () => new Browser(server.url, { plugins: [emailOTPClient(), magicLinkClient(), phoneNumberClient()] });

  before(async () => {
    dir = tempDir("compat-import-passwordless-");
    db = await freshDatabase();
    const bin = tesseraBin();
    const config = join(dir, "tessera.toml");
    writeFileSync(config, `plugins = ${JSON.stringify(PLUGINS)}\noutbox_path = ${JSON.stringify(join(dir, "import-outbox.jsonl"))}\n`);
    const env = { PATH: process.env.PATH, TESSERA_LOG: "warn", BETTER_AUTH_SECRET: secret, TESSERA_DATABASE_URL: db.url, TESSERA_CONFIG: config };
    const exportDir = join(dir, "export");
    execFileSync(bin, ["example", "clerk-export", "--dir", exportDir], { env, stdio: "pipe" });
    execFileSync(bin, ["migrate"], { env, stdio: "pipe" });
    // OAuth-only users have no way in without their providers configured: accepted, not the point here.
    execFileSync(bin, ["import", "clerk", "--csv", join(exportDir, "exported_users.csv"), "--snapshot", join(exportDir, "users.json"), "--allow-loss", "no-way-in"], { env, stdio: "pipe" });
    rows = csvRows(join(exportDir, "exported_users.csv"));
    server = await startServer({ kind: "tessera", db: db.url, secret, plugins: PLUGINS, migrate: false });
  });
  after(async () => {
    await server?.stop();
    await db?.drop();
    if (dir) removeTempDir(dir);
  });

  /** A Clerk user who had only a verified email: no password, no OAuth account, no phone. */
  function passwordless(index) {
    const users = rows.filter((r) => r.first_name === "Passwordless" && r.password_digest === "" && r.primary_phone_number === "");
    assert.ok(users.length > index, "the example has passwordless users");
    return users[index];
  }

  test("a passwordless email user signs in by a code mailed to them, as the same user Clerk had", async () => {
    const clerk = passwordless(0);
    const email = clerk.primary_email_address;
    const { message } = await expectNewMessage(
      server.outbox,
      (m) => m.type === "email-otp-sign-in" && m.to === email,
      () => browser().client.emailOtp.sendVerificationOtp({ email, type: "sign-in" }),
    );
    const b = browser();
    const res = await b.client.signIn.emailOtp({ email, otp: message.code });
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data.user.id, clerk.id, "the Clerk id is kept");
    assert.equal(res.data.user.emailVerified, true);
    assert.equal((await b.client.getSession()).data?.user.id, clerk.id);
  });

  test("the same user signs in by magic link", async () => {
    const clerk = passwordless(0);
    const email = clerk.primary_email_address;
    const { message } = await expectNewMessage(
      server.outbox,
      (m) => m.type === "magic-link" && m.to === email,
      () => browser().client.signIn.magicLink({ email }),
    );
    const res = await browser().request(`/api/auth/magic-link/verify?token=${message.token}`, { method: "GET" });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.user.id, clerk.id);
  });

  test("a phone-only user signs in by a code sent to their phone", async () => {
    const clerk = rows.find((r) => r.primary_email_address === "" && r.verified_phone_numbers !== "");
    assert.ok(clerk, "the example has a phone-only user");
    // Clerk writes phone numbers with a leading tab (so spreadsheets keep the "+"); the importer trims it.
    const phoneNumber = (clerk.primary_phone_number || clerk.verified_phone_numbers.split(",")[0]).trim();
    const { message } = await expectNewMessage(
      server.outbox,
      (m) => m.type === "phone-otp" && m.to === phoneNumber,
      () => browser().client.phoneNumber.sendOtp({ phoneNumber }),
    );
    const b = browser();
    const res = await b.client.phoneNumber.verify({ phoneNumber, code: message.code });
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data.user.id, clerk.id);
    assert.equal((await b.client.getSession()).data?.user.id, clerk.id);
  });
});
