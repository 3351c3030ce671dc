// The organization plugin through the real organizationClient and raw HTTP. Each describe block
// runs its own server with the `[organization]` table it needs (Tessera's config shape, snake_case
// keys; Better Auth gets the same as organization({...}) options, see server/options.mjs).
// Invitation e-mails land in the outbox as {"type":"organization-invitation","to","invitationId",
// "organizationId","organizationSlug","role","inviterEmail"}.
//
// Source references are to compat/node_modules/better-auth/dist/plugins/organization/… (1.7.25).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { organizationClient } from "better-auth/client/plugins";
import { DB_KIND } from "../lib/config.mjs";
import { ID32, ISO_MS, assertClientError, assertErrorResponse, assertNear, sessionKeys } from "../lib/shapes.mjs";
import { newCredentials, signUp } from "../lib/suite.mjs";
import { useServer } from "../lib/suite.mjs";

const PLUGINS = ["organization"];
const API = "/api/auth";
const run = randomBytes(3).toString("hex");
let slugs = 0;
/** A slug no other test uses. */
const newSlug = (prefix = "org") => `${prefix}-${run}-${++slugs}`;

const ORG_KEYS = ["name", "slug", "logo", "createdAt", "metadata", "id"];
const MEMBER_KEYS = ["organizationId", "userId", "role", "createdAt", "id"];
const MEMBER_WITH_USER_KEYS = [...MEMBER_KEYS, "user"];
const USER_SUMMARY_KEYS = ["id", "name", "email", "image"];
const INVITATION_KEYS = ["organizationId", "email", "role", "status", "expiresAt", "createdAt", "inviterId", "id"];
const INVITATION_KEYS_TEAMS = ["organizationId", "email", "role", "teamId", "status", "expiresAt", "createdAt", "inviterId", "id"];
const TEAM_KEYS = ["name", "organizationId", "createdAt", "updatedAt", "id"];
const DAY = 86_400_000;

/** Per-server helpers: users in browsers with organizationClient, organizations, memberships. */
function helpers(fx) {
  const h = {
    browser: () => fx.browser({ plugins: [organizationClient()] }),
    /** A signed-up user in their own browser. */
    user: (prefix = "org") => signUp(h.browser(), newCredentials(prefix)),
    post: (who, path, json) => who.browser.request(`${API}${path}`, { json }),
    get: (who, path) => who.browser.request(`${API}${path}`),
    /** POST /organization/create as `owner`; returns the parsed body. */
    async createOrg(owner, extra = {}) {
      const slug = extra.slug ?? newSlug();
      const res = await h.post(owner, "/organization/create", { name: `Org ${slug}`, slug, ...extra });
      assert.equal(res.status, 200, res.text);
      return res.json;
    },
    /** Invites `who` (by e-mail) with `role` as `inviter`, returns the invitation. */
    async invite(inviter, orgId, who, role = "member", extra = {}) {
      const res = await h.post(inviter, "/organization/invite-member", { email: who.email, role, organizationId: orgId, ...extra });
      assert.equal(res.status, 200, res.text);
      return res.json;
    },
    /** A new user who joined `orgId` with `role` by invitation; returns {…user, member}. */
    async joined(owner, orgId, role = "member", prefix = "joiner") {
      const u = await h.user(prefix);
      const inv = await h.invite(owner, orgId, u, role);
      const res = await h.post(u, "/organization/accept-invitation", { invitationId: inv.id });
      assert.equal(res.status, 200, res.text);
      return { ...u, member: res.json.member };
    },
    async session(who) {
      const res = await h.get(who, "/get-session");
      assert.equal(res.status, 200, res.text);
      return res.json?.session ?? null;
    },
    verifyEmail: (who) => fx.query(`update "user" set "emailVerified" = true where "id" = ?`, [who.user.id]),
    /** Moves an invitation's expiry into the past, as time passing would. */
    expire: (invitationId) =>
      fx.query(`update "invitation" set "expiresAt" = ? where "id" = ?`, [DB_KIND === "sqlite" ? new Date(Date.now() - 60_000).toISOString() : new Date(Date.now() - 60_000), invitationId]),
    invitationMail: (invitationId) => fx.server.waitForMessage((m) => m.type === "organization-invitation" && m.invitationId === invitationId),
    mails: (invitationId) => fx.server.readOutbox().filter((m) => m.type === "organization-invitation" && m.invitationId === invitationId),
  };
  return h;
}

function assertMember(m, expected = {}, { withUser = false } = {}) {
  assert.deepEqual(Object.keys(m), withUser ? MEMBER_WITH_USER_KEYS : MEMBER_KEYS, "member keys, in order");
  assert.match(m.id, ID32);
  assert.match(m.createdAt, ISO_MS);
  if (withUser) assert.deepEqual(Object.keys(m.user), USER_SUMMARY_KEYS, "member.user keys");
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(m[k], v, `member.${k}`);
}

function assertInvitation(inv, expected = {}, keys = INVITATION_KEYS) {
  assert.deepEqual(Object.keys(inv), keys, "invitation keys, in order");
  assert.match(inv.id, ID32);
  assert.match(inv.expiresAt, ISO_MS);
  assert.match(inv.createdAt, ISO_MS);
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(inv[k], v, `invitation.${k}`);
}

