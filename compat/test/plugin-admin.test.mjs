// The admin plugin through the real adminClient. An admin is made the way an operator would on
// either server: `role = 'admin'` written into the user row (the servers run admin() with its
// defaults: no adminUserIds, roles admin/user, defaultRole "user", 1-hour impersonation).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { before, describe, test } from "node:test";
import { adminClient } from "better-auth/client/plugins";
import {
  assertClearedCookie,
  assertClientError,
  assertClientUser,
  assertErrorResponse,
  assertNear,
  assertSessionCookie,
  assertWireSession,
  assertWireUser,
  signCookieValue,
  userKeys,
} from "../lib/shapes.mjs";
import { DB_KIND } from "../lib/config.mjs";
import { currentSession, newCredentials, signUp, useServer } from "../lib/suite.mjs";

const PLUGINS = ["admin"];
const fx = useServer({ plugins: PLUGINS });
const browser = () => fx.browser({ plugins: [adminClient()] });

const BANNED_MESSAGE = "You have been banned from this application. Please contact support if you believe this is an error.";
const USER_NOT_FOUND = ["USER_NOT_FOUND", "User not found"];
const HOUR = 3_600_000;

/** A signed-up user promoted to admin in the database, signed in in their own browser. */
async function newAdmin() {
  const admin = await signUp(browser());
  await fx.query(`update "user" set "role" = 'admin' where "id" = ?`, [admin.user.id]);
  return admin;
}

async function isSignedIn(b) {
  return (await currentSession(b)) !== null;
}

/** The cookies a browser ends up with: the last Set-Cookie per name wins. */
function effective(setCookies) {
  return new Map(setCookies.map((c) => [c.name, c]));
}

describe("who is an admin", () => {
  test("sign-up gives role 'user' and clean ban fields; role can be set neither on sign-up nor by update-user", async () => {
    const alice = await signUp(browser());
    assertClientUser(alice.user, { plugins: PLUGINS, role: "user", banned: false, banReason: null, banExpires: null });
    const signUpAsAdmin = await browser().request("/api/auth/sign-up/email", { json: { ...newCredentials(), role: "admin" } });
    assertErrorResponse(signUpAsAdmin, 400, "FIELD_NOT_ALLOWED", "role is not allowed to be set");
    const promote = await alice.browser.request("/api/auth/update-user", { json: { role: "admin" } });
    assertErrorResponse(promote, 400, "FIELD_NOT_ALLOWED", "role is not allowed to be set");
    assert.equal((await currentSession(alice.browser)).user.role, "user");
  });

  test("role 'admin' written in the database takes effect on the next request of an existing session", async () => {
    const alice = await signUp(browser());
    assert.equal((await alice.browser.request("/api/auth/admin/list-users")).status, 403);
    await fx.query(`update "user" set "role" = 'admin' where "id" = ?`, [alice.user.id]);
    assert.equal((await alice.browser.request("/api/auth/admin/list-users")).status, 200);
  });
});

