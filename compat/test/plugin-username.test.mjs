// The username plugin through the real usernameClient: sign-up with a username, sign-in/username,
// is-username-available, normalization, and where validation answers 400 and where 422.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { usernameClient } from "better-auth/client/plugins";
import { assertClientError, assertClientUser, assertErrorResponse, assertSessionCookie, assertWireUser } from "../lib/shapes.mjs";
import { currentSession, newCredentials, signUp, useServer } from "../lib/suite.mjs";

const PLUGINS = ["username"];
const fx = useServer({ plugins: PLUGINS });
const browser = () => fx.browser({ plugins: [usernameClient()] });

let names = 0;
/** A valid, unused username with upper-case letters, so normalization always shows. */
function newUsername(prefix = "User") {
  names += 1;
  return `${prefix}_${names}.Name`;
}

const INVALID_LOGIN = ["INVALID_USERNAME_OR_PASSWORD", "Invalid username or password"];
const TOO_SHORT = ["USERNAME_TOO_SHORT", "Username is too short"];
const TOO_LONG = ["USERNAME_TOO_LONG", "Username is too long"];
const INVALID = ["INVALID_USERNAME", "Username is invalid"];
const TAKEN = ["USERNAME_IS_ALREADY_TAKEN", "Username is already taken. Please try another."];

describe("sign-up with a username", () => {
  test("the username is stored lower-cased; displayUsername keeps what was typed", async () => {
    const username = newUsername();
    const alice = await signUp(browser(), { username, displayUsername: "Alice the Great" });
    assertClientUser(alice.user, { plugins: PLUGINS, username: username.toLowerCase(), displayUsername: "Alice the Great" });
    const [row] = await fx.query(`select "username", "displayUsername" from "user" where "id" = ?`, [alice.user.id]);
    assert.deepEqual({ ...row }, { username: username.toLowerCase(), displayUsername: "Alice the Great" });
  });

  test("without displayUsername it defaults to the username as typed", async () => {
    const username = newUsername();
    const alice = await signUp(browser(), { username });
    assert.equal(alice.user.username, username.toLowerCase());
    assert.equal(alice.user.displayUsername, username);
  });

  test("a displayUsername alone that is a valid username becomes the username too", async () => {
    const display = newUsername("Display");
    const alice = await signUp(browser(), { displayUsername: display });
    assert.equal(alice.user.username, display.toLowerCase());
    assert.equal(alice.user.displayUsername, display);
  });

  test("no username at all: both fields are null", async () => {
    const alice = await signUp(browser());
    assert.equal(alice.user.username, null);
    assert.equal(alice.user.displayUsername, null);
  });

  test("on the wire: the user carries username and displayUsername", async () => {
    const username = newUsername();
    const res = await browser().request("/api/auth/sign-up/email", { json: { ...newCredentials(), username } });
    assert.equal(res.status, 200, res.text);
    assertWireUser(res.json.user, { plugins: PLUGINS, username: username.toLowerCase(), displayUsername: username });
  });

  const invalid = [
    ["too short", "ab", TOO_SHORT],
    ["too long", "a".repeat(31), TOO_LONG],
    ["a space", "bad name", INVALID],
    ["punctuation", "bad-name!", INVALID],
    ["non-ASCII letters", "jürgen", INVALID],
  ];
  for (const [label, username, [code, message]] of invalid) {
    test(`a username with ${label} is 400 ${code} and creates no user`, async () => {
      const creds = newCredentials();
      const res = await browser().client.signUp.email({ ...creds, username });
      assertClientError(res, 400, code, message);
      assert.deepEqual(await fx.query(`select "id" from "user" where "email" = ?`, [creds.email.toLowerCase()]), []);
    });
  }

  test("the length limits are 3 and 30 inclusive", async () => {
    for (const username of ["abc", "b".repeat(30)]) {
      const res = await browser().client.signUp.email({ ...newCredentials(), username });
      assert.equal(res.error, null, `${username.length} characters: ${JSON.stringify(res.error)}`);
    }
  });

  test("a taken username, in any case, is 400 USERNAME_IS_ALREADY_TAKEN", async () => {
    const username = newUsername();
    await signUp(browser(), { username });
    for (const variant of [username, username.toUpperCase(), username.toLowerCase()]) {
      const res = await browser().client.signUp.email({ ...newCredentials(), username: variant });
      assertClientError(res, 400, ...TAKEN);
    }
  });
});

