// What a test file needs in a few lines: a fresh database and a running server for the whole file
// (the target chosen by COMPAT_TARGET/COMPAT_DB), simulated browsers, and users to sign up.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { Browser } from "./browser.mjs";
import { DB_KIND, TARGET } from "./config.mjs";
import { freshDatabase } from "./database.mjs";
import { startServer } from "./server.mjs";

/**
 * Registers before/after hooks that start one server for the enclosing file or describe block.
 * `env` holds further settings of the shared contract (e.g. `TESSERA_CHANGE_EMAIL: "on"`).
 * `fields`: additional fields in Tessera's config shape (see `startServer`).
 * `organization`: Tessera's `[organization]` table, snake_case keys (see `startServer`).
 * `config`: further tables of Tessera's config, e.g. `{email_otp: {…}}` (see `startServer`).
 * @param {{plugins?: string[], rateLimit?: boolean, kind?: string, env?: Record<string,string>, fields?: object, organization?: object, config?: object}} [opts]
 */
export function useServer({ plugins = [], rateLimit = true, kind = TARGET, env = {}, fields, organization, config } = {}) {
  const fx = {
    plugins,
    /** @type {Awaited<ReturnType<typeof startServer>>} */
    server: undefined,
    /** @type {Awaited<ReturnType<typeof freshDatabase>>} */
    db: undefined,
    browser: (opts) => new Browser(fx.server.url, opts),
    query: (sql, params) => fx.db.query(sql, params),
    /** Signs up a new user in a new browser; returns {browser, user, token, email, password, name}. */
    signUp: (overrides) => signUp(fx.browser(), overrides),
    /** Signs in an existing user in a new browser (a new IP, so the rate limiter does not interfere). */
    signIn: async ({ email, password }, extra = {}) => {
      const browser = fx.browser();
      const res = await browser.client.signIn.email({ email, password, ...extra });
      assert.equal(res.error, null, `sign-in failed: ${JSON.stringify(res.error)}`);
      return { browser, token: res.data.token, user: res.data.user };
    },
  };
  before(async () => {
    fx.db = await freshDatabase({ kind: DB_KIND });
    fx.server = await startServer({ kind, db: fx.db.url, plugins, rateLimit, env, fields, organization, config });
  });
  after(async () => {
    await fx.server?.stop();
    await fx.db?.drop();
  });
  return fx;
}

let users = 0;

/** Distinct, readable credentials; the mixed-case e-mail exercises lower-casing on every path. */
export function newCredentials(prefix = "user") {
  users += 1;
  return { name: `${prefix} ${users}`, email: `${prefix}.${users}@Example.COM`, password: `correct horse ${users} battery` };
}

export async function signUp(browser, overrides = {}) {
  const creds = { ...newCredentials(), ...overrides };
  const res = await browser.client.signUp.email(creds);
  assert.equal(res.error, null, `sign-up failed: ${JSON.stringify(res.error)}`);
  return { browser, user: res.data.user, token: res.data.token, ...creds };
}

/** get-session through the real client; returns its data (null when signed out). */
export async function currentSession(browser) {
  const res = await browser.client.getSession();
  assert.equal(res.error, null, `get-session failed: ${JSON.stringify(res.error)}`);
  return res.data;
}
