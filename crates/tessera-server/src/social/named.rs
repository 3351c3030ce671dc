//! The providers Better Auth 1.7.25 has built in, as data: endpoints, default scopes, the extra
//! authorization parameters, where the profile comes from and how it maps to a user, and how the
//! account id (`accountSubject`) is read. One entry per id of
//! `tessera_core::providers::NAMED_PROVIDERS`.

use serde_json::Value;
use tessera_core::oauth::parse_string_boolean;

/// What a provider's profile says about the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The account id: the provider's stable user id, as a string.
    pub subject: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub image: Option<String>,
}

/// Where the profile comes from.
#[derive(Clone, Copy)]
pub enum Profile {
    /// The claims of the ID token the token endpoint returned (decoded, as Better Auth does).
    IdToken(fn(&Value) -> Option<Mapped>),
    /// A GET of this URL with the access token.
    Get(&'static str, fn(&Value) -> Option<Mapped>),
    /// The ID token's claims when the ID token is a JWT (Facebook's limited login), else a GET
    /// of the URL with the access token.
    IdTokenOrGet(
        fn(&Value) -> Option<Mapped>,
        &'static str,
        fn(&Value) -> Option<Mapped>,
    ),
    /// `GET /user`, then `GET /user/emails` for the primary address and whether it is verified.
    GitHub,
    /// Another request shape: POST with an empty body.
    PostEmpty(&'static str, fn(&Value) -> Option<Mapped>),
    /// Linear's GraphQL `viewer`.
    Linear,
    /// X: the profile, then the confirmed email in a second request.
    Twitter,
}

/// ID-token sign-in: how a client-submitted token is verified.
#[derive(Clone, Copy)]
pub struct IdTokenRules {
    pub issuers: &'static [&'static str],
    pub jwks_uri: &'static str,
    pub algorithms: &'static [&'static str],
    pub max_age_secs: Option<i64>,
}

#[derive(Clone, Copy)]
pub struct Named {
    pub authorization: &'static str,
    pub token: &'static str,
    pub scopes: &'static [&'static str],
    pub scope_joiner: &'static str,
    /// Fixed extra parameters of the authorization URL (`include_granted_scopes=true`, …).
    pub auth_params: &'static [(&'static str, &'static str)],
    pub response_mode: Option<&'static str>,
    pub response_type: Option<&'static str>,
    pub profile: Profile,
    pub id_token: Option<IdTokenRules>,
    /// TikTok names its client `client_key`.
    pub client_key: bool,
    /// Extra headers on profile requests.
    pub profile_headers: &'static [(&'static str, &'static str)],
}

const BASE: Named = Named {
    authorization: "",
    token: "",
    scopes: &[],
    scope_joiner: " ",
    auth_params: &[],
    response_mode: None,
    response_type: None,
    profile: Profile::IdToken(|_| None),
    id_token: None,
    client_key: false,
    profile_headers: &[],
};

