//! Social providers by name: the Better Auth provider ids Tessera's server offers, and the Clerk
//! OAuth providers that become each of them.
//!
//! One table for both sides on purpose: an imported account only works if the server has a
//! provider with the same id, configured with the same OAuth client, since `accountId` must equal
//! what that provider reports as the user's id. The importer maps through this table; the server
//! has a definition for every id in it (its tests check that).

/// A provider Better Auth 1.7.25 has built in, by its id, and the Clerk names (without `oauth_`)
/// whose accounts become accounts of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamedProvider {
    pub id: &'static str,
    pub clerk: &'static [&'static str],
}

/// Sorted by id.
pub const NAMED_PROVIDERS: &[NamedProvider] = &[
    NamedProvider {
        id: "apple",
        clerk: &["apple"],
    },
    NamedProvider {
        id: "atlassian",
        clerk: &["atlassian"],
    },
    NamedProvider {
        id: "discord",
        clerk: &["discord"],
    },
    NamedProvider {
        id: "dropbox",
        clerk: &["dropbox"],
    },
    NamedProvider {
        id: "facebook",
        clerk: &["facebook"],
    },
    NamedProvider {
        id: "github",
        clerk: &["github"],
    },
    NamedProvider {
        id: "gitlab",
        clerk: &["gitlab"],
    },
    NamedProvider {
        id: "google",
        clerk: &["google"],
    },
    NamedProvider {
        id: "huggingface",
        clerk: &["huggingface"],
    },
    NamedProvider {
        id: "line",
        clerk: &["line"],
    },
    NamedProvider {
        id: "linear",
        clerk: &["linear"],
    },
    // Clerk's legacy LinkedIn and its OIDC flavour both become Better Auth's (OIDC) `linkedin`.
    NamedProvider {
        id: "linkedin",
        clerk: &["linkedin", "linkedin_oidc"],
    },
    NamedProvider {
        id: "microsoft",
        clerk: &["microsoft"],
    },
    NamedProvider {
        id: "notion",
        clerk: &["notion"],
    },
    NamedProvider {
        id: "slack",
        clerk: &["slack"],
    },
    NamedProvider {
        id: "spotify",
        clerk: &["spotify"],
    },
    NamedProvider {
        id: "tiktok",
        clerk: &["tiktok"],
    },
    NamedProvider {
        id: "twitch",
        clerk: &["twitch"],
    },
    // Clerk renamed Twitter to X; Better Auth kept `twitter`.
    NamedProvider {
        id: "twitter",
        clerk: &["twitter", "x"],
    },
    NamedProvider {
        id: "vercel",
        clerk: &["vercel"],
    },
];

/// Clerk providers Better Auth has no built-in provider for: their accounts are not imported (and
/// are reported).
pub const UNMAPPED_CLERK_PROVIDERS: &[&str] = &[
    "bitbucket",
    "box",
    "coinbase",
    "enstall",
    "hubspot",
    "instagram",
    "xero",
];

/// The Better Auth provider id for a Clerk provider, given as Clerk writes it (`oauth_google`) or
/// bare (`google`). Custom providers (`oauth_custom_<key>`) and providers Better Auth lacks give
/// `None`.
pub fn clerk_provider_to_better_auth(clerk_provider: &str) -> Option<&'static str> {
    let name = clerk_provider
        .strip_prefix("oauth_")
        .unwrap_or(clerk_provider);
    NAMED_PROVIDERS
        .iter()
        .find(|p| p.clerk.contains(&name))
        .map(|p| p.id)
}

/// The named provider with this Better Auth id.
pub fn named(id: &str) -> Option<&'static NamedProvider> {
    NAMED_PROVIDERS.iter().find(|p| p.id == id)
}

/// Every Clerk provider the table knows, mapped or not, sorted by Clerk name.
pub fn known_clerk_providers() -> impl Iterator<Item = (&'static str, Option<&'static str>)> {
    let mut all: Vec<(&'static str, Option<&'static str>)> = NAMED_PROVIDERS
        .iter()
        .flat_map(|p| p.clerk.iter().map(move |c| (*c, Some(p.id))))
        .chain(UNMAPPED_CLERK_PROVIDERS.iter().map(|c| (*c, None)))
        .collect();
    all.sort_unstable();
    all.into_iter()
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

    #[test]
    fn strips_the_oauth_prefix() {
        assert_eq!(
            clerk_provider_to_better_auth("oauth_google"),
            Some("google")
        );
        assert_eq!(clerk_provider_to_better_auth("github"), Some("github"));
    }

    #[test]
    fn renames_what_better_auth_names_differently() {
        assert_eq!(clerk_provider_to_better_auth("oauth_x"), Some("twitter"));
        assert_eq!(
            clerk_provider_to_better_auth("oauth_linkedin_oidc"),
            Some("linkedin")
        );
    }

    #[test]
    fn leaves_out_providers_better_auth_lacks() {
        assert_eq!(clerk_provider_to_better_auth("oauth_coinbase"), None);
        assert_eq!(clerk_provider_to_better_auth("oauth_custom_acme"), None);
        assert_eq!(clerk_provider_to_better_auth("saml_okta"), None);
        assert_eq!(clerk_provider_to_better_auth(""), None);
    }

    #[test]
    fn every_clerk_name_appears_once_and_ids_are_sorted() {
        let names: Vec<&str> = known_clerk_providers().map(|(c, _)| c).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names, unique);
        let ids: Vec<&str> = NAMED_PROVIDERS.iter().map(|p| p.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn clerks_provider_list_is_covered() {
        // `@clerk/shared` OAuthProvider (reference clerk-export §2.5), without custom_<key>.
        for name in [
            "facebook",
            "google",
            "hubspot",
            "github",
            "tiktok",
            "gitlab",
            "discord",
            "twitter",
            "twitch",
            "linkedin",
            "linkedin_oidc",
            "dropbox",
            "atlassian",
            "bitbucket",
            "microsoft",
            "notion",
            "apple",
            "line",
            "instagram",
            "coinbase",
            "spotify",
            "xero",
            "box",
            "slack",
            "linear",
            "x",
            "enstall",
            "huggingface",
            "vercel",
        ] {
            assert!(
                known_clerk_providers().any(|(c, _)| c == name),
                "{name} missing"
            );
        }
    }
}
