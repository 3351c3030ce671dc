#!/usr/bin/env node
// The Better Auth Clerk migration guide's `scripts/migrate-clerk.ts`
// (shared/reference/clerk-migration-guide.md), ported to plain Node 20 as the baseline of the
// import comparison. It is NOT fixed: it keeps the guide's per-user work (the linear scan of the
// fetched users per CSV row, one autocommit adapter insert per row, a twoFactor row and encrypted
// invented backup codes for every user) and its mistakes (clerk-export.md §5, §7).
//
// What differs from the guide, and why:
// - `auth` is the guide's auth.ts (emailAndPassword, a GitHub provider, admin, twoFactor,
//   phoneNumber, username) on a fresh SQLite file through better-sqlite3, schema by Better Auth's
//   own migrations, instead of `@/lib/auth` on PostgreSQL;
// - `Bun.file(...).text()` is `readFile`; the API base URL and the CSV path come from the
//   environment; TypeScript annotations are gone;
// - GUIDE_KEEP_GOING=1 (what bench/guide-script/compare.sh uses) makes the two changes without
//   which the guide's script stops at the second user of a realistic export (§7 #5): empty
//   username, phone and email cells are written as NULL instead of '' (the second '' breaks a
//   UNIQUE index), and a user whose rows fail is counted and skipped instead of aborting the run.
//   Neither removes work: every user still costs the scan, the inserts and the encryption.
//
//   CSV=exported_users.csv CLERK_API_URL=http://127.0.0.1:P/v1 CLERK_SECRET_KEY=sk_test_x \
//   DB=/tmp/guide.db BETTER_AUTH_SECRET=... node migrate-clerk.mjs
// Prints one JSON line: users, failed, seconds, users_per_s.

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// Better Auth reads NODE_ENV at import time; run it as in production.
process.env.NODE_ENV ||= "production";
// The packages come from compat/ (`ln -sfn /work/main/compat/node_modules compat/node_modules`).
const compat = resolve(dirname(fileURLToPath(import.meta.url)), "../../compat");
const require = createRequire(join(compat, "package.json"));
const load = (name) => import(pathToFileURL(require.resolve(name)).href);
const { betterAuth } = await load("better-auth");
const { admin, twoFactor, phoneNumber, username } = await load("better-auth/plugins");
const { generateRandomString, symmetricEncrypt } = await load("better-auth/crypto");
const { getMigrations } = await load("better-auth/db/migration");
const { default: Database } = await load("better-sqlite3");

const KEEP_GOING = process.env.GUIDE_KEEP_GOING === "1";
const CLERK_API_URL = process.env.CLERK_API_URL ?? "https://api.clerk.com/v1";
const options = {
  database: new Database(process.env.DB ?? "guide.db"),
  secret: process.env.BETTER_AUTH_SECRET,
  baseURL: "http://127.0.0.1:3000",
  telemetry: { enabled: false },
  emailAndPassword: {
    enabled: true,
  },
  emailVerification: {
    sendVerificationEmail: async ({ user, url }) => {
      // implement your logic here to send email verification
    },
  },
  socialProviders: {
    github: {
      clientId: "bench-github-client-id",
      clientSecret: "bench-github-client-secret",
    },
  },
  plugins: [admin(), twoFactor(), phoneNumber({ sendOTP: async () => {} }), username()],
};
export const auth = betterAuth(options);

// A NULL for an empty cell under GUIDE_KEEP_GOING; the guide writes the cell as it is.
const cell = (value) => (KEEP_GOING && value === "" ? undefined : value);

function getCSVData(csv) {
  const lines = csv.split("\n").filter((line) => line.trim());
  const headers = lines[0]?.split(",").map((header) => header.trim()) || [];
  const jsonData = lines.slice(1).map((line) => {
    const values = line.split(",").map((value) => value.trim());
    return headers.reduce((obj, header, index) => {
      obj[header] = values[index] || "";
      return obj;
    }, {});
  });

  return jsonData;
}

const exportedUserCSV = await readFile(process.env.CSV ?? "exported_users.csv", "utf8"); // this is the file you downloaded from Clerk

async function getClerkUsers(totalUsers) {
  const clerkUsers = [];
  for (let i = 0; i < totalUsers; i += 500) {
    const response = await fetch(`${CLERK_API_URL}/users?offset=${i}&limit=${500}`, {
      headers: {
        Authorization: `Bearer ${process.env.CLERK_SECRET_KEY}`,
      },
    });
    if (!response.ok) {
      throw new Error(`Failed to fetch users: ${response.statusText}`);
    }
    const clerkUsersData = await response.json();
    clerkUsers.push(...clerkUsersData);
  }
  return clerkUsers;
}

export async function generateBackupCodes(secret) {
  const key = secret;
  const backupCodes = Array.from({ length: 10 })
    .fill(null)
    .map(() => generateRandomString(10, "a-z", "0-9", "A-Z"))
    .map((code) => `${code.slice(0, 5)}-${code.slice(5)}`);
  const encCodes = await symmetricEncrypt({
    data: JSON.stringify(backupCodes),
    key: key,
  });
  return encCodes;
}

// Helper function to safely convert timestamp to Date
function safeDateConversion(timestamp) {
  if (!timestamp) return new Date();

  const date = new Date(timestamp);

  // Check if the date is valid
  if (isNaN(date.getTime())) {
    console.warn(`Invalid timestamp: ${timestamp}, falling back to current date`);
    return new Date();
  }

  // Check for unreasonable dates (before 2000 or after 2100)
  const year = date.getFullYear();
  if (year < 2000 || year > 2100) {
    console.warn(`Suspicious date year: ${year}, falling back to current date`);
    return new Date();
  }

  return date;
}

