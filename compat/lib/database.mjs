// One fresh database per test file: a SQLite file in a temp dir, or a PostgreSQL database created
// on the server named by TESSERA_TEST_POSTGRES_URL and dropped afterwards.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { DB_KIND, POSTGRES_URL } from "./config.mjs";
import { removeTempDir, tempDir } from "./cleanup.mjs";

/**
 * `query(sql, params)` runs one statement with `?` placeholders on either dialect and returns the
 * rows (empty for writes). Values come back as each driver gives them: SQLite dates are ISO
 * strings and booleans 0/1; PostgreSQL gives Date and boolean.
 * @param {{kind?: "sqlite"|"postgres"}} [opts]
 * @returns {Promise<{kind: string, url: string, query: (sql: string, params?: unknown[]) => Promise<object[]>, drop: () => Promise<void>}>}
 */
export async function freshDatabase({ kind = DB_KIND } = {}) {
  return kind === "postgres" ? freshPostgres() : freshSqlite();
}

async function freshSqlite() {
  const dir = tempDir("compat-db-");
  const path = join(dir, "auth.db");
  return {
    kind: "sqlite",
    url: `sqlite://${path}`,
    path,
    async query(sql, params = []) {
      const { default: Database } = await import("better-sqlite3");
      const db = new Database(path, { fileMustExist: true });
      db.pragma("busy_timeout = 5000");
      try {
        const stmt = db.prepare(sql);
        if (stmt.reader) return stmt.all(...params);
        stmt.run(...params);
        return [];
      } finally {
        db.close();
      }
    },
    async drop() {
      removeTempDir(dir);
    },
  };
}

async function freshPostgres() {
  if (!POSTGRES_URL) throw new Error("COMPAT_DB=postgres needs TESSERA_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test)");
  const name = `compat_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    kind: "postgres",
    url: url.toString(),
    name,
    async query(sql, params = []) {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        let n = 0;
        return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
      } finally {
        await client.end();
      }
    },
    async drop() {
      // FORCE: a server that was killed may leave a backend behind for a moment.
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
