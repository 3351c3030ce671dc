//! Clerk OAuth providers and the Better Auth social provider ids they become.
//!
//! One table, so the server can reuse it (e.g. to tell an operator which providers to configure):
//! an imported account only works if the server has a provider with this id configured with the
//! same OAuth client, since `accountId` must equal what that provider reports as the user's id.

/// `(Clerk name without "oauth_", Better Auth provider id)`. `None`: Better Auth has no built-in
/// provider, so accounts of that provider are not imported (and are reported).
const PROVIDERS: &[(&str, Option<&str>)] = &[
    ("apple", Some("apple")),
    ("atlassian", Some("atlassian")),
    ("bitbucket", None),
    ("box", None),
    ("coinbase", None),
    ("discord", Some("discord")),
    ("dropbox", Some("dropbox")),
    ("enstall", None),
    ("facebook", Some("facebook")),
    ("github", Some("github")),
    ("gitlab", Some("gitlab")),
    ("google", Some("google")),
    ("hubspot", None),
    ("huggingface", Some("huggingface")),
    ("instagram", None),
    ("line", Some("line")),
    ("linear", Some("linear")),
    // Clerk's legacy LinkedIn and its OIDC flavour both become Better Auth's (OIDC) `linkedin`.
    ("linkedin", Some("linkedin")),
    ("linkedin_oidc", Some("linkedin")),
    ("microsoft", Some("microsoft")),
    ("notion", Some("notion")),
    ("slack", Some("slack")),
    ("spotify", Some("spotify")),
    ("tiktok", Some("tiktok")),
    ("twitch", Some("twitch")),
    ("twitter", Some("twitter")),
    ("vercel", Some("vercel")),
    // Clerk renamed Twitter to X; Better Auth kept `twitter`.
    ("x", Some("twitter")),
    ("xero", None),
];

/// The Better Auth provider id for a Clerk provider, given as Clerk writes it (`oauth_google`) or
/// bare (`google`). Custom providers (`oauth_custom_<key>`) and providers Better Auth lacks give
/// `None`.
pub fn clerk_provider_to_better_auth(clerk_provider: &str) -> Option<&'static str> {
    let name = clerk_provider
        .strip_prefix("oauth_")
        .unwrap_or(clerk_provider);
    PROVIDERS
        .iter()
        .find(|(clerk, _)| *clerk == name)
        .and_then(|(_, better_auth)| *better_auth)
}

/// Every Clerk provider the table knows, mapped or not.
pub fn known_clerk_providers() -> impl Iterator<Item = (&'static str, Option<&'static str>)> {
    PROVIDERS.iter().copied()
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
    fn the_table_is_sorted_and_has_no_duplicates() {
        let names: Vec<&str> = known_clerk_providers().map(|(c, _)| c).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
