// Better Auth options built from the Tessera-style environment, shared by the server script and by
// tests that call Better Auth's own migration planner on a database.
import { appendFileSync } from "node:fs";
import { admin, createAccessControl, emailOTP, genericOAuth, magicLink, multiSession, organization, phoneNumber, twoFactor, username } from "better-auth/plugins";
import { defaultRoles, defaultStatements } from "better-auth/plugins/organization/access";

export const KNOWN_PLUGINS = ["admin", "two-factor", "username", "phone-number", "organization", "email-otp", "magic-link", "multi-session"];

/** Maps the Tessera-style DATABASE_URL to something Better Auth accepts as `database`. */
export async function openDatabase(url) {
  if (url.startsWith("sqlite:")) {
    const path = sqlitePath(url);
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(path);
    // Interop tests hand one file between processes; wait for a lock rather than fail at once.
    db.pragma("busy_timeout = 5000");
    db.pragma("foreign_keys = ON");
    return { database: db, close: async () => db.close() };
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: url, max: Number(process.env.PG_POOL_MAX ?? 10) });
    return { database: pool, close: async () => pool.end() };
  }
  throw new Error(`unsupported DATABASE_URL scheme (want sqlite: or postgres:): ${url.split(":")[0]}`);
}

/** sqlite:///abs.db → /abs.db, sqlite://rel.db → rel.db, sqlite:rel.db → rel.db; query string ignored. */
export function sqlitePath(url) {
  let rest = url.slice("sqlite:".length);
  const q = rest.indexOf("?");
  if (q >= 0) rest = rest.slice(0, q);
  if (rest.startsWith("//")) rest = rest.slice(2);
  if (rest === "") throw new Error("sqlite URL without a path");
  return rest;
}

function parsePlugins(list) {
  const names = (list ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const n of names) {
    if (!KNOWN_PLUGINS.includes(n)) throw new Error(`unknown plugin in TESSERA_PLUGINS: ${n} (known: ${KNOWN_PLUGINS.join(",")})`);
  }
  return new Set(names);
}

function outboxWriter(path) {
  return (message) => {
    if (!path) return;
    // One write per line with O_APPEND keeps lines whole even if a reader tails the file meanwhile.
    appendFileSync(path, `${JSON.stringify({ ...message, at: new Date().toISOString() })}\n`);
  };
}

/** Tessera's on/off environment switches (TESSERA_CHANGE_EMAIL=on …) as booleans. */
function flag(env, name) {
  return ["on", "true", "1", "yes"].includes((env[name] ?? "").toLowerCase());
}

/**
 * TESSERA_ADDITIONAL_FIELDS: the `additional_fields` declarations of Tessera's config (JSON of
 * `{user: {additional_fields: {…}}, session: {…}}`) as Better Auth's `additionalFields` of `table`.
 */
export function additionalFields(env, table) {
  const declared = JSON.parse(env.TESSERA_ADDITIONAL_FIELDS || "{}")[table]?.additional_fields ?? {};
  return Object.fromEntries(
    Object.entries(declared).map(([name, f]) => {
      const field = { type: f.type };
      if (f.required !== undefined) field.required = f.required;
      if (f.default !== undefined) {
        field.defaultValue = f.type === "date" ? (f.default === "now" ? () => new Date() : new Date(f.default)) : f.default;
      }
      for (const key of ["input", "returned", "unique"]) if (f[key] !== undefined) field[key] = f[key];
      return [name, field];
    }),
  );
}

/**
 * TESSERA_ORGANIZATION: Tessera's `[organization]` table (JSON, snake_case keys as in
 * tessera.toml) as Better Auth's `organization()` options. Absent keys keep Better Auth's defaults.
 *
 *   allow_user_to_create_organization, organization_limit, membership_limit, invitation_limit,
 *   invitation_expires_in (seconds), cancel_pending_invitations_on_re_invite,
 *   require_email_verification_on_invitation, disable_organization_deletion, creator_role,
 *   teams = {enabled, maximum_teams, maximum_members_per_team, allow_removing_all_teams,
 *            default_team (bool, default true)},
 *   dynamic_access_control = {enabled, maximum_roles_per_organization},
 *   roles = {<name> = {<resource> = ["action", …]}}: static roles added to owner/admin/member
 *
 * Roles and `ac`: Better Auth's permission check uses `options.roles || defaultRoles` (not a
 * merge; dist/plugins/organization/has-permission.mjs:25), so configured roles are handed over
 * together with the three default ones, and `ac`'s statements are the default statements plus
 * every resource/action a configured role names (dynamic access control refuses resources outside
 * them with INVALID_RESOURCE).
 */
