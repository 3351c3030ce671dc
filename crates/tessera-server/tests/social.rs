//! Social sign-in (reference §3.7) against a real OpenID Connect provider (`oidc-provider`, run
//! locally by `social/idp.rs`) and a stand-in GitHub: the redirect flow, state and PKCE, account
//! rows, implicit linking, link-social, the account endpoints, ID-token sign-in, and every bad
//! input the issue lists, each ending on Better Auth's error with no session and no account.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "social/idp.rs"]
mod idp;
mod support;

use std::future::Future;
use std::sync::Arc;

use serde_json::{Value, json};
use support::{Browser, TestApp};
use tessera_core::config::Config;
use tessera_core::model::{Account, User};
use tessera_core::plugins::Plugins;
use tessera_core::social::{ProviderKind, SocialProviderConfig};

use idp::{CLIENT_ID, CLIENT_SECRET, GitHub, Oidc, query_param};

fn provider(id: &str, kind: ProviderKind, client_id: &str) -> SocialProviderConfig {
    SocialProviderConfig {
        id: id.to_owned(),
        kind,
        client_id: client_id.to_owned(),
        client_secret: Some(CLIENT_SECRET.to_owned()),
        issuer: None,
        discovery_url: None,
        authorization_endpoint: None,
        token_endpoint: None,
        userinfo_endpoint: None,
        jwks_uri: None,
        scopes: Vec::new(),
        disable_default_scope: false,
        disable_sign_up: false,
        disable_implicit_sign_up: false,
        disable_id_token_sign_in: false,
        prompt: None,
        access_type: None,
        pkce: true,
        api_base: None,
        tenant_id: None,
        authority: None,
        override_user_info_on_sign_in: false,
    }
}

/// `oidc`: a generic OpenID Connect provider by discovery; `google`: Better Auth's Google,
/// pointed at the same local provider.
fn providers(issuer: &str) -> Vec<SocialProviderConfig> {
    let mut oidc = provider("oidc", ProviderKind::Oidc, CLIENT_ID);
    oidc.issuer = Some(issuer.to_owned());
    oidc.scopes = vec!["email".into(), "profile".into()];
    let mut google = provider("google", ProviderKind::Named, CLIENT_ID);
    google.issuer = Some(issuer.to_owned());
    vec![oidc, google]
}

/// Runs the test on SQLite, then PostgreSQL when configured, with the providers of `issuer`.
async fn each_store<F, Fut>(issuer: &str, adjust: impl Fn(&mut Config), test: F)
where
    F: Fn(Arc<TestApp>) -> Fut,
    Fut: Future<Output = ()>,
{
    let configure = |c: &mut Config| {
        c.social = providers(issuer);
        adjust(c);
    };
    test(Arc::new(
        TestApp::sqlite_with(Plugins::NONE, configure).await,
    ))
    .await;
    if let Some(base) = support::postgres_url() {
        test(Arc::new(
            TestApp::postgres_with(Plugins::NONE, &base, configure).await,
        ))
        .await;
    }
}

/// `POST /sign-in/social`: the authorization URL and its state.
async fn start(browser: &Browser, body: Value) -> (String, String) {
    let r = browser.post("/api/auth/sign-in/social", body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let url = r.json()["url"].as_str().unwrap().to_owned();
    let state = query_param(&url, "state").unwrap();
    (url, state)
}

/// The provider's redirect back, replayed against our callback (path and query only).
async fn callback(browser: &Browser, back: &str) -> support::Response {
    let path = back.strip_prefix("http://localhost:3000").unwrap();
    browser.get(path).await
}

fn location(r: &support::Response) -> String {
    assert_eq!(r.status, 302, "{}", r.text());
    r.header("location").unwrap()
}

fn session_cookie(r: &support::Response) -> Option<String> {
    r.set_cookie("better-auth.session_token")
        .filter(|c| !c.contains("Max-Age=0"))
}

async fn accounts_of(app: &TestApp, email: &str) -> Vec<Account> {
    match app.store.find_user_by_email(email).await.unwrap() {
        Some(u) => app.store.list_accounts(&u.id).await.unwrap(),
        None => Vec::new(),
    }
}

/// A bad callback: Better Auth's error redirect, no session, no user, no account.
async fn assert_refused(app: &TestApp, r: &support::Response, error_url: &str, code: &str) {
    let to = location(r);
    assert_eq!(
        to,
        format!("{error_url}?error={code}"),
        "expected {code}, got {to}"
    );
    assert!(session_cookie(r).is_none(), "no session after {code}");
    assert!(
        app.store
            .find_user_by_email("bob@example.com")
            .await
            .unwrap()
            .is_none(),
        "no user after {code}"
    );
}

const ERROR_PAGE: &str = "http://localhost:3000/api/auth/error";

#[tokio::test]
async fn sign_in_social_answers_the_authorization_url_and_stores_the_state_as_better_auth_does() {
    let oidc = Oidc::start(json!({}));
    let issuer = oidc.issuer.clone();
    each_store(&oidc.issuer, |_| {}, |app| {
        let issuer = issuer.clone();
        async move {
        let browser = Browser::new(&app);
        let r = browser
            .post(
                "/api/auth/sign-in/social",
                json!({"provider": "oidc", "callbackURL": "/dashboard", "errorCallbackURL": "/oops"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.json();
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["url", "redirect"]);
        assert_eq!(body["redirect"], true);
        let url = body["url"].as_str().unwrap();
        assert_eq!(r.header("location").as_deref(), Some(url));
        assert!(url.starts_with(&format!("{issuer}/auth?")), "{url}");
        let state = query_param(url, "state").unwrap();
        assert_eq!(state.len(), 32);
        assert_eq!(query_param(url, "response_type").as_deref(), Some("code"));
        assert_eq!(query_param(url, "client_id").as_deref(), Some(CLIENT_ID));
        assert_eq!(query_param(url, "scope").as_deref(), Some("openid email profile"));
        assert_eq!(
            query_param(url, "redirect_uri").as_deref(),
            Some("http://localhost:3000/api/auth/callback/oidc")
        );
        assert_eq!(query_param(url, "code_challenge_method").as_deref(), Some("S256"));

        let cookie = r.set_cookie("better-auth.state").unwrap();
        assert!(cookie.contains("; Max-Age=300; Path=/; HttpOnly; SameSite=Lax"), "{cookie}");
        assert!(cookie.starts_with(&format!("better-auth.state={state}.")), "{cookie}");

        let row = app
            .store
            .find_verification(&format!("auth-state:{state}"))
            .await
            .unwrap()
            .expect("state row");
        let value: Value = serde_json::from_str(&row.value).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["callbackURL", "codeVerifier", "errorURL", "expiresAt", "idTokenNonce", "oauthState"]
        );
        assert_eq!(value["callbackURL"], "/dashboard");
        assert_eq!(value["oauthState"], state.as_str());
        let verifier = value["codeVerifier"].as_str().unwrap();
        assert_eq!(verifier.len(), 128);
        assert_eq!(
            query_param(url, "code_challenge").unwrap(),
            tessera_core::oauth::code_challenge(verifier)
        );
        assert_eq!(
            query_param(url, "nonce").as_deref(),
            value["idTokenNonce"].as_str()
        );
        let lifetime = row.expires_at - row.created_at;
        assert_eq!(lifetime.whole_seconds(), 600);
        }
    })
    .await;
}

#[tokio::test]
async fn a_new_user_signs_up_through_the_provider_then_signs_in_again() {
    let oidc = Oidc::start(
        json!({"bob": {"email": "Bob@Example.com", "email_verified": true, "name": "Bob"}}),
    );
    each_store(&oidc.issuer, |_| {}, |app| {
        let oidc = &oidc;
        async move {
            let browser = Browser::new(&app);
            let (url, _) = start(
                &browser,
                json!({"provider": "oidc", "callbackURL": "/home", "newUserCallbackURL": "/welcome", "loginHint": "bob"}),
            )
            .await;
            let r = callback(&browser, &oidc.authorize(&url).await).await;
            assert_eq!(location(&r), "/welcome");
            assert!(session_cookie(&r).is_some());
            assert!(r.set_cookie("better-auth.state").unwrap().contains("Max-Age=0"));

            let session = browser.get("/api/auth/get-session").await.json();
            assert_eq!(session["user"]["email"], "bob@example.com");
            assert_eq!(session["user"]["name"], "Bob");
            assert_eq!(session["user"]["emailVerified"], true);
            let accounts = accounts_of(&app, "bob@example.com").await;
            assert_eq!(accounts.len(), 1);
            let a = &accounts[0];
            assert_eq!((a.provider_id.as_str(), a.account_id.as_str()), ("oidc", "bob"));
            assert_eq!(a.scope.as_deref(), Some("openid,email,profile"));
            assert!(a.access_token.as_deref().is_some_and(|t| !t.is_empty()));
            assert!(a.refresh_token.is_some() && a.id_token.is_some());
            assert!(a.access_token_expires_at.is_some());
            assert!(a.password.is_none());

            // Again, from a fresh browser: the same user, to callbackURL this time.
            let again = Browser::new(&app);
            let (url, _) = start(
                &again,
                json!({"provider": "oidc", "callbackURL": "/home", "newUserCallbackURL": "/welcome", "loginHint": "bob"}),
            )
            .await;
            let r = callback(&again, &oidc.authorize(&url).await).await;
            assert_eq!(location(&r), "/home");
            let session = again.get("/api/auth/get-session").await.json();
            assert_eq!(session["user"]["id"], browser.get("/api/auth/get-session").await.json()["user"]["id"]);
            assert_eq!(accounts_of(&app, "bob@example.com").await.len(), 1);
        }
    })
    .await;
}

#[tokio::test]
async fn tokens_are_encrypted_as_better_auth_encrypts_them_when_asked() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |c| c.account.encrypt_oauth_tokens = true,
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                let (url, _) =
                    start(&browser, json!({"provider": "oidc", "loginHint": "carol"})).await;
                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_eq!(location(&r), "http://localhost:3000");
                let a = &accounts_of(&app, "carol@example.com").await[0];
                let stored = a.access_token.clone().unwrap();
                assert!(
                    stored.len() > 100 && stored.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{stored}"
                );
                let plain =
                    tessera_core::crypto::symmetric::decrypt(support::SECRET, &stored).unwrap();
                // The decrypted token is what get-access-token hands out.
                let id = a.id.clone();
                let t = browser
                    .post("/api/auth/get-access-token", json!({"accountId": id}))
                    .await;
                assert_eq!(t.status, 200, "{}", t.text());
                assert_eq!(t.json()["accessToken"], plain.as_str());
                assert!(
                    tessera_core::crypto::symmetric::decrypt(
                        support::SECRET,
                        a.refresh_token.as_deref().unwrap()
                    )
                    .is_ok()
                );
            }
        },
    )
    .await;
}