describe("access control", () => {
  let target;
  before(async () => {
    target = await signUp(browser());
  });

  const endpoints = () => [
    ["GET", `/admin/list-users`, undefined, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", "You are not allowed to list users"],
    ["GET", `/admin/get-user?id=${target.user.id}`, undefined, "YOU_ARE_NOT_ALLOWED_TO_GET_USER", "You are not allowed to get user"],
    ["POST", "/admin/create-user", { ...newCredentials("created") }, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", "You are not allowed to create users"],
    ["POST", "/admin/update-user", { userId: target.user.id, data: { name: "hacked" } }, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS", "You are not allowed to update users"],
    ["POST", "/admin/set-role", { userId: target.user.id, role: "admin" }, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE", "You are not allowed to change users role"],
    ["POST", "/admin/ban-user", { userId: target.user.id }, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "You are not allowed to ban users"],
    ["POST", "/admin/unban-user", { userId: target.user.id }, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "You are not allowed to ban users"],
    ["POST", "/admin/list-user-sessions", { userId: target.user.id }, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS", "You are not allowed to list users sessions"],
    ["POST", "/admin/impersonate-user", { userId: target.user.id }, "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS", "You are not allowed to impersonate users"],
    ["POST", "/admin/revoke-user-session", { sessionToken: target.token }, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", "You are not allowed to revoke users sessions"],
    ["POST", "/admin/revoke-user-sessions", { userId: target.user.id }, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", "You are not allowed to revoke users sessions"],
    ["POST", "/admin/remove-user", { userId: target.user.id }, "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS", "You are not allowed to delete users"],
    ["POST", "/admin/set-user-password", { userId: target.user.id, newPassword: "taken over password" }, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD", "You are not allowed to set users password"],
  ];

  test("a signed-in non-admin gets 403 with the endpoint's own code, and nothing changes", async () => {
    const mallory = await signUp(browser());
    for (const [method, path, json, code, message] of endpoints()) {
      const res = await mallory.browser.request(`/api/auth${path}`, { method, json });
      assertErrorResponse(res, 403, code, message);
    }
    assert.ok(await isSignedIn(target.browser), "the target's session survived");
    const [row] = await fx.query(`select "name", "role", "banned" from "user" where "id" = ?`, [target.user.id]);
    assert.equal(row.name, target.name);
    assert.equal(row.role, "user");
    assert.equal(Boolean(row.banned), false);
    assert.equal((await fx.query(`select "id" from "user" where "name" like 'created %'`)).length, 0);
  });

  test("without a session every admin endpoint is 401 with an empty body", async () => {
    const extra = [
      ["POST", "/admin/has-permission", { permissions: { user: ["list"] } }],
      ["POST", "/admin/stop-impersonating", {}],
    ];
    for (const [method, path, json] of [...endpoints(), ...extra]) {
      const res = await browser().request(`/api/auth${path}`, { method, json });
      assert.equal(res.status, 401, `${method} ${path}: ${res.text}`);
      assert.equal(res.text, "", `${method} ${path}: empty body`);
    }
  });
});

describe("create-user", () => {
  test("creates a user with a lower-cased e-mail, role 'user' and a password that signs in", async () => {
    const admin = await newAdmin();
    const creds = newCredentials("made");
    const res = await admin.browser.request("/api/auth/admin/create-user", { json: creds });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ["user"]);
    assertWireUser(res.json.user, { plugins: PLUGINS, email: creds.email.toLowerCase(), name: creds.name, role: "user", banned: false, emailVerified: false });
    assert.deepEqual(res.setCookies, [], "the admin stays who they are");
    const signIn = await browser().client.signIn.email({ email: creds.email, password: creds.password });
    assert.equal(signIn.error, null);
    assert.equal(signIn.data.user.id, res.json.user.id);
  });

  test("through the client: a role array is stored comma-joined, data sets other fields", async () => {
    const admin = await newAdmin();
    const creds = newCredentials("roles");
    const res = await admin.browser.client.admin.createUser({ ...creds, role: ["user", "admin"], data: { image: "https://img.example/a.png", emailVerified: true } });
    assert.equal(res.error, null);
    assertClientUser(res.data.user, { plugins: PLUGINS, role: "user,admin", image: "https://img.example/a.png", emailVerified: true });
  });

  test("without a password the user has no credential account", async () => {
    const admin = await newAdmin();
    const creds = newCredentials("nopass");
    const res = await admin.browser.client.admin.createUser({ email: creds.email, name: creds.name });
    assert.equal(res.error, null);
    assert.deepEqual(await fx.query(`select "id" from "account" where "userId" = ?`, [res.data.user.id]), []);
    assertClientError(await browser().client.signIn.email({ email: creds.email, password: creds.password }), 401, "INVALID_EMAIL_OR_PASSWORD");
  });

  test("an existing e-mail (any case) is 400 USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL; a malformed one 400 INVALID_EMAIL", async () => {
    const admin = await newAdmin();
    const taken = await admin.browser.request("/api/auth/admin/create-user", { json: { ...newCredentials(), email: admin.email.toUpperCase() } });
    assertErrorResponse(taken, 400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.");
    const bad = await admin.browser.request("/api/auth/admin/create-user", { json: { ...newCredentials(), email: "not-an-email" } });
    assertErrorResponse(bad, 400, "INVALID_EMAIL", "Invalid email");
  });
});

describe("list-users", () => {
  let admin;
  let cohort;
  const tag = `cohort${Date.now() % 100_000}`;
  before(async () => {
    admin = await newAdmin();
    cohort = [];
    for (const [i, name] of ["Delta Quinn", "Alpha Zed", "Charlie Young", "Bravo Xu", "Echo Wolf"].entries()) {
      const res = await admin.browser.client.admin.createUser({ email: `${tag}.${i}@example.com`, name, role: i === 2 ? "admin" : "user" });
      assert.equal(res.error, null);
      cohort.push(res.data.user);
    }
  });

  const emails = (res) => res.json.users.map((u) => u.email);

  test("no query: every user, total = number of users, no limit/offset keys", async () => {
    const res = await admin.browser.request("/api/auth/admin/list-users");
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ["total", "users"]);
    const [{ n }] = await fx.query(`select count(*) as n from "user"`);
    assert.equal(res.json.total, Number(n));
    assert.equal(res.json.users.length, Number(n));
    for (const u of res.json.users) assertWireUser(u, { plugins: PLUGINS });
  });

  test("search by e-mail (contains), sorted, with limit and offset", async () => {
    const all = await admin.browser.request(`/api/auth/admin/list-users?searchValue=${tag}&sortBy=email`);
    assert.equal(all.json.total, 5);
    assert.deepEqual(emails(all), cohort.map((u) => u.email).sort());

    const page = await admin.browser.request(`/api/auth/admin/list-users?searchValue=${tag}&sortBy=email&sortDirection=desc&limit=2&offset=1`);
    assert.deepEqual(Object.keys(page.json).sort(), ["limit", "offset", "total", "users"]);
    assert.equal(page.json.total, 5, "total counts every match, not the page");
    assert.equal(page.json.limit, 2);
    assert.equal(page.json.offset, 1);
    assert.deepEqual(emails(page), cohort.map((u) => u.email).sort().reverse().slice(1, 3));

    const first = await admin.browser.request(`/api/auth/admin/list-users?searchValue=${tag}&sortBy=email&limit=2&offset=0`);
    assert.deepEqual(Object.keys(first.json).sort(), ["limit", "total", "users"], "offset 0 is left out");
  });

  test("search is a plain SQL LIKE: case-insensitive (ASCII) on SQLite, case-sensitive on PostgreSQL", async () => {
    const upper = await admin.browser.request(`/api/auth/admin/list-users?searchValue=${tag.toUpperCase()}`);
    assert.equal(upper.json.total, DB_KIND === "sqlite" ? 5 : 0);
    const lower = await admin.browser.request(`/api/auth/admin/list-users?searchField=name&searchValue=alpha`);
    assert.deepEqual(lower.json.users.map((u) => u.name), DB_KIND === "sqlite" ? ["Alpha Zed"] : []);
  });

  test("search by name with starts_with and ends_with, sort by name", async () => {
    const starts = await admin.browser.request(`/api/auth/admin/list-users?searchField=name&searchOperator=starts_with&searchValue=Alpha`);
    assert.deepEqual(starts.json.users.map((u) => u.name), ["Alpha Zed"]);
    const notStart = await admin.browser.request(`/api/auth/admin/list-users?searchField=name&searchOperator=starts_with&searchValue=Zed`);
    assert.deepEqual(notStart.json.users, []);
    const ends = await admin.browser.request(`/api/auth/admin/list-users?searchField=name&searchOperator=ends_with&searchValue=Wolf`);
    assert.deepEqual(ends.json.users.map((u) => u.name), ["Echo Wolf"]);
    // Capitalised ASCII names sort the same under SQLite's binary and PostgreSQL's locale collation.
    const sorted = cohort.map((u) => u.name).sort();
    const asc = await admin.browser.request(`/api/auth/admin/list-users?searchValue=${tag}&sortBy=name&sortDirection=asc`);
    assert.deepEqual(asc.json.users.map((u) => u.name), sorted);
    const desc = await admin.browser.request(`/api/auth/admin/list-users?searchValue=${tag}&sortBy=name&sortDirection=desc`);
    assert.deepEqual(desc.json.users.map((u) => u.name), [...sorted].reverse());
  });

  test("filters: role eq and ne, combined with a search", async () => {
    const admins = await admin.browser.request(`/api/auth/admin/list-users?searchValue=${tag}&filterField=role&filterValue=admin`);
    assert.deepEqual(emails(admins), [cohort[2].email]);
    assert.equal(admins.json.total, 1);
    const others = await admin.browser.request(`/api/auth/admin/list-users?searchValue=${tag}&filterField=role&filterOperator=ne&filterValue=admin&sortBy=email`);
    assert.equal(others.json.total, 4);
    assert.ok(!emails(others).includes(cohort[2].email));
  });

  test("through the client: query parameters, dates revived", async () => {
    const res = await admin.browser.client.admin.listUsers({ query: { searchValue: tag, limit: 3, sortBy: "email" } });
    assert.equal(res.error, null);
    assert.equal(res.data.total, 5);
    assert.equal(res.data.limit, 3);
    assert.equal(res.data.users.length, 3);
    assert.ok(res.data.users[0].createdAt instanceof Date);
  });
});

describe("get-user, update-user, set-role", () => {
  test("get-user returns the bare user; an unknown id is 404 USER_NOT_FOUND", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const res = await admin.browser.client.admin.getUser({ query: { id: bob.user.id } });
    assert.equal(res.error, null);
    assert.deepEqual(Object.keys(res.data).sort(), userKeys(PLUGINS));
    assert.equal(res.data.email, bob.email.toLowerCase());
    assertErrorResponse(await admin.browser.request("/api/auth/admin/get-user?id=no-such-user"), 404, ...USER_NOT_FOUND);
  });

  test("update-user changes fields and answers with the bare user; e-mails are lower-cased", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const res = await admin.browser.request("/api/auth/admin/update-user", {
      json: { userId: bob.user.id, data: { name: "Robert", email: "Robert.New@Example.COM" } },
    });
    assert.equal(res.status, 200, res.text);
    assertWireUser(res.json, { plugins: PLUGINS, id: bob.user.id, name: "Robert", email: "robert.new@example.com" });
    assert.equal((await currentSession(bob.browser)).user.name, "Robert");
  });

  test("update-user refusals: no data, password, id, a taken e-mail, an unknown user", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const update = (userId, data) => admin.browser.request("/api/auth/admin/update-user", { json: { userId, data } });
    assertErrorResponse(await update(bob.user.id, {}), 400, "NO_DATA_TO_UPDATE", "No data to update");
    assertErrorResponse(
      await update(bob.user.id, { password: "new password 123" }),
      400,
      "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER",
      "Password cannot be updated through update-user. Use the set-user-password endpoint instead",
    );
    assertErrorResponse(await update(bob.user.id, { id: "another-id" }), 400, "USER_ID_CANNOT_BE_UPDATED", "User id cannot be updated");
    assertErrorResponse(await update(bob.user.id, { email: admin.email }), 400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.");
    assertErrorResponse(await update("no-such-user", { name: "x" }), 404, ...USER_NOT_FOUND);
  });

  test("set-role answers {user}; an array is comma-joined; the new role applies at once", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const res = await admin.browser.client.admin.setRole({ userId: bob.user.id, role: "admin" });
    assert.equal(res.error, null);
    assert.deepEqual(Object.keys(res.data), ["user"]);
    assert.equal(res.data.user.role, "admin");
    assert.equal((await bob.browser.request("/api/auth/admin/list-users?limit=1")).status, 200, "bob is an admin now");
    const both = await admin.browser.client.admin.setRole({ userId: bob.user.id, role: ["user", "admin"] });
    assert.equal(both.data.user.role, "user,admin");
    assertErrorResponse(await admin.browser.request("/api/auth/admin/set-role", { json: { userId: "no-such-user", role: "user" } }), 404, ...USER_NOT_FOUND);
  });
});

describe("bans", () => {
  test("ban-user with a reason and expiry: {user} banned, every session revoked, sign-in 403 BANNED_USER (S6)", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const second = await browser().client.signIn.email({ email: bob.email, password: bob.password });
    assert.equal(second.error, null);

    const res = await admin.browser.request("/api/auth/admin/ban-user", { json: { userId: bob.user.id, banReason: "spamming", banExpiresIn: 3600 } });
    assert.equal(res.status, 200, res.text);
    assertWireUser(res.json.user, { plugins: PLUGINS, id: bob.user.id, banned: true, banReason: "spamming" });
    assertNear(Date.parse(res.json.user.banExpires), Date.now() + HOUR, 10_000, "banExpires");

    assert.equal(await isSignedIn(bob.browser), false);
    assert.deepEqual(await fx.query(`select "id" from "session" where "userId" = ?`, [bob.user.id]), []);
    const signIn = await browser().request("/api/auth/sign-in/email", { json: { email: bob.email, password: bob.password } });
    assertErrorResponse(signIn, 403, "BANNED_USER", BANNED_MESSAGE);
    assert.deepEqual(signIn.setCookies, []);
    const wrong = await browser().request("/api/auth/sign-in/email", { json: { email: bob.email, password: "not the password" } });
    assertErrorResponse(wrong, 401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password");
  });

  test("ban-user without reason or expiry: 'No reason', banned until unbanned", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const res = await admin.browser.client.admin.banUser({ userId: bob.user.id });
    assert.equal(res.error, null);
    assert.equal(res.data.user.banReason, "No reason");
    assert.equal(res.data.user.banExpires, null);

    const unban = await admin.browser.request("/api/auth/admin/unban-user", { json: { userId: bob.user.id } });
    assert.equal(unban.status, 200, unban.text);
    assertWireUser(unban.json.user, { plugins: PLUGINS, id: bob.user.id, banned: false, banReason: null, banExpires: null });
    const signIn = await browser().client.signIn.email({ email: bob.email, password: bob.password });
    assert.equal(signIn.error, null);
  });

  test("an expired ban lifts itself at the next sign-in", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    assert.equal((await admin.browser.client.admin.banUser({ userId: bob.user.id, banReason: "cool off", banExpiresIn: 1 })).error, null);
    await sleep(1500);
    const signIn = await browser().client.signIn.email({ email: bob.email, password: bob.password });
    assert.equal(signIn.error, null, JSON.stringify(signIn.error));
    const [row] = await fx.query(`select "banned", "banReason", "banExpires" from "user" where "id" = ?`, [bob.user.id]);
    assert.deepEqual({ banned: Boolean(row.banned), banReason: row.banReason, banExpires: row.banExpires }, { banned: false, banReason: null, banExpires: null });
  });

  test("banning yourself is 400 YOU_CANNOT_BAN_YOURSELF, also through update-user; an unknown user is 404", async () => {
    const admin = await newAdmin();
    const self = await admin.browser.request("/api/auth/admin/ban-user", { json: { userId: admin.user.id } });
    assertErrorResponse(self, 400, "YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself");
    const viaUpdate = await admin.browser.request("/api/auth/admin/update-user", { json: { userId: admin.user.id, data: { banned: true } } });
    assertErrorResponse(viaUpdate, 400, "YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself");
    assert.ok(await isSignedIn(admin.browser));
    assertErrorResponse(await admin.browser.request("/api/auth/admin/ban-user", { json: { userId: "no-such-user" } }), 404, ...USER_NOT_FOUND);
  });

  test("update-user with banned:true also revokes the user's sessions", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const res = await admin.browser.client.admin.updateUser({ userId: bob.user.id, data: { banned: true, banReason: "via update" } });
    assert.equal(res.error, null);
    assert.equal(res.data.banned, true);
    assert.equal(await isSignedIn(bob.browser), false);
  });
});

describe("a user's sessions", () => {
  test("list-user-sessions answers {sessions} with every field", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const other = await browser().client.signIn.email({ email: bob.email, password: bob.password });
    const res = await admin.browser.request("/api/auth/admin/list-user-sessions", { json: { userId: bob.user.id } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ["sessions"]);
    assert.deepEqual(res.json.sessions.map((s) => s.token).sort(), [bob.token, other.data.token].sort());
    for (const s of res.json.sessions) assertWireSession(s, { plugins: PLUGINS, userId: bob.user.id, impersonatedBy: null });
  });

  test("revoke-user-session ends one session, revoke-user-sessions all of them (S8)", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const second = browser();
    const signIn = await second.client.signIn.email({ email: bob.email, password: bob.password });

    const one = await admin.browser.client.admin.revokeUserSession({ sessionToken: signIn.data.token });
    assert.equal(one.error, null);
    assert.deepEqual(one.data, { success: true });
    assert.equal(await isSignedIn(second), false);
    assert.equal(await isSignedIn(bob.browser), true);

    const all = await admin.browser.request("/api/auth/admin/revoke-user-sessions", { json: { userId: bob.user.id } });
    assert.equal(all.status, 200);
    assert.deepEqual(all.json, { success: true });
    assert.equal(await isSignedIn(bob.browser), false);
    assert.ok(await isSignedIn(admin.browser), "the admin's own session is untouched");
  });
});