// ---------------------------------------------------------------------------------------------
describe("organization plugin, default options plus a static role from config", () => {
  // [organization.roles.billing] organization = ["update"], billing = ["read", "write"]
  const fx = useServer({ plugins: PLUGINS, organization: { roles: { billing: { organization: ["update"], billing: ["read", "write"] } } } });
  const h = helpers(fx);

  describe("create", () => {
    test("answers the organization with metadata as an object and the creator as owner; the session's active organization is set without a cookie", async () => {
      const alice = await h.user();
      const slug = newSlug("acme");
      const res = await h.post(alice, "/organization/create", { name: "Acme", slug, logo: "https://img.example/acme.png", metadata: { plan: "pro", seats: 5 } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), [...ORG_KEYS, "members"], "keys, in order");
      assert.equal(res.json.name, "Acme");
      assert.equal(res.json.slug, slug);
      assert.equal(res.json.logo, "https://img.example/acme.png");
      assert.deepEqual(res.json.metadata, { plan: "pro", seats: 5 }, "metadata is an object in create's answer");
      assert.match(res.json.id, ID32);
      assert.match(res.json.createdAt, ISO_MS);
      assert.equal(res.json.members.length, 1);
      assertMember(res.json.members[0], { organizationId: res.json.id, userId: alice.user.id, role: "owner" });
      assert.deepEqual(res.setCookies, [], "create changes the session row but sends no Set-Cookie");
      const session = await h.session(alice);
      assert.deepEqual(Object.keys(session).sort(), [...sessionKeys(), "activeOrganizationId"].sort(), "the session gains activeOrganizationId");
      assert.equal(session.activeOrganizationId, res.json.id);
      const [row] = await fx.query(`select "metadata" from "organization" where "id" = ?`, [res.json.id]);
      assert.equal(row.metadata, '{"plan":"pro","seats":5}', "stored as JSON text");
    });

    test("without logo and metadata: logo is null and the metadata key is left out", async () => {
      const alice = await h.user();
      const res = await h.post(alice, "/organization/create", { name: "Bare", slug: newSlug() });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ["name", "slug", "logo", "createdAt", "id", "members"]);
      assert.equal(res.json.logo, null);
    });

    test("keepCurrentActiveOrganization leaves the active organization as it was", async () => {
      const alice = await h.user();
      const first = await h.createOrg(alice);
      const second = await h.createOrg(alice, { keepCurrentActiveOrganization: true });
      assert.notEqual(second.id, first.id);
      assert.equal((await h.session(alice)).activeOrganizationId, first.id);
    });

    test("a taken slug is 400 ORGANIZATION_ALREADY_EXISTS (not …SLUG_ALREADY_TAKEN); slugs are case-sensitive", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.user();
      // routes/crud-org.mjs:62: create checks findOrganizationBySlug and throws ORGANIZATION_ALREADY_EXISTS.
      assertErrorResponse(await h.post(bob, "/organization/create", { name: "Copy", slug: org.slug }), 400, "ORGANIZATION_ALREADY_EXISTS", "Organization already exists");
      const upper = await h.post(bob, "/organization/create", { name: "Upper", slug: org.slug.toUpperCase() });
      assert.equal(upper.status, 200, "the slug comparison is exact");
    });

    test("an empty name is a 400 validation error; no session is 401 with an empty body", async () => {
      const alice = await h.user();
      const empty = await h.post(alice, "/organization/create", { name: "", slug: newSlug() });
      assertErrorResponse(empty, 400, "VALIDATION_ERROR", "[body.name] Too small: expected string to have >=1 characters");
      const anonymous = await h.browser().request(`${API}/organization/create`, { json: { name: "X", slug: newSlug() } });
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.text, "", "APIError.fromStatus(\"UNAUTHORIZED\") without a body (routes/crud-org.mjs:48)");
    });

    test("through the client: organization.create and organization.list", async () => {
      const alice = await h.user();
      const slug = newSlug();
      const created = await alice.browser.client.organization.create({ name: "Client Co", slug, metadata: { a: 1 } });
      assert.equal(created.error, null);
      assert.deepEqual(created.data.metadata, { a: 1 });
      assert.ok(created.data.createdAt instanceof Date, "the client revives createdAt");
      const list = await alice.browser.client.organization.list();
      assert.equal(list.error, null);
      assert.deepEqual(list.data.map((o) => o.slug), [slug]);
    });
  });

  describe("check-slug", () => {
    test("a free slug is {status:true}; a taken one 400 ORGANIZATION_SLUG_ALREADY_TAKEN", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const free = await h.post(alice, "/organization/check-slug", { slug: newSlug() });
      assert.equal(free.status, 200, free.text);
      assert.deepEqual(free.json, { status: true });
      assertErrorResponse(await h.post(alice, "/organization/check-slug", { slug: org.slug }), 400, "ORGANIZATION_SLUG_ALREADY_TAKEN", "Organization slug already taken");
    });

    test("without a session: 401 UNAUTHORIZED", async () => {
      const res = await h.browser().request(`${API}/organization/check-slug`, { json: { slug: newSlug() } });
      assertErrorResponse(res, 401, "UNAUTHORIZED", "Unauthorized");
    });
  });

  describe("list and get", () => {
    test("list gives only the caller's organizations, with metadata as the stored JSON string", async () => {
      const alice = await h.user();
      const bob = await h.user();
      const a1 = await h.createOrg(alice, { metadata: { tier: 1 } });
      const a2 = await h.createOrg(alice);
      await h.createOrg(bob);
      const res = await h.get(alice, "/organization/list");
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.map((o) => o.id).sort(), [a1.id, a2.id].sort());
      const one = res.json.find((o) => o.id === a1.id);
      assert.deepEqual(Object.keys(one), ORG_KEYS);
      assert.equal(one.metadata, '{"tier":1}', "list answers metadata as a string, unlike create/update");
      assert.equal(res.json.find((o) => o.id === a2.id).metadata, null);
    });

    test("get-full-organization: the active one by default, by id or slug; members with user; invitations; metadata as string", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice, { metadata: { k: "v" } });
      const bob = await h.user();
      const inv = await h.invite(alice, org.id, bob, "admin");
      for (const query of ["", `?organizationId=${org.id}`, `?organizationSlug=${org.slug}`]) {
        const res = await h.get(alice, `/organization/get-full-organization${query}`);
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(Object.keys(res.json), [...ORG_KEYS, "invitations", "members"], `keys (${query})`);
        assert.equal(res.json.id, org.id);
        assert.equal(res.json.metadata, '{"k":"v"}');
        assert.equal(res.json.members.length, 1);
        assertMember(res.json.members[0], { role: "owner", userId: alice.user.id }, { withUser: true });
        assert.deepEqual(res.json.members[0].user, { id: alice.user.id, name: alice.name, email: alice.email.toLowerCase(), image: null });
        assert.deepEqual(res.json.invitations.map((i) => i.id), [inv.id]);
        assertInvitation(res.json.invitations[0], { status: "pending" });
      }
    });

    test("get-full-organization without an active organization is 200 null; a non-member gets 403 and loses the active organization", async () => {
      const alice = await h.user();
      const none = await h.get(alice, "/organization/get-full-organization");
      assert.equal(none.status, 200);
      assert.equal(none.text, "null");
      const bob = await h.user();
      const bobs = await h.createOrg(bob);
      assert.equal((await h.session(bob)).activeOrganizationId, bobs.id);
      const aliceOrg = await h.createOrg(alice);
      const res = await h.get(bob, `/organization/get-full-organization?organizationId=${aliceOrg.id}`);
      assertErrorResponse(res, 403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "User is not a member of the organization");
      // routes/crud-org.mjs:326: a failed membership check clears the caller's active organization.
      assert.equal((await h.session(bob)).activeOrganizationId, null);
      const unknown = await h.get(bob, `/organization/get-full-organization?organizationId=nope${run}`);
      assertErrorResponse(unknown, 400, "ORGANIZATION_NOT_FOUND", "Organization not found");
    });

    test("get-full-organization hides invitations from members without invitation:create, and owner-role invitations from admins", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const admin = await h.joined(alice, org.id, "admin");
      const plain = await h.joined(alice, org.id, "member");
      const toOwner = await h.invite(alice, org.id, await h.user(), "owner");
      const toMember = await h.invite(alice, org.id, await h.user(), "member");
      const ids = async (who) => (await h.get(who, `/organization/get-full-organization?organizationId=${org.id}`)).json.invitations.map((i) => i.id).sort();
      assert.equal((await ids(alice)).length, 4, "the owner sees every invitation (two accepted, two pending)");
      assert.ok((await ids(alice)).includes(toOwner.id));
      const adminSees = await ids(admin);
      assert.ok(adminSees.includes(toMember.id));
      assert.ok(!adminSees.includes(toOwner.id), "has-permission.mjs:67 withoutCreatorRoleInvitations");
      assert.deepEqual(await ids(plain), [], "has-permission.mjs:59 canViewInvitations needs invitation:create");
    });

    test("get-full-organization's membersLimit caps the members list", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      await h.joined(alice, org.id);
      await h.joined(alice, org.id);
      const all = await h.get(alice, `/organization/get-full-organization?organizationId=${org.id}`);
      assert.equal(all.json.members.length, 3);
      const capped = await h.get(alice, `/organization/get-full-organization?organizationId=${org.id}&membersLimit=2`);
      assert.equal(capped.json.members.length, 2);
    });

    test("get-organization answers the bare organization (metadata string) or null", async () => {
      const alice = await h.user();
      const none = await h.get(alice, "/organization/get-organization");
      assert.equal(none.status, 200);
      assert.equal(none.text, "null");
      const org = await h.createOrg(alice, { metadata: { x: true } });
      const res = await h.get(alice, `/organization/get-organization?organizationSlug=${org.slug}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ORG_KEYS);
      assert.equal(res.json.metadata, '{"x":true}');
    });

    test("without a session the read endpoints are 401 UNAUTHORIZED", async () => {
      const anon = h.browser();
      for (const path of ["/organization/list", "/organization/get-full-organization", "/organization/get-organization", "/organization/get-active-member", "/organization/list-members"]) {
        assertErrorResponse(await anon.request(`${API}${path}`), 401, "UNAUTHORIZED", "Unauthorized");
      }
    });
  });

  describe("update", () => {
    test("an owner updates name, slug, logo and metadata; the answer has metadata as an object, later reads a string", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice, { metadata: { v: 1 } });
      const slug = newSlug("renamed");
      const res = await h.post(alice, "/organization/update", { data: { name: "Renamed", slug, logo: "https://img.example/l.png", metadata: { v: 2, nested: { ok: true } } } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ORG_KEYS);
      assert.equal(res.json.id, org.id);
      assert.equal(res.json.name, "Renamed");
      assert.equal(res.json.slug, slug);
      assert.deepEqual(res.json.metadata, { v: 2, nested: { ok: true } });
      const read = await h.get(alice, "/organization/get-organization");
      assert.equal(read.json.metadata, '{"v":2,"nested":{"ok":true}}');
    });

    test("an organization without metadata answers update without the metadata key", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const res = await h.post(alice, "/organization/update", { organizationId: org.id, data: { name: "No Meta" } });
      assert.equal(res.status, 200, res.text);
      // adapter.mjs:373: metadata ? parseJSON(metadata) : undefined
      assert.deepEqual(Object.keys(res.json), ["name", "slug", "logo", "createdAt", "id"]);
    });

    test("admins may update, members may not (403), non-members get 400, another org's slug is 400", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const other = await h.createOrg(alice, { keepCurrentActiveOrganization: true });
      const admin = await h.joined(alice, org.id, "admin");
      const plain = await h.joined(alice, org.id, "member");
      assert.equal((await h.post(admin, "/organization/update", { organizationId: org.id, data: { name: "By Admin" } })).status, 200);
      assertErrorResponse(await h.post(plain, "/organization/update", { organizationId: org.id, data: { name: "By Member" } }), 403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION", "You are not allowed to update this organization");
      const stranger = await h.user();
      assertErrorResponse(await h.post(stranger, "/organization/update", { organizationId: org.id, data: { name: "x" } }), 400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "User is not a member of the organization");
      assertErrorResponse(await h.post(alice, "/organization/update", { organizationId: org.id, data: { slug: other.slug } }), 400, "ORGANIZATION_SLUG_ALREADY_TAKEN", "Organization slug already taken");
      assert.equal((await h.post(alice, "/organization/update", { organizationId: org.id, data: { slug: org.slug } })).status, 200, "its own slug is fine");
    });

    test("without an active or given organization: 400 ORGANIZATION_NOT_FOUND; without a session: 401 {message:'User not found'}", async () => {
      const alice = await h.user();
      assertErrorResponse(await h.post(alice, "/organization/update", { data: { name: "x" } }), 400, "ORGANIZATION_NOT_FOUND", "Organization not found");
      const anon = await h.browser().request(`${API}/organization/update`, { json: { data: { name: "x" } } });
      // routes/crud-org.mjs:198: APIError.fromStatus("UNAUTHORIZED", {message: "User not found"}), no code.
      assertErrorResponse(anon, 401, undefined, "User not found");
    });
  });

  describe("delete", () => {
    test("the owner deletes: the answer is the organization (metadata string), rows are gone, the active organization is cleared", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice, { metadata: { gone: true } });
      const bob = await h.joined(alice, org.id, "admin");
      await h.invite(alice, org.id, await h.user());
      const res = await h.post(alice, "/organization/delete", { organizationId: org.id });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ORG_KEYS);
      assert.equal(res.json.id, org.id);
      assert.equal(res.json.metadata, '{"gone":true}');
      assert.deepEqual(res.setCookies, []);
      for (const table of ["member", "invitation"]) {
        assert.deepEqual(await fx.query(`select "id" from "${table}" where "organizationId" = ?`, [org.id]), [], `${table} rows deleted`);
      }
      assert.deepEqual(await fx.query(`select "id" from "organization" where "id" = ?`, [org.id]), []);
      assert.equal((await h.session(alice)).activeOrganizationId, null);
      // adapter.mjs:405 updates only the deleter's session: another member's session keeps the dangling id.
      assert.equal((await h.session(bob)).activeOrganizationId, org.id);
    });

    test("an admin may not delete (403); a non-member gets 400; a missing organizationId is a validation error", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const admin = await h.joined(alice, org.id, "admin");
      assertErrorResponse(await h.post(admin, "/organization/delete", { organizationId: org.id }), 403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION", "You are not allowed to delete this organization");
      assertErrorResponse(await h.post(await h.user(), "/organization/delete", { organizationId: org.id }), 400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "User is not a member of the organization");
      assertErrorResponse(await h.post(alice, "/organization/delete", {}), 400, "VALIDATION_ERROR", "[body.organizationId] Invalid input: expected string, received undefined");
      assert.equal((await fx.query(`select "id" from "organization" where "id" = ?`, [org.id])).length, 1);
    });
  });

  describe("set-active and the active member", () => {
    test("set-active by id or slug answers the organization and re-issues the session cookie", async () => {
      const alice = await h.user();
      const first = await h.createOrg(alice, { metadata: { n: 1 } });
      const second = await h.createOrg(alice);
      const res = await h.post(alice, "/organization/set-active", { organizationId: first.id });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ORG_KEYS);
      assert.equal(res.json.metadata, '{"n":1}');
      assert.ok(res.setCookies.some((c) => c.name === "better-auth.session_token"), "set-active re-issues session_token");
      assert.equal((await h.session(alice)).activeOrganizationId, first.id);
      const bySlug = await h.post(alice, "/organization/set-active", { organizationSlug: second.slug });
      assert.equal(bySlug.json.id, second.id);
      assert.equal((await h.session(alice)).activeOrganizationId, second.id);
    });

    test("organizationId null unsets it; {} re-checks the current one; nothing active answers null", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const again = await h.post(alice, "/organization/set-active", {});
      assert.equal(again.json.id, org.id);
      const unset = await h.post(alice, "/organization/set-active", { organizationId: null });
      assert.equal(unset.status, 200);
      assert.equal(unset.text, "null");
      assert.equal((await h.session(alice)).activeOrganizationId, null);
      const nothing = await h.post(alice, "/organization/set-active", {});
      assert.equal(nothing.text, "null");
    });

    test("the client sends setActive({}) as a GET, which no route answers (404)", async () => {
      const alice = await h.user();
      await h.createOrg(alice);
      // With no body keys the client picks GET; set-active is POST only.
      const res = await alice.browser.client.organization.setActive({});
      assert.equal(res.data, null);
      assert.equal(res.error.status, 404);
      const byId = await alice.browser.client.organization.setActive({ organizationId: null });
      assert.equal(byId.error, null, "with a key it is a POST");
      assert.equal(byId.data, null);
    });

    test("a non-member gets 403 and the active organization is cleared; an unknown slug is 400 ORGANIZATION_NOT_FOUND", async () => {
      const alice = await h.user();
      const aliceOrg = await h.createOrg(alice);
      const bob = await h.user();
      const bobOrg = await h.createOrg(bob);
      assertErrorResponse(await h.post(bob, "/organization/set-active", { organizationId: aliceOrg.id }), 403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "User is not a member of the organization");
      assert.equal((await h.session(bob)).activeOrganizationId, null, `was ${bobOrg.id}; routes/crud-org.mjs:370 clears it`);
      assertErrorResponse(await h.post(bob, "/organization/set-active", { organizationSlug: `missing-${run}` }), 400, "ORGANIZATION_NOT_FOUND", "Organization not found");
      // An id that names no organization fails the membership check first: 403, not 400.
      assertErrorResponse(await h.post(bob, "/organization/set-active", { organizationId: `missing${run}` }), 403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "User is not a member of the organization");
    });

    test("get-active-member answers the member with its user; get-active-member-role the role; without an active organization 400", async () => {
      const alice = await h.user();
      const none = await h.get(alice, "/organization/get-active-member");
      assertErrorResponse(none, 400, "NO_ACTIVE_ORGANIZATION", "No active organization");
      const org = await h.createOrg(alice);
      const res = await h.get(alice, "/organization/get-active-member");
      assert.equal(res.status, 200, res.text);
      assertMember(res.json, { organizationId: org.id, userId: alice.user.id, role: "owner" }, { withUser: true });
      const role = await h.get(alice, "/organization/get-active-member-role");
      assert.deepEqual(role.json, { role: "owner" });
      const bob = await h.joined(alice, org.id, "admin");
      const bobsRole = await h.get(alice, `/organization/get-active-member-role?userId=${bob.user.id}`);
      assert.deepEqual(bobsRole.json, { role: "admin" });
      const client = await alice.browser.client.organization.getActiveMember();
      assert.equal(client.error, null);
      assert.equal(client.data.role, "owner");
    });
  });

  describe("invitations", () => {
    test("invite-member lower-cases the e-mail, answers the pending invitation and mails its id", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.user();
      const before = Date.now();
      const res = await h.post(alice, "/organization/invite-member", { email: bob.email.toUpperCase(), role: "admin" });
      assert.equal(res.status, 200, res.text);
      // No teamId key without teams: the adapter writes teamId but the schema has no such field.
      assertInvitation(res.json, { organizationId: org.id, email: bob.email.toLowerCase(), role: "admin", status: "pending", inviterId: alice.user.id });
      assertNear(Date.parse(res.json.expiresAt), before + 2 * DAY, 10_000, "expiresAt = now + 48 h");
      const mail = await h.invitationMail(res.json.id);
      assert.deepEqual(
        { to: mail.to, organizationId: mail.organizationId, organizationSlug: mail.organizationSlug, role: mail.role, inviterEmail: mail.inviterEmail },
        { to: bob.email.toLowerCase(), organizationId: org.id, organizationSlug: org.slug, role: "admin", inviterEmail: alice.email.toLowerCase() },
      );
    });

    test("a role list is stored comma-joined; unknown roles are 400 with no code and the names in the message", async () => {
      const alice = await h.user();
      await h.createOrg(alice);
      const multi = await h.post(alice, "/organization/invite-member", { email: newCredentials().email, role: ["admin", " billing"] });
      assert.equal(multi.status, 200, multi.text);
      assert.equal(multi.json.role, "admin,billing", "trimmed and joined; billing is the role from config");
      const unknown = await h.post(alice, "/organization/invite-member", { email: newCredentials().email, role: ["superhero", "member", "ghost"] });
      // routes/crud-invites.mjs:124: new APIError("BAD_REQUEST", {message: `${ROLE_NOT_FOUND}: …`}) has no code.
      assertErrorResponse(unknown, 400, undefined, "ROLE_NOT_FOUND: superhero, ghost");
      const empty = await h.post(alice, "/organization/invite-member", { email: newCredentials().email, role: " , " });
      assertErrorResponse(empty, 400, "ROLE_NOT_FOUND", "Role not found");
    });

    test("who may invite: admins yes but not with the owner role, members never, non-members 400", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const admin = await h.joined(alice, org.id, "admin");
      const plain = await h.joined(alice, org.id, "member");
      assert.equal((await h.post(admin, "/organization/invite-member", { email: newCredentials().email, role: "admin" })).status, 200);
      assertErrorResponse(await h.post(admin, "/organization/invite-member", { email: newCredentials().email, role: "owner" }), 403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE", "You are not allowed to invite a user with this role");
      assert.equal((await h.post(alice, "/organization/invite-member", { email: newCredentials().email, role: "owner" })).status, 200, "the owner may");
      assertErrorResponse(await h.post(plain, "/organization/invite-member", { email: newCredentials().email, role: "member" }), 403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION", "You are not allowed to invite users to this organization");
      const stranger = await h.user();
      assertErrorResponse(await h.post(stranger, "/organization/invite-member", { email: newCredentials().email, role: "member", organizationId: org.id }), 400, "MEMBER_NOT_FOUND", "Member not found");
    });

    test("invalid e-mail 400 INVALID_EMAIL; no active organization 400 ORGANIZATION_NOT_FOUND", async () => {
      const alice = await h.user();
      assertErrorResponse(await h.post(alice, "/organization/invite-member", { email: "bob@example.com", role: "member" }), 400, "ORGANIZATION_NOT_FOUND", "Organization not found");
      await h.createOrg(alice);
      assertErrorResponse(await h.post(alice, "/organization/invite-member", { email: "not-an-email", role: "member" }), 400, "INVALID_EMAIL", "Invalid email");
    });

    test("inviting a member is 400; inviting again while pending is 400 unless resend, which re-arms the same row and mails again", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.joined(alice, org.id);
      assertErrorResponse(await h.post(alice, "/organization/invite-member", { email: bob.email, role: "member" }), 400, "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION", "User is already a member of this organization");
      const carol = await h.user();
      const first = await h.invite(alice, org.id, carol);
      assertErrorResponse(await h.post(alice, "/organization/invite-member", { email: carol.email, role: "admin" }), 400, "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION", "User is already invited to this organization");
      await fx.query(`update "invitation" set "expiresAt" = ? where "id" = ?`, [DB_KIND === "sqlite" ? new Date(Date.now() + DAY).toISOString() : new Date(Date.now() + DAY), first.id]);
      const resent = await h.post(alice, "/organization/invite-member", { email: carol.email, role: "admin", resend: true });
      assert.equal(resent.status, 200, resent.text);
      assert.equal(resent.json.id, first.id, "the same invitation");
      assert.equal(resent.json.role, "member", "resend keeps the old role (routes/crud-invites.mjs:150)");
      assertNear(Date.parse(resent.json.expiresAt), Date.now() + 2 * DAY, 10_000, "expiresAt re-armed");
      assert.equal(h.mails(first.id).length, 2, "mailed again");
      assert.equal((await fx.query(`select "id" from "invitation" where "organizationId" = ?`, [org.id])).length, 2, "no new row (bob's accepted + carol's)");
    });

    test("an expired pending invitation does not block a new one", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.user();
      const old = await h.invite(alice, org.id, bob);
      await h.expire(old.id);
      const fresh = await h.invite(alice, org.id, bob);
      assert.notEqual(fresh.id, old.id);
      const [row] = await fx.query(`select "status" from "invitation" where "id" = ?`, [old.id]);
      assert.equal(row.status, "pending", "no 'expired' status: the old row stays pending");
    });

    test("get-invitation: the recipient sees it with organization name/slug and inviter e-mail; others 403; no session 401", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.user();
      const inv = await h.invite(alice, org.id, bob, "admin");
      const res = await h.get(bob, `/organization/get-invitation?id=${inv.id}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), [...INVITATION_KEYS, "organizationName", "organizationSlug", "inviterEmail"]);
      assert.equal(res.json.organizationName, org.name);
      assert.equal(res.json.organizationSlug, org.slug);
      assert.equal(res.json.inviterEmail, alice.email.toLowerCase());
      assertErrorResponse(await h.get(alice, `/organization/get-invitation?id=${inv.id}`), 403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION", "You are not the recipient of the invitation");
      assertErrorResponse(await h.browser().request(`${API}/organization/get-invitation?id=${inv.id}`), 401, undefined, "Not authenticated");
      assertErrorResponse(await h.get(bob, `/organization/get-invitation?id=missing${run}`), 400, "INVITATION_NOT_FOUND", "Invitation not found");
      await h.expire(inv.id);
      assertErrorResponse(await h.get(bob, `/organization/get-invitation?id=${inv.id}`), 400, "INVITATION_NOT_FOUND", "Invitation not found");
    });

    test("get-invitation: an inviter who left makes it 400 INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const admin = await h.joined(alice, org.id, "admin");
      const bob = await h.user();
      const inv = await h.invite(admin, org.id, bob);
      assert.equal((await h.post(admin, "/organization/leave", { organizationId: org.id })).status, 200);
      assertErrorResponse(await h.get(bob, `/organization/get-invitation?id=${inv.id}`), 400, "INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION", "Inviter is no longer a member of the organization");
    });

    test("list-invitations: every status for the owner; members 403; non-members 403 without code; no organization 400 without code", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const plain = await h.joined(alice, org.id);
      const rejected = await h.invite(alice, org.id, await h.user());
      const canceled = await h.invite(alice, org.id, await h.user());
      assert.equal((await h.post(alice, "/organization/cancel-invitation", { invitationId: canceled.id })).status, 200);
      const res = await h.get(alice, "/organization/list-invitations");
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.map((i) => i.status).sort(), ["accepted", "canceled", "pending"]);
      assert.ok(res.json.some((i) => i.id === rejected.id));
      for (const i of res.json) assertInvitation(i);
      assertErrorResponse(await h.get(plain, "/organization/list-invitations"), 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS", "You are not allowed to list invitations for this organization");
      const stranger = await h.user();
      assertErrorResponse(await h.get(stranger, `/organization/list-invitations?organizationId=${org.id}`), 403, undefined, "You are not a member of this organization");
      assertErrorResponse(await h.get(stranger, "/organization/list-invitations"), 400, undefined, "Organization ID is required");
    });

    test("list-user-invitations: only with a verified e-mail; pending ones with organizationName; ?email from a browser is 400", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.user();
      const inv = await h.invite(alice, org.id, bob);
      assertErrorResponse(await h.get(bob, "/organization/list-user-invitations"), 403, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION", "Email verification required to view or list invitations for the session email");
      await h.verifyEmail(bob);
      const res = await h.get(bob, "/organization/list-user-invitations");
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.map((i) => i.id), [inv.id]);
      assert.deepEqual(Object.keys(res.json[0]), [...INVITATION_KEYS, "organizationName"]);
      assert.equal(res.json[0].organizationName, org.name);
      assertErrorResponse(await h.get(bob, `/organization/list-user-invitations?email=${encodeURIComponent(bob.email)}`), 400, undefined, "User email cannot be passed for client side API calls.");
      assertErrorResponse(await h.browser().request(`${API}/organization/list-user-invitations`), 400, undefined, "Missing session headers, or email query parameter.");
      await h.expire(inv.id);
      // routes/crud-invites.mjs:612 filters on status only: an expired pending invitation is still listed.
      assert.deepEqual((await h.get(bob, "/organization/list-user-invitations")).json.map((i) => i.id), [inv.id]);
      await h.post(bob, "/organization/reject-invitation", { invitationId: inv.id });
      assert.deepEqual((await h.get(bob, "/organization/list-user-invitations")).json, [], "only pending ones");
    });

    test("accept: {invitation, member}, the member has no user, the active organization is set without a cookie; twice is 400", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.user();
      const inv = await h.invite(alice, org.id, bob, ["admin", "billing"]);
      const res = await h.post(bob, "/organization/accept-invitation", { invitationId: inv.id });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ["invitation", "member"]);
      assertInvitation(res.json.invitation, { id: inv.id, status: "accepted" });
      assertMember(res.json.member, { organizationId: org.id, userId: bob.user.id, role: "admin,billing" });
      assert.deepEqual(res.setCookies, []);
      assert.equal((await h.session(bob)).activeOrganizationId, org.id);
      assertErrorResponse(await h.post(bob, "/organization/accept-invitation", { invitationId: inv.id }), 400, "INVITATION_NOT_FOUND", "Invitation not found");
    });

    test("accept by someone else is 403; an expired invitation is 400; the e-mail match ignores case", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.user();
      const inv = await h.invite(alice, org.id, bob);
      assertErrorResponse(await h.post(await h.user(), "/organization/accept-invitation", { invitationId: inv.id }), 403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION", "You are not the recipient of the invitation");
      const carol = await h.user();
      const expired = await h.invite(alice, org.id, carol);
      await h.expire(expired.id);
      assertErrorResponse(await h.post(carol, "/organization/accept-invitation", { invitationId: expired.id }), 400, "INVITATION_NOT_FOUND", "Invitation not found");
      // bob signed up as "…@Example.COM"; the invitation holds the lower-cased address.
      assert.equal((await h.post(bob, "/organization/accept-invitation", { invitationId: inv.id })).status, 200);
    });

    test("through the client: acceptInvitation and getInvitation", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.user();
      const inv = await h.invite(alice, org.id, bob);
      const got = await bob.browser.client.organization.getInvitation({ query: { id: inv.id } });
      assert.equal(got.error, null);
      assert.equal(got.data.organizationSlug, org.slug);
      const accepted = await bob.browser.client.organization.acceptInvitation({ invitationId: inv.id });
      assert.equal(accepted.error, null);
      assert.equal(accepted.data.member.role, "member");
      assertClientError(await bob.browser.client.organization.acceptInvitation({ invitationId: inv.id }), 400, "INVITATION_NOT_FOUND", "Invitation not found");
    });

    test("reject: {invitation, member:null}; twice is 400 'Invitation not found!'; expiry is not checked", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.user();
      const inv = await h.invite(alice, org.id, bob);
      const res = await h.post(bob, "/organization/reject-invitation", { invitationId: inv.id });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ["invitation", "member"]);
      assertInvitation(res.json.invitation, { id: inv.id, status: "rejected" });
      assert.equal(res.json.member, null);
      // routes/crud-invites.mjs:383: its own message, with a "!".
      assertErrorResponse(await h.post(bob, "/organization/reject-invitation", { invitationId: inv.id }), 400, "INVITATION_NOT_FOUND", "Invitation not found!");
      const carol = await h.user();
      const expired = await h.invite(alice, org.id, carol);
      await h.expire(expired.id);
      const late = await h.post(carol, "/organization/reject-invitation", { invitationId: expired.id });
      assert.equal(late.status, 200, "reject does not look at expiresAt (routes/crud-invites.mjs:382)");
      assertErrorResponse(await h.post(alice, "/organization/reject-invitation", { invitationId: (await h.invite(alice, org.id, await h.user())).id }), 403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION", "You are not the recipient of the invitation");
    });

    test("cancel: the invitation with status canceled, whatever its status was; members 403; non-members 400", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const plain = await h.joined(alice, org.id);
      const inv = await h.invite(alice, org.id, await h.user());
      assertErrorResponse(await h.post(plain, "/organization/cancel-invitation", { invitationId: inv.id }), 403, "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION", "You are not allowed to cancel this invitation");
      assertErrorResponse(await h.post(await h.user(), "/organization/cancel-invitation", { invitationId: inv.id }), 400, "MEMBER_NOT_FOUND", "Member not found");
      const res = await h.post(alice, "/organization/cancel-invitation", { invitationId: inv.id });
      assert.equal(res.status, 200, res.text);
      assertInvitation(res.json, { id: inv.id, status: "canceled" });
      assertErrorResponse(await h.post(alice, "/organization/cancel-invitation", { invitationId: `missing${run}` }), 400, "INVITATION_NOT_FOUND", "Invitation not found");
      // routes/crud-invites.mjs:434-455: no status check, an accepted invitation becomes "canceled" too.
      const [accepted] = await fx.query(`select "id" from "invitation" where "organizationId" = ? and "status" = 'accepted'`, [org.id]);
      const late = await h.post(alice, "/organization/cancel-invitation", { invitationId: accepted.id });
      assert.equal(late.json.status, "canceled");
      assert.equal((await h.get(plain, "/organization/get-active-member")).json.role, "member", "the membership stays");
    });
  });

  describe("members", () => {
    test("add-member is server-only: POST /organization/add-member is 404", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const res = await h.post(alice, "/organization/add-member", { userId: (await h.user()).user.id, role: "member", organizationId: org.id });
      assert.equal(res.status, 404);
    });

    test("remove-member by id answers the member without user; by e-mail with user; the row is gone", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.joined(alice, org.id);
      const carol = await h.joined(alice, org.id);
      const byId = await h.post(alice, "/organization/remove-member", { memberIdOrEmail: bob.member.id });
      assert.equal(byId.status, 200, byId.text);
      assert.deepEqual(Object.keys(byId.json), ["member"]);
      // routes/crud-members.mjs:188 strips user from findMemberById; findMemberByEmail keeps it.
      assertMember(byId.json.member, { id: bob.member.id, role: "member" });
      const byEmail = await h.post(alice, "/organization/remove-member", { memberIdOrEmail: carol.email.toUpperCase() });
      assert.equal(byEmail.status, 200, byEmail.text);
      assertMember(byEmail.json.member, { id: carol.member.id }, { withUser: true });
      assert.deepEqual((await h.get(alice, "/organization/list-members")).json.members.map((m) => m.userId), [alice.user.id]);
      // A removed user's own session keeps the dangling active organization (only the caller's is cleared).
      assert.equal((await h.session(bob)).activeOrganizationId, org.id);
      assertErrorResponse(await h.get(bob, "/organization/get-active-member"), 400, "MEMBER_NOT_FOUND", "Member not found");
      assertErrorResponse(await h.get(bob, "/organization/get-full-organization"), 403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "User is not a member of the organization");
      assert.equal((await h.session(bob)).activeOrganizationId, null, "get-full-organization clears the dangling id");
    });

    test("a member without member:delete gets 401 (not 403) YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.joined(alice, org.id);
      const carol = await h.joined(alice, org.id);
      // routes/crud-members.mjs:205: APIError.from("UNAUTHORIZED", YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER)
      assertErrorResponse(await h.post(bob, "/organization/remove-member", { memberIdOrEmail: carol.member.id }), 401, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER", "You are not allowed to delete this member");
      assertErrorResponse(await h.post(bob, "/organization/remove-member", { memberIdOrEmail: bob.member.id }), 401, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER", "You are not allowed to delete this member");
    });

    test("owners: an admin removing one gets 400 '…AS_THE_ONLY_OWNER' even when there are two; the last owner cannot be removed", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const admin = await h.joined(alice, org.id, "admin");
      const second = await h.joined(alice, org.id, "owner");
      const [aliceMember] = (await h.get(alice, "/organization/list-members")).json.members.filter((m) => m.userId === alice.user.id);
      // routes/crud-members.mjs:196: a non-owner targeting an owner gets the "only owner" code.
      assertErrorResponse(await h.post(admin, "/organization/remove-member", { memberIdOrEmail: aliceMember.id }), 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", "You cannot leave the organization as the only owner");
      assert.equal((await h.post(second, "/organization/remove-member", { memberIdOrEmail: aliceMember.id })).status, 200, "an owner may remove another owner");
      assertErrorResponse(await h.post(second, "/organization/remove-member", { memberIdOrEmail: second.member.id }), 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", "You cannot leave the organization as the only owner");
    });

    test("remove-member: unknown member 400; a member of another organization 400 MEMBER_NOT_FOUND, but an owner there trips the owner rule first", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.user();
      const bobsOrg = await h.createOrg(bob);
      const bobMember = (await h.get(bob, "/organization/get-active-member")).json;
      const carol = await h.joined(bob, bobsOrg.id);
      assertErrorResponse(await h.post(alice, "/organization/remove-member", { memberIdOrEmail: `missing${run}` }), 400, "MEMBER_NOT_FOUND", "Member not found");
      // routes/crud-members.mjs:206: the organization of a member found by id is compared last.
      assertErrorResponse(await h.post(alice, "/organization/remove-member", { memberIdOrEmail: carol.member.id, organizationId: org.id }), 400, "MEMBER_NOT_FOUND", "Member not found");
      // routes/crud-members.mjs:195-198 run before that: bob is an owner (of his own organization), and
      // the owners counted are those of alice's organization, where alice is the only one.
      assertErrorResponse(await h.post(alice, "/organization/remove-member", { memberIdOrEmail: bobMember.id, organizationId: org.id }), 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", "You cannot leave the organization as the only owner");
      assert.equal((await h.get(bob, "/organization/list-members")).json.total, 2, "nothing was removed");
      assertErrorResponse(await h.post(await h.user(), "/organization/remove-member", { memberIdOrEmail: bobMember.id }), 400, "NO_ACTIVE_ORGANIZATION", "No active organization");
    });

    test("update-member-role: a role list is comma-joined; the answer is the bare member", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.joined(alice, org.id);
      const res = await h.post(alice, "/organization/update-member-role", { memberId: bob.member.id, role: ["admin", "billing"] });
      assert.equal(res.status, 200, res.text);
      assertMember(res.json, { id: bob.member.id, role: "admin,billing", organizationId: org.id });
      const [row] = await fx.query(`select "role" from "member" where "id" = ?`, [bob.member.id]);
      assert.equal(row.role, "admin,billing");
      const client = await alice.browser.client.organization.updateMemberRole({ memberId: bob.member.id, role: "member" });
      assert.equal(client.error, null);
      assert.equal(client.data.role, "member");
    });

    test("update-member-role: owner rules, member:update, and ROLE_NOT_FOUND with a code", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const admin = await h.joined(alice, org.id, "admin");
      const plain = await h.joined(alice, org.id, "member");
      const aliceMember = (await h.get(alice, "/organization/get-active-member")).json;
      const denied = ["YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER", "You are not allowed to update this member"];
      assertErrorResponse(await h.post(admin, "/organization/update-member-role", { memberId: plain.member.id, role: "owner" }), 403, ...denied);
      assertErrorResponse(await h.post(admin, "/organization/update-member-role", { memberId: aliceMember.id, role: "member" }), 403, ...denied);
      assertErrorResponse(await h.post(plain, "/organization/update-member-role", { memberId: admin.member.id, role: "member" }), 403, ...denied);
      assert.equal((await h.post(admin, "/organization/update-member-role", { memberId: plain.member.id, role: "admin" })).status, 200, "admins have member:update");
      assertErrorResponse(await h.post(alice, "/organization/update-member-role", { memberId: aliceMember.id, role: "admin" }), 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER", "You cannot leave the organization without an owner");
      // routes/crud-members.mjs:328: unlike invite-member, this ROLE_NOT_FOUND carries a code.
      assertErrorResponse(await h.post(alice, "/organization/update-member-role", { memberId: plain.member.id, role: ["ghost", "admin"] }), 400, "ROLE_NOT_FOUND", "ROLE_NOT_FOUND: ghost");
      const empty = await h.post(alice, "/organization/update-member-role", { memberId: plain.member.id, role: "" });
      assert.equal(empty.status, 400);
      assert.equal(empty.text, "", "an empty role is a bare 400 (routes/crud-members.mjs:270)");
      assertErrorResponse(await h.post(alice, "/organization/update-member-role", { memberId: `missing${run}`, role: "admin" }), 400, "MEMBER_NOT_FOUND", "Member not found");
    });

    test("leave: answers the member with user and clears the active organization; the last owner cannot leave", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.joined(alice, org.id, "admin");
      const res = await h.post(bob, "/organization/leave", { organizationId: org.id });
      assert.equal(res.status, 200, res.text);
      assertMember(res.json, { id: bob.member.id, userId: bob.user.id, role: "admin" }, { withUser: true });
      assert.deepEqual(res.setCookies, []);
      assert.equal((await h.session(bob)).activeOrganizationId, null);
      assertErrorResponse(await h.post(bob, "/organization/leave", { organizationId: org.id }), 400, "MEMBER_NOT_FOUND", "Member not found");
      assertErrorResponse(await h.post(alice, "/organization/leave", { organizationId: org.id }), 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", "You cannot leave the organization as the only owner");
      assertErrorResponse(await h.browser().request(`${API}/organization/leave`, { json: { organizationId: org.id } }), 401, "UNAUTHORIZED", "Unauthorized");
    });

    test("list-members: {members, total}, limit/offset, sortBy/sortDirection, filter; unknown fields 500; non-members 403", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const admin = await h.joined(alice, org.id, "admin");
      const m1 = await h.joined(alice, org.id, "member");
      const m2 = await h.joined(alice, org.id, "member");
      const all = await h.get(alice, "/organization/list-members");
      assert.equal(all.status, 200, all.text);
      assert.deepEqual(Object.keys(all.json), ["members", "total"]);
      assert.equal(all.json.total, 4);
      for (const m of all.json.members) assertMember(m, { organizationId: org.id }, { withUser: true });
      const byCreated = await h.get(alice, `/organization/list-members?sortBy=createdAt&sortDirection=desc&organizationId=${org.id}`);
      assert.deepEqual(byCreated.json.members.map((m) => m.userId), [m2.user.id, m1.user.id, admin.user.id, alice.user.id]);
      const page = await h.get(alice, "/organization/list-members?sortBy=createdAt&limit=2&offset=1");
      assert.equal(page.json.total, 4, "total counts every member, not the page");
      assert.deepEqual(page.json.members.map((m) => m.userId), [admin.user.id, m1.user.id]);
      const filtered = await h.get(alice, "/organization/list-members?filterField=role&filterValue=member&sortBy=createdAt");
      assert.equal(filtered.json.total, 2);
      assert.deepEqual(filtered.json.members.map((m) => m.userId), [m1.user.id, m2.user.id]);
      const ne = await h.get(alice, "/organization/list-members?filterField=role&filterOperator=ne&filterValue=member");
      assert.equal(ne.json.total, 2);
      const bySlug = await h.get(alice, `/organization/list-members?organizationSlug=${org.slug}&limit=1`);
      assert.equal(bySlug.json.members.length, 1);
      // adapter.mjs:195-205 hands filterField/sortBy to the database adapter unchecked: a field the
      // member model does not have is a 500 with an empty body (Tessera may prefer a 400; see the notes).
      for (const q of ["filterField=nope&filterValue=x", "sortBy=nope"]) {
        const bad = await h.get(alice, `/organization/list-members?${q}`);
        assert.equal(bad.status, 500, q);
        assert.equal(bad.text, "");
      }
      assertErrorResponse(await h.get(await h.user(), `/organization/list-members?organizationId=${org.id}`), 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", "You are not a member of this organization");
      assertErrorResponse(await h.get(await h.user(), "/organization/list-members"), 400, "NO_ACTIVE_ORGANIZATION", "No active organization");
    });
  });

  describe("has-permission", () => {
    const check = async (who, permissions, organizationId) => {
      const res = await h.post(who, "/organization/has-permission", { permissions, ...(organizationId ? { organizationId } : {}) });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ["error", "success"]);
      assert.equal(res.json.error, null);
      return res.json.success;
    };

    test("owner, admin and member follow the default statements; every listed action and resource must be granted", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const admin = await h.joined(alice, org.id, "admin");
      const plain = await h.joined(alice, org.id, "member");
      const table = [
        [{ organization: ["delete"] }, true, false, false],
        [{ organization: ["update"] }, true, true, false],
        [{ member: ["create", "update", "delete"] }, true, true, false],
        [{ invitation: ["create"], team: ["create"] }, true, true, false],
        [{ ac: ["read"] }, true, true, true],
        [{ ac: ["read", "create"] }, true, true, false],
        [{ organization: ["update"], ac: ["read"] }, true, true, false],
        [{ project: ["read"] }, false, false, false],
        [{ organization: [] }, false, false, false],
      ];
      for (const [permissions, owner, adm, mem] of table) {
        assert.equal(await check(alice, permissions), owner, `owner ${JSON.stringify(permissions)}`);
        assert.equal(await check(admin, permissions), adm, `admin ${JSON.stringify(permissions)}`);
        assert.equal(await check(plain, permissions), mem, `member ${JSON.stringify(permissions)}`);
      }
    });

    test("a static role from config grants its own statements; roles of a comma list are OR-ed; the owner does not gain config resources", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const billing = await h.joined(alice, org.id, "billing");
      const both = await h.joined(alice, org.id, ["member", "billing"]);
      assert.equal(await check(billing, { billing: ["read", "write"] }), true);
      assert.equal(await check(billing, { organization: ["update"] }), true);
      assert.equal(await check(billing, { ac: ["read"] }), false, "billing has no ac statement");
      assert.equal(await check(both, { ac: ["read"] }), true, "from member");
      assert.equal(await check(both, { billing: ["write"] }), true, "from billing");
      assert.equal(await check(both, { ac: ["read"], billing: ["write"] }), false, "one role must grant the whole request");
      assert.equal(await check(alice, { billing: ["read"] }), false, "owner's statements are the defaults only");
    });

    test("non-members get 401 USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION; no organization 400; both keys a validation error", async () => {
      const alice = await h.user();
      const org = await h.createOrg(alice);
      const bob = await h.user();
      assertErrorResponse(await h.post(bob, "/organization/has-permission", { permissions: { ac: ["read"] }, organizationId: org.id }), 401, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "User is not a member of the organization");
      assertErrorResponse(await h.post(bob, "/organization/has-permission", { permissions: { ac: ["read"] } }), 400, "NO_ACTIVE_ORGANIZATION", "No active organization");
      // organization.mjs:19: z.xor of {permission} and {permissions}.
      assertErrorResponse(await h.post(alice, "/organization/has-permission", { permissions: { ac: ["read"] }, permission: { ac: ["read"] } }), 400, "VALIDATION_ERROR", "[body] Invalid input: more than one option matched");
      // The deprecated `permission` key passes validation but is never read (organization.mjs:69
      // passes ctx.body.permissions): always success false, even for the owner.
      const deprecated = await h.post(alice, "/organization/has-permission", { permission: { ac: ["read"] } });
      assert.equal(deprecated.status, 200);
      assert.deepEqual(deprecated.json, { error: null, success: false });
      assertErrorResponse(await h.browser().request(`${API}/organization/has-permission`, { json: { permissions: { ac: ["read"] } } }), 401, "UNAUTHORIZED", "Unauthorized");
    });

    test("through the client: organization.hasPermission", async () => {
      const alice = await h.user();
      await h.createOrg(alice);
      const res = await alice.browser.client.organization.hasPermission({ permissions: { organization: ["delete"] } });
      assert.equal(res.error, null);
      assert.deepEqual(res.data, { error: null, success: true });
    });
  });

  test("team and role endpoints do not exist without teams / dynamic access control (404)", async () => {
    const alice = await h.user();
    await h.createOrg(alice);
    for (const [path, json] of [
      ["/organization/create-team", { name: "t" }],
      ["/organization/list-teams", undefined],
      ["/organization/set-active-team", { teamId: null }],
      ["/organization/create-role", { role: "r", permission: { member: ["create"] } }],
      ["/organization/list-roles", undefined],
    ]) {
      const res = json === undefined ? await h.get(alice, path) : await h.post(alice, path, json);
      assert.equal(res.status, 404, path);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("limits: organization_limit, membership_limit, invitation_limit, invitation_expires_in", () => {
  const fx = useServer({ plugins: PLUGINS, organization: { organization_limit: 2, membership_limit: 3, invitation_limit: 2, invitation_expires_in: 3600 } });
  const h = helpers(fx);

  test("a user in organization_limit organizations gets 403 on create", async () => {
    const alice = await h.user();
    await h.createOrg(alice);
    await h.createOrg(alice);
    assertErrorResponse(await h.post(alice, "/organization/create", { name: "Third", slug: newSlug() }), 403, "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS", "You have reached the maximum number of organizations");
  });

  test("memberships count too: a member of two organizations cannot create one", async () => {
    const alice = await h.user();
    const bob = await h.user();
    const o1 = await h.createOrg(alice);
    const o2 = await h.createOrg(bob);
    const carol = await h.user();
    for (const [owner, org] of [[alice, o1], [bob, o2]]) {
      const inv = await h.invite(owner, org.id, carol);
      assert.equal((await h.post(carol, "/organization/accept-invitation", { invitationId: inv.id })).status, 200);
    }
    assertErrorResponse(await h.post(carol, "/organization/create", { name: "Mine", slug: newSlug() }), 403, "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS", "You have reached the maximum number of organizations");
  });

  test("invitation_expires_in sets expiresAt; invitation_limit counts pending unexpired invitations (403)", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const before = Date.now();
    const first = await h.invite(alice, org.id, await h.user());
    assertNear(Date.parse(first.expiresAt), before + 3_600_000, 10_000, "expiresAt = now + 3600 s");
    await h.invite(alice, org.id, await h.user());
    assertErrorResponse(await h.post(alice, "/organization/invite-member", { email: newCredentials().email, role: "member" }), 403, "INVITATION_LIMIT_REACHED", "Invitation limit reached");
    await h.expire(first.id);
    assert.equal((await h.post(alice, "/organization/invite-member", { email: newCredentials().email, role: "member" })).status, 200, "an expired one no longer counts");
    const [{ n }] = await fx.query(`select count(*) as n from "invitation" where "organizationId" = ? and "status" = 'pending'`, [org.id]);
    assert.equal(Number(n), 3);
  });

  test("membership_limit: accepting into a full organization is 403 and the invitation stays pending", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const bob = await h.user();
    const carol = await h.user();
    const dave = await h.user();
    const invs = [];
    for (const u of [bob, carol]) invs.push(await h.invite(alice, org.id, u));
    assert.equal((await h.post(bob, "/organization/accept-invitation", { invitationId: invs[0].id })).status, 200);
    assert.equal((await h.post(carol, "/organization/accept-invitation", { invitationId: invs[1].id })).status, 200);
    const late = await h.invite(alice, org.id, dave);
    assertErrorResponse(await h.post(dave, "/organization/accept-invitation", { invitationId: late.id }), 403, "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED", "Organization membership limit reached");
    const [row] = await fx.query(`select "status" from "invitation" where "id" = ?`, [late.id]);
    assert.equal(row.status, "pending");
    // adapter.mjs:200: list-members pages by the numeric membership_limit when no limit is given.
    assert.equal((await h.get(alice, "/organization/list-members")).json.members.length, 3);
  });
});

// ---------------------------------------------------------------------------------------------
describe("allow_user_to_create_organization = false", () => {
  const fx = useServer({ plugins: PLUGINS, organization: { allow_user_to_create_organization: false } });
  const h = helpers(fx);

  test("create is 403 YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION; nothing is written", async () => {
    const alice = await h.user();
    assertErrorResponse(await h.post(alice, "/organization/create", { name: "Nope", slug: newSlug() }), 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION", "You are not allowed to create a new organization");
    assert.deepEqual(await fx.query(`select "id" from "organization"`), []);
    assert.deepEqual((await h.get(alice, "/organization/list")).json, []);
  });
});

// ---------------------------------------------------------------------------------------------
describe("disable_organization_deletion, cancel_pending_invitations_on_re_invite, require_email_verification_on_invitation", () => {
  const fx = useServer({
    plugins: PLUGINS,
    organization: { disable_organization_deletion: true, cancel_pending_invitations_on_re_invite: true, require_email_verification_on_invitation: true },
  });
  const h = helpers(fx);

  test("delete is 404 ORGANIZATION_DELETION_DISABLED, before any session or permission check", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    assertErrorResponse(await h.post(alice, "/organization/delete", { organizationId: org.id }), 404, "ORGANIZATION_DELETION_DISABLED", "Organization deletion is disabled");
    // routes/crud-org.mjs:255: the option is checked before getSession.
    assertErrorResponse(await h.browser().request(`${API}/organization/delete`, { json: { organizationId: org.id } }), 404, "ORGANIZATION_DELETION_DISABLED", "Organization deletion is disabled");
    assert.equal((await fx.query(`select "id" from "organization" where "id" = ?`, [org.id])).length, 1);
  });

  test("re-inviting cancels the pending invitation and creates a new one", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const bob = await h.user();
    const first = await h.invite(alice, org.id, bob, "member");
    const second = await h.invite(alice, org.id, bob, "admin");
    assert.notEqual(second.id, first.id);
    assert.equal(second.role, "admin");
    const rows = await fx.query(`select "id", "status" from "invitation" where "organizationId" = ?`, [org.id]);
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.id, r.status])), { [first.id]: "canceled", [second.id]: "pending" });
  });

  test("an unverified recipient gets 403 on get-invitation, accept and reject; verified, accept works", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const bob = await h.user();
    const inv = await h.invite(alice, org.id, bob);
    assertErrorResponse(await h.get(bob, `/organization/get-invitation?id=${inv.id}`), 403, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION", "Email verification required to view or list invitations for the session email");
    const needed = ["EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION", "Email verification required before accepting or rejecting invitation"];
    assertErrorResponse(await h.post(bob, "/organization/accept-invitation", { invitationId: inv.id }), 403, ...needed);
    assertErrorResponse(await h.post(bob, "/organization/reject-invitation", { invitationId: inv.id }), 403, ...needed);
    await h.verifyEmail(bob);
    assert.equal((await h.get(bob, `/organization/get-invitation?id=${inv.id}`)).status, 200);
    assert.equal((await h.post(bob, "/organization/accept-invitation", { invitationId: inv.id })).status, 200);
  });
});

