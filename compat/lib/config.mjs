// Which server and which database the suite drives, read once from the environment.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const COMPAT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const BETTER_AUTH_SERVER = resolve(COMPAT_DIR, "server/better-auth-server.mjs");

const TARGETS = ["better-auth", "tessera"];
const DBS = ["sqlite", "postgres"];

function pick(name, allowed, fallback) {
  const value = process.env[name] || fallback;
  if (!allowed.includes(value)) throw new Error(`${name}=${value}: expected one of ${allowed.join(", ")}`);
  return value;
}

/** "better-auth" | "tessera": the server under test. */
export const TARGET = pick("COMPAT_TARGET", TARGETS, "better-auth");

/** "sqlite" | "postgres": the database the server under test runs on. */
export const DB_KIND = pick("COMPAT_DB", DBS, "sqlite");

/** Admin connection used to create one throw-away database per test file. */
export const POSTGRES_URL = process.env.TESSERA_TEST_POSTGRES_URL || "";

/** Relative paths in TESSERA_BIN are taken from the caller's directory; the default from compat/. */
export function tesseraBin() {
  const fromEnv = process.env.TESSERA_BIN;
  return fromEnv ? resolve(process.cwd(), fromEnv) : resolve(COMPAT_DIR, "../target/debug/tessera");
}
