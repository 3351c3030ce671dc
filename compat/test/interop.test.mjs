// One database, two servers in turn, one secret: what real Better Auth (Node) wrote, the other
// server serves, and the reverse. "The other server" is Tessera when COMPAT_TARGET=tessera and a
// second Better Auth process otherwise (which checks the test itself).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getMigrations } from "better-auth/db/migration";
import { TARGET, DB_KIND } from "../lib/config.mjs";
import { freshDatabase } from "../lib/database.mjs";
import { newSecret, startServer } from "../lib/server.mjs";
import { ID32, ISO_MS, SCRYPT_HASH } from "../lib/shapes.mjs";
import { newCredentials } from "../lib/suite.mjs";
import { Browser } from "../lib/browser.mjs";
import { buildOptions, openDatabase } from "../server/options.mjs";

const OTHER = TARGET;
/** Test names say who is who; when validating against Better Auth the "other" is a second process. */
const OTHER_NAME = TARGET === "tessera" ? "Tessera" : "a second Better Auth process";
const ALL_PLUGINS = ["admin", "two-factor", "username", "phone-number"];
const PLUGIN_SETS = [[], ALL_PLUGINS];

/**
 * What kind of value a column holds, so rows written by two servers can be compared although ids,
 * names and times differ. Columns whose exact value is part of the contract keep their value.
 */
const EXACT = new Set(["emailVerified", "role", "banned", "twoFactorEnabled", "phoneNumberVerified", "providerId", "banReason", "impersonatedBy"]);
function valueKind(column, v) {
  if (v === null || v === undefined) return "null";
  if (EXACT.has(column)) return `exact:${JSON.stringify(v instanceof Date ? v.toISOString() : v)}`;
  if (v instanceof Date) return "timestamp";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number" || typeof v === "bigint") return Number.isInteger(Number(v)) ? "integer" : "real";
  if (typeof v === "string") {
    if (ISO_MS.test(v)) return "iso-ms-text";
    if (ID32.test(v)) return "id32";
    if (SCRYPT_HASH.test(v)) return "scrypt-hash";
    return "text";
  }
  return typeof v;
}
function rowKinds(row) {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, valueKind(k, v)]));
}

/** The same story for any server: sign up, set an image, sign in elsewhere without "remember me". */
async function writeUser(server, plugins) {
  const creds = newCredentials("interop");
  const first = new Browser(server.url);
  const signUp = await first.client.signUp.email(creds);
  assert.equal(signUp.error, null, `sign-up on ${server.kind}: ${JSON.stringify(signUp.error)}`);
  const update = await first.client.updateUser({ image: "https://img.example/interop.png" });
  assert.equal(update.error, null);
  const second = new Browser(server.url);
  const signIn = await second.client.signIn.email({ email: creds.email, password: creds.password, rememberMe: false });
  assert.equal(signIn.error, null);
  const sessions = {
    remembered: (await first.request("/api/auth/get-session")).json,
    forgotten: (await second.request("/api/auth/get-session")).json,
  };
  assert.ok(sessions.remembered?.session && sessions.forgotten?.session, `${server.kind} serves its own sessions`);
  return { creds, userId: signUp.data.user.id, browsers: { remembered: first, forgotten: second }, sessions, plugins };
}

async function rowsOf(db, userId) {
  return {
    user: await db.query(`select * from "user" where "id" = ?`, [userId]),
    account: await db.query(`select * from "account" where "userId" = ?`, [userId]),
    session: await db.query(`select * from "session" where "userId" = ? order by "expiresAt"`, [userId]),
  };
}

function assertSameRowKinds(actual, expected, who) {
  for (const table of ["user", "account", "session"]) {
    assert.equal(actual[table].length, expected[table].length, `${who}: number of ${table} rows`);
    actual[table].forEach((row, i) => {
      assert.deepEqual(rowKinds(row), rowKinds(expected[table][i]), `${who}: ${table} row ${i} column by column`);
    });
  }
}

/** Better Auth's own migration planner sees nothing to create or add: the schema is complete. */
async function assertBetterAuthWouldMigrateNothing(dbUrl, plugins) {
  const db = await openDatabase(dbUrl);
  try {
    const options = buildOptions({ BETTER_AUTH_SECRET: newSecret(), TESSERA_PLUGINS: plugins.join(",") }, db.database);
    const { toBeCreated, toBeAdded } = await getMigrations(options);
    assert.deepEqual(toBeCreated.map((t) => t.table), [], "tables Better Auth would create");
    assert.deepEqual(toBeAdded.map((t) => [t.table, Object.keys(t.fields)]), [], "columns Better Auth would add");
  } finally {
    await db.close();
  }
}

/** The cookies a browser got from one server, presented to another. */
async function assertSessionsCarryOver(written, server) {
  for (const which of ["remembered", "forgotten"]) {
    const browser = written.browsers[which].moveTo(server.url);
    const res = await browser.request("/api/auth/get-session");
    assert.equal(res.status, 200, which);
    assert.deepEqual(res.json, written.sessions[which], `${server.kind} serves the ${which} session exactly as it was issued`);
  }
}