#[tokio::test]
async fn es256_id_tokens_verify_too() {
    let oidc = Oidc::start(json!({}));
    let issuer = oidc.issuer.clone();
    each_store(
        &oidc.issuer,
        move |c| {
            let mut es = provider("oidc", ProviderKind::Oidc, "tessera-es256");
            es.issuer = Some(issuer.clone());
            es.scopes = vec!["email".into()];
            c.social = vec![es];
        },
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                let (url, _) =
                    start(&browser, json!({"provider": "oidc", "loginHint": "erin"})).await;
                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_eq!(location(&r), "http://localhost:3000");
                let id_token = accounts_of(&app, "erin@example.com").await[0]
                    .id_token
                    .clone()
                    .unwrap();
                let header = tessera_core::oauth::id_token::decode_unverified(&id_token)
                    .unwrap()
                    .0;
                assert_eq!(header["alg"], "ES256");
            }
        },
    )
    .await;
}

#[tokio::test]
async fn bad_state_is_refused_with_better_auths_errors() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |_| {},
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                // No state at all.
                let r = browser.get("/api/auth/callback/oidc?code=abc").await;
                assert_refused(&app, &r, ERROR_PAGE, "state_not_found").await;
                // A forged state.
                let r = browser
                    .get("/api/auth/callback/oidc?code=abc&state=forgedforgedforgedforgedforged12")
                    .await;
                assert_refused(&app, &r, ERROR_PAGE, "state_mismatch").await;

                let (url, _) = start(
                    &browser,
                    json!({"provider": "oidc", "loginHint": "bob", "errorCallbackURL": "/oops"}),
                )
                .await;
                let back = oidc.authorize(&url).await;
                // The right state from a browser without the state cookie.
                let stranger = Browser::new(&app);
                let r = callback(&stranger, &back).await;
                assert_refused(&app, &r, "/oops", "state_mismatch").await;
                // The state was consumed by that attempt: the owner cannot use it either.
                let r = callback(&browser, &back).await;
                assert_refused(&app, &r, ERROR_PAGE, "state_mismatch").await;

                // A state used twice.
                let (url, _) =
                    start(&browser, json!({"provider": "oidc", "loginHint": "dave"})).await;
                let back = oidc.authorize(&url).await;
                let replayer = Browser::new(&app).with_cookie(
                    "better-auth.state",
                    &browser.cookie_value("better-auth.state").unwrap(),
                );
                let first = callback(&browser, &back).await;
                assert!(
                    session_cookie(&first).is_some(),
                    "{:?}",
                    first.header("location")
                );
                let r = callback(&replayer, &back).await;
                assert_eq!(location(&r), format!("{ERROR_PAGE}?error=state_mismatch"));
                assert!(session_cookie(&r).is_none());
                assert_eq!(accounts_of(&app, "dave@example.com").await.len(), 1);
            }
        },
    )
    .await;
}

#[tokio::test]
async fn a_code_issued_to_another_client_is_refused() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |_| {},
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                let (url, state) =
                    start(&browser, json!({"provider": "oidc", "loginHint": "bob"})).await;
                // The same request, but for another client of the provider.
                let mut other = url::Url::parse(&url).unwrap();
                let pairs: Vec<(String, String)> = other
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k == "client_id" {
                            idp::OTHER_CLIENT_ID.into()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                other.query_pairs_mut().clear().extend_pairs(pairs);
                let back = oidc.authorize(other.as_str()).await;
                assert_eq!(query_param(&back, "state").as_deref(), Some(state.as_str()));
                let r = callback(&browser, &back).await;
                assert_refused(&app, &r, ERROR_PAGE, "invalid_code").await;
            }
        },
    )
    .await;
}

#[tokio::test]
async fn an_id_token_bound_to_another_nonce_is_refused() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |_| {},
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                let (url, state) =
                    start(&browser, json!({"provider": "oidc", "loginHint": "bob"})).await;
                let back = oidc.authorize(&url).await;
                // Someone swapped the nonce the flow expects: the ID token no longer matches it.
                let id = format!("auth-state:{state}");
                let mut row = app.store.consume_verification(&id).await.unwrap().unwrap();
                let mut value: Value = serde_json::from_str(&row.value).unwrap();
                value["idTokenNonce"] = json!("a-different-nonce-a-different-no");
                row.value = value.to_string();
                app.store.create_verification(&row).await.unwrap();
                let r = callback(&browser, &back).await;
                assert_refused(&app, &r, ERROR_PAGE, "unable_to_get_user_info").await;
            }
        },
    )
    .await;
}

