//! Identity providers for the social tests: the real, certified `oidc-provider` (Node) run on a
//! free port, and a stand-in GitHub that answers with GitHub's documented response shapes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::{Value, json};

/// The redirect URIs every client of these tests is registered with.
pub fn redirect_uris() -> Vec<String> {
    ["oidc", "google", "corp"]
        .iter()
        .map(|id| format!("http://localhost:3000/api/auth/callback/{id}"))
        .collect()
}

pub const CLIENT_ID: &str = "tessera";
pub const CLIENT_SECRET: &str = "tessera-client-secret";
pub const OTHER_CLIENT_ID: &str = "someone-else";
pub const OTHER_CLIENT_SECRET: &str = "someone-else-secret";

/// A running `compat/oidc/server.mjs`.
pub struct Oidc {
    pub issuer: String,
    child: Child,
}

impl Oidc {
    /// `accounts`: `{"<sub>": {email, email_verified, name}}`; others get
    /// `<sub>@example.com`, verified.
    pub fn start(accounts: Value) -> Oidc {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../compat/oidc");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "the local OpenID provider is not installed: run `bash compat/oidc/setup.sh`"
        );
        let config = json!({
            "clients": [
                {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris()},
                {"client_id": "tessera-es256", "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris(),
                 "id_token_signed_response_alg": "ES256"},
                {"client_id": OTHER_CLIENT_ID, "client_secret": OTHER_CLIENT_SECRET, "redirect_uris": redirect_uris()},
            ],
            "accounts": accounts,
        });
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(&dir)
            .env("OIDC_CONFIG", config.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node compat/oidc/server.mjs");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read issuer");
        let issuer = serde_json::from_str::<Value>(&line)
            .unwrap_or_else(|e| panic!("oidc-provider did not start ({e}): {line:?}"))["issuer"]
            .as_str()
            .expect("issuer")
            .to_owned();
        Oidc { issuer, child }
    }

    /// Stops the provider: later requests to it fail to connect.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Plays the user's browser at the provider: follows the authorization URL through the
    /// provider's login and consent until it redirects back to us, and returns that URL.
    pub async fn authorize(&self, url: &str) -> String {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut cookies: Vec<(String, String)> = Vec::new();
        let mut next = url.to_owned();
        for _ in 0..8 {
            if next.starts_with("http://localhost:3000") {
                return next;
            }
            let cookie_header = cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            let res = client
                .get(&next)
                .header("cookie", cookie_header)
                .send()
                .await
                .expect("provider answers");
            for line in res.headers().get_all("set-cookie") {
                let first = line.to_str().unwrap().split(';').next().unwrap();
                if let Some((k, v)) = first.split_once('=') {
                    cookies.retain(|(name, _)| name != k);
                    cookies.push((k.to_owned(), v.to_owned()));
                }
            }
            let status = res.status().as_u16();
            let location = res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            let Some(location) = location else {
                panic!(
                    "provider stopped at {status}: {}",
                    res.text().await.unwrap()
                );
            };
            next = if location.starts_with('/') {
                format!("{}{location}", self.issuer)
            } else {
                location
            };
        }
        panic!("too many redirects at the provider");
    }

    /// An ID token the provider issues to `client_id` for `sub` (via a code flow of its own).
    pub async fn id_token_for(
        &self,
        client_id: &str,
        secret: &str,
        sub: &str,
        nonce: &str,
    ) -> String {
        let redirect = "http://localhost:3000/api/auth/callback/oidc";
        let mut url = url::Url::parse(&format!("{}/auth", self.issuer)).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid email profile")
            .append_pair("redirect_uri", redirect)
            .append_pair("state", "s")
            .append_pair("nonce", nonce)
            .append_pair("login_hint", sub);
        let back = self.authorize(url.as_str()).await;
        let code = query_param(&back, "code").expect("code");
        let tokens: Value = reqwest::Client::new()
            .post(format!("{}/token", self.issuer))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("client_id", client_id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens["id_token"].as_str().expect("id_token").to_owned()
    }
}

