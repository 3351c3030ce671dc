// Better Auth options built from the Tessera-style environment, shared by the server script and by
// tests that call Better Auth's own migration planner on a database.
import { appendFileSync } from "node:fs";
import { admin, genericOAuth, phoneNumber, twoFactor, username } from "better-auth/plugins";

export const KNOWN_PLUGINS = ["admin", "two-factor", "username", "phone-number"];

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
      sendVerificationEmail: async ({ user, url, token }) => send({ type: "verify-email", to: user.email, url, token }),
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