describe("impersonation", () => {
  test("impersonate-user: {session, user}, a one-hour session marked impersonatedBy, the admin's session kept aside", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const res = await admin.browser.request("/api/auth/admin/impersonate-user", { json: { userId: bob.user.id } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ["session", "user"]);
    assertWireSession(res.json.session, { plugins: PLUGINS, userId: bob.user.id, impersonatedBy: admin.user.id, ipAddress: admin.browser.ip });
    assertNear(Date.parse(res.json.session.expiresAt), Date.now() + HOUR, 10_000, "impersonation expiresAt");
    assertWireUser(res.json.user, { plugins: PLUGINS, id: bob.user.id, role: "user" });

    const cookies = effective(res.setCookies);
    assert.deepEqual(
      [...cookies.keys()].filter((n) => !["better-auth.session_data"].includes(n)).sort(),
      ["better-auth.admin_session", "better-auth.dont_remember", "better-auth.session_token"],
    );
    assertSessionCookie([cookies.get("better-auth.session_token")], { token: res.json.session.token, secret: fx.server.secret, maxAge: null });
    const dontRemember = cookies.get("better-auth.dont_remember");
    assert.equal(dontRemember.value, signCookieValue("true", fx.server.secret));
    assert.deepEqual(dontRemember.attributes, { path: "/", httponly: true, samesite: "Lax" });
    const adminSession = cookies.get("better-auth.admin_session");
    assert.equal(adminSession.value, signCookieValue(`${admin.token}:`, fx.server.secret), "admin token and the (empty) dont_remember value");
    assert.deepEqual(adminSession.attributes, { "max-age": "604800", path: "/", httponly: true, samesite: "Lax" });

    const session = await currentSession(admin.browser);
    assert.equal(session.user.id, bob.user.id);
    assert.equal(session.session.impersonatedBy, admin.user.id);
    const asBob = await admin.browser.request("/api/auth/admin/list-users");
    assert.equal(asBob.status, 403, "while impersonating, the admin has the user's rights");
  });

  test("the user's own list-sessions hides the impersonation session; the admin's listing shows it", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const imp = await admin.browser.client.admin.impersonateUser({ userId: bob.user.id });
    assert.equal(imp.error, null);
    const own = await bob.browser.request("/api/auth/list-sessions");
    assert.deepEqual(own.json.map((s) => s.token), [bob.token]);
    const otherAdmin = await newAdmin();
    const listed = await otherAdmin.browser.client.admin.listUserSessions({ userId: bob.user.id });
    const marked = listed.data.sessions.find((s) => s.token === imp.data.session.token);
    assert.equal(marked?.impersonatedBy, admin.user.id);
  });

  test("stop-impersonating restores the admin's session and deletes the impersonation session", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const imp = await admin.browser.client.admin.impersonateUser({ userId: bob.user.id });
    const res = await admin.browser.request("/api/auth/admin/stop-impersonating", { json: {} });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ["session", "user"]);
    assertWireSession(res.json.session, { plugins: PLUGINS, token: admin.token, userId: admin.user.id, impersonatedBy: null });
    assertWireUser(res.json.user, { plugins: PLUGINS, id: admin.user.id, role: "admin" });
    const cookies = effective(res.setCookies);
    assertSessionCookie([cookies.get("better-auth.session_token")], { token: admin.token, secret: fx.server.secret });
    assertClearedCookie(res.setCookies, "better-auth.admin_session");
    assert.equal(admin.browser.cookie("better-auth.dont_remember"), undefined);

    assert.equal((await currentSession(admin.browser)).user.id, admin.user.id);
    assert.deepEqual(await fx.query(`select "id" from "session" where "token" = ?`, [imp.data.session.token]), []);
  });

  test("impersonating an admin is 403 YOU_CANNOT_IMPERSONATE_ADMINS; stop without impersonating is 400", async () => {
    const admin = await newAdmin();
    const other = await newAdmin();
    const res = await admin.browser.request("/api/auth/admin/impersonate-user", { json: { userId: other.user.id } });
    assertErrorResponse(res, 403, "YOU_CANNOT_IMPERSONATE_ADMINS", "You cannot impersonate admins");
    assert.deepEqual(res.setCookies, []);
    const stop = await admin.browser.request("/api/auth/admin/stop-impersonating", { json: {} });
    assert.equal(stop.status, 400);
    assert.deepEqual(stop.json, { message: "You are not impersonating anyone" });
    assertErrorResponse(await admin.browser.request("/api/auth/admin/impersonate-user", { json: { userId: "no-such-user" } }), 404, ...USER_NOT_FOUND);
  });
});

