//! The `tessera` binary end to end: each test runs the real executable in a fresh directory.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "cli-test-secret-0123456789abcdef0123456789";

fn tessera(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TESSERA_LOG", "warn");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run tessera")
}

#[test]
fn secret_prints_64_hex_characters() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(tessera(dir.path()).arg("secret"));
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let value = text.trim().strip_prefix("BETTER_AUTH_SECRET=").unwrap();
    assert_eq!(value.len(), 64);
    assert!(value.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn generate_prints_better_auths_ddl_for_the_configured_plugins() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(tessera(dir.path())
        .args(["generate", "--dialect", "postgres"])
        .env("TESSERA_PLUGINS", "admin,two-factor,username,phone-number"));
    assert!(out.status.success());
    let ddl = String::from_utf8(out.stdout).unwrap();
    assert!(
        ddl.starts_with(r#"create table "user" ("id" text not null primary key"#),
        "{ddl}"
    );
    assert!(ddl.contains(r#""createdAt" timestamptz default CURRENT_TIMESTAMP not null"#));
    assert!(ddl.contains(r#"create table "twoFactor""#));
    let core = run(tessera(dir.path()).args(["generate", "--dialect", "sqlite"]));
    let core = String::from_utf8(core.stdout).unwrap();
    assert!(
        !core.contains("twoFactor") && !core.contains("banned"),
        "{core}"
    );
}

/// Better Auth's own output for the organization plugin, recorded beside the store's tests.
fn organization_fixture(name: &str) -> String {
    let path = format!(
        "{}/../tessera-store/tests/fixtures/better-auth-1.7.25/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

/// `[organization]` as `compat/lib/server.mjs` writes it: teams and dynamic access control on.
const ORGANIZATION_TOML: &str = "[organization]\nmembership_limit = 3\n\n[organization.teams]\nenabled = true\nmaximum_teams = 3\n\n[organization.dynamic_access_control]\nenabled = true\n\n[organization.roles.billing]\nbilling = [\"read\", \"write\"]\n";

#[test]
fn generate_and_migrate_follow_the_organization_table() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tessera.toml"), ORGANIZATION_TOML).unwrap();
    for (dialect, fixture) in [
        ("sqlite", "sqlite-organization-teams-dac.sql"),
        ("postgres", "postgres-organization-teams-dac.sql"),
    ] {
        let out = run(tessera(dir.path())
            .args(["generate", "--dialect", dialect])
            .env("TESSERA_PLUGINS", "organization"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            organization_fixture(fixture)
        );
    }
    // Without the options: Better Auth's default organization plugin.
    let plain = tempfile::tempdir().unwrap();
    let out = run(tessera(plain.path())
        .args(["generate", "--dialect", "sqlite"])
        .env("TESSERA_PLUGINS", "organization"));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        organization_fixture("sqlite-organization.sql")
    );

    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    for expected in ["created table organizationRole", "up to date"] {
        let out = run(tessera(dir.path())
            .arg("migrate")
            .env("TESSERA_PLUGINS", "organization")
            .env("TESSERA_DATABASE_URL", &db));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.contains(expected), "{err}");
    }

    std::fs::write(
        dir.path().join("tessera.toml"),
        "[organization.teams]\nenabeld = true\n",
    )
    .unwrap();
    let out = run(tessera(dir.path()).args(["generate", "--dialect", "sqlite"]));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("enabeld"), "{err}");
}

#[test]
fn migrate_is_idempotent_and_serve_refuses_an_unmigrated_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let out = run(tessera(dir.path())
        .arg("serve")
        .env("TESSERA_DATABASE_URL", &db));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("tessera migrate"));
    let first = run(tessera(dir.path())
        .arg("migrate")
        .env("TESSERA_DATABASE_URL", &db));
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = run(tessera(dir.path())
        .arg("migrate")
        .env("TESSERA_DATABASE_URL", &db));
    assert!(second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("up to date"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
}

#[test]
fn production_mode_refuses_a_default_or_short_secret() {
    let dir = tempfile::tempdir().unwrap();
    for secret in [None, Some("too-short")] {
        let mut cmd = tessera(dir.path());
        cmd.arg("serve").env("NODE_ENV", "production");
        if let Some(s) = secret {
            cmd.env("BETTER_AUTH_SECRET", s);
        }
        let out = run(&mut cmd);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to start in production"));
    }
}

#[test]
fn a_bad_config_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tessera.toml"),
        "plugins = [\"admin\"]\nbogus_key = 1\n",
    )
    .unwrap();
    let out = run(tessera(dir.path()).arg("migrate"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tessera.toml") && err.contains("bogus_key"),
        "{err}"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_answers_the_better_auth_api_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let envs = [
        ("TESSERA_DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
        ("BETTER_AUTH_URL", base.as_str()),
        ("TESSERA_LISTEN", &format!("127.0.0.1:{port}")),
        ("TESSERA_PLUGINS", "admin"),
    ];
    assert!(
        run(tessera(dir.path()).arg("migrate").envs(envs))
            .status
            .success()
    );
    let mut child = tessera(dir.path())
        .arg("serve")
        .envs(envs)
        .env("TESSERA_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let started = Instant::now();
    loop {
        let line = lines.next().expect("server output").unwrap();
        if line.contains("listening on") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no listening line"
        );
    }
    let ok = http(
        port,
        "GET /api/auth/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.ends_with(r#"{"ok":true}"#), "{ok}");
    let body = r#"{"name":"Ann","email":"ann@example.com","password":"a long password"}"#;
    let signup = http(
        port,
        &format!(
            "POST /api/auth/sign-up/email HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(signup.starts_with("HTTP/1.1 200"), "{signup}");
    assert!(
        signup.contains("set-cookie: better-auth.session_token="),
        "{signup}"
    );
    assert!(!signup.contains("a long password"));

    let promote = run(tessera(dir.path())
        .args([
            "user",
            "set-role",
            "--email",
            "Ann@Example.com",
            "--role",
            "admin",
        ])
        .envs(envs));
    assert!(
        promote.status.success(),
        "{}",
        String::from_utf8_lossy(&promote.stderr)
    );

    unsafe_free_sigterm(child.id());
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown: {status:?}");
    // The rest of the log never carries the password.
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().all(|l| !l.contains("a long password")));
}

/// SIGTERM through the `kill` command, keeping the tests free of `unsafe`.
fn unsafe_free_sigterm(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

// ---------------------------------------------------------------- Clerk import, end to end

struct Reply {
    status: u16,
    cookies: Vec<String>,
    body: String,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

fn post(port: u16, path: &str, body: &serde_json::Value, cookies: &[String]) -> Reply {
    let body = body.to_string();
    let cookie_header = if cookies.is_empty() {
        String::new()
    } else {
        format!("Cookie: {}\r\n", cookies.join("; "))
    };
    let raw = http(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nOrigin: http://127.0.0.1:{port}\r\n{cookie_header}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    let cookies = head
        .lines()
        .filter_map(|l| l.strip_prefix("set-cookie: "))
        .filter_map(|c| c.split(';').next())
        .filter(|c| !c.ends_with('='))
        .map(str::to_owned)
        .collect();
    // Bodies are small and sent with Content-Length here; chunked bodies are not expected.
    Reply {
        status,
        cookies,
        body: body.to_owned(),
    }
}

fn start_server(dir: &std::path::Path, envs: &[(&str, &str)]) -> std::process::Child {
    let mut child = tessera(dir)
        .arg("serve")
        .envs(envs.iter().copied())
        .env("TESSERA_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    loop {
        let line = lines.next().expect("server output").unwrap();
        if line.contains("listening on") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    child
}

#[test]
fn clerk_users_sign_in_on_tessera_with_what_they_had() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    let out = run(tessera(dir.path())
        .args(["example", "clerk-export", "--dir"])
        .arg(&export));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let envs = [
        ("TESSERA_DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
        ("BETTER_AUTH_URL", base.as_str()),
        ("TESSERA_LISTEN", listen.as_str()),
        ("TESSERA_PLUGINS", "admin,two-factor,username,phone-number"),
    ];
    assert!(
        run(tessera(dir.path()).arg("migrate").envs(envs))
            .status
            .success()
    );

    let dry = run(tessera(dir.path())
        .args(["import", "clerk", "--dry-run", "--csv"])
        .arg(export.join("exported_users.csv"))
        .arg("--snapshot")
        .arg(export.join("users.json"))
        .envs(envs));
    assert!(String::from_utf8_lossy(&dry.stdout).contains("nothing was written"));

    let import = |report: &str| {
        run(tessera(dir.path())
            .args(["import", "clerk", "--csv"])
            .arg(export.join("exported_users.csv"))
            .arg("--snapshot")
            .arg(export.join("users.json"))
            .arg("--report")
            .arg(dir.path().join(report))
            // Organizations and OAuth sign-in are not this test's: no plugin, no provider.
            .args(["--allow-loss", "organizations,no-way-in"])
            .envs(envs))
    };
    let first = import("report.json");
    let stdout = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(
        matches!(first.status.code(), Some(0 | 1)),
        "{stdout}\n{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        !stdout.contains("@example.com"),
        "no PII on stdout: {stdout}"
    );
    let again = import("report-2.json");
    let again_out = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        again_out.contains("inserted                    0") || again_out.contains("inserted 0"),
        "a rerun changes nothing: {again_out}"
    );

    let snapshot: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(export.join("users.json")).unwrap()).unwrap();
    let by_id = |id: &str| snapshot.iter().find(|u| u["id"] == id).cloned();
    let csv = std::fs::read_to_string(export.join("exported_users.csv")).unwrap();
    let totp_secret = |id: &str| {
        csv.lines()
            .find(|l| l.starts_with(id))
            .and_then(|l| l.split(',').rev().nth(2).map(str::to_owned))
            .filter(|s| !s.is_empty())
    };

    let mut child = start_server(dir.path(), &envs);
    let known = std::fs::read_to_string(export.join("known_passwords.csv")).unwrap();
    let mut signed_in_by = std::collections::BTreeSet::new();
    let mut hashers = std::collections::BTreeSet::new();
    let (mut banned_refused, mut totp_completed) = (0, 0);
    for line in known.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let [clerk_id, how, identifier, password, hasher] = fields[..] else {
            panic!("bad line {line}");
        };
        let (path, body) = match how {
            "email" => (
                "/api/auth/sign-in/email",
                serde_json::json!({"email": identifier, "password": password}),
            ),
            "username" => (
                "/api/auth/sign-in/username",
                serde_json::json!({"username": identifier, "password": password}),
            ),
            "phone" => (
                "/api/auth/sign-in/phone-number",
                serde_json::json!({"phoneNumber": identifier, "password": password}),
            ),
            other => panic!("unknown sign-in method {other}"),
        };
        let r = post(port, path, &body, &[]);
        let user = by_id(clerk_id);
        if user.as_ref().is_some_and(|u| u["banned"] == true) {
            assert_eq!(
                (r.status, r.json()["code"].clone()),
                (403, serde_json::json!("BANNED_USER")),
                "{clerk_id}"
            );
            banned_refused += 1;
            continue;
        }
        assert_eq!(r.status, 200, "{clerk_id} by {how} ({hasher}): {}", r.body);
        if r.json()["twoFactorRedirect"] == true {
            let secret = totp_secret(clerk_id).expect("a TOTP user has a secret in the export");
            let totp =
                tessera_core::crypto::totp::TotpSecret::from_plaintext(&format!("base32:{secret}"))
                    .unwrap();
            let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
            let v = post(
                port,
                "/api/auth/two-factor/verify-totp",
                &serde_json::json!({"code": totp.code_at(now)}),
                &r.cookies,
            );
            assert_eq!(
                v.status, 200,
                "{clerk_id}: TOTP from the original secret: {}",
                v.body
            );
            totp_completed += 1;
        } else {
            assert_eq!(r.json()["user"]["id"], clerk_id, "the Clerk id is kept");
        }
        signed_in_by.insert(how.to_owned());
        hashers.insert(hasher.to_owned());
    }
    assert_eq!(
        signed_in_by.into_iter().collect::<Vec<_>>(),
        ["email", "phone", "username"]
    );
    assert!(hashers.len() >= 3, "several hashers: {hashers:?}");
    assert!(totp_completed >= 1, "a TOTP user completed sign-in");
    assert!(banned_refused >= 1, "a banned user was refused");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap();

    // OAuth accounts: (providerId, accountId = the provider's user id) on the Clerk user.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store =
            tessera_store::open(&db, tessera_core::plugins::Plugins::ALL, Default::default())
                .await
                .unwrap();
        let mut found = 0;
        for user in &snapshot {
            for account in user["external_accounts"].as_array().into_iter().flatten() {
                if account["verification"]["status"] != "verified"
                    || account["provider"] != "oauth_google"
                {
                    continue;
                }
                let row = store
                    .find_account_by_provider(
                        "google",
                        account["provider_user_id"].as_str().unwrap(),
                    )
                    .await
                    .unwrap()
                    .expect("the Google account row");
                assert_eq!(row.user_id, user["id"].as_str().unwrap());
                found += 1;
            }
        }
        assert!(found >= 1, "Google accounts imported");
    });
}

/// A user Clerk imported from Firebase: the export holds the digest without the project's
/// parameters (the firebase/scrypt README vector, clerk-export.md §3.3), which come from the
/// configuration; the user signs in over HTTP with the original password.
#[test]
fn a_firebase_hashed_clerk_user_signs_in_with_the_configured_project_parameters() {
    const DIGEST: &str = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$$$$";
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("exported_users.csv");
    std::fs::write(
        &csv,
        format!(
            "id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher\n\
             user_firebase1,Fire,Base,,fire@example.com,,fire@example.com,,,,,{DIGEST},scrypt_firebase\n"
        ),
    )
    .unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let envs = [
        ("TESSERA_DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
        ("BETTER_AUTH_URL", base.as_str()),
        ("TESSERA_LISTEN", listen.as_str()),
        (
            "TESSERA_FIREBASE_SIGNER_KEY",
            "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
        ),
        ("TESSERA_FIREBASE_SALT_SEPARATOR", "Bw=="),
        ("TESSERA_FIREBASE_ROUNDS", "8"),
        ("TESSERA_FIREBASE_MEM_COST", "14"),
    ];
    assert!(
        run(tessera(dir.path()).arg("migrate").envs(envs))
            .status
            .success()
    );
    let imported = run(tessera(dir.path())
        .args(["import", "clerk", "--csv"])
        .arg(&csv)
        .envs(envs));
    let stdout = String::from_utf8_lossy(&imported.stdout).into_owned();
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["password", "accounts", "1"]),
        "one password account: {stdout}"
    );

    let mut child = start_server(dir.path(), &envs);
    let sign_in = |password: &str| {
        post(
            port,
            "/api/auth/sign-in/email",
            &serde_json::json!({"email": "fire@example.com", "password": password}),
            &[],
        )
    };
    assert_eq!(sign_in("user1Password").status, 401);
    let r = sign_in("user1password");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["user"]["id"], "user_firebase1");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap();
}

/// The number a loss line gives for `kind`: "usernames: 12,004 users have …" → 12004.
fn loss_count(stdout: &str, kind: &str) -> Option<u64> {
    stdout.lines().find_map(|line| {
        let rest = line.trim().strip_prefix(&format!("{kind}: "))?;
        rest.split_whitespace()
            .next()?
            .replace(',', "")
            .parse()
            .ok()
    })
}

/// Issue #14: with the default config (no plugins, no social provider, no sender) the example
/// would lose usernames, phones, TOTP, bans, organizations and users' ways in. The import
/// refuses with exit code 2, lists each loss with its count, and writes nothing; `--dry-run`
/// shows the same list; `--allow-loss` lets named losses through; `--verify` then fails on the
/// ways in the config does not offer.
#[test]
fn an_import_that_would_lose_refuses_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    assert!(
        run(tessera(dir.path())
            .args(["example", "clerk-export", "--dir"])
            .arg(&export))
        .status
        .success()
    );
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let envs = [
        ("TESSERA_DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
    ];
    assert!(
        run(tessera(dir.path()).arg("migrate").envs(envs))
            .status
            .success()
    );
    let import = |extra: &[&str]| {
        run(tessera(dir.path())
            .args(["import", "clerk", "--csv"])
            .arg(export.join("exported_users.csv"))
            .arg("--snapshot")
            .arg(export.join("users.json"))
            .args(extra)
            .envs(envs))
    };
    const KINDS: [&str; 6] = [
        "usernames",
        "phones",
        "totp",
        "bans",
        "organizations",
        "no-way-in",
    ];

    let refused = import(&[]);
    let stdout = String::from_utf8_lossy(&refused.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert_eq!(refused.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    let counts: Vec<u64> = KINDS
        .iter()
        .map(|kind| loss_count(&stdout, kind).unwrap_or_else(|| panic!("no {kind} line: {stdout}")))
        .collect();
    assert!(counts.iter().all(|n| *n > 0), "{counts:?}\n{stdout}");
    assert!(
        stdout.contains("have a username; enable plugin username")
            && stdout.contains("enable plugin organization")
            && stdout.contains("have only a verified email: enable email-otp or magic-link"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("@example.com") && !stderr.contains("@example.com"),
        "no PII: {stdout}{stderr}"
    );

    // Nothing was written: no user of the example is in the database.
    let known = std::fs::read_to_string(export.join("known_passwords.csv")).unwrap();
    let emails: Vec<String> = known
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1] == "email").then(|| f[2].to_lowercase())
        })
        .collect();
    assert!(emails.len() > 10);
    let rt = tokio_runtime();
    let users_found = |plugins| {
        rt.block_on(async {
            let store = tessera_store::open(&db, plugins, Default::default())
                .await
                .unwrap();
            let mut found = 0;
            for email in &emails {
                found += u32::from(store.find_user_by_email(email).await.unwrap().is_some());
            }
            found
        })
    };
    assert_eq!(users_found(tessera_core::plugins::Plugins::NONE), 0);

    // The dry run lists the same losses with the same counts, and says the import would refuse.
    let dry = import(&["--dry-run"]);
    let dry_out = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert_eq!(dry.status.code(), Some(2), "{dry_out}");
    for (kind, n) in KINDS.iter().zip(&counts) {
        assert_eq!(loss_count(&dry_out, kind), Some(*n), "{kind}: {dry_out}");
    }

    // Accepting some is not enough; an unknown kind is a usage error.
    let partly = import(&["--allow-loss", "usernames,phones"]);
    let partly_out = String::from_utf8_lossy(&partly.stdout).into_owned();
    assert_eq!(partly.status.code(), Some(2), "{partly_out}");
    assert!(
        partly_out.contains("--allow-loss totp,bans,organizations,no-way-in"),
        "{partly_out}"
    );
    assert_eq!(users_found(tessera_core::plugins::Plugins::NONE), 0);
    let unknown = import(&["--allow-loss", "passkeys"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no-way-in"));

    // Every loss accepted: the import runs (banned users rejected: exit 1) and says what it lost.
    let accepted = import(&["--allow-loss", &KINDS.join(",")]);
    let accepted_out = String::from_utf8_lossy(&accepted.stdout).into_owned();
    assert_eq!(accepted.status.code(), Some(1), "{accepted_out}");
    assert!(
        accepted_out.contains("accepted with --allow-loss"),
        "{accepted_out}"
    );
    assert!(accepted_out.contains("no way in"), "{accepted_out}");
    assert!(users_found(tessera_core::plugins::Plugins::NONE) > 10);

    // The config offers no emailed code and no social provider: `--verify` fails on them.
    let verified = import(&["--verify"]);
    let verified_out = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert_eq!(verified.status.code(), Some(1), "{verified_out}");
    assert!(
        verified_out.contains("way_in_not_offered"),
        "{verified_out}"
    );
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_bundled_example_export_is_what_the_generator_makes() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(tessera(dir.path()).args(["example", "clerk-export", "--dir", "fresh"]));
    assert!(out.status.success());
    let bundled =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/clerk-export");
    for file in ["exported_users.csv", "users.json", "known_passwords.csv"] {
        let fresh = std::fs::read(dir.path().join("fresh").join(file)).unwrap();
        let kept = std::fs::read(bundled.join(file)).unwrap();
        assert!(
            fresh == kept,
            "{file} differs: regenerate with `tessera example clerk-export --dir examples/clerk-export`"
        );
    }
}

// ---------------------------------------------------------------- tessera dev

/// Runs `tessera dev` in `dir` until it says what the example import did, then stops it.
fn dev_import_line(dir: &std::path::Path) -> String {
    let port = free_port().to_string();
    let listen = format!("127.0.0.1:{port}");
    let mut child = tessera(dir)
        .arg("dev")
        .env("TESSERA_LISTEN", &listen)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    let said = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("example Clerk export") => break line,
            Ok(line) => seen.push(line),
            Err(e) => panic!("no word on the example import ({e}): {seen:?}"),
        }
    };
    unsafe_free_sigterm(child.id());
    child.wait().unwrap();
    said
}

#[test]
fn dev_says_in_words_what_the_example_import_did() {
    let dir = tempfile::tempdir().unwrap();
    let example = dir.path().join("examples/clerk-export");
    let made = run(tessera(dir.path())
        .args(["example", "clerk-export", "--dir"])
        .arg(&example));
    assert!(made.status.success());

    let first = dev_import_line(dir.path());
    assert!(!first.contains("ExitCode("), "{first}");
    assert!(
        first.contains("users imported, 0 users already there")
            && first.contains("sign in as any user of examples/clerk-export/known_passwords.csv"),
        "{first}"
    );
    assert!(!first.contains(" 0 users imported"), "{first}");

    let again = dev_import_line(dir.path());
    assert!(!again.contains("ExitCode("), "{again}");
    assert!(again.contains(": 0 users imported, "), "{again}");
    assert!(!again.contains(" 0 users already there"), "{again}");
}

#[test]
fn org_commands_list_show_and_add_a_member() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let envs = [
        ("TESSERA_DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
        ("BETTER_AUTH_URL", base.as_str()),
        ("TESSERA_LISTEN", listen.as_str()),
        ("TESSERA_PLUGINS", "organization"),
    ];
    assert!(
        run(tessera(dir.path()).arg("migrate").envs(envs))
            .status
            .success()
    );
    let mut child = start_server(dir.path(), &envs);
    let mut owner = Vec::new();
    for email in ["ann@example.com", "bob@example.com"] {
        let body = serde_json::json!({"name": "N", "email": email, "password": "a long password"});
        let r = post(port, "/api/auth/sign-up/email", &body, &[]);
        assert_eq!(r.status, 200, "{}", r.body);
        if owner.is_empty() {
            owner = r.cookies;
        }
    }
    let created = post(
        port,
        "/api/auth/organization/create",
        &serde_json::json!({"name": "Acme", "slug": "acme"}),
        &owner,
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let org_id = created.json()["id"].as_str().unwrap().to_owned();

    let org = |args: &[&str]| run(tessera(dir.path()).arg("org").args(args).envs(envs));
    let add = org(&[
        "add-member",
        "--organization",
        "acme",
        "--email",
        "Bob@Example.com",
        "--role",
        "admin",
    ]);
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let again = org(&[
        "add-member",
        "--organization",
        &org_id,
        "--email",
        "bob@example.com",
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already a member"));
    let ghost = org(&[
        "add-member",
        "--organization",
        "acme",
        "--email",
        "ann@example.com",
        "--role",
        "ghost",
    ]);
    assert_eq!(ghost.status.code(), Some(1));

    let list = org(&["list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains(&format!("{org_id}\tacme\t2 members\tAcme")),
        "{list}"
    );
    let show = org(&["show", "acme"]);
    let show = String::from_utf8_lossy(&show.stdout).into_owned();
    assert!(show.contains("members: 2"), "{show}");
    assert!(
        show.contains("\towner\t") && show.contains("\tadmin\t"),
        "{show}"
    );
    assert!(show.contains("bob@example.com"), "{show}");
    assert_eq!(org(&["show", "nope"]).status.code(), Some(1));

    // What the CLI wrote is what the server answers.
    let role = http(
        port,
        &format!(
            "GET /api/auth/organization/list-members HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nConnection: close\r\n\r\n",
            owner.join("; ")
        ),
    );
    assert!(role.contains(r#""role":"admin""#), "{role}");

    unsafe_free_sigterm(child.id());
    child.wait().unwrap();
    let off = run(tessera(dir.path())
        .args(["org", "list"])
        .envs(envs)
        .env("TESSERA_PLUGINS", ""));
    assert_eq!(off.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&off.stderr).contains("organization plugin"));
}

fn get(port: u16, path: &str, cookies: &[String]) -> Reply {
    let raw = http(
        port,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nOrigin: http://127.0.0.1:{port}\r\nCookie: {}\r\nConnection: close\r\n\r\n",
            cookies.join("; ")
        ),
    );
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    Reply {
        status: head[9..12].parse().unwrap(),
        cookies: Vec::new(),
        body: body.to_owned(),
    }
}

/// Clerk organizations come across with the example export: an imported member signs in and
/// finds the same organizations, with the owner and member rights the Clerk data gives.
#[test]
fn clerk_organizations_come_across_with_their_members_rights() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    assert!(
        run(tessera(dir.path())
            .args(["example", "clerk-export", "--dir"])
            .arg(&export))
        .status
        .success()
    );
    std::fs::write(
        dir.path().join("tessera.toml"),
        "plugins = [\"admin\", \"two-factor\", \"username\", \"phone-number\", \"organization\"]\n\
         [organization.dynamic_access_control]\nenabled = true\n",
    )
    .unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let envs = [
        ("TESSERA_DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
        ("BETTER_AUTH_URL", base.as_str()),
        ("TESSERA_LISTEN", listen.as_str()),
    ];
    assert!(
        run(tessera(dir.path()).arg("migrate").envs(envs))
            .status
            .success()
    );
    let import = || {
        run(tessera(dir.path())
            .args(["import", "clerk", "--csv"])
            .arg(export.join("exported_users.csv"))
            .arg("--snapshot")
            .arg(export.join("users.json"))
            // No social provider is configured: OAuth-only users are not this test's.
            .args(["--allow-loss", "no-way-in"])
            .envs(envs))
    };
    let first = import();
    let stdout = String::from_utf8_lossy(&first.stdout).into_owned();
    assert_eq!(first.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("organization rows inserted: 11 organizations"),
        "{stdout}"
    );
    assert!(!stdout.contains('@'), "no PII on stdout: {stdout}");
    let again = String::from_utf8_lossy(&import().stdout).into_owned();
    assert!(
        again.contains(
            "0 organizations (11 already present, 0 skipped), 0 members, 0 invitations, 0 roles"
        ),
        "{again}"
    );

    // The organizations of each user, from the side file.
    let side = std::fs::read_to_string(export.join("users.organizations.ndjson")).unwrap();
    let mut creator_of_acme = String::new();
    let mut orgs_of: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    let mut current = String::new();
    for line in side.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(org) = v.get("organization") {
            current = org["id"].as_str().unwrap().to_owned();
            if org["slug"] == "acme" && creator_of_acme.is_empty() {
                creator_of_acme = org["created_by"].as_str().unwrap().to_owned();
            }
        } else if let Some(m) = v.get("membership") {
            let user = m["public_user_data"]["user_id"]
                .as_str()
                .unwrap()
                .to_owned();
            orgs_of.entry(user).or_default().insert(current.clone());
        }
    }
    let known = std::fs::read_to_string(export.join("known_passwords.csv")).unwrap();
    let line = known
        .lines()
        .find(|l| l.starts_with(&format!("{creator_of_acme},email,")))
        .expect("the example's Acme creator signs in by email");
    let fields: Vec<&str> = line.split(',').collect();

    let mut child = start_server(dir.path(), &envs);
    let signed = post(
        port,
        "/api/auth/sign-in/email",
        &serde_json::json!({"email": fields[2], "password": fields[3]}),
        &[],
    );
    assert_eq!(signed.status, 200, "{}", signed.body);
    let cookies = signed.cookies;
    let listed = get(port, "/api/auth/organization/list", &cookies);
    assert_eq!(listed.status, 200, "{}", listed.body);
    let listed: std::collections::BTreeSet<String> = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, orgs_of[&creator_of_acme]);
    let acme = "org_2FixtureAcme00000000000000";
    let legacy = "org_2FixtureLegacy0000000000";
    let role_in = |org: &str| {
        let set = post(
            port,
            "/api/auth/organization/set-active",
            &serde_json::json!({"organizationId": org}),
            &cookies,
        );
        assert_eq!(set.status, 200, "{}", set.body);
        let mut with_active = cookies.clone();
        with_active.retain(|c| {
            !set.cookies
                .iter()
                .any(|n| n.split('=').next() == c.split('=').next())
        });
        with_active.extend(set.cookies.clone());
        let member = get(
            port,
            "/api/auth/organization/get-active-member",
            &with_active,
        );
        assert_eq!(member.status, 200, "{}", member.body);
        let may_delete = post(
            port,
            "/api/auth/organization/has-permission",
            &serde_json::json!({"permissions": {"organization": ["delete"]}}),
            &with_active,
        );
        (
            member.json()["role"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            may_delete.json()["success"].clone(),
        )
    };
    assert_eq!(
        role_in(acme),
        ("owner".to_owned(), serde_json::json!(true)),
        "the creator owns Acme"
    );
    assert_eq!(
        role_in(legacy),
        ("member".to_owned(), serde_json::json!(false)),
        "basic_member is a member"
    );

    // Acme's billing member: the custom role's organizationRole row grants `invoices:read`
    // (kept from Clerk's `org:invoices:read`) and nothing of the default statements.
    let billing = side
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("membership").cloned())
        .find(|m| m["role"] == "org:billing")
        .unwrap();
    let billing_user = billing["public_user_data"]["user_id"].as_str().unwrap();
    let line = known
        .lines()
        .find(|l| l.starts_with(&format!("{billing_user},email,")))
        .expect("the example's billing member signs in by email");
    let fields: Vec<&str> = line.split(',').collect();
    let signed = post(
        port,
        "/api/auth/sign-in/email",
        &serde_json::json!({"email": fields[2], "password": fields[3]}),
        &[],
    );
    assert_eq!(signed.status, 200, "{}", signed.body);
    let may = |permissions: serde_json::Value| {
        let r = post(
            port,
            "/api/auth/organization/has-permission",
            &serde_json::json!({"organizationId": acme, "permissions": permissions}),
            &signed.cookies,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["success"].clone()
    };
    assert_eq!(
        may(serde_json::json!({"invoices": ["read"]})),
        serde_json::json!(true)
    );
    assert_eq!(
        may(serde_json::json!({"invoices": ["manage"]})),
        serde_json::json!(true)
    );
    assert_eq!(
        may(serde_json::json!({"member": ["delete"]})),
        serde_json::json!(false)
    );
    unsafe_free_sigterm(child.id());
    let _ = child.wait();
}

/// A stand-in for Clerk's Backend API on a thread: the example's users and organizations, each
/// listing in one page (they are shorter than a page). Answers until the test ends.
fn fake_clerk(export: &std::path::Path) -> u16 {
    let users = std::fs::read_to_string(export.join("users.json")).unwrap();
    let side = std::fs::read_to_string(export.join("users.organizations.ndjson")).unwrap();
    let (mut roles, mut orgs) = (Vec::new(), Vec::new());
    let mut children: std::collections::HashMap<
        String,
        (Vec<serde_json::Value>, Vec<serde_json::Value>),
    > = Default::default();
    let mut current = String::new();
    for line in side.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(r) = v.get("role") {
            roles.push(r.clone());
        } else if let Some(o) = v.get("organization") {
            current = o["id"].as_str().unwrap().to_owned();
            orgs.push(o.clone());
        } else if let Some(m) = v.get("membership") {
            children
                .entry(current.clone())
                .or_default()
                .0
                .push(m.clone());
        } else if let Some(i) = v.get("invitation") {
            children
                .entry(current.clone())
                .or_default()
                .1
                .push(i.clone());
        }
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap() == 0 || header == "\r\n" {
                    break;
                }
            }
            let target = request.split(' ').nth(1).unwrap_or("");
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let data = |items: Vec<serde_json::Value>| {
                serde_json::json!({"data": items, "total_count": items.len()}).to_string()
            };
            let offset_zero = !query.contains("offset=") || query.contains("offset=0");
            let parts: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
            let body = match parts.as_slice() {
                ["users"] if !query.contains("starting_after") => users.clone(),
                ["users"] => "[]".to_owned(),
                [_, ..] if !offset_zero => data(Vec::new()),
                ["organization_roles"] => data(roles.clone()),
                ["organizations"] => data(orgs.clone()),
                ["organizations", id, "memberships"] => {
                    data(children.get(*id).map(|c| c.0.clone()).unwrap_or_default())
                }
                ["organizations", id, "invitations"] => data(
                    children
                        .get(*id)
                        .map(|c| {
                            c.1.iter()
                                .filter(|i| i["status"] == "pending")
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                _ => "{}".to_owned(),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// `--clerk-secret-key` brings the organizations in by default and saves them beside the
/// snapshot; `--snapshot` then finds them; `--no-organizations` leaves them out.
#[test]
fn the_live_api_brings_organizations_and_the_snapshot_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    assert!(
        run(tessera(dir.path())
            .args(["example", "clerk-export", "--dir"])
            .arg(&export))
        .status
        .success()
    );
    std::fs::write(
        dir.path().join("tessera.toml"),
        "plugins = [\"admin\", \"two-factor\", \"username\", \"phone-number\", \"organization\"]\n\
         [organization.dynamic_access_control]\nenabled = true\n",
    )
    .unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let envs = [
        ("TESSERA_DATABASE_URL", db.as_str()),
        ("BETTER_AUTH_SECRET", SECRET),
    ];
    assert!(
        run(tessera(dir.path()).arg("migrate").envs(envs))
            .status
            .success()
    );
    let api = format!("http://127.0.0.1:{}/v1", fake_clerk(&export));
    let live = |snapshot: &str, extra: &[&str]| {
        run(tessera(dir.path())
            .args(["import", "clerk", "--csv"])
            .arg(export.join("exported_users.csv"))
            .args([
                "--clerk-secret-key",
                "sk_test_fake",
                "--clerk-api-url",
                &api,
            ])
            .arg("--save-snapshot")
            .arg(dir.path().join(snapshot))
            .args(["--allow-loss", "no-way-in"])
            .args(extra)
            .envs(envs))
    };
    let skipped = live("first.json", &["--no-organizations", "--dry-run"]);
    assert!(
        skipped.status.success(),
        "{}",
        String::from_utf8_lossy(&skipped.stderr)
    );
    assert!(!dir.path().join("first.organizations.ndjson").exists());
    assert!(!String::from_utf8_lossy(&skipped.stdout).contains("organizations"));

    let fetched = live("live.json", &[]);
    let stdout = String::from_utf8_lossy(&fetched.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&fetched.stderr).into_owned();
    assert_eq!(fetched.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("listed 11 organizations"), "{stderr}");
    assert!(
        stdout.contains("organization rows inserted: 11 organizations"),
        "{stdout}"
    );
    assert!(dir.path().join("live.organizations.ndjson").exists());

    let again = run(tessera(dir.path())
        .args(["import", "clerk", "--csv"])
        .arg(export.join("exported_users.csv"))
        .arg("--snapshot")
        .arg(dir.path().join("live.json"))
        .args(["--allow-loss", "no-way-in"])
        .envs(envs));
    let again = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        again.contains("0 organizations (11 already present"),
        "{again}"
    );
}