#[tokio::test]
async fn unknown_providers_and_untrusted_callback_urls_are_refused() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |_| {},
        |app| async move {
            let browser = Browser::new(&app);
            let r = browser
                .post("/api/auth/sign-in/social", json!({"provider": "myspace"}))
                .await;
            assert_eq!(r.status, 404);
            assert_eq!(
                r.json(),
                json!({"message": "Provider not found", "code": "PROVIDER_NOT_FOUND"})
            );
            for (field, code, message) in [
                ("callbackURL", "INVALID_CALLBACK_URL", "Invalid callbackURL"),
                (
                    "newUserCallbackURL",
                    "INVALID_NEW_USER_CALLBACK_URL",
                    "Invalid newUserCallbackURL",
                ),
                (
                    "errorCallbackURL",
                    "INVALID_ERROR_CALLBACK_URL",
                    "Invalid errorCallbackURL",
                ),
            ] {
                let r = browser
                    .post(
                        "/api/auth/sign-in/social",
                        json!({"provider": "oidc", field: "https://evil.example/steal"}),
                    )
                    .await;
                assert_eq!(r.status, 403, "{field}");
                assert_eq!(r.json(), json!({"message": message, "code": code}));
                assert!(r.set_cookie("better-auth.state").is_none());
            }
            let r = browser
                .post(
                    "/api/auth/sign-in/social",
                    json!({"provider": "oidc", "callbackURL": "//evil.example"}),
                )
                .await;
            assert_eq!(r.status, 403);

            // A callback for a provider that is not configured, with a valid state.
            let (_, state) = start(&browser, json!({"provider": "oidc"})).await;
            let r = browser
                .get(&format!("/api/auth/callback/myspace?code=x&state={state}"))
                .await;
            assert_refused(&app, &r, ERROR_PAGE, "oauth_provider_not_found").await;
        },
    )
    .await;
}

#[tokio::test]
async fn a_provider_that_is_down_ends_on_invalid_code() {
    let mut oidc = Oidc::start(json!({}));
    let issuer = oidc.issuer.clone();
    // One store at a time: the provider dies in the middle of each flow.
    let app = TestApp::sqlite_with(Plugins::NONE, |c| c.social = providers(&issuer)).await;
    let browser = Browser::new(&app);
    let (url, _) = start(&browser, json!({"provider": "oidc", "loginHint": "bob"})).await;
    let back = oidc.authorize(&url).await;
    oidc.stop();
    let r = callback(&browser, &back).await;
    assert_refused(&app, &r, ERROR_PAGE, "invalid_code").await;
    // And a provider down from the start cannot even begin: its discovery fails.
    let fresh = TestApp::sqlite_with(Plugins::NONE, |c| c.social = providers(&issuer)).await;
    let r = Browser::new(&fresh)
        .post("/api/auth/sign-in/social", json!({"provider": "oidc"}))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["code"], "PROVIDER_NOT_FOUND");
}

#[tokio::test]
async fn provider_errors_and_disabled_sign_up_are_redirected() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |c| c.social[0].disable_sign_up = true,
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                let (_, state) = start(&browser, json!({"provider": "oidc", "errorCallbackURL": "/oops"})).await;
                let r = browser
                    .get(&format!(
                        "/api/auth/callback/oidc?error=access_denied&error_description=User%20said%20no&state={state}"
                    ))
                    .await;
                assert_eq!(location(&r), "/oops?error=access_denied&error_description=User+said+no");
                let (_, state) = start(&browser, json!({"provider": "oidc"})).await;
                let r = browser.get(&format!("/api/auth/callback/oidc?state={state}")).await;
                assert_refused(&app, &r, ERROR_PAGE, "no_code").await;
                let (url, _) = start(&browser, json!({"provider": "oidc", "loginHint": "bob"})).await;
                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_refused(&app, &r, ERROR_PAGE, "signup_disabled").await;
            }
        },
    )
    .await;
}

#[tokio::test]
async fn the_form_post_callback_is_redirected_to_the_get_callback() {
    let oidc = Oidc::start(json!({}));
    each_store(&oidc.issuer, |_| {}, |app| async move {
        let r = Browser::new(&app)
            .without_origin()
            .post_raw(
                "/api/auth/callback/apple",
                "application/x-www-form-urlencoded",
                "state=abc&code=xyz&user=%7B%22name%22%3A1%7D",
            )
            .await;
        assert_eq!(
            location(&r),
            "http://localhost:3000/api/auth/callback/apple?code=xyz&state=abc&user=%7B%22name%22%3A1%7D"
        );
    })
    .await;
}

async fn insert_user(
    app: &TestApp,
    email: &str,
    verified: bool,
    accounts: &[(&str, &str)],
) -> User {
    let now = tessera_core::timefmt::now_ms();
    let user = User::new(
        tessera_core::crypto::random::generate_id(32),
        "Local".into(),
        email.into(),
        verified,
        now,
    );
    let rows: Vec<Account> = accounts
        .iter()
        .map(|(provider, subject)| Account {
            id: tessera_core::crypto::random::generate_id(32),
            account_id: (*subject).to_owned(),
            provider_id: (*provider).to_owned(),
            user_id: user.id.clone(),
            access_token: None,
            refresh_token: None,
            id_token: None,
            access_token_expires_at: None,
            refresh_token_expires_at: None,
            scope: Some("openid,email,profile".into()),
            password: None,
            created_at: now,
            updated_at: now,
        })
        .collect();
    app.store
        .insert_import_batch(tessera_store::ImportBatch {
            users: vec![user.clone()],
            accounts: rows,
            two_factors: Vec::new(),
        })
        .await
        .unwrap();
    user
}

#[tokio::test]
async fn implicit_linking_needs_verified_emails_on_both_sides() {
    let oidc = Oidc::start(json!({
        "unverified": {"email": "una@example.com", "email_verified": false, "name": "Una"},
    }));
    each_store(
        &oidc.issuer,
        |_| {},
        |app| {
            let oidc = &oidc;
            async move {
                // Both verified: the provider account joins the local user.
                let local = insert_user(&app, "vera@example.com", true, &[]).await;
                let browser = Browser::new(&app);
                let (url, _) =
                    start(&browser, json!({"provider": "oidc", "loginHint": "vera"})).await;
                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_eq!(location(&r), "http://localhost:3000");
                let session = browser.get("/api/auth/get-session").await.json();
                assert_eq!(session["user"]["id"], local.id.as_str());
                assert_eq!(app.store.list_accounts(&local.id).await.unwrap().len(), 1);

                // The local email is not verified: not linked.
                let local = insert_user(&app, "lou@example.com", false, &[]).await;
                let browser = Browser::new(&app);
                let (url, _) =
                    start(&browser, json!({"provider": "oidc", "loginHint": "lou"})).await;
                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_eq!(
                    location(&r),
                    format!("{ERROR_PAGE}?error=account_not_linked")
                );
                assert!(session_cookie(&r).is_none());
                assert!(app.store.list_accounts(&local.id).await.unwrap().is_empty());

                // The provider does not vouch for the email: not linked.
                let local = insert_user(&app, "una@example.com", true, &[]).await;
                let browser = Browser::new(&app);
                let (url, _) = start(
                    &browser,
                    json!({"provider": "oidc", "loginHint": "unverified"}),
                )
                .await;
                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_eq!(
                    location(&r),
                    format!("{ERROR_PAGE}?error=account_not_linked")
                );
                assert!(app.store.list_accounts(&local.id).await.unwrap().is_empty());
            }
        },
    )
    .await;
}

#[tokio::test]
async fn a_trusted_provider_links_even_when_it_does_not_verify_the_email() {
    let oidc = Oidc::start(json!({
        "unverified": {"email": "una@example.com", "email_verified": false, "name": "Una"},
    }));
    each_store(
        &oidc.issuer,
        |c| c.account.trusted_providers = vec!["oidc".into()],
        |app| {
            let oidc = &oidc;
            async move {
                let local = insert_user(&app, "una@example.com", true, &[]).await;
                let browser = Browser::new(&app);
                let (url, _) = start(
                    &browser,
                    json!({"provider": "oidc", "loginHint": "unverified"}),
                )
                .await;
                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_eq!(location(&r), "http://localhost:3000");
                assert_eq!(app.store.list_accounts(&local.id).await.unwrap().len(), 1);
            }
        },
    )
    .await;
}

