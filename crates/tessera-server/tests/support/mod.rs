//! The test kit: a real router over a real, fresh database, and a `Browser` that keeps cookies
//! and sends `Origin` the way the better-auth client in a browser does.

#![allow(dead_code)]

mod postgres;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request};
use http_body_util::BodyExt;
use serde_json::Value;
use tessera_core::config::Config;
use tessera_core::model::{Account, User};
use tessera_core::plugins::Plugins;
use tessera_server::plugins::Plugin;
use tessera_store::{OpenOptions, Store};
use tower::ServiceExt;

pub const BASE_URL: &str = "http://localhost:3000";
pub const SECRET: &str = "tessera-test-secret-that-is-long-enough-0123456789";

pub struct TestApp {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub config: Config,
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres: Option<postgres::FreshDatabase>,
}

pub fn test_config(plugins: Plugins, database_url: String) -> Config {
    Config {
        base_url: BASE_URL.to_owned(),
        secret: SECRET.to_owned(),
        database_url,
        plugins,
        hashing_concurrency: 2,
        ..Config::default()
    }
}

impl TestApp {
    pub async fn sqlite(plugins: Plugins) -> TestApp {
        TestApp::sqlite_with(plugins, |_| {}).await
    }

    pub async fn sqlite_with(plugins: Plugins, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("tessera.db").display());
        let mut app = TestApp::build(plugins, url, adjust).await;
        app._sqlite_dir = Some(dir);
        app
    }

    pub async fn postgres(plugins: Plugins, base: &str) -> TestApp {
        let db = postgres::FreshDatabase::create(base).await;
        let mut app = TestApp::build(plugins, db.url.clone(), |_| {}).await;
        app._postgres = Some(db);
        app
    }

    async fn build(plugins: Plugins, url: String, adjust: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::build_with(plugins, url, adjust, Vec::new()).await
    }

    async fn build_with(
        plugins: Plugins,
        url: String,
        adjust: impl FnOnce(&mut Config),
        own_plugins: Vec<Arc<dyn Plugin>>,
    ) -> TestApp {
        let mut config = test_config(plugins, url);
        adjust(&mut config);
        tessera_server::plugins::Registry::adopt_fields(&mut config, &own_plugins);
        let options = OpenOptions {
            migrate: true,
            extra_tables: own_plugins.iter().flat_map(|p| p.tables()).collect(),
            ..OpenOptions::default()
        };
        let store = tessera_store::open(&config.database_url, config.schema(), options)
            .await
            .expect("open store");
        let state =
            tessera_server::AppState::with_plugins(config.clone(), Arc::clone(&store), own_plugins)
                .expect("state");
        TestApp {
            router: tessera_server::app(state),
            store,
            config,
            _sqlite_dir: None,
            _postgres: None,
        }
    }

    /// A user whose credential account holds `stored_hash` as an importer would write it.
    pub async fn insert_user_with_password(&self, email: &str, stored_hash: &str) -> String {
        let now = tessera_core::timefmt::now_ms();
        let id = tessera_core::crypto::random::generate_id(32);
        let user = User::new(id.clone(), "Imported".into(), email.into(), true, now);
        let account = Account::credential(
            tessera_core::crypto::random::generate_id(32),
            &id,
            stored_hash.into(),
            now,
        );
        self.store
            .create_user(&user, &[account])
            .await
            .expect("insert user");
        id
    }
}

impl TestApp {
    pub async fn postgres_with(
        plugins: Plugins,
        base: &str,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        let db = postgres::FreshDatabase::create(base).await;
        let mut app = TestApp::build(plugins, db.url.clone(), adjust).await;
        app._postgres = Some(db);
        app
    }
}

/// A development outbox file of its own, for a test that reads back the codes the server sent.
pub struct Outbox {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Outbox {
    pub fn new() -> Outbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("outbox.jsonl");
        Outbox { _dir: dir, path }
    }

    /// Points a config's `outbox_path` here.
    pub fn configure(&self, config: &mut Config) {
        config.outbox_path = Some(self.path.display().to_string());
    }

