// user.additionalFields / session.additionalFields declared in config (Tessera: tessera.toml's
// [user.additional_fields.*]; Better Auth: the same declarations as `additionalFields`): accepted
// on sign-up and update-user when `input`, refused when not, defaults on create, returned when
// `returned`, stored as Better Auth stores them, and read across by the other server.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TARGET, DB_KIND } from "../lib/config.mjs";
import { Browser } from "../lib/browser.mjs";
import { freshDatabase } from "../lib/database.mjs";
import { newSecret, startServer } from "../lib/server.mjs";
import { ISO_MS, assertErrorResponse } from "../lib/shapes.mjs";
import { newCredentials, useServer } from "../lib/suite.mjs";

/** One declaration, given to both servers (Tessera's config shape; see lib/server.mjs). */
const FIELDS = {
  user: {
    additional_fields: {
      favoriteColor: { type: "string", default: "blue", required: false },
      age: { type: "number", required: false },
      newsletter: { type: "boolean", required: true, default: false, input: false },
      birthday: { type: "date", required: false },
      preferences: { type: "json", required: false },
      secretNote: { type: "string", returned: false, required: false },
      nickname: { type: "string", unique: true, required: false },
      tier: { type: "string", input: false, required: false },
      company: { type: "string", required: true },
    },
  },
  session: {
    additional_fields: {
      device: { type: "string", default: "web", required: false },
      hidden: { type: "string", returned: false, required: false },
    },
  },
};

const USER_KEYS = [
  "name", "email", "emailVerified", "image", "createdAt", "updatedAt",
  "favoriteColor", "age", "newsletter", "birthday", "preferences", "nickname", "tier", "company",
  "id",
];
const SESSION_KEYS = ["expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId", "device", "id"];

const fx = useServer({ fields: FIELDS });

async function signUp(extra = {}) {
  const browser = fx.browser();
  const creds = newCredentials("fields");
  const res = await browser.request("/api/auth/sign-up/email", { json: { ...creds, company: "Acme", ...extra } });
  return { browser, creds, res };
}

describe("additional fields on sign-up", () => {
  test("given values are stored and returned in Better Auth's key order, with its JSON encoding", async () => {
    const { browser, res } = await signUp({
      favoriteColor: "green",
      age: 41,
      birthday: "2000-01-02T03:04:05.678Z",
      preferences: { theme: "dark", tags: [1, "two", null] },
      secretNote: "kept back",
      nickname: "ally",
    });
    assert.equal(res.status, 200, res.text);
    const user = res.json.user;
    assert.deepEqual(Object.keys(user), USER_KEYS, "keys, in order");
    assert.equal(user.favoriteColor, "green");
    assert.equal(user.age, 41);
    assert.equal(user.newsletter, false);
    assert.equal(user.birthday, "2000-01-02T03:04:05.678Z");
    assert.deepEqual(user.preferences, { theme: "dark", tags: [1, "two", null] });
    assert.equal(user.nickname, "ally");
    assert.equal(user.tier, null);
    assert.equal(user.company, "Acme");

    const session = (await browser.request("/api/auth/get-session")).json;
    assert.deepEqual(Object.keys(session.user), USER_KEYS, "get-session user keys, in order");
    assert.deepEqual(session.user, user, "get-session returns what sign-up returned");
    assert.deepEqual(Object.keys(session.session), SESSION_KEYS, "session keys, in order");
    assert.equal(session.session.device, "web");
  });

  test("defaults are applied on create; absent fields without one are null", async () => {
    const { res } = await signUp();
    assert.equal(res.status, 200, res.text);
    const { user } = res.json;
    assert.equal(user.favoriteColor, "blue");
    assert.equal(user.newsletter, false);
    for (const key of ["age", "birthday", "preferences", "nickname", "tier"]) assert.equal(user[key], null, key);
  });

  test("returned: false fields are stored but never answered", async () => {
    const { browser, res, creds } = await signUp({ secretNote: "between us" });
    assert.equal(res.status, 200, res.text);
    assert.ok(!("secretNote" in res.json.user));
    const session = (await browser.request("/api/auth/get-session")).json;
    assert.ok(!("secretNote" in session.user));
    assert.ok(!("hidden" in session.session));
    const signIn = await fx.browser().request("/api/auth/sign-in/email", { json: { email: creds.email, password: creds.password } });
    assert.equal(signIn.status, 200, signIn.text);
    assert.deepEqual(Object.keys(signIn.json.user), USER_KEYS);
    const rows = await fx.query(`select "secretNote" from "user" where "id" = ?`, [res.json.user.id]);
    assert.equal(rows[0].secretNote, "between us");
  });

  test("input: false without a default: a truthy value is refused with FIELD_NOT_ALLOWED", async () => {
    const { res } = await signUp({ tier: "gold" });
    assertErrorResponse(res, 400, "FIELD_NOT_ALLOWED", "tier is not allowed to be set");
    for (const falsy of ["", false, null, 0]) {
      const ok = await signUp({ tier: falsy });
      assert.equal(ok.res.status, 200, `${JSON.stringify(falsy)}: ${ok.res.text}`);
      assert.equal(ok.res.json.user.tier, null);
    }
  });

  test("input: false with a default: a given value is replaced by the default", async () => {
    const { res } = await signUp({ newsletter: true });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.user.newsletter, false);
  });

  test("a required field that is absent is refused with MISSING_FIELD", async () => {
    const browser = fx.browser();
    const res = await browser.request("/api/auth/sign-up/email", { json: newCredentials("fields") });
    assertErrorResponse(res, 400, "MISSING_FIELD", "company is required");
    assert.deepEqual(browser.lastSetCookies, []);
  });
});