#[tokio::test]
async fn a_user_imported_from_clerk_signs_in_with_google_and_lands_on_the_same_user() {
    // The importer writes `oauth_google` as providerId "google", accountId = Google's `sub`.
    let oidc = Oidc::start(json!({
        "108204268033311374519": {"email": "imported@example.com", "email_verified": true, "name": "Imported"},
    }));
    each_store(&oidc.issuer, |_| {}, |app| {
        let oidc = &oidc;
        async move {
            let provider_id = tessera_core::providers::clerk_provider_to_better_auth("oauth_google").unwrap();
            let imported = insert_user(&app, "imported@example.com", true, &[(provider_id, "108204268033311374519")]).await;
            let browser = Browser::new(&app);
            let (url, _) = start(
                &browser,
                json!({"provider": "google", "callbackURL": "/home", "newUserCallbackURL": "/welcome",
                       "loginHint": "108204268033311374519"}),
            )
            .await;
            assert_eq!(query_param(&url, "include_granted_scopes").as_deref(), Some("true"));
            assert_eq!(query_param(&url, "scope").as_deref(), Some("email profile openid"));
            let r = callback(&browser, &oidc.authorize(&url).await).await;
            assert_eq!(location(&r), "/home", "an existing user goes to callbackURL");
            let session = browser.get("/api/auth/get-session").await.json();
            assert_eq!(session["user"]["id"], imported.id.as_str());
            let accounts = app.store.list_accounts(&imported.id).await.unwrap();
            assert_eq!(accounts.len(), 1, "no second account");
            assert!(accounts[0].access_token.is_some(), "tokens refreshed on sign-in");
            assert_eq!(accounts[0].scope.as_deref(), Some("openid,email,profile"), "scope kept");
            let (users, total) = app
                .store
                .list_users(&tessera_store::ListUsersQuery::default())
                .await
                .unwrap();
            assert_eq!((users.len(), total), (1, 1), "no duplicate user");
        }
    })
    .await;
}

#[tokio::test]
async fn a_user_imported_by_the_clerk_importer_signs_in_with_google_through_the_provider() {
    // The generator's bundled export (CSV + snapshot), imported by the real importer; the local
    // provider issues the `sub` Clerk recorded for the user's verified `oauth_google` account.
    let export =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/clerk-export");
    let snapshot: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(export.join("users.json")).unwrap()).unwrap();
    let (clerk_id, subject, email) = snapshot
        .iter()
        .filter(|u| u["banned"] != true)
        .find_map(|u| {
            let google = u["external_accounts"].as_array()?.iter().find(|a| {
                a["provider"] == "oauth_google" && a["verification"]["status"] == "verified"
            })?;
            Some((
                u["id"].as_str()?.to_owned(),
                google["provider_user_id"].as_str()?.to_owned(),
                google["email_address"].as_str()?.to_owned(),
            ))
        })
        .expect("the example export has a Google account");
    let oidc = Oidc::start(
        json!({&subject: {"email": &email, "email_verified": true, "name": "From Google"}}),
    );
    each_store(&oidc.issuer, |_| {}, |app| {
        let (oidc, export) = (&oidc, &export);
        let (clerk_id, subject) = (clerk_id.clone(), subject.clone());
        async move {
            use tessera_import::clerk::{apply, join::Sources, plan::PlanOptions};
            let sources = Sources {
                export: export.join("exported_users.csv"),
                snapshot: Some(export.join("users.json")),
            };
            let options = apply::ImportOptions::new(PlanOptions::new(app.config.plugins));
            let summary = apply::apply(
                &*app.store,
                &sources,
                &options,
                app.config.encryption_secrets().unwrap(),
                &|_| {},
            )
            .await
            .unwrap();
            assert!(summary.users_inserted > 1 && summary.accounts_inserted > 1, "{summary}");
            let imported = app
                .store
                .find_account_by_provider("google", &subject)
                .await
                .unwrap()
                .expect("the importer wrote the Google account");
            assert_eq!(imported.user_id, clerk_id);
            let all = tessera_store::ListUsersQuery::default();
            let (_, users_before) = app.store.list_users(&all).await.unwrap();
            let accounts_before = app.store.list_accounts(&clerk_id).await.unwrap();

            let browser = Browser::new(&app);
            let (url, _) = start(
                &browser,
                json!({"provider": "google", "callbackURL": "/home", "newUserCallbackURL": "/welcome",
                       "loginHint": subject}),
            )
            .await;
            let r = callback(&browser, &oidc.authorize(&url).await).await;
            assert_eq!(location(&r), "/home", "an existing user goes to callbackURL");
            let session = browser.get("/api/auth/get-session").await.json();
            assert_eq!(session["user"]["id"], clerk_id.as_str(), "the Clerk user, by id");

            let (_, users_after) = app.store.list_users(&all).await.unwrap();
            assert_eq!(users_after, users_before, "no new user");
            let accounts = app.store.list_accounts(&clerk_id).await.unwrap();
            assert_eq!(accounts.len(), accounts_before.len(), "no new account");
            let google: Vec<&Account> =
                accounts.iter().filter(|a| a.provider_id == "google").collect();
            assert_eq!(google.len(), 1, "one Google account row");
            assert_eq!(google[0].id, imported.id, "the imported row, updated in place");
            assert_eq!(google[0].account_id, subject);
            assert!(google[0].access_token.is_some() && imported.access_token.is_none());
        }
    })
    .await;
}

#[tokio::test]
async fn link_social_adds_the_account_and_unlink_keeps_the_last_one() {
    let oidc = Oidc::start(
        json!({"sam-at-idp": {"email": "sam@example.com", "email_verified": true, "name": "Sam"}}),
    );
    each_store(&oidc.issuer, |_| {}, |app| {
        let oidc = &oidc;
        async move {
            let browser = Browser::new(&app);
            browser.sign_up("sam@example.com", "password1234").await;
            let r = browser
                .post("/api/auth/link-social", json!({"provider": "oidc", "callbackURL": "/settings", "loginHint": "sam-at-idp"}))
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            let url = r.json()["url"].as_str().unwrap().to_owned();
            let state = query_param(&url, "state").unwrap();
            let row = app.store.find_verification(&format!("auth-state:{state}")).await.unwrap().unwrap();
            let value: Value = serde_json::from_str(&row.value).unwrap();
            assert_eq!(value["link"]["email"], "sam@example.com");
            assert!(value["link"]["encryptedSessionToken"].is_string());
            let r = callback(&browser, &oidc.authorize(&url).await).await;
            assert_eq!(location(&r), "/settings");

            let list = browser.get("/api/auth/list-accounts").await;
            assert_eq!(list.status, 200);
            let list = list.json();
            let list = list.as_array().unwrap();
            assert_eq!(list.len(), 2);
            let social = list.iter().find(|a| a["providerId"] == "oidc").unwrap();
            assert_eq!(social["accountId"], "sam-at-idp");
            assert_eq!(social["scopes"], json!(["openid", "email", "profile"]));
            assert!(social.get("accessToken").is_none() && social.get("password").is_none());
            let credential = list.iter().find(|a| a["providerId"] == "credential").unwrap();

            // account-info asks the provider.
            let info = browser
                .get(&format!("/api/auth/account-info?accountId={}", social["id"].as_str().unwrap()))
                .await;
            assert_eq!(info.status, 200, "{}", info.text());
            assert_eq!(info.json()["user"]["email"], "sam@example.com");
            assert_eq!(info.json()["account"]["accountId"], "sam-at-idp");

            // refresh-token gets a new access token from the provider and stores it.
            let before = app.store.list_accounts(social["userId"].as_str().unwrap()).await.unwrap();
            let old = before.iter().find(|a| a.provider_id == "oidc").unwrap().access_token.clone();
            let r = browser
                .post("/api/auth/refresh-token", json!({"accountId": social["id"]}))
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            let body = r.json();
            assert_eq!(body["providerId"], "oidc");
            assert_ne!(body["accessToken"].as_str(), old.as_deref());
            let after = app.store.list_accounts(social["userId"].as_str().unwrap()).await.unwrap();
            assert_eq!(
                after.iter().find(|a| a.provider_id == "oidc").unwrap().access_token.as_deref(),
                body["accessToken"].as_str()
            );

            let r = browser
                .post("/api/auth/unlink-account", json!({"accountId": "no-such-account"}))
                .await;
            assert_eq!(r.status, 400);
            assert_eq!(r.json()["code"], "ACCOUNT_NOT_FOUND");
            let r = browser
                .post("/api/auth/unlink-account", json!({"accountId": credential["id"]}))
                .await;
            assert_eq!(r.json(), json!({"status": true}));
            let r = browser
                .post("/api/auth/unlink-account", json!({"accountId": social["id"]}))
                .await;
            assert_eq!(r.status, 400);
            assert_eq!(
                r.json(),
                json!({"message": "You can't unlink your last account", "code": "FAILED_TO_UNLINK_LAST_ACCOUNT"})
            );
        }
    })
    .await;
}

