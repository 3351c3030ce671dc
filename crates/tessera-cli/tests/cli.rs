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