export function organizationOptions(env, send) {
  const c = JSON.parse(env.TESSERA_ORGANIZATION || "{}");
  const o = {};
  const simple = {
    allow_user_to_create_organization: "allowUserToCreateOrganization",
    organization_limit: "organizationLimit",
    membership_limit: "membershipLimit",
    invitation_limit: "invitationLimit",
    invitation_expires_in: "invitationExpiresIn",
    cancel_pending_invitations_on_re_invite: "cancelPendingInvitationsOnReInvite",
    require_email_verification_on_invitation: "requireEmailVerificationOnInvitation",
    disable_organization_deletion: "disableOrganizationDeletion",
    creator_role: "creatorRole",
  };
  for (const [key, value] of Object.entries(c)) {
    if (key in simple) o[simple[key]] = value;
    else if (!["teams", "dynamic_access_control", "roles"].includes(key)) throw new Error(`unknown [organization] key: ${key}`);
  }
  if (c.teams) {
    const t = c.teams;
    o.teams = { enabled: Boolean(t.enabled) };
    if (t.maximum_teams !== undefined) o.teams.maximumTeams = t.maximum_teams;
    if (t.maximum_members_per_team !== undefined) o.teams.maximumMembersPerTeam = t.maximum_members_per_team;
    if (t.allow_removing_all_teams !== undefined) o.teams.allowRemovingAllTeams = t.allow_removing_all_teams;
    if (t.default_team !== undefined) o.teams.defaultTeam = { enabled: t.default_team };
  }
  const statements = Object.fromEntries(Object.entries(defaultStatements).map(([r, a]) => [r, [...a]]));
  for (const permissions of Object.values(c.roles ?? {})) {
    for (const [resource, actions] of Object.entries(permissions)) {
      statements[resource] = [...new Set([...(statements[resource] ?? []), ...actions])];
    }
  }
  const ac = createAccessControl(statements);
  o.ac = ac;
  o.roles = { ...defaultRoles };
  for (const [name, permissions] of Object.entries(c.roles ?? {})) o.roles[name] = ac.newRole(permissions);
  if (c.dynamic_access_control) {
    o.dynamicAccessControl = { enabled: Boolean(c.dynamic_access_control.enabled) };
    const max = c.dynamic_access_control.maximum_roles_per_organization;
    if (max !== undefined) o.dynamicAccessControl.maximumRolesPerOrganization = max;
  }
  o.sendInvitationEmail = async ({ id, role, email, organization: org, inviter }) =>
    send({
      type: "organization-invitation",
      to: email,
      invitationId: id,
      organizationId: org.id,
      organizationSlug: org.slug,
      role,
      inviterEmail: inviter.user.email,
    });
  return o;
}

/** Renames the snake_case keys of a Tessera config table to Better Auth's option names. */
function renamed(table, names, what) {
  const out = {};
  for (const [key, value] of Object.entries(table ?? {})) {
    if (!(key in names)) throw new Error(`unknown [${what}] key: ${key}`);
    out[names[key]] = value;
  }
  return out;
}

/**
 * TESSERA_CONFIG_TABLES `email_otp`: Tessera's `[email_otp]` table as `emailOTP({…})` options.
 * Codes go to the outbox as {"type":"email-otp-<type>","to","code","otpType"}.
 */
export function emailOtpOptions(table, send) {
  const { change_email, change_email_verify_current, ...rest } = table ?? {};
  const o = renamed(
    rest,
    {
      otp_length: "otpLength",
      expires_in: "expiresIn",
      allowed_attempts: "allowedAttempts",
      send_verification_on_sign_up: "sendVerificationOnSignUp",
      disable_sign_up: "disableSignUp",
      override_default_email_verification: "overrideDefaultEmailVerification",
      store_otp: "storeOTP",
    },
    "email_otp",
  );
  if (change_email !== undefined || change_email_verify_current !== undefined) {
    o.changeEmail = { enabled: Boolean(change_email), verifyCurrentEmail: Boolean(change_email_verify_current) };
  }
  o.sendVerificationOTP = async ({ email, otp, type }) => send({ type: `email-otp-${type}`, to: email, code: otp, otpType: type });
  return o;
}

/**
 * TESSERA_CONFIG_TABLES `magic_link`: Tessera's `[magic_link]` table as `magicLink({…})` options.
 * Links go to the outbox as {"type":"magic-link","to","url","token"}.
 */
export function magicLinkOptions(table, send) {
  const o = renamed(table, { expires_in: "expiresIn", disable_sign_up: "disableSignUp", store_token: "storeToken" }, "magic_link");
  o.sendMagicLink = async ({ email, url, token }) => send({ type: "magic-link", to: email, url, token });
  return o;
}