#[tokio::test]
async fn link_social_refuses_another_email_and_an_account_of_someone_else() {
    let oidc = Oidc::start(
        json!({"other": {"email": "other@example.com", "email_verified": true, "name": "O"}}),
    );
    each_store(
        &oidc.issuer,
        |_| {},
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                browser.sign_up("tia@example.com", "password1234").await;
                let r = browser
                    .post(
                        "/api/auth/link-social",
                        json!({"provider": "oidc", "loginHint": "other"}),
                    )
                    .await;
                let url = r.json()["url"].as_str().unwrap().to_owned();
                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_eq!(
                    location(&r),
                    format!("{ERROR_PAGE}?error=email_does_not_match")
                );
                assert_eq!(accounts_of(&app, "tia@example.com").await.len(), 1);

                // Without a session there is nothing to link to.
                let r = Browser::new(&app)
                    .post("/api/auth/link-social", json!({"provider": "oidc"}))
                    .await;
                assert_eq!(r.status, 401);
            }
        },
    )
    .await;
}

#[tokio::test]
async fn id_token_sign_in_verifies_signature_audience_and_nonce() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |_| {},
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                let good = oidc
                    .id_token_for(CLIENT_ID, CLIENT_SECRET, "ivy", "n-123")
                    .await;

                // A tampered payload keeps the signature of the original.
                let parts: Vec<&str> = good.split('.').collect();
                use base64::Engine;
                let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
                let mut claims: Value =
                    serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
                claims["email"] = json!("admin@example.com");
                let tampered = format!(
                    "{}.{}.{}",
                    parts[0],
                    b64.encode(claims.to_string()),
                    parts[2]
                );
                let other_audience = oidc
                    .id_token_for(
                        idp::OTHER_CLIENT_ID,
                        idp::OTHER_CLIENT_SECRET,
                        "ivy",
                        "n-123",
                    )
                    .await;
                for (token, nonce, why) in [
                    (tampered.as_str(), "n-123", "tampered"),
                    (good.as_str(), "n-wrong", "wrong nonce"),
                    (other_audience.as_str(), "n-123", "other audience"),
                    ("not-a-jwt", "n-123", "garbage"),
                ] {
                    let r = browser
                    .post(
                        "/api/auth/sign-in/social",
                        json!({"provider": "oidc", "idToken": {"token": token, "nonce": nonce}}),
                    )
                    .await;
                    assert_eq!(r.status, 401, "{why}: {}", r.text());
                    assert_eq!(
                        r.json(),
                        json!({"message": "Invalid token", "code": "INVALID_TOKEN"}),
                        "{why}"
                    );
                    assert!(session_cookie(&r).is_none(), "{why}");
                    assert!(
                        app.store
                            .find_user_by_email("admin@example.com")
                            .await
                            .unwrap()
                            .is_none()
                    );
                    assert!(
                        app.store
                            .find_user_by_email("ivy@example.com")
                            .await
                            .unwrap()
                            .is_none(),
                        "{why}"
                    );
                }

                let r = browser
                    .post(
                        "/api/auth/sign-in/social",
                        json!({"provider": "oidc", "idToken": {"token": good, "nonce": "n-123"}}),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.text());
                let body = r.json();
                assert_eq!(body["redirect"], false);
                assert!(body.get("url").is_none());
                assert_eq!(body["user"]["email"], "ivy@example.com");
                assert!(session_cookie(&r).is_some());
                let a = &accounts_of(&app, "ivy@example.com").await[0];
                assert_eq!(
                    (a.provider_id.as_str(), a.account_id.as_str()),
                    ("oidc", "ivy")
                );
                assert_eq!(a.id_token.as_deref(), Some(good.as_str()));
            }
        },
    )
    .await;
}

fn github(base: &str) -> SocialProviderConfig {
    let mut gh = provider("github", ProviderKind::Named, "Iv1.github-client");
    gh.authorization_endpoint = Some(format!("{base}/login/oauth/authorize"));
    gh.token_endpoint = Some(format!("{base}/login/oauth/access_token"));
    gh.api_base = Some(base.to_owned());
    gh
}

#[tokio::test]
async fn github_signs_in_with_its_numeric_id_and_primary_verified_email() {
    let gh = GitHub::start().await;
    let base = gh.base.clone();
    each_store(
        "http://127.0.0.1:9",
        move |c| c.social = vec![github(&base)],
        |app| {
            let gh = &gh;
            async move {
                let browser = Browser::new(&app);
                let (url, state) = start(
                    &browser,
                    json!({"provider": "github", "callbackURL": "/home"}),
                )
                .await;
                assert!(url.starts_with(&format!("{}/login/oauth/authorize?", gh.base)));
                assert_eq!(
                    query_param(&url, "scope").as_deref(),
                    Some("read:user user:email")
                );

                // A bad code: GitHub answers 200 with an `error`.
                let r = browser
                    .get(&format!(
                        "/api/auth/callback/github?code=stale&state={state}"
                    ))
                    .await;
                assert_eq!(location(&r), format!("{ERROR_PAGE}?error=invalid_code"));
                assert!(
                    app.store
                        .find_user_by_email("octocat@github.com")
                        .await
                        .unwrap()
                        .is_none()
                );

                let (_, state) = start(
                    &browser,
                    json!({"provider": "github", "callbackURL": "/home"}),
                )
                .await;
                let r = browser
                    .get(&format!(
                        "/api/auth/callback/github?code=good-code&state={state}"
                    ))
                    .await;
                assert_eq!(location(&r), "/home");
                let session = browser.get("/api/auth/get-session").await.json();
                assert_eq!(session["user"]["email"], "octocat@github.com");
                assert_eq!(session["user"]["name"], "monalisa octocat");
                assert_eq!(session["user"]["emailVerified"], true);
                assert_eq!(
                    session["user"]["image"],
                    "https://github.com/images/error/octocat_happy.gif"
                );
                let a = &accounts_of(&app, "octocat@github.com").await[0];
                assert_eq!(
                    (a.provider_id.as_str(), a.account_id.as_str()),
                    ("github", "583231")
                );
                assert_eq!(a.scope.as_deref(), Some("read:user,user:email"));

                let log = gh.log.lock().unwrap();
                let form = log.token_requests.last().unwrap();
                let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
                assert_eq!(field("grant_type"), Some("authorization_code"));
                assert_eq!(field("client_id"), Some("Iv1.github-client"));
                assert_eq!(field("client_secret"), Some(CLIENT_SECRET));
                assert_eq!(field("code_verifier").map(str::len), Some(128));
                assert_eq!(
                    field("redirect_uri"),
                    Some("http://localhost:3000/api/auth/callback/github")
                );
            }
        },
    )
    .await;
}

#[tokio::test]
async fn account_endpoints_need_a_session_and_an_own_account() {
    let oidc = Oidc::start(json!({}));
    each_store(&oidc.issuer, |_| {}, |app| async move {
        let anonymous = Browser::new(&app);
        assert_eq!(anonymous.get("/api/auth/list-accounts").await.status, 401);
        let r = anonymous
            .post("/api/auth/get-access-token", json!({"accountId": "x"}))
            .await;
        assert_eq!(r.status, 401);
        let browser = Browser::new(&app);
        browser.sign_up("zed@example.com", "password1234").await;
        let r = browser
            .post("/api/auth/get-access-token", json!({"accountId": "someone-elses"}))
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["code"], "ACCOUNT_NOT_FOUND");
        let credential = &accounts_of(&app, "zed@example.com").await[0];
        let r = browser
            .post("/api/auth/refresh-token", json!({"accountId": credential.id}))
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.json(),
            json!({"message": "Provider credential is not supported.", "code": "PROVIDER_NOT_SUPPORTED"})
        );
    })
    .await;
}

