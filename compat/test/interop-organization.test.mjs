// Organizations across a switch-over: one server builds an organization (metadata, members with a
// comma-joined role, a pending invitation, a team with a member, a dynamic role), stops, and the
// other server, on the same database with the same secret, serves all of it and carries on.
// "The other server" is Tessera when COMPAT_TARGET=tessera and a second Better Auth process
// otherwise (which checks the test itself), in both directions.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { organizationClient } from "better-auth/client/plugins";
import { Browser } from "../lib/browser.mjs";
import { DB_KIND, TARGET } from "../lib/config.mjs";
import { freshDatabase } from "../lib/database.mjs";
import { newSecret, startServer } from "../lib/server.mjs";
import { newCredentials } from "../lib/suite.mjs";

const OTHER_NAME = TARGET === "tessera" ? "Tessera" : "a second Better Auth process";
const DIRECTIONS = [
  { writer: "better-auth", writerName: "Better Auth", reader: TARGET, readerName: OTHER_NAME },
  { writer: TARGET, writerName: OTHER_NAME, reader: "better-auth", readerName: "Better Auth" },
];
const PLUGINS = ["organization"];
const ORGANIZATION = {
  teams: { enabled: true },
  dynamic_access_control: { enabled: true },
  roles: { billing: { billing: ["read"] } },
};
const API = "/api/auth";

const browserOn = (server) => new Browser(server.url, { plugins: [organizationClient()] });

async function signedUp(server, prefix) {
  const creds = newCredentials(prefix);
  const browser = browserOn(server);
  const res = await browser.client.signUp.email(creds);
  assert.equal(res.error, null, `sign-up on ${server.kind}: ${JSON.stringify(res.error)}`);
  return { creds, browser, userId: res.data.user.id, email: creds.email.toLowerCase() };
}

const post = (who, path, json) => who.browser.request(`${API}${path}`, { json });
const get = (who, path) => who.browser.request(`${API}${path}`);

function ok(res, what) {
  assert.equal(res.status, 200, `${what}: ${res.text}`);
  return res.json;
}

/** The writer's whole story; answers what the reader must find. */
async function buildOrganization(server) {
  const owner = await signedUp(server, "org-owner");
  const carol = await signedUp(server, "org-carol");
  const bob = await signedUp(server, "org-bob");
  const slug = `interop-${Date.now().toString(36)}`;
  const org = ok(await post(owner, "/organization/create", { name: "Interop", slug, metadata: { plan: "pro" } }), "create");
  ok(await post(owner, "/organization/create-role", { role: "recruiter", permission: { invitation: ["create"] } }), "create-role");
  const invitation = ok(await post(owner, "/organization/invite-member", { email: carol.email, role: ["member", "recruiter"] }), "invite carol");
  ok(await post(carol, "/organization/accept-invitation", { invitationId: invitation.id }), "carol accepts");
  const team = ok(await post(owner, "/organization/create-team", { name: "Blue" }), "create-team");
  ok(await post(owner, "/organization/add-team-member", { teamId: team.id, userId: carol.userId }), "add carol to the team");
  const pending = ok(await post(owner, "/organization/invite-member", { email: bob.email, role: "admin" }), "invite bob");
  return { owner, carol, bob, org, team, pending };
}

for (const { writer, writerName, reader, readerName } of DIRECTIONS) {
  describe(`organization interop on ${DB_KIND}: built on ${writerName}, served by ${readerName}`, () => {
    const secret = newSecret();
    let db;
    let server;
    let w;
    before(async () => {
      db = await freshDatabase();
    });
    after(async () => {
      await server?.stop();
      await db?.drop();
    });

    test(`${writerName} builds an organization with members, a team, a dynamic role and a pending invitation, then stops`, async () => {
      const first = await startServer({ kind: writer, db: db.url, secret, plugins: PLUGINS, organization: ORGANIZATION });
      try {
        w = await buildOrganization(first);
      } finally {
        await first.stop();
      }
      const [row] = await db.query(`select "metadata" from "organization" where "id" = ?`, [w.org.id]);
      assert.equal(row.metadata, '{"plan":"pro"}');
    });

    test(`${readerName} serves the owner's session, the organization and its members as ${writerName} left them`, async () => {
      server = await startServer({ kind: reader, db: db.url, secret, plugins: PLUGINS, organization: ORGANIZATION });
      for (const who of [w.owner, w.carol, w.bob]) who.browser = who.browser.moveTo(server.url);
      const session = ok(await get(w.owner, "/get-session"), "get-session");
      assert.equal(session.session.activeOrganizationId, w.org.id, "the active organization set on the writer");
      assert.equal(session.session.activeTeamId, ok(await get(w.owner, `/organization/list-teams?organizationId=${w.org.id}`), "list-teams").find((t) => t.name === "Interop").id, "the default team");
      const list = ok(await get(w.owner, "/organization/list"), "list");
      assert.deepEqual(list.map((o) => [o.id, o.slug, o.metadata]), [[w.org.id, w.org.slug, '{"plan":"pro"}']]);
      const full = ok(await get(w.owner, "/organization/get-full-organization"), "get-full-organization");
      assert.deepEqual(full.members.map((m) => [m.userId, m.role]).sort(), [[w.owner.userId, "owner"], [w.carol.userId, "member,recruiter"]].sort());
      assert.deepEqual(full.invitations.filter((i) => i.status === "pending").map((i) => i.id), [w.pending.id]);
      const blue = full.teams.find((t) => t.id === w.team.id);
      assert.equal(blue.memberCount, 1, "the seat counter the writer kept");
    });

    test(`the dynamic role ${writerName} created grants on ${readerName}, and the team ${writerName} filled is served`, async () => {
      ok(await post(w.carol, "/organization/set-active", { organizationId: w.org.id }), "carol set-active");
      const can = ok(await post(w.carol, "/organization/has-permission", { permissions: { invitation: ["create"] } }), "has-permission");
      assert.deepEqual(can, { error: null, success: true });
      const roles = ok(await get(w.owner, "/organization/list-roles"), "list-roles");
      assert.deepEqual(roles.map((r) => [r.role, r.permission]), [["recruiter", { invitation: ["create"] }]]);
      const members = ok(await get(w.carol, `/organization/list-team-members?teamId=${w.team.id}`), "list-team-members");
      assert.deepEqual(members.map((m) => m.userId), [w.carol.userId]);
      const again = ok(await post(w.owner, "/organization/add-team-member", { teamId: w.team.id, userId: w.carol.userId }), "add again");
      assert.equal(again.userId, w.carol.userId, "the membership key the writer stored keeps the user in the team once");
      assert.equal((await db.query(`select "id" from "teamMember" where "teamId" = ?`, [w.team.id])).length, 1);
    });

    test(`the invitation ${writerName} issued is accepted on ${readerName}`, async () => {
      const seen = ok(await get(w.bob, `/organization/get-invitation?id=${w.pending.id}`), "get-invitation");
      assert.equal(seen.inviterEmail, w.owner.email);
      const accepted = ok(await post(w.bob, "/organization/accept-invitation", { invitationId: w.pending.id }), "accept");
      assert.equal(accepted.member.role, "admin");
      const role = ok(await get(w.bob, "/organization/get-active-member-role"), "get-active-member-role");
      assert.deepEqual(role, { role: "admin" });
    });
  });
}