export function buildOptions(env, database) {
  const send = outboxWriter(env.TESSERA_OUTBOX);
  const on = (name) => flag(env, name);
  const enabled = parsePlugins(env.TESSERA_PLUGINS);
  const plugins = [];
  if (enabled.has("admin")) plugins.push(admin());
  if (enabled.has("two-factor")) {
    plugins.push(
      twoFactor({
        otpOptions: {
          sendOTP: async ({ user, otp }) => send({ type: "two-factor-otp", to: user.email, code: otp }),
        },
      }),
    );
  }
  if (enabled.has("username")) plugins.push(username());
  if (enabled.has("organization")) plugins.push(organization(organizationOptions(env, send)));
  const tables = JSON.parse(env.TESSERA_CONFIG_TABLES || "{}");
  if (enabled.has("email-otp")) plugins.push(emailOTP(emailOtpOptions(tables.email_otp, send)));
  if (enabled.has("magic-link")) plugins.push(magicLink(magicLinkOptions(tables.magic_link, send)));
  if (enabled.has("multi-session")) plugins.push(multiSession());
  if (enabled.has("phone-number")) {
    plugins.push(
      phoneNumber({
        sendOTP: async ({ phoneNumber: to, code }) => send({ type: "phone-otp", to, code }),
        sendPasswordResetOTP: async ({ phoneNumber: to, code }) => send({ type: "phone-reset-otp", to, code }),
      }),
    );
  }
  // TESSERA_SOCIAL_PROVIDERS: OpenID Connect providers by discovery, as Tessera reads them
  // (TESSERA_SOCIAL_<ID>_CLIENT_ID, _CLIENT_SECRET, _ISSUER, _SCOPES); Better Auth's genericOAuth.
  const social = (env.TESSERA_SOCIAL_PROVIDERS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (social.length > 0) {
    plugins.push(
      genericOAuth({
        config: social.map((id) => {
          const key = (field) => env[`TESSERA_SOCIAL_${id.toUpperCase().replaceAll("-", "_")}_${field}`];
          return {
            providerId: id,
            discoveryUrl: `${key("ISSUER")}/.well-known/openid-configuration`,
            clientId: key("CLIENT_ID"),
            clientSecret: key("CLIENT_SECRET"),
            scopes: (key("SCOPES") ?? "").split(",").filter(Boolean),
          };
        }),
      }),
    );
  }
  return {
    database,
    secret: env.BETTER_AUTH_SECRET,
    baseURL: env.BETTER_AUTH_URL,
    telemetry: { enabled: false },
    emailAndPassword: {
      enabled: true,
      requireEmailVerification: on("TESSERA_REQUIRE_EMAIL_VERIFICATION"),
      sendResetPassword: async ({ user, url, token }) => send({ type: "reset-password", to: user.email, url, token }),
    },
    emailVerification: {
      // email-otp's overrideDefaultEmailVerification puts its own sender here, and a configured
      // one would win over it.
      ...(enabled.has("email-otp") && tables.email_otp?.override_default_email_verification
        ? {}
        : { sendVerificationEmail: async ({ user, url, token }) => send({ type: "verify-email", to: user.email, url, token }) }),
      ...(env.TESSERA_SEND_ON_SIGN_UP ? { sendOnSignUp: on("TESSERA_SEND_ON_SIGN_UP") } : {}),
      sendOnSignIn: on("TESSERA_SEND_ON_SIGN_IN"),
      autoSignInAfterVerification: on("TESSERA_AUTO_SIGN_IN_AFTER_VERIFICATION"),
    },
    session: { additionalFields: additionalFields(env, "session") },
    user: {
      additionalFields: additionalFields(env, "user"),
      changeEmail: {
        enabled: on("TESSERA_CHANGE_EMAIL"),
        updateEmailWithoutVerification: on("TESSERA_CHANGE_EMAIL_WITHOUT_VERIFICATION"),
        ...(on("TESSERA_CHANGE_EMAIL_CONFIRMATION")
          ? {
              sendChangeEmailConfirmation: async ({ user, newEmail, url, token }) =>
                send({ type: "change-email-confirmation", to: user.email, url, token, newEmail }),
            }
          : {}),
      },
      deleteUser: {
        enabled: on("TESSERA_DELETE_USER"),
        ...(on("TESSERA_DELETE_USER_VERIFICATION")
          ? { sendDeleteAccountVerification: async ({ user, url, token }) => send({ type: "delete-account", to: user.email, url, token }) }
          : {}),
      },
    },
    rateLimit: { enabled: env.TESSERA_RATE_LIMIT !== "off" },
    plugins,
  };
}
