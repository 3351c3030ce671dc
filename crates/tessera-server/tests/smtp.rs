//! Email over SMTP against a real SMTP server (Python's aiosmtpd, started per test): the message
//! arrives, and the link in it completes the flow; a relay that refuses or never answers costs a
//! bounded time and gets Better Auth's answer for a sender that throws.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Browser, for_each_store_adjusted};
use tessera_core::config::{Config, SmtpConfig, SmtpTls};
use tessera_core::plugins::Plugins;

const PASSWORD: &str = "correct horse battery";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/server.py");

/// aiosmtpd is a Python package; a machine without it gets it installed once (scripts/test does
/// the same), and a machine where that fails says so plainly.
fn ensure_aiosmtpd() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let importable = || {
            Command::new("python3")
                .args(["-c", "import aiosmtpd"])
                .status()
                .is_ok_and(|s| s.success())
        };
        if importable() {
            return;
        }
        let _ = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "aiosmtpd"])
            .status();
        assert!(
            importable(),
            "these tests need Python 3 with aiosmtpd: `python3 -m pip install aiosmtpd`"
        );
    });
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A throw-away certificate for `localhost`, for the TLS modes.
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("these tests need the openssl command to make a certificate");
    assert!(status.success(), "openssl req failed");
    (cert, key)
}

/// One aiosmtpd process; every message it accepts is a JSON line in `out`.
struct SmtpServer {
    child: Child,
    port: u16,
    out: PathBuf,
    cert: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    fn start(tls: &str, extra: &[&str]) -> SmtpServer {
        ensure_aiosmtpd();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = certificate(dir.path());
        let out = dir.path().join("received.jsonl");
        let port = free_port();
        let mut child = Command::new("python3")
            .arg(SCRIPT)
            .args(["--port", &port.to_string(), "--tls", tls])
            .arg("--out")
            .arg(&out)
            .arg("--cert")
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("ready"),
            "SMTP server did not start: {line:?}"
        );
        SmtpServer {
            child,
            port,
            out,
            cert,
            _dir: dir,
        }
    }

    fn config(&self, tls: SmtpTls) -> SmtpConfig {
        SmtpConfig {
            host: if tls == SmtpTls::None {
                "127.0.0.1".into()
            } else {
                "localhost".into()
            },
            port: self.port,
            tls,
            username: None,
            password: None,
            from: "Tessera <no-reply@example.com>".into(),
            timeout_ms: 5000,
            ca_cert: Some(self.cert.display().to_string()),
        }
    }

    fn messages(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// [`SmtpServer::last`] for a message sent after the answer: waits a bounded while for one
    /// that came after the first `seen` messages (a relay shared by both stores' runs already
    /// holds the earlier run's mail).
    async fn wait_for(&self, seen: usize, to: &str, about: &str) -> Value {
        for _ in 0..500 {
            let found = self
                .messages()
                .into_iter()
                .skip(seen)
                .rev()
                .find(|m| m["to"][0] == to && m["subject"].as_str().unwrap().contains(about));
            if let Some(message) = found {
                return message;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.last(to, about)
    }

    /// The newest message to `to` whose subject mentions `about`.
    fn last(&self, to: &str, about: &str) -> Value {
        self.messages()
            .into_iter()
            .rev()
            .find(|m| m["to"][0] == to && m["subject"].as_str().unwrap().contains(about))
            .unwrap_or_else(|| panic!("no message to {to} about {about}: {:?}", self.messages()))
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first `http://…` link in a mail body, as the user would click it (path and query).
fn link_in(message: &Value) -> String {
    let body = message["body"].as_str().unwrap();
    let url = body
        .split_whitespace()
        .find(|w| w.starts_with("http://localhost:3000/"))
        .unwrap_or_else(|| panic!("no link in {body}"));
    url.strip_prefix("http://localhost:3000")
        .unwrap()
        .to_owned()
}

/// Everything the server logged, as the operator would read it.
#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    /// The log of every test in this binary, captured by one global subscriber. A subscriber set
    /// per thread would miss events: tracing caches a callsite as disabled when another test's
    /// thread, with no subscriber, reaches it first. Tests look for lines only they can write.
    fn capture() -> Log {
        static GLOBAL: std::sync::OnceLock<Log> = std::sync::OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let log = Log::default();
                let writer = log.clone();
                let subscriber = tracing_subscriber::fmt()
                    .with_ansi(false)
                    .with_writer(move || writer.clone())
                    .finish();
                tracing::subscriber::set_global_default(subscriber).unwrap();
                log
            })
            .clone()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn with_smtp(smtp: SmtpConfig) -> impl Fn(&mut Config) {
    move |c: &mut Config| c.smtp = Some(smtp.clone())
}

#[tokio::test]
async fn a_verification_email_arrives_over_plain_smtp_and_its_link_verifies() {
    let server = SmtpServer::start("none", &[]);
    let smtp = server.config(SmtpTls::None);
    for_each_store_adjusted(Plugins::NONE, with_smtp(smtp), |app| {
        let server = &server;
        async move {
            let b = Browser::new(&app);
            b.sign_up("vera@example.com", PASSWORD).await;
            let r = b
                .post(
                    "/api/auth/send-verification-email",
                    json!({"email": "vera@example.com", "callbackURL": "/welcome"}),
                )
                .await;
            assert_eq!((r.status, r.json()), (200, json!({"status": true})));
            let mail = server.last("vera@example.com", "Verify");
            assert_eq!(mail["from"], "no-reply@example.com");
            let r = Browser::new(&app).get(&link_in(&mail)).await;
            assert_eq!(
                (r.status, r.header("location")),
                (302, Some("/welcome".into()))
            );
            let session = b.get("/api/auth/get-session").await.json();
            assert_eq!(session["user"]["emailVerified"], true);
        }
    })
    .await;
}

async fn reset_over(server: &SmtpServer, smtp: SmtpConfig) {
    for_each_store_adjusted(Plugins::NONE, with_smtp(smtp), |app| async move {
        Browser::new(&app)
            .sign_up("rosa@example.com", PASSWORD)
            .await;
        let seen = server.messages().len();
        let r = Browser::new(&app)
            .post(
                "/api/auth/request-password-reset",
                json!({"email": "rosa@example.com", "redirectTo": "/reset"}),
            )
            .await;
        assert_eq!(r.status, 200);
        let mail = server.wait_for(seen, "rosa@example.com", "Reset").await;
        let link = Browser::new(&app).get(&link_in(&mail)).await;
        assert_eq!(link.status, 302);
        let location = link.header("location").unwrap();
        let token = location
            .split_once("token=")
            .map(|(_, t)| t.to_owned())
            .unwrap();
        let r = Browser::new(&app)
            .post(
                "/api/auth/reset-password",
                json!({"token": token, "newPassword": "a brand new password"}),
            )
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"status": true})));
        Browser::new(&app)
            .sign_in("rosa@example.com", "a brand new password")
            .await;
    })
    .await;
}