fn s(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn verified(v: &Value, key: &str) -> bool {
    parse_string_boolean(v.get(key)).unwrap_or(false)
}

fn first(options: &[Option<String>]) -> String {
    options
        .iter()
        .flatten()
        .find(|s| !s.is_empty())
        .cloned()
        .unwrap_or_default()
}

/// Standard OpenID Connect claims (`sub`, `name`, `email`, `email_verified`, `picture`).
pub fn oidc_claims(c: &Value) -> Option<Mapped> {
    Some(Mapped {
        subject: s(c, "sub"),
        name: first(&[s(c, "name"), s(c, "preferred_username")]),
        email: s(c, "email"),
        email_verified: verified(c, "email_verified"),
        image: s(c, "picture"),
    })
}

pub fn definition(id: &str) -> Option<Named> {
    Some(match id {
        "apple" => Named {
            authorization: "https://appleid.apple.com/auth/authorize",
            token: "https://appleid.apple.com/auth/token",
            scopes: &["email", "name"],
            response_mode: Some("form_post"),
            response_type: Some("code id_token"),
            profile: Profile::IdToken(|c| {
                Some(Mapped {
                    name: s(c, "name").unwrap_or_default(),
                    ..oidc_claims(c)?
                })
            }),
            id_token: Some(IdTokenRules {
                issuers: &["https://appleid.apple.com"],
                jwks_uri: "https://appleid.apple.com/auth/keys",
                algorithms: &["RS256"],
                max_age_secs: None,
            }),
            ..BASE
        },
        "atlassian" => Named {
            authorization: "https://auth.atlassian.com/authorize",
            token: "https://auth.atlassian.com/oauth/token",
            scopes: &["read:jira-user", "offline_access"],
            auth_params: &[("audience", "api.atlassian.com")],
            profile: Profile::Get("https://api.atlassian.com/me", |p| {
                Some(Mapped {
                    subject: s(p, "account_id"),
                    name: s(p, "name").unwrap_or_default(),
                    email: s(p, "email"),
                    email_verified: false,
                    image: s(p, "picture"),
                })
            }),
            ..BASE
        },
        "discord" => Named {
            authorization: "https://discord.com/api/oauth2/authorize",
            token: "https://discord.com/api/oauth2/token",
            scopes: &["identify", "email"],
            profile: Profile::Get("https://discord.com/api/users/@me", |p| {
                let id = s(p, "id")?;
                let image = match s(p, "avatar") {
                    Some(avatar) => {
                        let ext = if avatar.starts_with("a_") {
                            "gif"
                        } else {
                            "png"
                        };
                        format!("https://cdn.discordapp.com/avatars/{id}/{avatar}.{ext}")
                    }
                    None => {
                        let index = match s(p, "discriminator").as_deref() {
                            Some("0") | None => {
                                id.parse::<u64>().map(|n| (n >> 22) % 6).unwrap_or(0)
                            }
                            Some(d) => d.parse::<u64>().map(|n| n % 5).unwrap_or(0),
                        };
                        format!("https://cdn.discordapp.com/embed/avatars/{index}.png")
                    }
                };
                Some(Mapped {
                    subject: Some(id),
                    name: first(&[s(p, "global_name"), s(p, "username")]),
                    email: s(p, "email"),
                    email_verified: verified(p, "verified"),
                    image: Some(image),
                })
            }),
            ..BASE
        },
        "dropbox" => Named {
            authorization: "https://www.dropbox.com/oauth2/authorize",
            token: "https://api.dropboxapi.com/oauth2/token",
            scopes: &["account_info.read"],
            profile: Profile::PostEmpty(
                "https://api.dropboxapi.com/2/users/get_current_account",
                |p| {
                    Some(Mapped {
                        subject: s(p, "account_id"),
                        name: p
                            .get("name")
                            .and_then(|n| s(n, "display_name"))
                            .unwrap_or_default(),
                        email: s(p, "email"),
                        email_verified: verified(p, "email_verified"),
                        image: s(p, "profile_photo_url"),
                    })
                },
            ),
            ..BASE
        },
        "facebook" => Named {
            authorization: "https://www.facebook.com/v24.0/dialog/oauth",
            token: "https://graph.facebook.com/v24.0/oauth/access_token",
            scopes: &["email", "public_profile"],
            // Limited login: an ID token signed by Facebook, whose email Facebook does not vouch
            // for.
            id_token: Some(IdTokenRules {
                issuers: &["https://www.facebook.com"],
                jwks_uri: "https://limited.facebook.com/.well-known/oauth/openid/jwks/",
                algorithms: &["RS256"],
                max_age_secs: None,
            }),
            profile: Profile::IdTokenOrGet(
                |c| {
                    Some(Mapped {
                        subject: s(c, "sub"),
                        name: s(c, "name").unwrap_or_default(),
                        email: s(c, "email"),
                        email_verified: false,
                        image: s(c, "picture"),
                    })
                },
                "https://graph.facebook.com/me?fields=id,name,email,picture",
                |p| {
                    Some(Mapped {
                        subject: s(p, "id"),
                        name: s(p, "name").unwrap_or_default(),
                        email: s(p, "email"),
                        email_verified: verified(p, "email_verified"),
                        image: p
                            .get("picture")
                            .and_then(|x| x.get("data"))
                            .and_then(|d| s(d, "url")),
                    })
                },
            ),
            ..BASE
        },
        "github" => Named {
            authorization: "https://github.com/login/oauth/authorize",
            token: "https://github.com/login/oauth/access_token",
            scopes: &["read:user", "user:email"],
            profile: Profile::GitHub,
            ..BASE
        },
        "gitlab" => Named {
            authorization: "https://gitlab.com/oauth/authorize",
            token: "https://gitlab.com/oauth/token",
            scopes: &["read_user"],
            profile: Profile::Get("https://gitlab.com/api/v4/user", |p| {
                if s(p, "state").as_deref() != Some("active")
                    || p.get("locked").and_then(Value::as_bool) == Some(true)
                {
                    return None;
                }
                Some(Mapped {
                    subject: s(p, "id"),
                    name: first(&[s(p, "name"), s(p, "username")]),
                    email: s(p, "email"),
                    email_verified: verified(p, "email_verified"),
                    image: s(p, "avatar_url"),
                })
            }),
            ..BASE
        },
        "google" => Named {
            authorization: "https://accounts.google.com/o/oauth2/v2/auth",
            token: "https://oauth2.googleapis.com/token",
            scopes: &["email", "profile", "openid"],
            auth_params: &[("include_granted_scopes", "true")],
            profile: Profile::IdToken(|c| {
                Some(Mapped {
                    name: s(c, "name").unwrap_or_default(),
                    ..oidc_claims(c)?
                })
            }),
            id_token: Some(IdTokenRules {
                issuers: &["https://accounts.google.com", "accounts.google.com"],
                jwks_uri: "https://www.googleapis.com/oauth2/v3/certs",
                algorithms: &["RS256"],
                max_age_secs: Some(3600),
            }),
            ..BASE
        },
        "huggingface" => Named {
            authorization: "https://huggingface.co/oauth/authorize",
            token: "https://huggingface.co/oauth/token",
            scopes: &["openid", "profile", "email"],
            profile: Profile::Get("https://huggingface.co/oauth/userinfo", oidc_claims),
            ..BASE
        },
        "line" => Named {
            authorization: "https://access.line.me/oauth2/v2.1/authorize",
            token: "https://api.line.me/oauth2/v2.1/token",
            scopes: &["openid", "profile", "email"],
            profile: Profile::IdToken(|c| {
                Some(Mapped {
                    email_verified: false,
                    ..oidc_claims(c)?
                })
            }),
            ..BASE
        },
        "linear" => Named {
            authorization: "https://linear.app/oauth/authorize",
            token: "https://api.linear.app/oauth/token",
            scopes: &["read"],
            profile: Profile::Linear,
            ..BASE
        },
        "linkedin" => Named {
            authorization: "https://www.linkedin.com/oauth/v2/authorization",
            token: "https://www.linkedin.com/oauth/v2/accessToken",
            scopes: &["profile", "email", "openid"],
            profile: Profile::Get("https://api.linkedin.com/v2/userinfo", oidc_claims),
            ..BASE
        },
        "microsoft" => Named {
            authorization: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            token: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
            scopes: &["openid", "profile", "email", "User.Read", "offline_access"],
            // Endpoints, key set and issuer depend on the tenant: see `MicrosoftTenant`.
            id_token: Some(IdTokenRules {
                issuers: &[],
                jwks_uri: "https://login.microsoftonline.com/common/discovery/v2.0/keys",
                algorithms: &["RS256"],
                max_age_secs: Some(3600),
            }),
            profile: Profile::IdToken(|c| {
                let oid = s(c, "oid").filter(|o| !o.trim().is_empty())?;
                let email = s(c, "email");
                let listed = |key: &str| {
                    email.as_ref().is_some_and(|e| {
                        c.get(key)
                            .and_then(Value::as_array)
                            .is_some_and(|l| l.iter().any(|x| x.as_str() == Some(e)))
                    })
                };
                let email_verified = if c.get("email_verified").is_some() {
                    verified(c, "email_verified")
                } else {
                    listed("verified_primary_email") || listed("verified_secondary_email")
                };
                Some(Mapped {
                    subject: Some(oid),
                    name: s(c, "name").unwrap_or_default(),
                    email,
                    email_verified,
                    image: s(c, "picture"),
                })
            }),
            ..BASE
        },
        "notion" => Named {
            authorization: "https://api.notion.com/v1/oauth/authorize",
            token: "https://api.notion.com/v1/oauth/token",
            auth_params: &[("owner", "user")],
            profile_headers: &[("Notion-Version", "2022-06-28")],
            profile: Profile::Get("https://api.notion.com/v1/users/me", |p| {
                let u = p.get("bot")?.get("owner")?.get("user")?;
                Some(Mapped {
                    subject: s(u, "id"),
                    name: s(u, "name").unwrap_or_default(),
                    email: u.get("person").and_then(|x| s(x, "email")),
                    email_verified: false,
                    image: s(u, "avatar_url"),
                })
            }),
            ..BASE
        },
        "slack" => Named {
            authorization: "https://slack.com/openid/connect/authorize",
            token: "https://slack.com/api/openid.connect.token",
            scopes: &["openid", "profile", "email"],
            profile: Profile::Get("https://slack.com/api/openid.connect.userInfo", |p| {
                Some(Mapped {
                    subject: s(p, "https://slack.com/user_id"),
                    name: s(p, "name").unwrap_or_default(),
                    email: s(p, "email"),
                    email_verified: verified(p, "email_verified"),
                    image: s(p, "picture").or_else(|| s(p, "https://slack.com/user_image_512")),
                })
            }),
            ..BASE
        },
        "spotify" => Named {
            authorization: "https://accounts.spotify.com/authorize",
            token: "https://accounts.spotify.com/api/token",
            scopes: &["user-read-email"],
            profile: Profile::Get("https://api.spotify.com/v1/me", |p| {
                Some(Mapped {
                    subject: s(p, "id"),
                    name: s(p, "display_name").unwrap_or_default(),
                    email: s(p, "email"),
                    email_verified: false,
                    image: p
                        .get("images")
                        .and_then(|i| i.get(0))
                        .and_then(|i| s(i, "url")),
                })
            }),
            ..BASE
        },
        "tiktok" => Named {
            authorization: "https://www.tiktok.com/v2/auth/authorize",
            token: "https://open.tiktokapis.com/v2/oauth/token/",
            scopes: &["user.info.profile"],
            scope_joiner: ",",
            client_key: true,
            profile: Profile::Get(
                "https://open.tiktokapis.com/v2/user/info/?fields=open_id,avatar_large_url,display_name,username",
                |p| {
                    let u = p.get("data")?.get("user")?;
                    let open_id = s(u, "open_id")?;
                    Some(Mapped {
                        email: Some(
                            s(u, "email").unwrap_or_else(|| placeholder_email(&open_id, "tiktok")),
                        ),
                        subject: Some(open_id),
                        name: first(&[s(u, "display_name"), s(u, "username")]),
                        email_verified: false,
                        image: s(u, "avatar_large_url"),
                    })
                },
            ),
            ..BASE
        },
        "twitch" => Named {
            authorization: "https://id.twitch.tv/oauth2/authorize",
            token: "https://id.twitch.tv/oauth2/token",
            scopes: &["user:read:email", "openid"],
            auth_params: &[(
                "claims",
                r#"{"id_token":{"email":null,"email_verified":null,"preferred_username":null,"picture":null}}"#,
            )],
            profile: Profile::IdToken(|c| {
                Some(Mapped {
                    name: s(c, "preferred_username").unwrap_or_default(),
                    ..oidc_claims(c)?
                })
            }),
            ..BASE
        },
        "twitter" => Named {
            authorization: "https://x.com/i/oauth2/authorize",
            token: "https://api.x.com/2/oauth2/token",
            scopes: &["users.read", "tweet.read", "offline.access", "users.email"],
            profile: Profile::Twitter,
            ..BASE
        },
        "vercel" => Named {
            authorization: "https://vercel.com/oauth/authorize",
            token: "https://api.vercel.com/login/oauth/token",
            profile: Profile::Get("https://api.vercel.com/login/oauth/userinfo", oidc_claims),
            ..BASE
        },
        _ => return None,
    })
}

/// Microsoft's fixed tenant id of personal (consumer) accounts: every personal-account token
/// carries it as `tid`.
const MICROSOFT_CONSUMER_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// Microsoft's endpoints and ID-token rules for a tenant (`tenantId`, default `common`) under an
/// authority (default `https://login.microsoftonline.com`), as Better Auth's microsoft provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MicrosoftTenant {
    authority: String,
    tenant: String,
}