// ---------------------------------------------------------------------------------------------
describe("teams (enabled, maximum_teams = 3)", () => {
  const fx = useServer({ plugins: PLUGINS, organization: { teams: { enabled: true, maximum_teams: 3 } } });
  const h = helpers(fx);
  const teamsOf = async (who, orgId) => (await h.get(who, `/organization/list-teams?organizationId=${orgId}`)).json;

  test("create makes a default team named after the organization, with the creator in it and active", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice, { name: "Team Org" });
    const teams = await teamsOf(alice, org.id);
    assert.equal(teams.length, 1);
    assert.deepEqual(Object.keys(teams[0]), TEAM_KEYS);
    assert.equal(teams[0].name, "Team Org");
    assert.equal(teams[0].updatedAt, null, "the default team has no updatedAt");
    const session = await h.session(alice);
    assert.deepEqual(Object.keys(session).sort(), [...sessionKeys(), "activeOrganizationId", "activeTeamId"].sort());
    assert.equal(session.activeOrganizationId, org.id);
    assert.equal(session.activeTeamId, teams[0].id);
    const full = (await h.get(alice, "/organization/get-full-organization")).json;
    assert.deepEqual(Object.keys(full), [...ORG_KEYS, "invitations", "members", "teams"]);
    // memberCount is returned:false in the schema, yet get-full-organization's join returns it.
    assert.deepEqual(Object.keys(full.teams[0]), ["name", "memberCount", "organizationId", "createdAt", "updatedAt", "id"]);
    assert.equal(full.teams[0].memberCount, 1);
    const members = await h.get(alice, `/organization/list-team-members?teamId=${teams[0].id}`);
    assert.equal(members.status, 200, members.text);
    assert.deepEqual(members.json.map((m) => Object.keys(m)), [["teamId", "userId", "createdAt", "id"]]);
    assert.equal(members.json[0].userId, alice.user.id);
  });

  test("create-team answers the team; maximum_teams counts the default team (400 at the limit)", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const res = await h.post(alice, "/organization/create-team", { name: "Blue" });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), TEAM_KEYS);
    assert.equal(res.json.organizationId, org.id);
    assert.equal(res.json.updatedAt, res.json.createdAt, "a created team starts with updatedAt = createdAt");
    assert.equal((await h.post(alice, "/organization/create-team", { name: "Green" })).status, 200);
    assertErrorResponse(await h.post(alice, "/organization/create-team", { name: "Red" }), 400, "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS", "You have reached the maximum number of teams");
    assert.equal((await teamsOf(alice, org.id)).length, 3);
  });

  test("create-team: members 403; non-members 403 with the invite code; no session 401 with an empty body", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const plain = await h.joined(alice, org.id);
    assertErrorResponse(await h.post(plain, "/organization/create-team", { name: "x", organizationId: org.id }), 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION", "You are not allowed to create teams in this organization");
    // routes/crud-team.mjs:84: a non-member gets YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION.
    assertErrorResponse(await h.post(await h.user(), "/organization/create-team", { name: "x", organizationId: org.id }), 403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION", "You are not allowed to invite users to this organization");
    const anon = await h.browser().request(`${API}/organization/create-team`, { json: { name: "x", organizationId: org.id } });
    assert.equal(anon.status, 401);
    assert.equal(anon.text, "");
    const team = (await h.post(alice, "/organization/create-team", { name: "Kept" })).json;
    const anonRemove = await h.browser().request(`${API}/organization/remove-team`, { json: { teamId: team.id, organizationId: org.id } });
    assert.equal(anonRemove.status, 401);
    assert.equal(anonRemove.text, "");
    // routes/crud-team.mjs:158-159: remove-team looks for an organization before the session.
    assertErrorResponse(await h.browser().request(`${API}/organization/remove-team`, { json: { teamId: team.id } }), 400, "NO_ACTIVE_ORGANIZATION", "No active organization");
    assertErrorResponse(await h.get({ browser: h.browser() }, "/organization/list-teams"), 401, "UNAUTHORIZED", "Unauthorized");
  });

  test("update-team renames and moves updatedAt; members 403; another org's team 400", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const team = (await h.post(alice, "/organization/create-team", { name: "Old" })).json;
    const res = await h.post(alice, "/organization/update-team", { teamId: team.id, data: { name: "New" } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), [...TEAM_KEYS].sort());
    assert.equal(res.json.name, "New");
    assert.ok(Date.parse(res.json.updatedAt) >= Date.parse(team.updatedAt));
    const plain = await h.joined(alice, org.id);
    assertErrorResponse(await h.post(plain, "/organization/update-team", { teamId: team.id, data: { name: "x" } }), 403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM", "You are not allowed to update this team");
    const bob = await h.user();
    const bobsTeam = (await teamsOf(bob, (await h.createOrg(bob)).id))[0];
    assertErrorResponse(await h.post(alice, "/organization/update-team", { teamId: bobsTeam.id, data: { name: "x" } }), 400, "TEAM_NOT_FOUND", "Team not found");
  });

  test("remove-team: not the caller's active team (403), not the last one (400); otherwise a message", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const [defaultTeam] = await teamsOf(alice, org.id);
    const extra = (await h.post(alice, "/organization/create-team", { name: "Extra" })).json;
    // routes/crud-team.mjs:166: the session's activeTeamId (the default team, set by create) is protected.
    assertErrorResponse(await h.post(alice, "/organization/remove-team", { teamId: defaultTeam.id }), 403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM", "You are not allowed to delete this team");
    const res = await h.post(alice, "/organization/remove-team", { teamId: extra.id });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { message: "Team removed successfully." });
    assert.equal((await h.post(alice, "/organization/set-active-team", { teamId: null })).status, 200);
    assertErrorResponse(await h.post(alice, "/organization/remove-team", { teamId: defaultTeam.id }), 400, "UNABLE_TO_REMOVE_LAST_TEAM", "Unable to remove last team");
  });

  test("add-team-member: only organization members; repeating answers the same row; remove-team-member; list-user-teams", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const team = (await h.post(alice, "/organization/create-team", { name: "Squad" })).json;
    const bob = await h.joined(alice, org.id);
    const outsider = await h.user();
    assertErrorResponse(await h.post(alice, "/organization/add-team-member", { teamId: team.id, userId: outsider.user.id }), 400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "User is not a member of the organization");
    const res = await h.post(alice, "/organization/add-team-member", { teamId: team.id, userId: bob.user.id });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ["teamId", "userId", "createdAt", "id"]);
    const again = await h.post(alice, "/organization/add-team-member", { teamId: team.id, userId: bob.user.id });
    assert.equal(again.json.id, res.json.id, "idempotent");
    assertErrorResponse(await h.post(bob, "/organization/add-team-member", { teamId: team.id, userId: bob.user.id }), 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER", "You are not allowed to create a new member");
    const bobsTeams = await h.get(bob, "/organization/list-user-teams");
    assert.deepEqual(bobsTeams.json.map((t) => t.id), [team.id]);
    const removed = await h.post(alice, "/organization/remove-team-member", { teamId: team.id, userId: bob.user.id });
    assert.deepEqual(removed.json, { message: "Team member removed successfully." });
    assertErrorResponse(await h.post(alice, "/organization/remove-team-member", { teamId: team.id, userId: bob.user.id }), 400, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM", "User is not a member of the team");
  });

  test("set-active-team: a team member gets the team and a cookie; others 403; null unsets", async () => {
    const alice = await h.user();
    await h.createOrg(alice);
    const team = (await h.post(alice, "/organization/create-team", { name: "Active" })).json;
    assertErrorResponse(await h.post(alice, "/organization/set-active-team", { teamId: team.id }), 403, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM", "User is not a member of the team");
    await h.post(alice, "/organization/add-team-member", { teamId: team.id, userId: alice.user.id });
    const res = await h.post(alice, "/organization/set-active-team", { teamId: team.id });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, team.id);
    assert.ok(res.setCookies.some((c) => c.name === "better-auth.session_token"));
    assert.equal((await h.session(alice)).activeTeamId, team.id);
    const unset = await h.post(alice, "/organization/set-active-team", { teamId: null });
    assert.equal(unset.text, "null");
    assert.equal((await h.session(alice)).activeTeamId, null);
    assertErrorResponse(await h.post(alice, "/organization/set-active-team", { teamId: `missing${run}` }), 400, "TEAM_NOT_FOUND", "Team not found");
  });

  test("an invitation with a teamId puts the new member into that team and makes it active; the invitation carries teamId", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const team = (await h.post(alice, "/organization/create-team", { name: "Invited" })).json;
    const bob = await h.user();
    const inv = await h.invite(alice, org.id, bob, "member", { teamId: team.id });
    assertInvitation(inv, { teamId: team.id }, INVITATION_KEYS_TEAMS);
    const plainInv = await h.invite(alice, org.id, await h.user());
    assert.equal(plainInv.teamId, null);
    assertErrorResponse(await h.post(alice, "/organization/invite-member", { email: newCredentials().email, role: "member", teamId: `missing${run}` }), 400, "TEAM_NOT_FOUND", "Team not found");
    const res = await h.post(bob, "/organization/accept-invitation", { invitationId: inv.id });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.setCookies.some((c) => c.name === "better-auth.session_token"), "accept with exactly one team re-issues the cookie");
    const session = await h.session(bob);
    assert.equal(session.activeTeamId, team.id);
    assert.equal(session.activeOrganizationId, org.id);
    assert.deepEqual((await h.get(bob, "/organization/list-user-teams")).json.map((t) => t.id), [team.id]);
  });

  test("list-team-members needs membership of that team; without teamId the active team is used", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const team = (await h.post(alice, "/organization/create-team", { name: "Closed" })).json;
    const bob = await h.joined(alice, org.id);
    assertErrorResponse(await h.get(bob, `/organization/list-team-members?teamId=${team.id}`), 400, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM", "User is not a member of the team");
    assertErrorResponse(await h.get(bob, "/organization/list-team-members"), 400, "YOU_DO_NOT_HAVE_AN_ACTIVE_TEAM", "You do not have an active team");
    const own = await h.get(alice, "/organization/list-team-members");
    assert.equal(own.status, 200, own.text);
    assert.deepEqual(own.json.map((m) => m.userId), [alice.user.id], "the default team, active since create");
    assertErrorResponse(await h.get(alice, `/organization/list-team-members?teamId=missing${run}`), 400, "TEAM_NOT_FOUND", "Team not found");
  });

  test("list-user-teams of another user needs member:update", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const [defaultTeam] = await teamsOf(alice, org.id);
    const bob = await h.joined(alice, org.id);
    await h.post(alice, "/organization/add-team-member", { teamId: defaultTeam.id, userId: bob.user.id });
    const res = await h.get(alice, `/organization/list-user-teams?userId=${bob.user.id}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.map((t) => t.id), [defaultTeam.id]);
    assertErrorResponse(await h.get(bob, `/organization/list-user-teams?userId=${alice.user.id}`), 403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER", "You are not allowed to update this member");
  });

  test("deleting the organization removes its teams by cascade; the session's activeTeamId is left dangling", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const [defaultTeam] = await teamsOf(alice, org.id);
    assert.equal((await h.post(alice, "/organization/delete", { organizationId: org.id })).status, 200);
    assert.deepEqual(await fx.query(`select "id" from "team" where "organizationId" = ?`, [org.id]), []);
    assert.deepEqual(await fx.query(`select "id" from "teamMember" where "teamId" = ?`, [defaultTeam.id]), []);
    const session = await h.session(alice);
    assert.equal(session.activeOrganizationId, null);
    assert.equal(session.activeTeamId, defaultTeam.id, "only set-active-team null clears it");
  });

  test("an invitation to two teams: teamId comma-joined; accepting joins both but sets no active team and no cookie", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const t1 = (await h.post(alice, "/organization/create-team", { name: "One" })).json;
    const t2 = (await h.post(alice, "/organization/create-team", { name: "Two" })).json;
    const bob = await h.user();
    const inv = await h.invite(alice, org.id, bob, "member", { teamId: [t1.id, t2.id] });
    assert.equal(inv.teamId, `${t1.id},${t2.id}`);
    const res = await h.post(bob, "/organization/accept-invitation", { invitationId: inv.id });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.setCookies, [], "routes/crud-invites.mjs:320: the cookie only with exactly one team");
    assert.equal((await h.session(bob)).activeTeamId, null);
    assert.deepEqual((await h.get(bob, "/organization/list-user-teams")).json.map((t) => t.id).sort(), [t1.id, t2.id].sort());
  });

  test("remove-team strips the team from pending invitations' teamId", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const t1 = (await h.post(alice, "/organization/create-team", { name: "Going" })).json;
    const t2 = (await h.post(alice, "/organization/create-team", { name: "Staying" })).json;
    const both = await h.invite(alice, org.id, await h.user(), "member", { teamId: [t1.id, t2.id] });
    const only = await h.invite(alice, org.id, await h.user(), "member", { teamId: t1.id });
    assert.equal((await h.post(alice, "/organization/remove-team", { teamId: t1.id })).status, 200);
    const rows = await fx.query(`select "id", "teamId" from "invitation" where "organizationId" = ?`, [org.id]);
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.id, r.teamId])), { [both.id]: t2.id, [only.id]: null });
  });

  test("removing a member takes them out of the organization's teams", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const [defaultTeam] = await teamsOf(alice, org.id);
    const bob = await h.joined(alice, org.id);
    await h.post(alice, "/organization/add-team-member", { teamId: defaultTeam.id, userId: bob.user.id });
    assert.equal((await h.post(alice, "/organization/remove-member", { memberIdOrEmail: bob.member.id })).status, 200);
    assert.deepEqual(await fx.query(`select "id" from "teamMember" where "userId" = ?`, [bob.user.id]), []);
    const full = (await h.get(alice, "/organization/get-full-organization")).json;
    assert.equal(full.teams[0].memberCount, 1);
  });
});

// ---------------------------------------------------------------------------------------------
describe("dynamic access control (and teams with allow_removing_all_teams, maximum_members_per_team = 2)", () => {
  const fx = useServer({
    plugins: PLUGINS,
    organization: {
      dynamic_access_control: { enabled: true },
      teams: { enabled: true, allow_removing_all_teams: true, maximum_members_per_team: 2 },
      roles: { billing: { billing: ["read"] } },
    },
  });
  const h = helpers(fx);

  test("create-role lower-cases the name and answers {success, roleData, statements}", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const res = await h.post(alice, "/organization/create-role", { role: "Sales", permission: { member: ["create"], invitation: ["create"] } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ["success", "roleData", "statements"]);
    assert.equal(res.json.success, true);
    const r = res.json.roleData;
    assert.deepEqual(Object.keys(r), ["organizationId", "role", "permission", "createdAt", "updatedAt", "id"]);
    assert.equal(r.organizationId, org.id);
    assert.equal(r.role, "sales");
    assert.deepEqual(r.permission, { member: ["create"], invitation: ["create"] }, "permission as an object in the answer");
    assert.equal(r.updatedAt, null);
    assert.deepEqual(res.json.statements, { member: ["create"], invitation: ["create"] });
    const [row] = await fx.query(`select "permission" from "organizationRole" where "id" = ?`, [r.id]);
    assert.equal(row.permission, '{"member":["create"],"invitation":["create"]}', "stored as JSON text");
  });

  test("a creator must hold every permission it grants: 403 with missingPermissions", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const admin = await h.joined(alice, org.id, "admin");
    const res = await h.post(admin, "/organization/create-role", { role: "deleter", permission: { organization: ["update", "delete"], member: ["delete"] } });
    assert.equal(res.status, 403, res.text);
    // routes/crud-access-control.mjs:630-634: the error body gains missingPermissions, "resource:action".
    assert.deepEqual(res.json, { message: "You are not allowed to create a role", code: "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE", missingPermissions: ["organization:delete"] });
    assert.equal((await h.post(alice, "/organization/create-role", { role: "deleter", permission: { organization: ["delete"] } })).status, 200, "the owner holds organization:delete");
    const plain = await h.joined(alice, org.id);
    assertErrorResponse(await h.post(plain, "/organization/create-role", { role: "x", permission: { ac: ["read"] } }), 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE", "You are not allowed to create a role");
  });

  test("create-role: unknown resources 400; names of static or existing roles 400; no organization 400", async () => {
    const alice = await h.user();
    assertErrorResponse(await h.post(alice, "/organization/create-role", { role: "x", permission: { member: ["create"] } }), 400, "YOU_MUST_BE_IN_AN_ORGANIZATION_TO_CREATE_A_ROLE", "You must be in an organization to create a role");
    await h.createOrg(alice);
    assertErrorResponse(await h.post(alice, "/organization/create-role", { role: "x", permission: { project: ["read"] } }), 400, "INVALID_RESOURCE", "The provided permission includes an invalid resource");
    assertErrorResponse(await h.post(alice, "/organization/create-role", { role: "Admin", permission: { member: ["create"] } }), 400, "ROLE_NAME_IS_ALREADY_TAKEN", "That role name is already taken");
    assert.equal((await h.post(alice, "/organization/create-role", { role: "support", permission: { member: ["create"] } })).status, 200);
    assertErrorResponse(await h.post(alice, "/organization/create-role", { role: "SUPPORT", permission: { member: ["create"] } }), 400, "ROLE_NAME_IS_ALREADY_TAKEN", "That role name is already taken");
  });

  test("list-roles and get-role answer permission as an object; members may read (ac:read)", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const created = (await h.post(alice, "/organization/create-role", { role: "viewer", permission: { team: ["update"] } })).json.roleData;
    const plain = await h.joined(alice, org.id);
    const list = await h.get(plain, "/organization/list-roles");
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.map((r) => [r.id, r.role, r.permission]), [[created.id, "viewer", { team: ["update"] }]]);
    const byName = await h.get(alice, "/organization/get-role?roleName=viewer");
    assert.equal(byName.json.id, created.id);
    assert.deepEqual(byName.json.permission, { team: ["update"] });
    const byId = await h.get(alice, `/organization/get-role?roleId=${created.id}`);
    assert.equal(byId.json.role, "viewer");
    assertErrorResponse(await h.get(alice, "/organization/get-role?roleName=ghost"), 400, "ROLE_NOT_FOUND", "Role not found");
    assertErrorResponse(await h.get(await h.user(), `/organization/list-roles?organizationId=${org.id}`), 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", "You are not a member of this organization");
  });

  test("a dynamic role can be invited with, and grants its permissions (merged per request)", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    await h.post(alice, "/organization/create-role", { role: "recruiter", permission: { invitation: ["create"] } });
    const bob = await h.joined(alice, org.id, "recruiter");
    assert.equal(bob.member.role, "recruiter");
    const can = await h.post(bob, "/organization/has-permission", { permissions: { invitation: ["create"] } });
    assert.deepEqual(can.json, { error: null, success: true });
    const cannot = await h.post(bob, "/organization/has-permission", { permissions: { ac: ["read"] } });
    assert.deepEqual(cannot.json, { error: null, success: false }, "a role not in the static map has no default statements");
    assert.equal((await h.post(bob, "/organization/invite-member", { email: newCredentials().email, role: "member" })).status, 200);
    assert.equal((await h.post(alice, "/organization/update-member-role", { memberId: bob.member.id, role: ["member", "recruiter"] })).status, 200);
    // Roles in another organization are unknown here (ROLE_NOT_FOUND without code, as for static roles).
    const carol = await h.user();
    await h.createOrg(carol);
    assertErrorResponse(await h.post(carol, "/organization/invite-member", { email: newCredentials().email, role: "recruiter" }), 400, undefined, "ROLE_NOT_FOUND: recruiter");
  });

  test("an organizationRole row named like a static role extends it (the API refuses the name; an import could write it)", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const plain = await h.joined(alice, org.id);
    assert.equal((await h.post(plain, "/organization/has-permission", { permissions: { team: ["create"] } })).json.success, false);
    // Rows in organizationRole named "member" are merged onto the static member role
    // (has-permission.mjs:46); the API refuses the name, so write the row as an import would.
    const now = new Date();
    await fx.query(`insert into "organizationRole" ("id", "organizationId", "role", "permission", "createdAt") values (?, ?, ?, ?, ?)`, [`role${run}${slugs}`, org.id, "member", '{"team":["create"]}', DB_KIND === "sqlite" ? now.toISOString() : now]);
    assert.equal((await h.post(plain, "/organization/has-permission", { permissions: { team: ["create"] } })).json.success, true);
    assert.equal((await h.post(plain, "/organization/has-permission", { permissions: { ac: ["read"], team: ["create"] } })).json.success, true, "union with the static statements");
  });

  test("update-role changes permission (same holding rule) and the name; answers {success, roleData}", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const created = (await h.post(alice, "/organization/create-role", { role: "editor", permission: { team: ["update"] } })).json.roleData;
    const res = await h.post(alice, "/organization/update-role", { roleName: "editor", data: { permission: { team: ["update", "create"] }, roleName: "Writer" } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ["success", "roleData"]);
    assert.equal(res.json.roleData.id, created.id);
    assert.equal(res.json.roleData.role, "writer");
    assert.deepEqual(res.json.roleData.permission, { team: ["update", "create"] });
    assert.equal((await h.get(alice, "/organization/get-role?roleName=writer")).json.id, created.id);
    const admin = await h.joined(alice, org.id, "admin");
    const denied = await h.post(admin, "/organization/update-role", { roleId: created.id, data: { permission: { organization: ["delete"] } } });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.json, { message: "You are not allowed to update a role", code: "YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE", missingPermissions: ["organization:delete"] });
    assertErrorResponse(await h.post(alice, "/organization/update-role", { roleName: "writer", data: { roleName: "owner" } }), 400, "ROLE_NAME_IS_ALREADY_TAKEN", "That role name is already taken");
    assertErrorResponse(await h.post(alice, "/organization/update-role", { roleName: "ghost", data: { permission: { team: ["update"] } } }), 400, "ROLE_NOT_FOUND", "Role not found");
  });

  test("delete-role: predefined 400, assigned to a member 400, otherwise {success:true}", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    await h.post(alice, "/organization/create-role", { role: "temp", permission: { team: ["create"] } });
    await h.post(alice, "/organization/create-role", { role: "used", permission: { team: ["create"] } });
    await h.joined(alice, org.id, ["member", "used"]);
    assertErrorResponse(await h.post(alice, "/organization/delete-role", { roleName: "admin" }), 400, "CANNOT_DELETE_A_PRE_DEFINED_ROLE", "Cannot delete a pre-defined role");
    assertErrorResponse(await h.post(alice, "/organization/delete-role", { roleName: "used" }), 400, "ROLE_IS_ASSIGNED_TO_MEMBERS", "Cannot delete a role that is assigned to members. Please reassign the members to a different role first");
    const res = await h.post(alice, "/organization/delete-role", { roleName: "temp" });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { success: true });
    assertErrorResponse(await h.post(alice, "/organization/delete-role", { roleName: "temp" }), 400, "ROLE_NOT_FOUND", "Role not found");
    const admin = await h.joined(alice, org.id, "admin");
    const plain = await h.joined(alice, org.id);
    assertErrorResponse(await h.post(plain, "/organization/delete-role", { roleName: "used" }), 403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE", "You are not allowed to delete a role");
    const spare = (await h.post(alice, "/organization/create-role", { role: "spare", permission: { team: ["create"] } })).json.roleData;
    assert.deepEqual((await h.post(admin, "/organization/delete-role", { roleId: spare.id })).json, { success: true }, "admins hold ac:delete; by id works too");
  });

  test("maximum_members_per_team: add-team-member and invite-member with a teamId are 403 on a full team", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const team = (await h.post(alice, "/organization/create-team", { name: "Pair" })).json;
    const bob = await h.joined(alice, org.id);
    const carol = await h.joined(alice, org.id);
    for (const u of [alice, bob]) assert.equal((await h.post(alice, "/organization/add-team-member", { teamId: team.id, userId: u.user.id })).status, 200);
    const full = ["TEAM_MEMBER_LIMIT_REACHED", "Team member limit reached"];
    assertErrorResponse(await h.post(alice, "/organization/add-team-member", { teamId: team.id, userId: carol.user.id }), 403, ...full);
    assert.equal((await h.post(alice, "/organization/add-team-member", { teamId: team.id, userId: bob.user.id })).status, 200, "an existing team member is answered, not refused");
    assertErrorResponse(await h.post(alice, "/organization/invite-member", { email: newCredentials().email, role: "member", teamId: team.id }), 403, ...full);
    await h.post(alice, "/organization/remove-team-member", { teamId: team.id, userId: bob.user.id });
    assert.equal((await h.post(alice, "/organization/add-team-member", { teamId: team.id, userId: carol.user.id })).status, 200, "the seat was released");
    const [row] = await fx.query(`select "memberCount" from "team" where "id" = ?`, [team.id]);
    assert.equal(Number(row.memberCount), 2);
  });

  test("a static role from config: its resources become valid for roles, its name is taken and cannot be deleted, and the owner does not hold it", async () => {
    const alice = await h.user();
    await h.createOrg(alice);
    // The owner's statements are the defaults, so granting billing:read is granting what it lacks.
    const res = await h.post(alice, "/organization/create-role", { role: "accountant", permission: { billing: ["read"] } });
    assert.equal(res.status, 403, res.text);
    assert.deepEqual(res.json, { message: "You are not allowed to create a role", code: "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE", missingPermissions: ["billing:read"] });
    // routes/crud-access-control.mjs:588-598 checks resources only: an action the statements do not
    // list is not INVALID_RESOURCE, it is simply a permission nobody holds.
    const unknownAction = await h.post(alice, "/organization/create-role", { role: "accountant", permission: { member: ["create", "fly"] } });
    assert.equal(unknownAction.status, 403, unknownAction.text);
    assert.deepEqual(unknownAction.json.missingPermissions, ["member:fly"]);
    assertErrorResponse(await h.post(alice, "/organization/create-role", { role: "Billing", permission: { member: ["create"] } }), 400, "ROLE_NAME_IS_ALREADY_TAKEN", "That role name is already taken");
    assertErrorResponse(await h.post(alice, "/organization/delete-role", { roleName: "billing" }), 400, "CANNOT_DELETE_A_PRE_DEFINED_ROLE", "Cannot delete a pre-defined role");
  });

  test("allow_removing_all_teams: the last team can go", async () => {
    const alice = await h.user();
    const org = await h.createOrg(alice);
    const [team] = (await h.get(alice, "/organization/list-teams")).json;
    await h.post(alice, "/organization/set-active-team", { teamId: null });
    const res = await h.post(alice, "/organization/remove-team", { teamId: team.id });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((await h.get(alice, `/organization/list-teams?organizationId=${org.id}`)).json, []);
  });
});
