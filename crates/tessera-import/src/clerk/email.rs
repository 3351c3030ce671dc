//! Which email addresses Better Auth can hold, and the placeholder for users who have none.

use sha2::{Digest, Sha256};

/// Better Auth validates emails with zod's default rule at sign-up, sign-in and email change; an
/// address that fails it could be stored but never used to sign in, so the importer applies the
/// same rule: `^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`.
pub fn is_valid(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    valid_local(local) && valid_domain(domain)
}

fn valid_local(local: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_'+-.".contains(c);
    let last_allowed = |c: char| c.is_ascii_alphanumeric() || "_+-".contains(c);
    !local.starts_with('.')
        && !local.contains("..")
        && local.chars().all(allowed)
        && local.chars().last().is_some_and(last_allowed)
}

fn valid_domain(domain: &str) -> bool {
    // `.contains("..")` also covers the domain part of zod's look-ahead, which spans the whole string.
    if domain.contains("..") {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else {
        return false;
    };
    !rest.is_empty()
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && rest.iter().all(|label| {
            label
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Top-level domains that never route mail. Clerk's own tooling drops such addresses (contract
/// §1.5); we keep them and warn, since the operator may be importing a test instance.
const NON_ROUTABLE_TLDS: [&str; 5] = ["arpa", "local", "invalid", "example", "test"];

pub fn is_non_routable(email: &str) -> bool {
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
    let tld = domain.rsplit('.').next().unwrap_or_default();
    let lowered = domain.to_ascii_lowercase();
    NON_ROUTABLE_TLDS
        .iter()
        .any(|t| tld.eq_ignore_ascii_case(t))
        && !lowered.ends_with(".clerk.test")
}

/// The default domain of placeholder emails: `.invalid` is reserved by RFC 2606 / RFC 6761 and
/// can never be a real mailbox, so a placeholder can never collide with, or mail, a real person.
pub const PLACEHOLDER_DOMAIN: &str = "clerk-import.invalid";

/// The email stored for a user who has none (phone-only or username-only), in the spirit of Better
/// Auth's phone-number plugin, which gives users who sign up by phone a temporary email.
///
/// Better Auth lowercases emails, but Clerk ids are case-sensitive base62, so the lowercased id
/// alone could make two users share a placeholder: a hash of the exact id keeps them apart while the
/// id stays readable.
pub fn placeholder(clerk_id: &str, domain: &str) -> String {
    let readable: String = clerk_id
        .chars()
        .take(40)
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let digest = Sha256::digest(clerk_id.as_bytes());
    let tag = hex::encode(digest.get(..6).unwrap_or_default());
    format!("{readable}.{tag}@{domain}")
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
    fn accepts_what_zod_accepts() {
        for email in [
            "a@b.co",
            "first.last+tag@example.com",
            "o'brien@mail.example.org",
            "x_y-z@sub-domain.example.io",
            "UPPER@EXAMPLE.COM",
        ] {
            assert!(is_valid(email), "{email}");
        }
    }

    #[test]
    fn refuses_what_zod_refuses() {
        for email in [
            "",
            "plain",
            "@example.com",
            "a@",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "a@example",
            "a@example.c",
            "a@-example.com",
            "a@exa_mple.com",
            "a@example..com",
            "a b@example.com",
            "a@b@example.com",
            "ünï@example.com",
            "a@example.c0m",
        ] {
            assert!(!is_valid(email), "{email}");
        }
    }

    #[test]
    fn knows_the_non_routable_domains() {
        assert!(is_non_routable("a@x.test"));
        assert!(is_non_routable("a@host.LOCAL"));
        assert!(is_non_routable("a@example"));
        assert!(!is_non_routable("a@sub.clerk.test"));
        assert!(!is_non_routable("a@example.com"));
    }

    #[test]
    fn placeholders_are_valid_reserved_and_distinct_for_ids_differing_in_case() {
        let a = placeholder("user_2YDryYFVMM1W1plDDKz7Gzf4we6", PLACEHOLDER_DOMAIN);
        let b = placeholder("user_2ydryyfvmm1w1plddkz7gzf4we6", PLACEHOLDER_DOMAIN);
        assert!(is_valid(&a), "{a}");
        assert!(a.ends_with("@clerk-import.invalid"));
        assert!(a.starts_with("user_2ydryyfvmm1w1plddkz7gzf4we6."));
        assert_ne!(a, b);
        assert_eq!(a, a.to_lowercase());
        assert_eq!(
            a,
            placeholder("user_2YDryYFVMM1W1plDDKz7Gzf4we6", PLACEHOLDER_DOMAIN)
        );
    }

    #[test]
    fn placeholders_stay_valid_for_odd_ids() {
        let p = placeholder("weird id/with:chars", PLACEHOLDER_DOMAIN);
        assert!(is_valid(&p), "{p}");
        let long = placeholder(&"x".repeat(200), PLACEHOLDER_DOMAIN);
        assert!(long.split('@').next().is_some_and(|l| l.len() <= 64));
    }
}