impl MicrosoftTenant {
    pub fn new(tenant_id: Option<&str>, authority: Option<&str>) -> MicrosoftTenant {
        MicrosoftTenant {
            authority: authority
                .unwrap_or("https://login.microsoftonline.com")
                .trim_end_matches('/')
                .to_owned(),
            tenant: tenant_id.unwrap_or("common").to_owned(),
        }
    }

    pub fn authorization(&self) -> String {
        format!("{}/{}/oauth2/v2.0/authorize", self.authority, self.tenant)
    }

    pub fn token(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority, self.tenant)
    }

    pub fn jwks_uri(&self) -> String {
        format!("{}/{}/discovery/v2.0/keys", self.authority, self.tenant)
    }

    fn multi_tenant(&self) -> bool {
        matches!(
            self.tenant.as_str(),
            "common" | "organizations" | "consumers"
        )
    }

    /// The `iss` a token must carry: the configured tenant's; on the multi-tenant endpoints the
    /// issuer varies, so it is the one of the token's own `tid` (read before verification, bound
    /// by the signature check that follows).
    pub fn issuer_for(&self, unverified: &serde_json::Map<String, Value>) -> Option<String> {
        let tenant = if self.multi_tenant() {
            unverified.get("tid")?.as_str()?
        } else {
            &self.tenant
        };
        Some(format!("{}/{tenant}/v2.0", self.authority))
    }

    /// Better Auth's `verifyClaims`: the issuer names the token's own tenant, and the account
    /// class matches `organizations` or `consumers` when one of them is configured.
    pub fn claims_allowed(&self, claims: &serde_json::Map<String, Value>) -> bool {
        let Some(tid) = claims.get("tid").and_then(Value::as_str) else {
            return false;
        };
        if claims.get("iss").and_then(Value::as_str)
            != Some(format!("{}/{tid}/v2.0", self.authority).as_str())
        {
            return false;
        }
        match self.tenant.as_str() {
            "organizations" => tid != MICROSOFT_CONSUMER_TENANT_ID,
            "consumers" => tid == MICROSOFT_CONSUMER_TENANT_ID,
            _ => true,
        }
    }
}

