// Clerk organizations imported by `tessera import clerk`, then used through the real
// organizationClient: an imported member signs in with the password Clerk had and finds the same
// organizations, with the same role and rights. The importer is Tessera's, so against Better Auth
// this file is skipped.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { organizationClient } from "better-auth/client/plugins";
import { Browser } from "../lib/browser.mjs";
import { removeTempDir, tempDir } from "../lib/cleanup.mjs";
import { TARGET, tesseraBin } from "../lib/config.mjs";
import { freshDatabase } from "../lib/database.mjs";
import { newSecret, startServer } from "../lib/server.mjs";

const skip = TARGET !== "tessera" ? "the Clerk importer is Tessera's" : false;
const PLUGINS = ["admin", "two-factor", "username", "phone-number", "organization"];
const ORGANIZATION = { dynamic_access_control: { enabled: true } };

/** Every line of the export's organizations side file, as the importer read it. */
function organizationsOf(dir) {
  const lines = readFileSync(join(dir, "users.organizations.ndjson"), "utf8").split("\n").filter(Boolean);
  const orgs = [];
  for (const line of lines) {
    const v = JSON.parse(line);
    if (v.organization) orgs.push({ ...v.organization, memberships: [] });
    else if (v.membership) orgs.at(-1)?.memberships.push(v.membership);
  }
  return orgs;
}

/** The example's known password of a Clerk user who signs in by email. */
function credentialsOf(dir, userId) {
  const line = readFileSync(join(dir, "known_passwords.csv"), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${userId},email,`));
  assert.ok(line, `a known password for ${userId}`);
  const [, , email, password] = line.split(",");
  return { email, password };
}

describe("Clerk organizations, imported, through the real organization client", { skip }, () => {
  const secret = newSecret();
  let dir;
  let db;
  let server;
  let orgs;
  let exportDir;

  before(async () => {
    dir = tempDir("compat-import-orgs-");
    db = await freshDatabase();
    const bin = tesseraBin();
    const config = join(dir, "tessera.toml");
    writeFileSync(config, `plugins = ${JSON.stringify(PLUGINS)}\n[organization.dynamic_access_control]\nenabled = true\n`);
    const env = { PATH: process.env.PATH, TESSERA_LOG: "warn", BETTER_AUTH_SECRET: secret, TESSERA_DATABASE_URL: db.url, TESSERA_CONFIG: config };
    exportDir = join(dir, "export");
    execFileSync(bin, ["example", "clerk-export", "--dir", exportDir], { env, stdio: "pipe" });
    execFileSync(bin, ["migrate"], { env, stdio: "pipe" });
    // No social provider is configured: the OAuth-only users' lost way in is not this file's.
    execFileSync(bin, ["import", "clerk", "--csv", join(exportDir, "exported_users.csv"), "--snapshot", join(exportDir, "users.json"), "--allow-loss", "no-way-in"], { env, stdio: "pipe" });
    orgs = organizationsOf(exportDir);
    server = await startServer({ kind: "tessera", db: db.url, secret, plugins: PLUGINS, organization: ORGANIZATION, migrate: false });
  });
  after(async () => {
    await server?.stop();
    await db?.drop();
    if (dir) removeTempDir(dir);
  });

  test("the creator of Acme signs in and lists the organizations Clerk had them in; owner of Acme, with its rights", async () => {
    const acme = orgs.find((o) => o.slug === "acme");
    assert.ok(acme, "the example has Acme");
    const creator = acme.created_by;
    const browser = new Browser(server.url, { plugins: [organizationClient()] });
    const signIn = await browser.client.signIn.email(credentialsOf(exportDir, creator));
    assert.equal(signIn.error, null, JSON.stringify(signIn.error));

    const listed = await browser.client.organization.list();
    assert.equal(listed.error, null, JSON.stringify(listed.error));
    const expected = orgs
      .filter((o) => o.memberships.some((m) => m.public_user_data?.user_id === creator))
      .map((o) => o.id)
      .sort();
    assert.deepEqual(listed.data.map((o) => o.id).sort(), expected);

    const active = await browser.client.organization.setActive({ organizationId: acme.id });
    assert.equal(active.error, null, JSON.stringify(active.error));
    assert.equal(active.data.slug, "acme");
    const role = await browser.client.organization.getActiveMemberRole();
    assert.equal(role.error, null, JSON.stringify(role.error));
    assert.equal(role.data.role, "owner", "Clerk's creator, still a member, is the one owner");
    const may = await browser.client.organization.hasPermission({ permissions: { organization: ["delete"] } });
    assert.equal(may.error, null, JSON.stringify(may.error));
    assert.equal(may.data.success, true);
  });

  test("a member with Clerk's custom role gets what the role's permissions say, and nothing of the default statements", async () => {
    const acme = orgs.find((o) => o.slug === "acme");
    const billing = acme.memberships.find((m) => m.role === "org:billing");
    assert.ok(billing, "Acme has a billing member in the example");
    const browser = new Browser(server.url, { plugins: [organizationClient()] });
    const signIn = await browser.client.signIn.email(credentialsOf(exportDir, billing.public_user_data.user_id));
    assert.equal(signIn.error, null, JSON.stringify(signIn.error));
    assert.equal((await browser.client.organization.setActive({ organizationId: acme.id })).error, null);
    const role = await browser.client.organization.getActiveMemberRole();
    assert.equal(role.data.role, "billing");
    const granted = await browser.client.organization.hasPermission({ permissions: { invoices: ["read"] } });
    assert.equal(granted.data.success, true, "org:invoices:read came across as an organizationRole row");
    const notGranted = await browser.client.organization.hasPermission({ permissions: { member: ["create"] } });
    assert.equal(notGranted.data.success, false);
  });
});