async function assertPasswordSignsIn(written, server) {
  const browser = new Browser(server.url);
  const res = await browser.client.signIn.email({ email: written.creds.email, password: written.creds.password });
  assert.equal(res.error, null, `sign-in on ${server.kind}: ${JSON.stringify(res.error)}`);
  assert.equal(res.data.user.id, written.userId);
  const wrong = await new Browser(server.url).client.signIn.email({ email: written.creds.email, password: "not the password" });
  assert.equal(wrong.error?.status, 401);
  return browser;
}

for (const plugins of PLUGIN_SETS) {
  const label = plugins.length ? `plugins ${plugins.join(",")}` : "no plugins";

  describe(`interop on ${DB_KIND}, ${label}: Better Auth writes, ${OTHER_NAME} serves`, () => {
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

    test("Better Auth (Node) creates a user with two sessions, then stops", async () => {
      const ba = await startServer({ kind: "better-auth", db: db.url, secret, plugins });
      try {
        written = await writeUser(ba, plugins);
      } finally {
        await ba.stop();
      }
    });

    test(`${OTHER_NAME} starts on the same database (its migrate keeps the data)`, async () => {
      server = await startServer({ kind: OTHER, db: db.url, secret, plugins });
      const users = await db.query(`select "id" from "user"`);
      assert.deepEqual(users.map((u) => u.id), [written.userId]);
    });

    test(`the cookies Better Auth issued are sessions on ${OTHER_NAME}`, async () => {
      await assertSessionsCarryOver(written, server);
    });

    test(`${OTHER_NAME} (before any sign-in of its own) writes rows of the same kinds as Better Auth`, async () => {
      const mine = await writeUser(server, plugins);
      assertSameRowKinds(await rowsOf(db, mine.userId), await rowsOf(db, written.userId), OTHER_NAME);
    });

    test(`the user signs in on ${OTHER_NAME} with the password Better Auth hashed`, async () => {
      const browser = await assertPasswordSignsIn(written, server);
      const listed = await browser.request("/api/auth/list-sessions");
      assert.equal(listed.json.length, 3, "two sessions from Better Auth, one of its own");
    });

    test(`signing out on ${OTHER_NAME} ends the session Better Auth issued`, async () => {
      const browser = written.browsers.remembered.moveTo(server.url);
      const token = written.sessions.remembered.session.token;
      assert.equal((await browser.request("/api/auth/get-session")).json?.session?.token, token, "alive before");
      const out = await browser.client.signOut();
      assert.equal(out.error, null);
      const again = written.browsers.remembered.moveTo(server.url);
      assert.equal((await again.request("/api/auth/get-session")).text, "null");
      assert.deepEqual(await db.query(`select "id" from "session" where "token" = ?`, [token]), []);
    });
  });

  describe(`interop on ${DB_KIND}, ${label}: ${OTHER_NAME} writes, Better Auth serves`, () => {
    const secret = newSecret();
    let db;
    let ba;
    let written;
    let changed;
    before(async () => {
      db = await freshDatabase();
    });
    after(async () => {
      await ba?.stop();
      await db?.drop();
    });

    test(`${OTHER_NAME} creates the schema and a user with two sessions, changes the password, then stops`, async () => {
      const other = await startServer({ kind: OTHER, db: db.url, secret, plugins });
      try {
        written = await writeUser(other, plugins);
        changed = { ...written, creds: { ...written.creds, password: "changed on the other side" } };
        const res = await written.browsers.remembered.client.changePassword({
          currentPassword: written.creds.password,
          newPassword: changed.creds.password,
        });
        assert.equal(res.error, null);
      } finally {
        await other.stop();
      }
    });

    test(`Better Auth finds nothing to migrate in the schema ${OTHER_NAME} created`, async () => {
      await assertBetterAuthWouldMigrateNothing(db.url, plugins);
    });

    test(`Better Auth (Node) starts on the same database`, async () => {
      ba = await startServer({ kind: "better-auth", db: db.url, secret, plugins });
    });

    test(`the cookies ${OTHER_NAME} issued are sessions on Better Auth`, async () => {
      await assertSessionsCarryOver(written, ba);
    });

    test(`the user signs in on Better Auth with the password ${OTHER_NAME} hashed`, async () => {
      await assertPasswordSignsIn(changed, ba);
      const old = await new Browser(ba.url).client.signIn.email({ email: written.creds.email, password: written.creds.password });
      assert.equal(old.error?.status, 401, "the password from before the change no longer works");
    });

    test(`${OTHER_NAME} wrote rows of the same kinds as Better Auth`, async () => {
      const reference = await writeUser(ba, plugins);
      const res = await reference.browsers.remembered.client.changePassword({
        currentPassword: reference.creds.password,
        newPassword: "changed on the other side",
      });
      assert.equal(res.error, null);
      // Each side signed in once more since (assertPasswordSignsIn); compare like with like.
      const theirs = await rowsOf(db, written.userId);
      const ours = await rowsOf(db, reference.userId);
      assertSameRowKinds({ ...theirs, session: theirs.session.slice(0, 2) }, { ...ours, session: ours.session.slice(0, 2) }, OTHER_NAME);
    });
  });
}