#[tokio::test]
async fn a_reset_link_arrives_over_starttls_with_auth_and_resets_the_password() {
    let server = SmtpServer::start("starttls", &["--auth", "mailer:s3cret-pass"]);
    let smtp = SmtpConfig {
        username: Some("mailer".into()),
        password: Some("s3cret-pass".into()),
        ..server.config(SmtpTls::StartTls)
    };
    reset_over(&server, smtp).await;
}

#[tokio::test]
async fn a_reset_link_arrives_over_implicit_tls_with_auth() {
    let server = SmtpServer::start("implicit", &["--auth", "mailer:s3cret-pass"]);
    let smtp = SmtpConfig {
        username: Some("mailer".into()),
        password: Some("s3cret-pass".into()),
        ..server.config(SmtpTls::Implicit)
    };
    reset_over(&server, smtp).await;
}

#[tokio::test]
async fn wrong_smtp_credentials_deliver_nothing_and_the_reset_answer_is_unchanged() {
    let server = SmtpServer::start("starttls", &["--auth", "mailer:s3cret-pass"]);
    let smtp = SmtpConfig {
        username: Some("mailer".into()),
        password: Some("Wrong-Pa55word-x9".into()),
        ..server.config(SmtpTls::StartTls)
    };
    let log = Log::capture();
    for_each_store_adjusted(Plugins::NONE, with_smtp(smtp), |app| {
        let server = &server;
        let log = log.clone();
        async move {
            Browser::new(&app)
                .sign_up("walt@example.com", PASSWORD)
                .await;
            // The log is shared by every test of this binary and both stores' runs: this run's
            // line is the next one that names this relay.
            let relay = format!(":{}: ", server.port);
            let refusals = |text: &str| -> Vec<String> {
                text.lines()
                    .filter(|l| l.contains("message not delivered") && l.contains(&relay))
                    .map(str::to_owned)
                    .collect()
            };
            let seen = refusals(&log.text()).len();
            let started = Instant::now();
            let r = Browser::new(&app)
                .post(
                    "/api/auth/request-password-reset",
                    json!({"email": "walt@example.com"}),
                )
                .await;
            assert_eq!(r.status, 200);
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "the refusal is heard, not waited out: {:?}",
                started.elapsed()
            );
            // The reset link is mailed after the answer: wait for the refusal to be logged.
            let mut text = log.text();
            for _ in 0..500 {
                if refusals(&text).len() > seen {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                text = log.text();
            }
            assert!(server.messages().is_empty());
            let line = refusals(&text).get(seen).cloned().unwrap_or_default();
            assert!(line.contains("reset-password"), "a clear line: {text}");
            assert!(line.contains("535"), "the relay's refusal is named: {line}");
            assert!(
                !text.contains("Wrong-Pa55word-x9"),
                "no SMTP password: {text}"
            );
            assert!(
                !text.contains("/reset-password/"),
                "no link, so no token: {text}"
            );
        }
    })
    .await;
}