#[tokio::test]
async fn a_callback_naming_another_issuer_is_refused() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |_| {},
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                let (url, _) =
                    start(&browser, json!({"provider": "oidc", "loginHint": "bob"})).await;
                let back = oidc.authorize(&url).await;
                assert_eq!(
                    query_param(&back, "iss").as_deref(),
                    Some(oidc.issuer.as_str())
                );
                let mut forged = url::Url::parse(&back).unwrap();
                let pairs: Vec<(String, String)> = forged
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k == "iss" {
                            "https://evil.example".into()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                forged.query_pairs_mut().clear().extend_pairs(pairs);
                let r = callback(&browser, forged.as_str()).await;
                assert_refused(&app, &r, ERROR_PAGE, "issuer_mismatch").await;
            }
        },
    )
    .await;
}

#[tokio::test]
async fn get_access_token_refreshes_an_expired_access_token_first() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |_| {},
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                let (url, _) =
                    start(&browser, json!({"provider": "oidc", "loginHint": "kim"})).await;
                callback(&browser, &oidc.authorize(&url).await).await;
                let mut account = accounts_of(&app, "kim@example.com").await.remove(0);
                let first = account.access_token.clone().unwrap();

                // Still valid: handed out as stored.
                let r = browser
                    .post(
                        "/api/auth/get-access-token",
                        json!({"accountId": account.id}),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.text());
                assert_eq!(r.json()["accessToken"], first.as_str());
                assert_eq!(r.json()["scopes"], json!(["openid", "email", "profile"]));

                // Expired: refreshed at the provider, stored, and the new one handed out.
                account.access_token_expires_at =
                    Some(tessera_core::timefmt::now_ms() - time::Duration::minutes(1));
                assert!(app.store.update_account_tokens(&account).await.unwrap());
                let r = browser
                    .post(
                        "/api/auth/get-access-token",
                        json!({"accountId": account.id}),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.text());
                let fresh = r.json()["accessToken"].as_str().unwrap().to_owned();
                assert_ne!(fresh, first);
                let stored = accounts_of(&app, "kim@example.com").await.remove(0);
                assert_eq!(stored.access_token.as_deref(), Some(fresh.as_str()));
                assert!(stored.access_token_expires_at.unwrap() > tessera_core::timefmt::now_ms());
            }
        },
    )
    .await;
}

// ------------------------------------------------ per-provider options, ID tokens of named providers

#[tokio::test]
async fn facebook_limited_login_id_tokens_sign_in_without_vouching_for_the_email() {
    // Facebook, pointed at the local provider: its limited-login ID token is a signed JWT.
    let oidc = Oidc::start(
        json!({"fay": {"email": "fay@example.com", "email_verified": true, "name": "Fay"}}),
    );
    let issuer = oidc.issuer.clone();
    each_store(
        &oidc.issuer,
        move |c| {
            let mut facebook = provider("facebook", ProviderKind::Named, CLIENT_ID);
            facebook.issuer = Some(issuer.clone());
            c.social.push(facebook);
            // `disableIdTokenSignIn`: Google answers as a provider without ID-token sign-in.
            c.social[1].disable_id_token_sign_in = true;
        },
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                let token = oidc.id_token_for(CLIENT_ID, CLIENT_SECRET, "fay", "n-fb").await;
                let r = browser
                    .post(
                        "/api/auth/sign-in/social",
                        json!({"provider": "google", "idToken": {"token": token, "nonce": "n-fb"}}),
                    )
                    .await;
                assert_eq!(r.status, 404, "{}", r.text());
                assert_eq!(
                    r.json(),
                    json!({"message": "id_token not supported", "code": "ID_TOKEN_NOT_SUPPORTED"})
                );
                let other = oidc
                    .id_token_for(idp::OTHER_CLIENT_ID, idp::OTHER_CLIENT_SECRET, "fay", "n-fb")
                    .await;
                let r = browser
                    .post(
                        "/api/auth/sign-in/social",
                        json!({"provider": "facebook", "idToken": {"token": other, "nonce": "n-fb"}}),
                    )
                    .await;
                assert_eq!(r.status, 401, "{}", r.text());
                assert_eq!(r.json()["code"], "INVALID_TOKEN");
                assert!(app.store.find_user_by_email("fay@example.com").await.unwrap().is_none());

                let r = browser
                    .post(
                        "/api/auth/sign-in/social",
                        json!({"provider": "facebook", "idToken": {"token": token, "nonce": "n-fb"}}),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.text());
                let body = r.json();
                assert_eq!(body["user"]["email"], "fay@example.com");
                assert_eq!(body["user"]["name"], "Fay");
                assert_eq!(body["user"]["emailVerified"], false, "Facebook does not vouch");
                assert!(session_cookie(&r).is_some());
                let a = &accounts_of(&app, "fay@example.com").await[0];
                assert_eq!((a.provider_id.as_str(), a.account_id.as_str()), ("facebook", "fay"));
            }
        },
    )
    .await;
}

#[tokio::test]
async fn tenant_prompt_and_access_type_reach_the_authorization_url_as_better_auth_sends_them() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |c| {
            c.social[0].prompt = Some("login".into());
            c.social[0].access_type = Some("offline".into());
            c.social[1].prompt = Some("consent".into());
            c.social[1].access_type = Some("offline".into());
            let mut microsoft = provider("microsoft", ProviderKind::Named, "ms-client");
            microsoft.tenant_id = Some("organizations".into());
            microsoft.authority = Some("https://login.example/".into());
            microsoft.prompt = Some("select_account".into());
            microsoft.access_type = Some("offline".into());
            let mut gh = github("http://127.0.0.1:9");
            gh.prompt = Some("consent".into());
            gh.access_type = Some("offline".into());
            let discord = provider("discord", ProviderKind::Named, "discord-client");
            c.social.extend([microsoft, gh, discord]);
        },
        |app| async move {
            let browser = Browser::new(&app);
            let url = |provider: &'static str| {
                let browser = &browser;
                async move { start(browser, json!({"provider": provider})).await.0 }
            };
            let ms = url("microsoft").await;
            assert!(
                ms.starts_with("https://login.example/organizations/oauth2/v2.0/authorize?"),
                "{ms}"
            );
            assert_eq!(
                query_param(&ms, "prompt").as_deref(),
                Some("select_account")
            );
            assert_eq!(
                query_param(&ms, "access_type"),
                None,
                "Microsoft sends no access_type"
            );
            let google = url("google").await;
            assert_eq!(query_param(&google, "prompt").as_deref(), Some("consent"));
            assert_eq!(
                query_param(&google, "access_type").as_deref(),
                Some("offline")
            );
            let generic = url("oidc").await;
            assert_eq!(query_param(&generic, "prompt").as_deref(), Some("login"));
            assert_eq!(
                query_param(&generic, "access_type").as_deref(),
                Some("offline")
            );
            let gh = url("github").await;
            assert_eq!(query_param(&gh, "prompt").as_deref(), Some("consent"));
            assert_eq!(query_param(&gh, "access_type"), None);
            let discord = url("discord").await;
            assert_eq!(
                query_param(&discord, "prompt").as_deref(),
                Some("none"),
                "Discord's default"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn override_user_info_on_sign_in_replaces_a_returning_users_profile() {
    let oidc = Oidc::start(json!({
        "olga": {"email": "Olga@Example.com", "email_verified": true, "name": "Olga New", "picture": "https://img.test/olga.png"},
        "oscar": {"email": "oscar-new@example.com", "email_verified": true, "name": "Oscar New"},
    }));
    each_store(
        &oidc.issuer,
        |c| c.social[0].override_user_info_on_sign_in = true,
        |app| {
            let oidc = &oidc;
            async move {
                // `oidc` overrides; `google` (the default) leaves the user as it is.
                let olga =
                    insert_user(&app, "olga-old@example.com", false, &[("oidc", "olga")]).await;
                let oscar =
                    insert_user(&app, "oscar@example.com", true, &[("google", "oscar")]).await;
                for (provider, hint) in [("oidc", "olga"), ("google", "oscar")] {
                    let browser = Browser::new(&app);
                    let (url, _) =
                        start(&browser, json!({"provider": provider, "loginHint": hint})).await;
                    let r = callback(&browser, &oidc.authorize(&url).await).await;
                    assert_eq!(location(&r), "http://localhost:3000", "{hint}");
                }
                let olga = app.store.find_user_by_id(&olga.id).await.unwrap().unwrap();
                assert_eq!(olga.name, "Olga New");
                assert_eq!(olga.email, "olga@example.com");
                assert_eq!(olga.image.as_deref(), Some("https://img.test/olga.png"));
                assert!(
                    olga.email_verified,
                    "another email: the provider's verification"
                );
                let oscar = app.store.find_user_by_id(&oscar.id).await.unwrap().unwrap();
                assert_eq!(
                    (oscar.name.as_str(), oscar.email.as_str()),
                    ("Local", "oscar@example.com")
                );
            }
        },
    )
    .await;
}

#[tokio::test]
async fn update_account_on_sign_in_off_keeps_the_stored_tokens() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |c| c.account.update_account_on_sign_in = false,
        |app| {
            let oidc = &oidc;
            async move {
                let user = insert_user(&app, "uma@example.com", true, &[("oidc", "uma")]).await;
                let browser = Browser::new(&app);
                let (url, _) =
                    start(&browser, json!({"provider": "oidc", "loginHint": "uma"})).await;
                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_eq!(location(&r), "http://localhost:3000");
                assert!(session_cookie(&r).is_some());
                let accounts = app.store.list_accounts(&user.id).await.unwrap();
                assert_eq!(accounts.len(), 1);
                assert!(accounts[0].access_token.is_none() && accounts[0].id_token.is_none());
            }
        },
    )
    .await;
}