describe("additional fields on update-user", () => {
  test("input fields are written and get-session shows them; one field alone is an update", async () => {
    const { browser } = await signUp();
    const res = await browser.request("/api/auth/update-user", {
      json: { favoriteColor: "red", age: 7, preferences: [true, { nested: 1 }], birthday: "1999-12-31T23:59:59.999Z" },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { status: true });
    const { user } = (await browser.request("/api/auth/get-session")).json;
    assert.equal(user.favoriteColor, "red");
    assert.equal(user.age, 7);
    assert.deepEqual(user.preferences, [true, { nested: 1 }]);
    assert.equal(user.birthday, "1999-12-31T23:59:59.999Z");

    const cleared = await browser.request("/api/auth/update-user", { json: { favoriteColor: null } });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal((await browser.request("/api/auth/get-session")).json.user.favoriteColor, null);
  });

  test("input: false fields are refused, with or without a default", async () => {
    const { browser } = await signUp();
    for (const field of ["newsletter", "tier"]) {
      const res = await browser.request("/api/auth/update-user", { json: { [field]: true } });
      assertErrorResponse(res, 400, "FIELD_NOT_ALLOWED", `${field} is not allowed to be set`);
    }
    const res = await browser.request("/api/auth/update-user", { json: { newsletter: false } });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.json, { message: "No fields to update" });
  });
});

describe("additional fields on disk", () => {
  test("values are stored as Better Auth stores them", async () => {
    const { res } = await signUp({ age: 41, birthday: "2000-01-02T03:04:05.678Z", preferences: { a: [1, 2] } });
    assert.equal(res.status, 200, res.text);
    const [row] = await fx.query(`select * from "user" where "id" = ?`, [res.json.user.id]);
    if (DB_KIND === "sqlite") {
      assert.equal(row.birthday, "2000-01-02T03:04:05.678Z");
      assert.equal(row.preferences, JSON.stringify({ a: [1, 2] }));
      assert.equal(row.newsletter, 0);
      assert.equal(row.age, 41);
    } else {
      assert.ok(row.birthday instanceof Date);
      assert.equal(row.birthday.toISOString(), "2000-01-02T03:04:05.678Z");
      assert.deepEqual(row.preferences, { a: [1, 2] });
      assert.equal(row.newsletter, false);
      assert.equal(row.age, 41);
    }
    assert.match(row.createdAt instanceof Date ? row.createdAt.toISOString() : row.createdAt, ISO_MS);
    const [session] = await fx.query(`select "device", "hidden" from "session" where "userId" = ?`, [res.json.user.id]);
    assert.deepEqual({ ...session }, { device: "web", hidden: null });
  });
});

describe(`interop: Better Auth and ${TARGET === "tessera" ? "Tessera" : "a second Better Auth process"} on one database`, () => {
  let db;
  before(async () => {
    db = await freshDatabase({ kind: DB_KIND });
  });
  after(async () => {
    await db?.drop();
  });

  /** Signs up on `writer`, then reads the user back through `reader` (same secret, same cookie). */
  async function across(writerKind, readerKind) {
    const secret = newSecret();
    const writer = await startServer({ kind: writerKind, db: db.url, fields: FIELDS, secret });
    let browser;
    let written;
    try {
      browser = new Browser(writer.url);
      const creds = newCredentials("interop-fields");
      const res = await browser.request("/api/auth/sign-up/email", {
        json: { ...creds, company: "Acme", age: 3, birthday: "2001-02-03T04:05:06.789Z", preferences: { k: ["v"] }, secretNote: "n" },
      });
      assert.equal(res.status, 200, res.text);
      written = (await browser.request("/api/auth/get-session")).json;
    } finally {
      await writer.stop();
    }
    const reader = await startServer({ kind: readerKind, db: db.url, fields: FIELDS, secret, migrate: false });
    try {
      const read = await browser.moveTo(reader.url).request("/api/auth/get-session");
      assert.equal(read.status, 200, read.text);
      assert.deepEqual(read.json.user, written.user, `${readerKind} reads the user ${writerKind} wrote`);
      assert.deepEqual(Object.keys(read.json.user), USER_KEYS);
      assert.equal(read.json.session.device, "web");
    } finally {
      await reader.stop();
    }
  }

  test("what Better Auth wrote, the other server reads", async () => {
    await across("better-auth", TARGET);
  });

  test("what the other server wrote, Better Auth reads", async () => {
    await across(TARGET, "better-auth");
  });
});