impl Drop for Oidc {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// What the stand-in GitHub saw.
#[derive(Default)]
pub struct GitHubLog {
    pub token_requests: Vec<Vec<(String, String)>>,
    pub authorizations: Vec<String>,
}

/// A local server with GitHub's token endpoint, `/user` and `/user/emails`, answering with the
/// response shapes GitHub documents.
pub struct GitHub {
    pub base: String,
    pub log: Arc<Mutex<GitHubLog>>,
    task: tokio::task::JoinHandle<()>,
}

impl GitHub {
    pub async fn start() -> GitHub {
        let log = Arc::new(Mutex::new(GitHubLog::default()));
        let router = Router::new()
            .route("/login/oauth/access_token", post(token))
            .route("/user", get(user))
            .route("/user/emails", get(emails))
            .with_state(Arc::clone(&log));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        GitHub { base, log, task }
    }
}

impl Drop for GitHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Ten mebibytes of padding inside a JSON object: what a broken or hostile provider might send.
fn ten_mib_json() -> String {
    format!(
        r#"{{"access_token":"gho_16C7e42F292c6912E7710c838347Ae178B4a","pad":"{}"}}"#,
        "a".repeat(10 * 1024 * 1024)
    )
}

/// The same ten mebibytes, streamed without a Content-Length.
fn ten_mib_streamed() -> axum::response::Response {
    use axum::response::IntoResponse;
    let text = ten_mib_json().into_bytes();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        text.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    (
        [("content-type", "application/json")],
        axum::body::Body::from_stream(futures::stream::iter(chunks)),
    )
        .into_response()
}

/// The token endpoint. Beyond GitHub's own answers, codes the tests use to make it misbehave:
/// `huge-body` and `huge-stream` (10 MiB), `huge-profile` (a token whose `/user` is 10 MiB), and
/// `expires:<json>` (a good token with that `expires_in`).
async fn token(State(log): State<Arc<Mutex<GitHubLog>>>, body: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let code = form
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    match code.as_str() {
        "huge-body" => {
            return ([("content-type", "application/json")], ten_mib_json()).into_response();
        }
        "huge-stream" => return ten_mib_streamed(),
        "huge-profile" => {
            return axum::Json(json!({"access_token": "gho_huge_profile", "token_type": "bearer"}))
                .into_response();
        }
        _ => {}
    }
    if let Some(raw) = code.strip_prefix("expires:") {
        let expires_in: Value = serde_json::from_str(raw).unwrap();
        return axum::Json(json!({
            "access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a",
            "scope": "read:user,user:email",
            "token_type": "bearer",
            "expires_in": expires_in,
        }))
        .into_response();
    }
    github_token(log, form, code).into_response()
}

fn github_token(
    log: Arc<Mutex<GitHubLog>>,
    form: Vec<(String, String)>,
    code: String,
) -> axum::Json<Value> {
    log.lock().unwrap().token_requests.push(form);
    // GitHub answers 200 even for a bad code, with an `error` field.
    if code != "good-code" {
        return axum::Json(json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
            "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"
        }));
    }
    axum::Json(
        json!({"access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a", "scope": "read:user,user:email", "token_type": "bearer"}),
    )
}

async fn user(
    State(log): State<Arc<Mutex<GitHubLog>>>,
    headers: HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    log.lock().unwrap().authorizations.push(auth.clone());
    if auth == "Bearer gho_huge_profile" {
        return ten_mib_streamed();
    }
    if auth != "Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a" {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})),
        )
            .into_response();
    }
    axum::Json(json!({
        "login": "octocat", "id": 583231, "node_id": "MDQ6VXNlcjE=",
        "avatar_url": "https://github.com/images/error/octocat_happy.gif",
        "type": "User", "site_admin": false, "name": "monalisa octocat",
        "company": "GitHub", "email": null, "created_at": "2008-01-14T04:33:35Z"
    }))
    .into_response()
}

async fn emails() -> axum::Json<Value> {
    axum::Json(json!([
        {"email": "octocat@github.com", "verified": true, "primary": true, "visibility": "public"},
        {"email": "octocat@users.noreply.github.com", "verified": true, "primary": false, "visibility": null}
    ]))
}
