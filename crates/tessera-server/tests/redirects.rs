//! Redirect targets (issue #11 §1): every route that takes a URL, fed disguised values that a
//! browser would read as another site. Each must be refused with Better Auth's 403 and the code
//! that names the field; nothing may put a `Location`, a `url` or an email link off the trusted
//! origins, and a live reset token must never leave the origin.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use support::{BASE_URL, Browser, Outbox, Response, TestApp, for_each_store_configured};
use tessera_core::config::Config;
use tessera_core::crypto::uri::encode_uri_component;
use tessera_core::model::Verification;
use tessera_core::oauth::state::{self, StateData};
use tessera_core::plugins::Plugins;
use tessera_core::timefmt::now_ms;

const PASSWORD: &str = "correct horse battery";
const VICTIM: &str = "victim@example.com";

/// Off-origin targets written the ways browsers forgive: each one, sent anywhere, is refused.
fn disguised_corpus() -> Vec<String> {
    let mut corpus: Vec<String> = [
        // Backslashes, which a browser reads as slashes in web URLs.
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "\\/evil.example",
        "/\\\\evil.example",
        // Percent-encoded slashes and backslashes, either case.
        "/%2f%2fevil.example",
        "/%2F%2Fevil.example",
        "/%2f/evil.example",
        "/%5cevil.example",
        "/%5Cevil.example",
        "/%5c%5cevil.example",
        "/x/..%2f..%2f/evil.example",
        // Scheme-relative.
        "//evil.example",
        "//evil.example/reset",
        "///evil.example",
        // Userinfo.
        "http://localhost:3000@evil.example",
        "http://localhost:3000@evil.example/reset",
        "https://evil.example\\@localhost:3000",
        "http://evil.example\\localhost:3000",
        "http://evil.example#@localhost:3000",
        "http://evil.example?@localhost:3000",
        // Script and data schemes.
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "javascript://localhost:3000/%0aalert(1)",
        " javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        // Sloppy web schemes.
        "http:evil.example",
        "https:/evil.example",
        "https:\\\\evil.example",
        "http:/\\evil.example",
        // Mixed case, trailing dots, other hosts for the same machine.
        "HTTP://EVIL.EXAMPLE",
        "hTTpS://Evil.Example/reset",
        "http://localhost.:3000/reset",
        "http://evil.example./",
        "http://localhost:3001/",
        "https://localhost:3000/",
        "http://[::1]:3000/",
        "http://[::ffff:7f00:1]:3000/",
        "http://127.0.0.1:3000/",
        "http://0x7f.1:3000/",
        "http://localhost:3000.evil.example/",
        // Unicode look-alikes and spaces.
        "/\u{a0}/evil.example",
        "/\u{3000}/evil.example",
        "/\u{2028}/evil.example",
        "/\u{feff}/evil.example",
        "\u{feff}//evil.example",
        "\u{3000}//evil.example",
        "/\u{ff0f}evil.example",
        "\u{ff0f}\u{ff0f}evil.example",
        "/\u{ff3c}evil.example",
        "http://evil\u{3002}example/",
        // Not a root-relative path.
        "evil.example",
        "./reset",
        "?token=x",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // Every C0 control, DEL, space and the Unicode spaces, at every position of three seeds.
    let mut inserted: Vec<char> = (0u8..=0x20).map(char::from).collect();
    inserted.push('\u{7f}');
    inserted.extend(['\u{a0}', '\u{3000}', '\u{2028}', '\u{feff}', '\u{ff0f}']);
    for seed in [
        "//evil.example",
        "/dashboard",
        "http://localhost:3000@evil.example",
    ] {
        let chars: Vec<char> = seed.chars().collect();
        for position in 0..=chars.len() {
            for c in &inserted {
                let mut value: String = chars[..position].iter().collect();
                value.push(*c);
                value.extend(&chars[position..]);
                if value != "/dashboard" {
                    corpus.push(value);
                }
            }
        }
    }
    corpus
}

/// Values that look odd but that a browser reads as the app's own origin: they may be accepted,
/// and then whatever comes back must stay on the origin.
fn on_origin_oddities() -> Vec<String> {
    [
        "/dashboard",
        "/welcome?tab=1&x=%20y",
        "HTTP://LOCALHOST:3000/reset",
        "http:localhost:3000/reset",
        "http://localhost:3000/a\\b",
        "http://localhost:3000/\t/evil.example",
        "http://evil.example\u{ff0f}@localhost:3000/",
        "http://localhost:80@localhost:3000/",
        " http://localhost:3000/reset ",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// Whether a browser on the app's page that follows `value` stays on the app's origin.
fn stays_on_origin(value: &str) -> bool {
    url::Url::parse(&format!("{BASE_URL}/api/auth/some/page"))
        .and_then(|base| base.join(value))
        .is_ok_and(|u| u.origin().ascii_serialization() == BASE_URL)
}

/// No `Location` and no `url` field in the answer leaves the origin.
fn assert_nothing_leaves(what: &str, value: &str, r: &Response) {
    if let Some(location) = r.header("location") {
        assert!(
            stays_on_origin(&location),
            "{what} with {value:?}: Location {location:?}"
        );
    }
    if let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&r.body)
        && let Some(Value::String(url)) = body.get("url")
        && !url.is_empty()
    {
        assert!(stays_on_origin(url), "{what} with {value:?}: url {url:?}");
    }
}

fn code_of(r: &Response) -> Option<String> {
    serde_json::from_slice::<Value>(&r.body)
        .ok()
        .and_then(|body| body["code"].as_str().map(str::to_owned))
}

/// How a route takes its URL.
#[derive(Clone, Copy)]
enum Via {
    /// A field of the JSON body of a POST, next to `body`'s other fields.
    Body(&'static str),
    /// `?callbackURL=` on a POST, which Better Auth checks on every route.
    PostQuery,
    /// `?callbackURL=` on a GET link; `{token}` in the path is the live reset token.
    GetQuery,
}

struct Route {
    path: &'static str,
    via: Via,
    /// The rest of the body, `{email}` replaced by a fresh address.
    body: fn() -> Value,
    /// Whether the browser is signed in as the victim.
    signed_in: bool,
    code: &'static str,
}

const INVALID_CALLBACK_URL: &str = "INVALID_CALLBACK_URL";

fn routes() -> Vec<Route> {
    let route = |path, via, body: fn() -> Value, signed_in, code| Route {
        path,
        via,
        body,
        signed_in,
        code,
    };
    let social = || json!({"provider": "not-configured"});
    let none = || json!({});
    let mut all = vec![
        route(
            "/api/auth/sign-up/email",
            Via::Body("callbackURL"),
            || json!({"name": "New", "email": "{email}", "password": PASSWORD}),
            false,
            INVALID_CALLBACK_URL,
        ),
        route(
            "/api/auth/sign-in/email",
            Via::Body("callbackURL"),
            || json!({"email": VICTIM, "password": PASSWORD}),
            false,
            INVALID_CALLBACK_URL,
        ),
        route(
            "/api/auth/sign-in/username",
            Via::Body("callbackURL"),
            || json!({"username": "nobody_here", "password": PASSWORD}),
            false,
            INVALID_CALLBACK_URL,
        ),
        route(
            "/api/auth/request-password-reset",
            Via::Body("redirectTo"),
            || json!({"email": VICTIM}),
            false,
            "INVALID_REDIRECT_URL",
        ),
        route(
            "/api/auth/send-verification-email",
            Via::Body("callbackURL"),
            || json!({"email": VICTIM}),
            true,
            INVALID_CALLBACK_URL,
        ),
        route(
            "/api/auth/change-email",
            Via::Body("callbackURL"),
            || json!({"newEmail": "{email}"}),
            true,
            INVALID_CALLBACK_URL,
        ),
        route(
            "/api/auth/delete-user",
            Via::Body("callbackURL"),
            none,
            true,
            INVALID_CALLBACK_URL,
        ),
        route(
            "/api/auth/sign-out",
            Via::PostQuery,
            none,
            false,
            INVALID_CALLBACK_URL,
        ),
        route(
            "/api/auth/sign-in/email",
            Via::PostQuery,
            || json!({"email": VICTIM, "password": PASSWORD}),
            false,
            INVALID_CALLBACK_URL,
        ),
        route(
            "/api/auth/reset-password/{token}",
            Via::GetQuery,
            none,
            false,
            INVALID_CALLBACK_URL,
        ),
        route(
            "/api/auth/verify-email?token=not-a-token",
            Via::GetQuery,
            none,
            false,
            INVALID_CALLBACK_URL,
        ),
        route(
            "/api/auth/delete-user/callback?token=not-a-token",
            Via::GetQuery,
            none,
            true,
            INVALID_CALLBACK_URL,
        ),
    ];
    for path in ["/api/auth/sign-in/social", "/api/auth/link-social"] {
        for (field, code) in [
            ("callbackURL", INVALID_CALLBACK_URL),
            ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL"),
            ("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL"),
        ] {
            all.push(route(
                path,
                Via::Body(field),
                social,
                path.ends_with("link-social"),
                code,
            ));
        }
    }
    all
}

fn lifecycle_on(c: &mut Config) {
    c.lifecycle.change_email.enabled = true;
    c.lifecycle.delete_user.enabled = true;
    // An accepted value then mails a link instead of deleting the account under test.
    c.lifecycle.delete_user.send_delete_account_verification = true;
}

/// The victim's account, a browser signed in as it, and a live reset token for it.
struct Scene {
    app: Arc<TestApp>,
    victim: Browser,
    reset_token: String,
    fresh: AtomicUsize,
}

impl Scene {
    async fn new(app: Arc<TestApp>, outbox: &Outbox) -> Scene {
        let victim = Browser::new(&app);
        victim.sign_up(VICTIM, PASSWORD).await;
        let r = Browser::new(&app)
            .post(
                "/api/auth/request-password-reset",
                json!({"email": VICTIM, "redirectTo": "/reset"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let mail = outbox.wait_for("reset-password", VICTIM).await;
        let reset_token = mail["token"].as_str().unwrap().to_owned();
        Scene {
            app,
            victim,
            reset_token,
            fresh: AtomicUsize::new(0),
        }
    }

    async fn send(&self, route: &Route, value: &str) -> Response {
        let browser = if route.signed_in {
            self.victim.with_origin(BASE_URL)
        } else {
            Browser::new(&self.app)
        };
        let n = self.fresh.fetch_add(1, Ordering::Relaxed);
        let mut body = (route.body)();
        if let Value::Object(fields) = &mut body {
            for v in fields.values_mut() {
                if v == "{email}" {
                    *v = json!(format!("fresh{n}@example.com"));
                }
            }
        }
        let path = route.path.replace("{token}", &self.reset_token);
        let with_query = |path: &str| {
            let separator = if path.contains('?') { '&' } else { '?' };
            format!(
                "{path}{separator}callbackURL={}",
                encode_uri_component(value)
            )
        };
        match route.via {
            Via::Body(field) => {
                body[field] = json!(value);
                browser.post(&path, body).await
            }
            Via::PostQuery => browser.post(&with_query(&path), body).await,
            Via::GetQuery => browser.get(&with_query(&path)).await,
        }
    }
}

#[tokio::test]
async fn every_route_refuses_every_disguised_redirect_with_better_auths_code() {
    for_each_store_configured(Plugins::ALL, lifecycle_on, |app, outbox| async move {
        let scene = Scene::new(app, &outbox).await;
        let corpus = disguised_corpus();
        assert!(corpus.len() > 1500, "the corpus covers every position");
        for route in routes() {
            for value in &corpus {
                let r = scene.send(&route, value).await;
                assert_eq!(
                    (r.status, code_of(&r)),
                    (403, Some(route.code.to_owned())),
                    "{} ({}) with {value:?}: {}",
                    route.path,
                    route.code,
                    r.text()
                );
                assert_eq!(r.header("location"), None);
            }
        }
        for message in outbox.settled().await {
            let url = message["url"].as_str().unwrap_or_default();
            assert!(
                !url.contains("evil"),
                "no link names the attacker's host: {url}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn odd_but_same_origin_values_never_send_anything_off_the_origin() {
    for_each_store_configured(Plugins::ALL, lifecycle_on, |app, outbox| async move {
        let scene = Scene::new(app, &outbox).await;
        let mut accepted = 0;
        for route in routes() {
            for value in on_origin_oddities() {
                let r = scene.send(&route, &value).await;
                assert_nothing_leaves(route.path, &value, &r);
                if r.status != 403 {
                    accepted += 1;
                }
            }
        }
        assert!(accepted > 0, "values on the origin get through");
        // Links in mail point at the API, and carry a callback that stays on the origin.
        for message in outbox.settled().await {
            let Some(url) = message["url"].as_str() else {
                continue;
            };
            assert!(url.starts_with(&format!("{BASE_URL}/api/auth/")), "{url}");
            let link = url::Url::parse(url).unwrap();
            for (name, value) in link.query_pairs() {
                if name == "callbackURL" && !value.is_empty() {
                    assert!(stays_on_origin(&value), "{url}");
                }
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_disguised_reset_redirect_cannot_carry_the_token_off_the_origin() {
    for_each_store_configured(
        Plugins::NONE,
        |_| {},
        |app, outbox| async move {
            Browser::new(&app).sign_up(VICTIM, PASSWORD).await;
            // The reported attack: the genuine reset email would carry the attacker's target.
            for disguised in ["/\t/evil.example", "/\\evil.example", "/\n/evil.example"] {
                let r = Browser::new(&app)
                    .post(
                        "/api/auth/request-password-reset",
                        json!({"email": VICTIM, "redirectTo": disguised}),
                    )
                    .await;
                assert_eq!(r.status, 403, "{disguised:?}");
                assert_eq!(r.json()["code"], "INVALID_REDIRECT_URL");
            }
            assert!(
                outbox.last("reset-password", VICTIM).is_none(),
                "no reset mail was sent for a refused target"
            );
            // A genuine mail, then its token sent on with each disguised callback instead.
            let r = Browser::new(&app)
                .post(
                    "/api/auth/request-password-reset",
                    json!({"email": VICTIM, "redirectTo": "/reset"}),
                )
                .await;
            assert_eq!(r.status, 200);
            let mail = outbox.wait_for("reset-password", VICTIM).await;
            let reset_mails = outbox
                .settled()
                .await
                .into_iter()
                .filter(|m| m["type"] == "reset-password" && m["to"] == VICTIM)
                .count();
            assert_eq!(reset_mails, 1, "only the genuine request sent a mail");
            let token = mail["token"].as_str().unwrap().to_owned();
            let link = mail["url"].as_str().unwrap();
            let followed = Browser::new(&app)
                .get(link.strip_prefix(BASE_URL).unwrap())
                .await;
            assert_eq!(followed.status, 302);
            assert_eq!(
                followed.header("location").unwrap(),
                format!("{BASE_URL}/reset?token={token}")
            );
            for value in disguised_corpus().iter().chain(&on_origin_oddities()) {
                let r = Browser::new(&app)
                    .get(&format!(
                        "/api/auth/reset-password/{token}?callbackURL={}",
                        encode_uri_component(value)
                    ))
                    .await;
                let Some(location) = r.header("location") else {
                    assert_eq!(
                        (r.status, code_of(&r).as_deref()),
                        (403, Some("INVALID_CALLBACK_URL")),
                        "{value:?}: {}",
                        r.text()
                    );
                    continue;
                };
                assert!(
                    stays_on_origin(&location),
                    "{value:?}: the token stays on the origin, not {location:?}"
                );
            }
        },
    )
    .await;
}

#[tokio::test]
async fn the_social_callback_checks_redirects_read_back_from_the_state() {
    fn skip_cookie(c: &mut Config) {
        c.account.skip_state_cookie_check = true;
    }
    for_each_store_configured(Plugins::NONE, skip_cookie, |app, _| async move {
        // A state row that says to go elsewhere, as a tampered or legacy row would.
        let store_state = |oauth_state: &str, in_row: &str| {
            let data = StateData {
                additional: serde_json::Map::new(),
                callback_url: "//evil.example/welcome".to_owned(),
                code_verifier: "v".repeat(43),
                error_url: Some("https://evil.example/error".to_owned()),
                new_user_url: Some("/\t/evil.example".to_owned()),
                link: None,
                expires_at: tessera_core::timefmt::to_epoch_ms(now_ms()) + 600_000,
                request_sign_up: None,
                id_token_nonce: None,
                oauth_state: Some(in_row.to_owned()),
            };
            let app = app.clone();
            let id = state::identifier(oauth_state);
            async move {
                app.store
                    .create_verification(&Verification::expiring(
                        id,
                        data.to_json(),
                        now_ms(),
                        time::Duration::minutes(10),
                    ))
                    .await
                    .unwrap();
            }
        };
        store_state("s1", "s1").await;
        let r = Browser::new(&app)
            .get("/api/auth/callback/oidc?state=s1&error=access_denied")
            .await;
        assert_eq!(r.status, 302);
        assert_eq!(
            r.header("location").unwrap(),
            format!("{BASE_URL}/api/auth/error?error=access_denied")
        );
        store_state("s2", "another-state").await;
        let r = Browser::new(&app)
            .get("/api/auth/callback/oidc?state=s2&code=c")
            .await;
        assert_eq!(r.status, 302);
        assert_eq!(
            r.header("location").unwrap(),
            format!("{BASE_URL}/api/auth/error?error=state_mismatch")
        );
    })
    .await;
}