let migrated = 0;
let failed = 0;

async function migrateUser(ctx, user, clerkUsers, isAdminEnabled, isTwoFactorEnabled, isUsernameEnabled, isPhoneNumberEnabled) {
  const { id, first_name, last_name, username, primary_email_address, primary_phone_number, verified_email_addresses, unverified_email_addresses, verified_phone_numbers, unverified_phone_numbers, totp_secret, password_digest, password_hasher } = user;
  const clerkUser = clerkUsers.find((clerkUser) => clerkUser?.id === id);

  // create user
  const createdUser = await ctx.adapter
    .create({
      model: "user",
      data: {
        id,
        email: cell(primary_email_address),
        emailVerified: verified_email_addresses.length > 0,
        name: `${first_name} ${last_name}`,
        image: clerkUser?.image_url,
        createdAt: safeDateConversion(clerkUser?.created_at),
        updatedAt: safeDateConversion(clerkUser?.updated_at),
        // # Two Factor (if you enabled two factor plugin)
        ...(isTwoFactorEnabled
          ? {
              twoFactorEnabled: clerkUser?.two_factor_enabled,
            }
          : {}),
        // # Admin (if you enabled admin plugin)
        ...(isAdminEnabled
          ? {
              banned: clerkUser?.banned,
              banExpires: clerkUser?.lockout_expires_in_seconds
                ? new Date(Date.now() + clerkUser.lockout_expires_in_seconds * 1000)
                : undefined,
              role: "user",
            }
          : {}),
        // # Username (if you enabled username plugin)
        ...(isUsernameEnabled
          ? {
              username: cell(username),
            }
          : {}),
        // # Phone Number (if you enabled phone number plugin)
        ...(isPhoneNumberEnabled
          ? {
              phoneNumber: cell(primary_phone_number),
              phoneNumberVerified: verified_phone_numbers.length > 0,
            }
          : {}),
      },
      forceAllowId: true,
    })
    .catch(async (e) => {
      return await ctx.adapter.findOne({
        model: "user",
        where: [
          {
            field: "id",
            value: id,
          },
        ],
      });
    });
  // create external account
  const externalAccounts = clerkUser?.external_accounts;
  if (externalAccounts) {
    for (const externalAccount of externalAccounts) {
      const { id, provider, identification_id, provider_user_id, approved_scopes, email_address, first_name, last_name, image_url, created_at, updated_at } = externalAccount;
      if (externalAccount.provider === "credential") {
        await ctx.adapter.create({
          model: "account",
          data: {
            id,
            providerId: provider,
            accountId: externalAccount.provider_user_id,
            scope: approved_scopes,
            userId: createdUser?.id,
            createdAt: safeDateConversion(created_at),
            updatedAt: safeDateConversion(updated_at),
            password: password_digest,
          },
        });
      } else {
        await ctx.adapter.create({
          model: "account",
          data: {
            id,
            providerId: provider.replace("oauth_", ""),
            accountId: externalAccount.provider_user_id,
            scope: approved_scopes,
            userId: createdUser?.id,
            createdAt: safeDateConversion(created_at),
            updatedAt: safeDateConversion(updated_at),
          },
          forceAllowId: true,
        });
      }
    }
  }

  //two factor
  if (isTwoFactorEnabled) {
    await ctx.adapter.create({
      model: "twoFactor",
      data: {
        userId: createdUser?.id,
        secret: totp_secret,
        backupCodes: await generateBackupCodes(totp_secret),
      },
    });
  }
}

async function migrateFromClerk() {
  const jsonData = getCSVData(exportedUserCSV);
  const clerkUsers = await getClerkUsers(jsonData.length);
  const ctx = await auth.$context;
  const isAdminEnabled = ctx.options?.plugins?.find((plugin) => plugin.id === "admin");
  const isTwoFactorEnabled = ctx.options?.plugins?.find((plugin) => plugin.id === "two-factor");
  const isUsernameEnabled = ctx.options?.plugins?.find((plugin) => plugin.id === "username");
  const isPhoneNumberEnabled = ctx.options?.plugins?.find((plugin) => plugin.id === "phone-number");
  for (const user of jsonData) {
    const args = [ctx, user, clerkUsers, isAdminEnabled, isTwoFactorEnabled, isUsernameEnabled, isPhoneNumberEnabled];
    if (!KEEP_GOING) {
      await migrateUser(...args);
      migrated += 1;
      continue;
    }
    try {
      await migrateUser(...args);
      migrated += 1;
    } catch (e) {
      failed += 1;
      if (failed <= 3) console.error(`user ${user.id} failed: ${e.message}`);
    }
  }
  return jsonData.length;
}

// Better Auth's own schema migration, as `npx @better-auth/cli migrate` would run it beforehand.
await (await getMigrations(options)).runMigrations();

const started = performance.now();
migrateFromClerk()
  .then((rows) => {
    const seconds = (performance.now() - started) / 1000;
    console.log("Migration completed");
    console.log(JSON.stringify({ rows, users: migrated, failed, seconds, users_per_s: rows / seconds }));
    process.exit(0);
  })
  .catch((error) => {
    const seconds = (performance.now() - started) / 1000;
    console.error("Migration failed:", error);
    console.log(JSON.stringify({ rows: null, users: migrated, failed, seconds, aborted: String(error?.message ?? error) }));
    process.exit(1);
  });