describe("remove-user and set-user-password", () => {
  test("remove-user deletes the user, their sessions and accounts; yourself is 400; unknown is 404", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const res = await admin.browser.client.admin.removeUser({ userId: bob.user.id });
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { success: true });
    assert.equal(await isSignedIn(bob.browser), false);
    for (const table of ["session", "account"]) assert.deepEqual(await fx.query(`select "id" from "${table}" where "userId" = ?`, [bob.user.id]), [], table);
    assertErrorResponse(await admin.browser.request(`/api/auth/admin/get-user?id=${bob.user.id}`), 404, ...USER_NOT_FOUND);
    assertClientError(await browser().client.signIn.email({ email: bob.email, password: bob.password }), 401, "INVALID_EMAIL_OR_PASSWORD");

    const self = await admin.browser.request("/api/auth/admin/remove-user", { json: { userId: admin.user.id } });
    assertErrorResponse(self, 400, "YOU_CANNOT_REMOVE_YOURSELF", "You cannot remove yourself");
    assertErrorResponse(await admin.browser.request("/api/auth/admin/remove-user", { json: { userId: "no-such-user" } }), 404, ...USER_NOT_FOUND);
  });

  test("set-user-password replaces the password and keeps the user's sessions", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    const res = await admin.browser.client.admin.setUserPassword({ userId: bob.user.id, newPassword: "set by the admin" });
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { status: true });
    assert.ok(await isSignedIn(bob.browser), "sessions are not revoked");
    assert.equal((await browser().client.signIn.email({ email: bob.email, password: "set by the admin" })).error, null);
    assertClientError(await browser().client.signIn.email({ email: bob.email, password: bob.password }), 401, "INVALID_EMAIL_OR_PASSWORD");

    const short = await admin.browser.request("/api/auth/admin/set-user-password", { json: { userId: bob.user.id, newPassword: "short" } });
    assertErrorResponse(short, 400, "PASSWORD_TOO_SHORT", "Password too short");
    assertErrorResponse(
      await admin.browser.request("/api/auth/admin/set-user-password", { json: { userId: "no-such-user", newPassword: "long enough password" } }),
      404,
      ...USER_NOT_FOUND,
    );
  });

  test("set-user-password gives a password-less user a credential account", async () => {
    const admin = await newAdmin();
    const creds = newCredentials("later");
    const created = await admin.browser.client.admin.createUser({ email: creds.email, name: creds.name });
    assert.equal((await admin.browser.client.admin.setUserPassword({ userId: created.data.user.id, newPassword: creds.password })).error, null);
    const signIn = await browser().client.signIn.email({ email: creds.email, password: creds.password });
    assert.equal(signIn.error, null);
  });
});