#[tokio::test]
async fn disable_implicit_sign_up_needs_request_sign_up() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |c| c.social[0].disable_implicit_sign_up = true,
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                let (url, _) =
                    start(&browser, json!({"provider": "oidc", "loginHint": "bob"})).await;
                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_refused(&app, &r, ERROR_PAGE, "signup_disabled").await;
                let (url, _) = start(
                    &browser,
                    json!({"provider": "oidc", "loginHint": "bob", "requestSignUp": true}),
                )
                .await;
                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_eq!(location(&r), "http://localhost:3000");
                assert_eq!(accounts_of(&app, "bob@example.com").await.len(), 1);
            }
        },
    )
    .await;
}

#[tokio::test]
async fn apple_id_tokens_may_carry_the_sha256_of_the_nonce() {
    let oidc = Oidc::start(
        json!({"abe": {"email": "abe@example.com", "email_verified": true, "name": "Abe"}}),
    );
    let issuer = oidc.issuer.clone();
    each_store(
        &oidc.issuer,
        move |c| {
            let mut apple = provider("apple", ProviderKind::Named, CLIENT_ID);
            apple.issuer = Some(issuer.clone());
            c.social = vec![apple];
        },
        |app| {
            let oidc = &oidc;
            async move {
                use sha2::Digest;
                let hashed = hex::encode(sha2::Sha256::digest(b"raw-nonce"));
                let token = oidc.id_token_for(CLIENT_ID, CLIENT_SECRET, "abe", &hashed).await;
                let browser = Browser::new(&app);
                let sign_in = |nonce: &'static str| {
                    let (browser, token) = (&browser, token.clone());
                    async move {
                        browser
                            .post(
                                "/api/auth/sign-in/social",
                                json!({"provider": "apple", "idToken": {"token": token, "nonce": nonce}}),
                            )
                            .await
                    }
                };
                let r = sign_in("another-nonce").await;
                assert_eq!(r.status, 401, "{}", r.text());
                assert_eq!(r.json()["code"], "INVALID_TOKEN");
                let r = sign_in("raw-nonce").await;
                assert_eq!(r.status, 200, "{}", r.text());
                assert_eq!(r.json()["user"]["email"], "abe@example.com");
                let a = &accounts_of(&app, "abe@example.com").await[0];
                assert_eq!((a.provider_id.as_str(), a.account_id.as_str()), ("apple", "abe"));
            }
        },
    )
    .await;
}

/// A stand-in Graph API: `debug_token` (with Graph's response shape) and `/me`.
async fn graph_api() -> (String, tokio::task::JoinHandle<()>) {
    use axum::extract::Query;
    use axum::routing::get;
    use std::collections::HashMap;
    async fn debug_token(Query(q): Query<HashMap<String, String>>) -> axum::Json<Value> {
        let app_token = format!("fb-app|{CLIENT_SECRET}");
        if q.get("access_token") != Some(&app_token) {
            return axum::Json(
                json!({"error": {"message": "Invalid OAuth access token.", "code": 190}}),
            );
        }
        let app_id = match q.get("input_token").map(String::as_str) {
            Some("EAAB-ours") => "fb-app",
            Some("EAAB-other-app") => "another-app",
            _ => return axum::Json(json!({"data": {"is_valid": false}})),
        };
        axum::Json(
            json!({"data": {"app_id": app_id, "type": "USER", "is_valid": true, "user_id": "10150"}}),
        )
    }
    async fn me() -> axum::Json<Value> {
        axum::Json(
            json!({"id": "10150", "name": "Fiona", "email": "fiona@example.com",
                          "picture": {"data": {"url": "https://graph.test/fiona.jpg"}}}),
        )
    }
    let router = axum::Router::new()
        .route("/debug_token", get(debug_token))
        .route("/me", get(me));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (base, task)
}

#[tokio::test]
async fn facebook_opaque_tokens_sign_in_only_with_an_access_token_issued_to_this_app() {
    let oidc = Oidc::start(json!({}));
    let (graph, task) = graph_api().await;
    each_store(
        &oidc.issuer,
        move |c| {
            let mut facebook = provider("facebook", ProviderKind::Named, "fb-app");
            facebook.api_base = Some(graph.clone());
            c.social = vec![facebook];
        },
        |app| async move {
            let browser = Browser::new(&app);
            let sign_in = |id_token: Value| {
                let browser = &browser;
                async move {
                    browser
                        .post("/api/auth/sign-in/social", json!({"provider": "facebook", "idToken": id_token}))
                        .await
                }
            };
            for (id_token, why) in [
                (json!({"token": "opaque"}), "no access token"),
                (json!({"token": "opaque", "accessToken": "EAAB-other-app"}), "another app's token"),
                (json!({"token": "opaque", "accessToken": "EAAB-expired"}), "an invalid token"),
            ] {
                let r = sign_in(id_token).await;
                assert_eq!(r.status, 401, "{why}: {}", r.text());
                assert_eq!(
                    r.json(),
                    json!({"message": "Failed to get user info", "code": "FAILED_TO_GET_USER_INFO"}),
                    "{why}"
                );
                assert!(app.store.find_user_by_email("fiona@example.com").await.unwrap().is_none());
            }
            let r = sign_in(json!({"token": "opaque", "accessToken": "EAAB-ours"})).await;
            assert_eq!(r.status, 200, "{}", r.text());
            assert_eq!(r.json()["user"]["email"], "fiona@example.com");
            assert_eq!(r.json()["user"]["image"], "https://graph.test/fiona.jpg");
            let a = &accounts_of(&app, "fiona@example.com").await[0];
            assert_eq!((a.provider_id.as_str(), a.account_id.as_str()), ("facebook", "10150"));
        },
    )
    .await;
    task.abort();
}