describe("sign-in/username", () => {
  test("the right password: {redirect:false, token, user} and a session cookie, like sign-in/email", async () => {
    const username = newUsername();
    const alice = await signUp(browser(), { username });
    const b = browser();
    const res = await b.request("/api/auth/sign-in/username", { json: { username, password: alice.password } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ["redirect", "token", "user"]);
    assert.equal(res.json.redirect, false);
    assertWireUser(res.json.user, { plugins: PLUGINS, id: alice.user.id, username: username.toLowerCase() });
    assertSessionCookie(res.setCookies, { token: res.json.token, secret: fx.server.secret });
    assert.equal((await currentSession(b)).session.token, res.json.token);
  });

  test("through the client, in any case of the username", async () => {
    const username = newUsername();
    const alice = await signUp(browser(), { username });
    for (const variant of [username.toUpperCase(), username.toLowerCase()]) {
      const b = browser();
      const res = await b.client.signIn.username({ username: variant, password: alice.password });
      assert.equal(res.error, null, variant);
      assert.equal(res.data.user.id, alice.user.id);
      assert.equal((await currentSession(b)).user.id, alice.user.id);
    }
  });

  test("a wrong password and an unknown username get the same 401 INVALID_USERNAME_OR_PASSWORD", async () => {
    const username = newUsername();
    const alice = await signUp(browser(), { username });
    const wrong = await browser().request("/api/auth/sign-in/username", { json: { username, password: `${alice.password}!` } });
    const unknown = await browser().request("/api/auth/sign-in/username", { json: { username: "nobody_here", password: alice.password } });
    assertErrorResponse(wrong, 401, ...INVALID_LOGIN);
    assert.equal(unknown.status, wrong.status);
    assert.equal(unknown.text, wrong.text);
    assert.deepEqual(wrong.setCookies, []);
    assert.deepEqual(unknown.setCookies, []);
  });

  test("a user without a username cannot be reached through it", async () => {
    const alice = await signUp(browser());
    const res = await browser().client.signIn.username({ username: alice.email.split("@")[0].replace(/[^a-z0-9_.]/gi, ""), password: alice.password });
    assertClientError(res, 401, ...INVALID_LOGIN);
  });

  test("an invalid username is 422 (not 400) with the validation code", async () => {
    for (const [username, [code, message]] of [["ab", TOO_SHORT], ["c".repeat(31), TOO_LONG], ["bad name", INVALID]]) {
      const res = await browser().request("/api/auth/sign-in/username", { json: { username, password: "whatever password" } });
      assertErrorResponse(res, 422, code, message);
    }
  });

  test("a missing password is a 400 validation error", async () => {
    const res = await browser().request("/api/auth/sign-in/username", { json: { username: "someone" } });
    assertErrorResponse(res, 400, "VALIDATION_ERROR", "[body.password] Invalid input: expected string, received undefined");
  });

  test("rememberMe:false and a callbackURL behave as on sign-in/email", async () => {
    const username = newUsername();
    const alice = await signUp(browser(), { username });
    const res = await browser().request("/api/auth/sign-in/username", {
      json: { username, password: alice.password, rememberMe: false, callbackURL: "/dashboard" },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.redirect, true);
    assert.equal(res.json.url, "/dashboard");
    assert.equal(res.headers.get("location"), "/dashboard");
    assertSessionCookie(res.setCookies, { token: res.json.token, secret: fx.server.secret, maxAge: null });
    assert.ok(res.setCookies.some((c) => c.name === "better-auth.dont_remember"));

    const evil = await browser().request("/api/auth/sign-in/username", {
      json: { username, password: alice.password, callbackURL: "https://evil.example/x" },
    });
    assertErrorResponse(evil, 403, "INVALID_CALLBACK_URL", "Invalid callbackURL");
  });
});

describe("is-username-available", () => {
  test("a taken username (in any case) is {available:false}, a free one {available:true}", async () => {
    const username = newUsername();
    await signUp(browser(), { username });
    for (const variant of [username, username.toUpperCase()]) {
      const res = await browser().client.isUsernameAvailable({ username: variant });
      assert.equal(res.error, null);
      assert.deepEqual(res.data, { available: false });
    }
    const free = await browser().request("/api/auth/is-username-available", { json: { username: newUsername() } });
    assert.equal(free.status, 200);
    assert.deepEqual(free.json, { available: true });
  });

  test("an invalid username is 422 with the validation code", async () => {
    for (const [username, [code, message]] of [["ab", TOO_SHORT], ["d".repeat(31), TOO_LONG], ["no spaces", INVALID], ["", INVALID]]) {
      const res = await browser().request("/api/auth/is-username-available", { json: { username } });
      assertErrorResponse(res, 422, code, message);
    }
  });
});

describe("update-user with a username", () => {
  test("a signed-in user can change it (normalized); taken or invalid ones are 400", async () => {
    const alice = await signUp(browser(), { username: newUsername() });
    const bobName = newUsername();
    await signUp(browser(), { username: bobName });

    const next = newUsername("Renamed");
    const ok = await alice.browser.client.updateUser({ username: next });
    assert.equal(ok.error, null);
    assert.deepEqual(ok.data, { status: true });
    const session = await currentSession(alice.browser);
    assert.equal(session.user.username, next.toLowerCase());

    assertClientError(await alice.browser.client.updateUser({ username: bobName.toUpperCase() }), 400, ...TAKEN);
    assertClientError(await alice.browser.client.updateUser({ username: "x" }), 400, ...TOO_SHORT);
    const keep = await alice.browser.client.updateUser({ username: next.toUpperCase() });
    assert.equal(keep.error, null, "re-saving one's own username in another case is fine");
  });
});