describe("has-permission", () => {
  test("an admin has the admin role's permissions, but not impersonate-admins", async () => {
    const admin = await newAdmin();
    const res = await admin.browser.client.admin.hasPermission({ permissions: { user: ["create", "ban", "set-password"], session: ["revoke"] } });
    assert.equal(res.error, null);
    assert.deepEqual(res.data, { error: null, success: true });
    const raw = await admin.browser.request("/api/auth/admin/has-permission", { json: { permissions: { user: ["impersonate-admins"] } } });
    assert.equal(raw.status, 200);
    assert.deepEqual(raw.json, { error: null, success: false });
  });

  test("a plain user has none, whatever role or userId the body names", async () => {
    const admin = await newAdmin();
    const bob = await signUp(browser());
    for (const extra of [{}, { role: "admin" }, { userId: admin.user.id }]) {
      const res = await bob.browser.request("/api/auth/admin/has-permission", { json: { permissions: { user: ["list"] }, ...extra } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { error: null, success: false }, JSON.stringify(extra));
    }
  });

  test("the singular 'permission' key is 400 without a code", async () => {
    const admin = await newAdmin();
    const res = await admin.browser.request("/api/auth/admin/has-permission", { json: { permission: { user: ["list"] } } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { message: "invalid permission check. no permission(s) were passed." });
  });
});