#[tokio::test]
async fn the_cookie_state_strategy_keeps_the_state_encrypted_in_the_oauth_state_cookie() {
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        |c| c.account.store_state_in_cookie = true,
        |app| {
            let oidc = &oidc;
            async move {
                let browser = Browser::new(&app);
                let r = browser
                    .post(
                        "/api/auth/sign-in/social",
                        json!({"provider": "oidc", "errorCallbackURL": "/oops", "loginHint": "cleo"}),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.text());
                let url = r.json()["url"].as_str().unwrap().to_owned();
                let state = query_param(&url, "state").unwrap();
                assert!(r.set_cookie("better-auth.state").is_none());
                let cookie = r.set_cookie("better-auth.oauth_state").unwrap();
                assert!(cookie.contains("; Max-Age=600; Path=/; HttpOnly; SameSite=Lax"), "{cookie}");
                assert!(
                    app.store.find_verification(&format!("auth-state:{state}")).await.unwrap().is_none(),
                    "no verification row"
                );
                let sealed = browser.cookie_value("better-auth.oauth_state").unwrap();
                let key = tessera_core::oauth::purpose_key(support::SECRET, "oauth-state-cookie");
                let data: Value = serde_json::from_str(
                    &tessera_core::crypto::symmetric::decrypt(&key, &sealed).unwrap(),
                )
                .unwrap();
                assert_eq!(data["oauthState"], state.as_str());
                assert_eq!(data["codeVerifier"].as_str().unwrap().len(), 128);

                // Another state than the cookie's, no cookie, a cookie that does not decrypt.
                let r = browser.get("/api/auth/callback/oidc?state=forged&code=c").await;
                assert_eq!(location(&r), "/oops?error=state_mismatch");
                let r = Browser::new(&app)
                    .get(&format!("/api/auth/callback/oidc?state={state}&code=c"))
                    .await;
                assert_eq!(location(&r), format!("{ERROR_PAGE}?error=state_mismatch"));
                let r = Browser::new(&app)
                    .with_cookie("better-auth.oauth_state", "00ff")
                    .get(&format!("/api/auth/callback/oidc?state={state}&code=c"))
                    .await;
                assert_eq!(location(&r), format!("{ERROR_PAGE}?error=state_invalid"));

                let r = callback(&browser, &oidc.authorize(&url).await).await;
                assert_eq!(location(&r), "http://localhost:3000");
                assert!(session_cookie(&r).is_some());
                assert!(r.set_cookie("better-auth.oauth_state").unwrap().contains("Max-Age=0"));
                assert_eq!(accounts_of(&app, "cleo@example.com").await.len(), 1);
            }
        },
    )
    .await;
}

#[tokio::test]
async fn line_id_tokens_are_checked_at_lines_verify_endpoint() {
    use axum::routing::post;
    use base64::Engine;
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let good = format!(
        "{}.{}.sig",
        b64(json!({"alg": "HS256"})),
        b64(
            json!({"sub": "U4af4980629", "name": "Lin", "email": "lin@example.com", "aud": "line-client"})
        )
    );
    let accepted = good.clone();
    // LINE's verify endpoint, with its documented answers.
    let verify = move |body: String| {
        let accepted = accepted.clone();
        async move {
            let form: std::collections::HashMap<String, String> =
                url::form_urlencoded::parse(body.as_bytes())
                    .into_owned()
                    .collect();
            if form.get("id_token") != Some(&accepted)
                || form.get("client_id").map(String::as_str) != Some("line-client")
            {
                return (
                    axum::http::StatusCode::BAD_REQUEST,
                    axum::Json(
                        json!({"error": "invalid_request", "error_description": "Invalid IdToken."}),
                    ),
                );
            }
            (
                axum::http::StatusCode::OK,
                axum::Json(
                    json!({"iss": "https://access.line.me", "sub": "U4af4980629", "aud": "line-client",
                                  "exp": 4102444800u64, "iat": 1700000000, "nonce": "n-line",
                                  "name": "Lin", "email": "lin@example.com"}),
                ),
            )
        }
    };
    let router = axum::Router::new().route("/oauth2/v2.1/verify", post(verify));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let oidc = Oidc::start(json!({}));
    each_store(
        &oidc.issuer,
        move |c| {
            let mut line = provider("line", ProviderKind::Named, "line-client");
            line.api_base = Some(base.clone());
            c.social = vec![line];
        },
        |app| {
            let good = good.clone();
            async move {
                let browser = Browser::new(&app);
                let forged = good.replace(".sig", ".other");
                for (token, nonce, why) in [
                    (forged.as_str(), "n-line", "a token LINE refuses"),
                    (good.as_str(), "n-other", "another nonce"),
                ] {
                    let r = browser
                        .post(
                            "/api/auth/sign-in/social",
                            json!({"provider": "line", "idToken": {"token": token, "nonce": nonce}}),
                        )
                        .await;
                    assert_eq!(r.status, 401, "{why}: {}", r.text());
                    assert_eq!(r.json()["code"], "INVALID_TOKEN", "{why}");
                }
                let r = browser
                    .post(
                        "/api/auth/sign-in/social",
                        json!({"provider": "line", "idToken": {"token": good, "nonce": "n-line"}}),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.text());
                assert_eq!(r.json()["user"]["email"], "lin@example.com");
                assert_eq!(r.json()["user"]["emailVerified"], false);
                let a = &accounts_of(&app, "lin@example.com").await[0];
                assert_eq!((a.provider_id.as_str(), a.account_id.as_str()), ("line", "U4af4980629"));
            }
        },
    )
    .await;
    task.abort();
}

#[tokio::test]
async fn oversize_or_out_of_range_provider_answers_end_the_callback_on_an_error() {
    let gh = GitHub::start().await;
    let base = gh.base.clone();
    each_store(
        "http://127.0.0.1:9",
        move |c| c.social = vec![github(&base)],
        |app| async move {
            let browser = Browser::new(&app);
            let cases = [
                ("huge-body", "invalid_code"),
                ("huge-stream", "invalid_code"),
                ("expires:-1", "invalid_code"),
                ("expires:-3600", "invalid_code"),
                ("expires:1.5", "invalid_code"),
                ("expires:1e30", "invalid_code"),
                ("expires:9223372036854775807", "invalid_code"),
                ("expires:18446744073709551615", "invalid_code"),
                ("expires:\"-5\"", "invalid_code"),
                ("expires:\"soon\"", "invalid_code"),
                ("expires:\"99999999999999999999999\"", "invalid_code"),
                ("expires:true", "invalid_code"),
                ("expires:{\"s\":1}", "invalid_code"),
                ("huge-profile", "unable_to_get_user_info"),
            ];
            for (code, error) in cases {
                let (_, state) = start(
                    &browser,
                    json!({"provider": "github", "callbackURL": "/home"}),
                )
                .await;
                let code_param: String =
                    url::form_urlencoded::byte_serialize(code.as_bytes()).collect();
                let r = browser
                    .get(&format!(
                        "/api/auth/callback/github?code={code_param}&state={state}"
                    ))
                    .await;
                assert_eq!(
                    location(&r),
                    format!("{ERROR_PAGE}?error={error}"),
                    "{code}"
                );
                assert!(session_cookie(&r).is_none(), "{code}");
                assert!(
                    app.store
                        .find_user_by_email("octocat@github.com")
                        .await
                        .unwrap()
                        .is_none(),
                    "{code}"
                );
            }

            // A lifetime as a decimal string is read as Better Auth reads it.
            let (_, state) = start(
                &browser,
                json!({"provider": "github", "callbackURL": "/home"}),
            )
            .await;
            let code_param: String =
                url::form_urlencoded::byte_serialize(b"expires:\"3600\"").collect();
            let r = browser
                .get(&format!(
                    "/api/auth/callback/github?code={code_param}&state={state}"
                ))
                .await;
            assert_eq!(location(&r), "/home");
            let accounts = accounts_of(&app, "octocat@github.com").await;
            let expires = accounts[0].access_token_expires_at.unwrap();
            let left = expires - tessera_core::timefmt::now_ms();
            assert!(
                left > time::Duration::seconds(3590) && left <= time::Duration::seconds(3600),
                "{left}"
            );
        },
    )
    .await;
}