/// `createPlaceholderEmail`: `<id>@<namespace>.placeholder.invalid`, for providers that may not
/// share an address.
pub fn placeholder_email(identifier: &str, namespace: &str) -> String {
    format!("{identifier}@{namespace}.placeholder.invalid")
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_id_of_the_shared_table_has_a_definition() {
        for p in tessera_core::providers::NAMED_PROVIDERS {
            assert!(definition(p.id).is_some(), "{} has no definition", p.id);
        }
    }

    #[test]
    fn google_reads_the_id_token_claims() {
        let Profile::IdToken(map) = definition("google").unwrap().profile else {
            panic!("google reads its ID token");
        };
        let m = map(
            &json!({"sub": "1234", "email": "a@b.co", "email_verified": true,
                            "name": "A", "picture": "https://p"}),
        )
        .unwrap();
        assert_eq!(m.subject.as_deref(), Some("1234"));
        assert!(m.email_verified);
    }

    #[test]
    fn microsoft_follows_the_configured_tenant_and_authority() {
        let t = MicrosoftTenant::new(Some("contoso-tid"), Some("https://login.example/"));
        assert_eq!(
            t.authorization(),
            "https://login.example/contoso-tid/oauth2/v2.0/authorize"
        );
        assert_eq!(
            t.token(),
            "https://login.example/contoso-tid/oauth2/v2.0/token"
        );
        assert_eq!(
            t.jwks_uri(),
            "https://login.example/contoso-tid/discovery/v2.0/keys"
        );
        let claims = |v: Value| v.as_object().unwrap().clone();
        let other = claims(json!({"tid": "other", "iss": "https://login.example/other/v2.0"}));
        assert_eq!(
            t.issuer_for(&other).as_deref(),
            Some("https://login.example/contoso-tid/v2.0")
        );
        let common = MicrosoftTenant::new(None, None);
        assert_eq!(
            common.authorization(),
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
        );
        let work = claims(json!({"tid": "t1", "iss": "https://login.microsoftonline.com/t1/v2.0"}));
        assert_eq!(
            common.issuer_for(&work).as_deref(),
            Some("https://login.microsoftonline.com/t1/v2.0")
        );
        assert!(common.issuer_for(&claims(json!({}))).is_none());
        assert!(common.claims_allowed(&work));
        let forged =
            claims(json!({"tid": "t1", "iss": "https://login.microsoftonline.com/t2/v2.0"}));
        assert!(!common.claims_allowed(&forged));
        let personal = claims(json!({
            "tid": MICROSOFT_CONSUMER_TENANT_ID,
            "iss": format!("https://login.microsoftonline.com/{MICROSOFT_CONSUMER_TENANT_ID}/v2.0"),
        }));
        let orgs = MicrosoftTenant::new(Some("organizations"), None);
        let consumers = MicrosoftTenant::new(Some("consumers"), None);
        assert!(!orgs.claims_allowed(&personal) && orgs.claims_allowed(&work));
        assert!(consumers.claims_allowed(&personal) && !consumers.claims_allowed(&work));
    }

    #[test]
    fn providers_with_id_token_sign_in_are_better_auths() {
        // Better Auth 1.7.25 declares key-based `idToken` rules for apple, facebook, google and
        // microsoft; line verifies at its own endpoint (`Provider::verify_id_token`).
        let with: Vec<&str> = tessera_core::providers::NAMED_PROVIDERS
            .iter()
            .filter(|p| definition(p.id).unwrap().id_token.is_some())
            .map(|p| p.id)
            .collect();
        assert_eq!(with, ["apple", "facebook", "google", "microsoft"]);
    }

    #[test]
    fn discord_builds_the_default_avatar_from_the_snowflake() {
        let Profile::Get(_, map) = definition("discord").unwrap().profile else {
            panic!("discord fetches its profile");
        };
        let m = map(
            &json!({"id": "80351110224678912", "username": "nelly", "avatar": null,
                            "discriminator": "0", "email": "n@x.co", "verified": true}),
        )
        .unwrap();
        assert_eq!(
            m.image.as_deref(),
            Some("https://cdn.discordapp.com/embed/avatars/5.png")
        );
        assert_eq!(m.name, "nelly");
    }
}