    /// Every message so far, oldest first.
    pub fn messages(&self) -> Vec<Value> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).expect("outbox line"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The newest message of this type to this recipient.
    pub fn last(&self, kind: &str, to: &str) -> Option<Value> {
        self.messages()
            .into_iter()
            .rev()
            .find(|m| m["type"] == kind && m["to"] == to)
    }

    /// The newest message of this type to this recipient, waiting (a bounded while) for one
    /// that is sent in the background after the answer.
    pub async fn wait_for(&self, kind: &str, to: &str) -> Value {
        self.wait_until(|| self.last(kind, to))
            .await
            .unwrap_or_else(|| panic!("no {kind} message to {to} in time"))
    }

    /// The `code` field of [`Outbox::wait_for`]'s message.
    pub async fn wait_for_code(&self, kind: &str, to: &str) -> String {
        let message = self.wait_for(kind, to).await;
        message["code"].as_str().expect("code").to_owned()
    }

    /// Waits (a bounded while) until the outbox holds at least `count` messages; returns them.
    pub async fn wait_for_count(&self, count: usize) -> Vec<Value> {
        self.wait_until(|| Some(self.messages()).filter(|m| m.len() >= count))
            .await
            .unwrap_or_else(|| panic!("fewer than {count} messages in time: {:?}", self.messages()))
    }

    /// Every message, once mail sent after the answer has landed: the count has stood still for
    /// 200 ms (bounded, like the other waits).
    pub async fn settled(&self) -> Vec<Value> {
        let mut last = self.messages().len();
        let mut still = 0;
        for _ in 0..500 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            let now = self.messages().len();
            if now == last {
                still += 1;
                if still >= 20 {
                    break;
                }
            } else {
                (last, still) = (now, 0);
            }
        }
        self.messages()
    }

    async fn wait_until<T>(&self, mut found: impl FnMut() -> Option<T>) -> Option<T> {
        for _ in 0..500 {
            if let Some(value) = found() {
                return Some(value);
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        None
    }

    /// The `code` field of the newest such message.
    pub fn code(&self, kind: &str, to: &str) -> String {
        let message = self
            .last(kind, to)
            .unwrap_or_else(|| panic!("no {kind} message to {to}"));
        message["code"].as_str().expect("code").to_owned()
    }
}

/// Like [`for_each_store`], each app writing its messages to an outbox the test can read.
pub async fn for_each_store_with_outbox<F, Fut>(plugins: Plugins, test: F)
where
    F: Fn(Arc<TestApp>, Arc<Outbox>) -> Fut,
    Fut: Future<Output = ()>,
{
    for_each_store_configured(plugins, |_| {}, test).await;
}

/// Like [`for_each_store_with_outbox`], with a further change to the config.
pub async fn for_each_store_configured<F, Fut>(plugins: Plugins, adjust: fn(&mut Config), test: F)
where
    F: Fn(Arc<TestApp>, Arc<Outbox>) -> Fut,
    Fut: Future<Output = ()>,
{
    let outbox = Arc::new(Outbox::new());
    let app = TestApp::sqlite_with(plugins, |c| {
        outbox.configure(c);
        adjust(c);
    })
    .await;
    test(Arc::new(app), outbox).await;
    if let Some(base) = postgres::url_from_env() {
        let outbox = Arc::new(Outbox::new());
        let app = TestApp::postgres_with(plugins, &base, |c| {
            outbox.configure(c);
            adjust(c);
        })
        .await;
        test(Arc::new(app), outbox).await;
    }
}

/// Like [`for_each_store`], with a config change that may capture values (a port, a path).
pub async fn for_each_store_adjusted<A, F, Fut>(plugins: Plugins, adjust: A, test: F)
where
    A: Fn(&mut Config),
    F: Fn(Arc<TestApp>) -> Fut,
    Fut: Future<Output = ()>,
{
    test(Arc::new(TestApp::sqlite_with(plugins, &adjust).await)).await;
    if let Some(base) = postgres::url_from_env() {
        test(Arc::new(
            TestApp::postgres_with(plugins, &base, &adjust).await,
        ))
        .await;
    }
}

/// Like [`for_each_store`], with plugins of the test's own registered after the configured ones.
pub async fn for_each_store_with_own_plugins<P, F, Fut>(
    plugins: Plugins,
    adjust: fn(&mut Config),
    own: P,
    test: F,
) where
    P: Fn() -> Vec<Arc<dyn Plugin>>,
    F: Fn(Arc<TestApp>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("tessera.db").display());
    let mut app = TestApp::build_with(plugins, url, adjust, own()).await;
    app._sqlite_dir = Some(dir);
    test(Arc::new(app)).await;
    if let Some(base) = postgres::url_from_env() {
        let db = postgres::FreshDatabase::create(&base).await;
        let mut app = TestApp::build_with(plugins, db.url.clone(), adjust, own()).await;
        app._postgres = Some(db);
        test(Arc::new(app)).await;
    }
}

/// Runs the test on a fresh SQLite file, then on a fresh PostgreSQL database when
/// `TESSERA_TEST_POSTGRES_URL` is set.
pub async fn for_each_store<F, Fut>(plugins: Plugins, test: F)
where
    F: Fn(Arc<TestApp>) -> Fut,
    Fut: Future<Output = ()>,
{
    test(Arc::new(TestApp::sqlite(plugins).await)).await;
    if let Some(base) = postgres::url_from_env() {
        test(Arc::new(TestApp::postgres(plugins, &base).await)).await;
    }
}

pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
    /// The whole `Set-Cookie` line for a cookie name.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|line| line.split_once('=').is_some_and(|(n, _)| n == name))
            .map(str::to_owned)
    }
}

/// One simulated browser: a cookie jar, an Origin, optionally a client IP (X-Forwarded-For), and
/// the socket peer the server sees: by default a reverse proxy on loopback (trusted by default,
/// as the compat suite's clients are), so `from_ip` sets the address the server believes.
pub struct Browser {
    router: Router,
    jar: Mutex<HashMap<String, String>>,
    origin: Option<String>,
    ip: Option<String>,
    peer: std::net::SocketAddr,
}

pub const LOOPBACK_PEER: ([u8; 4], u16) = ([127, 0, 0, 1], 40_000);

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            router: app.router.clone(),
            jar: Mutex::new(HashMap::new()),
            origin: Some(BASE_URL.to_owned()),
            ip: None,
            peer: LOOPBACK_PEER.into(),
        }
    }

    pub fn with_cookie(self, name: &str, value: &str) -> Browser {
        self.jar.lock().unwrap().insert(name.into(), value.into());
        self
    }
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).cloned()
    }
    /// The same cookies, sent without an Origin header.
    pub fn without_origin(&self) -> Browser {
        self.clone_with(None)
    }
    pub fn with_origin(&self, origin: &str) -> Browser {
        self.clone_with(Some(origin.to_owned()))
    }
    #[allow(clippy::wrong_self_convention)] // a builder step: "this browser, from that IP"
    pub fn from_ip(mut self, ip: &str) -> Browser {
        self.ip = Some(ip.to_owned());
        self
    }
    /// The socket address the server sees this browser connect from.
    #[allow(clippy::wrong_self_convention)]
    pub fn from_peer(mut self, peer: &str) -> Browser {
        self.peer = peer
            .parse()
            .expect("a socket address like 203.0.113.7:5000");
        self
    }
    fn clone_with(&self, origin: Option<String>) -> Browser {
        Browser {
            router: self.router.clone(),
            jar: Mutex::new(self.jar.lock().unwrap().clone()),
            origin,
            ip: self.ip.clone(),
            peer: self.peer,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send("GET", path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send("POST", path, Some(("application/json", body.to_string())))
            .await
    }
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> Response {
        self.send("POST", path, Some((content_type, body.to_owned())))
            .await
    }

    async fn send(&self, method: &str, path: &str, body: Option<(&str, String)>) -> Response {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(origin) = &self.origin {
            req = req.header("origin", origin);
        }
        if let Some(ip) = &self.ip {
            req = req.header("x-forwarded-for", ip);
        }
        let cookie_header = {
            let jar = self.jar.lock().unwrap();
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        if !cookie_header.is_empty() {
            req = req.header("cookie", cookie_header);
        }
        let req = match body {
            Some((ct, text)) => req.header("content-type", ct).body(Body::from(text)),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let mut req = req;
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(self.peer));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        let mut jar = self.jar.lock().unwrap();
        for line in headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let first = line.split(';').next().unwrap_or_default();
            if let Some((name, value)) = first.split_once('=') {
                if value.is_empty() || line.contains("Max-Age=0") {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        Response {
            status,
            headers,
            body,
        }
    }

    /// Signs up (name = the capitalised local part) and returns the session token.
    pub async fn sign_up(&self, email: &str, password: &str) -> String {
        let local = email.split('@').next().unwrap();
        let name = format!("{}{}", local[..1].to_uppercase(), &local[1..]);
        let r = self
            .post(
                "/api/auth/sign-up/email",
                serde_json::json!({"name": name, "email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, 200, "sign-up {email}: {}", r.text());
        r.json()["token"].as_str().unwrap().to_owned()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let r = self
            .post(
                "/api/auth/sign-in/email",
                serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, 200, "sign-in {email}: {}", r.text());
        r.json()["token"].as_str().unwrap().to_owned()
    }
}

pub fn parse_iso(s: &str) -> time::OffsetDateTime {
    tessera_core::timefmt::parse_date(s).unwrap_or_else(|| panic!("not a date: {s}"))
}

/// `YYYY-MM-DDTHH:mm:ss.sssZ`, exactly.
pub fn assert_iso_ms(s: &str) {
    assert_eq!(s.len(), 24, "{s}");
    assert!(s.ends_with('Z') && s.as_bytes()[19] == b'.', "{s}");
    assert_eq!(tessera_core::timefmt::to_iso_ms(parse_iso(s)), s);
}

/// The PostgreSQL base URL when the PostgreSQL half of the suite is on.
pub fn postgres_url() -> Option<String> {
    postgres::url_from_env()
}
