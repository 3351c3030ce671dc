// Social sign-in through the real client: signIn.social against a real OpenID Connect provider
// (oidc-provider, ../oidc) configured as a generic OIDC provider found by discovery (Better Auth's
// genericOAuth; Tessera's `type = "oidc"`), then the callback, the session and linkSocial.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { Browser } from "../lib/browser.mjs";
import { DB_KIND } from "../lib/config.mjs";
import { freshDatabase } from "../lib/database.mjs";
import { freePort } from "../lib/ports.mjs";
import { startServer } from "../lib/server.mjs";
import { signUp } from "../lib/suite.mjs";

const OIDC_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "oidc");
const PROVIDER = "local-oidc";
const CLIENT = { client_id: "compat-client", client_secret: "compat-client-secret" };

async function startProvider(redirectUri) {
  const child = spawn("node", ["server.mjs"], {
    cwd: OIDC_DIR,
    env: { ...process.env, OIDC_CONFIG: JSON.stringify({ clients: [{ ...CLIENT, redirect_uris: [redirectUri] }] }) },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const line = await new Promise((resolve, reject) => {
    child.on("error", reject);
    createInterface({ input: child.stdout }).once("line", resolve);
  });
  return { issuer: JSON.parse(line).issuer, stop: () => child.kill() };
}

/** The user's trip through the provider: login and consent, until it redirects back to us. */
async function authorize(url, serverURL) {
  const jar = new Map();
  let next = url;
  for (let hop = 0; hop < 8; hop++) {
    if (next.startsWith(serverURL)) return next;
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(next, { redirect: "manual", headers: cookie ? { cookie } : {} });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair.indexOf("=");
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const location = res.headers.get("location");
    assert.ok(location, `provider stopped at ${res.status}`);
    next = new URL(location, next).href;
  }
  throw new Error("too many redirects at the provider");
}

const fx = {};
before(async () => {
  const port = await freePort();
  fx.url = `http://127.0.0.1:${port}`;
  fx.provider = await startProvider(`${fx.url}/api/auth/callback/${PROVIDER}`);
  fx.db = await freshDatabase({ kind: DB_KIND });
  fx.server = await startServer({
    db: fx.db.url,
    port,
    env: {
      TESSERA_SOCIAL_PROVIDERS: PROVIDER,
      TESSERA_SOCIAL_LOCAL_OIDC_CLIENT_ID: CLIENT.client_id,
      TESSERA_SOCIAL_LOCAL_OIDC_CLIENT_SECRET: CLIENT.client_secret,
      TESSERA_SOCIAL_LOCAL_OIDC_ISSUER: fx.provider.issuer,
      TESSERA_SOCIAL_LOCAL_OIDC_SCOPES: "email,profile",
    },
  });
});
after(async () => {
  await fx.server?.stop();
  await fx.db?.drop();
  fx.provider?.stop();
});

describe("signIn.social with an OpenID Connect provider", () => {
  test("the client gets the authorization URL, the callback signs the new user in", async () => {
    const browser = new Browser(fx.url);
    const res = await browser.client.signIn.social({
      provider: PROVIDER,
      callbackURL: "/home",
      newUserCallbackURL: "/welcome",
      disableRedirect: true,
      loginHint: "olivia",
    });
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data.redirect, false);
    const url = new URL(res.data.url);
    assert.equal(url.origin, fx.provider.issuer);
    assert.equal(url.searchParams.get("state").length, 32);
    assert.equal(url.searchParams.get("code_challenge_method"), "S256");
    assert.equal(url.searchParams.get("redirect_uri"), `${fx.url}/api/auth/callback/${PROVIDER}`);
    assert.ok(url.searchParams.get("nonce"), "the ID token is bound to the flow");
    assert.ok(browser.jar.has("better-auth.state"), "signed state cookie");

    const back = await authorize(res.data.url, fx.url);
    const cb = await browser.request(back.slice(fx.url.length));
    assert.equal(cb.status, 302, cb.text);
    assert.equal(cb.headers.get("location"), "/welcome");

    const session = await browser.client.getSession();
    assert.equal(session.data.user.email, "olivia@example.com");
    assert.equal(session.data.user.emailVerified, true);
    const accounts = await browser.client.listAccounts();
    assert.equal(accounts.error, null);
    assert.equal(accounts.data.length, 1);
    assert.equal(accounts.data[0].providerId, PROVIDER);
    assert.equal(accounts.data[0].accountId, "olivia");
    assert.deepEqual(accounts.data[0].scopes, ["openid", "email", "profile"]);

    // Signing in again lands on the same user, at callbackURL.
    const again = new Browser(fx.url);
    const res2 = await again.client.signIn.social({ provider: PROVIDER, callbackURL: "/home", newUserCallbackURL: "/welcome", disableRedirect: true, loginHint: "olivia" });
    const cb2 = await again.request((await authorize(res2.data.url, fx.url)).slice(fx.url.length));
    assert.equal(cb2.headers.get("location"), "/home");
    assert.equal((await again.client.getSession()).data.user.id, session.data.user.id);
  });

  test("a replayed callback and an unknown provider end on Better Auth's errors", async () => {
    const browser = new Browser(fx.url);
    const res = await browser.client.signIn.social({ provider: PROVIDER, disableRedirect: true, loginHint: "pat" });
    const back = (await authorize(res.data.url, fx.url)).slice(fx.url.length);
    assert.equal((await browser.request(back)).status, 302);
    const replay = await browser.request(back);
    assert.equal(replay.status, 302);
    assert.equal(replay.headers.get("location"), `${fx.url}/api/auth/error?error=state_mismatch`);

    const unknown = await browser.client.signIn.social({ provider: "myspace" });
    assert.equal(unknown.error.status, 404);
    assert.equal(unknown.error.code, "PROVIDER_NOT_FOUND");
  });

  test("linkSocial adds the provider account to a signed-in user with the same verified email", async () => {
    const alice = await signUp(new Browser(fx.url), { email: "linker@example.com", name: "Linker", password: "correct horse battery staple" });
    const res = await alice.browser.client.linkSocial({ provider: PROVIDER, callbackURL: "/settings", disableRedirect: true, loginHint: "linker" });
    assert.equal(res.error, null, JSON.stringify(res.error));
    const back = await authorize(res.data.url, fx.url);
    const cb = await alice.browser.request(back.slice(fx.url.length));
    assert.equal(cb.headers.get("location"), "/settings");
    const accounts = await alice.browser.client.listAccounts();
    assert.deepEqual(accounts.data.map((a) => a.providerId).sort(), ["credential", PROVIDER]);
  });
});