/// What a relay that fails does to each sending endpoint, as Better Auth answers when its
/// sender throws: send-verification-email lets the error through (500, empty body), the others
/// log it and answer as usual.
async fn answers_with_a_failing_relay(smtp: SmtpConfig, bound: Duration) {
    let adjust = move |c: &mut Config| {
        c.smtp = Some(smtp.clone());
        c.lifecycle.require_email_verification = true;
        c.lifecycle.email_verification.send_on_sign_up = Some(false);
        c.lifecycle.email_verification.send_on_sign_in = true;
    };
    for_each_store_adjusted(Plugins::NONE, adjust, |app| async move {
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-up/email",
                json!({"name": "Fay", "email": "fay@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 200);

        let started = Instant::now();
        let r = Browser::new(&app)
            .post(
                "/api/auth/request-password-reset",
                json!({"email": "fay@example.com"}),
            )
            .await;
        assert_eq!(
            r.status, 200,
            "request-password-reset logs and answers as usual"
        );
        assert!(started.elapsed() < bound, "took {:?}", started.elapsed());

        let started = Instant::now();
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "fay@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (403, json!("EMAIL_NOT_VERIFIED"))
        );
        assert!(started.elapsed() < bound, "took {:?}", started.elapsed());

        let started = Instant::now();
        let r = Browser::new(&app)
            .post(
                "/api/auth/send-verification-email",
                json!({"email": "fay@example.com"}),
            )
            .await;
        assert_eq!((r.status, r.text()), (500, String::new()));
        assert!(started.elapsed() < bound, "took {:?}", started.elapsed());

        let r = Browser::new(&app)
            .post(
                "/api/auth/send-verification-email",
                json!({"email": "nobody@example.com"}),
            )
            .await;
        assert_eq!(r.status, 200, "nothing is sent to an unknown address");
    })
    .await;
}

#[tokio::test]
async fn a_relay_that_refuses_the_recipient_makes_send_verification_email_answer_500_as_better_auth_does()
 {
    let server = SmtpServer::start("none", &["--refuse"]);
    answers_with_a_failing_relay(server.config(SmtpTls::None), Duration::from_secs(3)).await;
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_relay_that_never_answers_is_given_up_after_the_timeout_and_send_verification_email_answers_500()
 {
    // Accepts connections and never says a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let smtp = SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "no-reply@example.com".into(),
        timeout_ms: 700,
        ca_cert: None,
    };
    let log = Log::capture();
    answers_with_a_failing_relay(smtp, Duration::from_secs(3)).await;
    let line = format!("127.0.0.1:{port}: no answer within 700 ms");
    assert!(log.text().contains(&line), "{}", log.text());
    held.abort();
}
