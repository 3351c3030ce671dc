//! Who is in a generated export: random users in the proportions the benchmark needs, the edge
//! cases of contract §1.7 (fixtures), and deliberately bad rows (faults).
//!
//! Every user is a pure function of (seed, position), so the export and the snapshot can be
//! written in different orders without holding anyone in memory.

use super::digests::{DigestPool, KnownDigest, WORKOS_BCRYPT};
use super::person::{Identifier, Person};
use super::rng::Rng;
use crate::clerk::bapi;
use crate::clerk::issue::IssueKind;
use serde_json::json;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// 2021-01-01T00:00:00Z in ms: generated sign-ups start here, one a minute or so.
pub(super) const EPOCH_MS: i64 = 1_609_459_200_000;

/// `(as written, ASCII for addresses)`.
const FIRST_NAMES: &[(&str, &str)] = &[
    ("Ada", "ada"),
    ("Alan", "alan"),
    ("Grace", "grace"),
    ("Linus", "linus"),
    ("Margaret", "margaret"),
    ("Ken", "ken"),
    ("Barbara", "barbara"),
    ("Dennis", "dennis"),
    ("Frances", "frances"),
    ("Edsger", "edsger"),
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Søren", "soren"),
    ("Chloé", "chloe"),
    ("Jürgen", "jurgen"),
    ("Ngozi", "ngozi"),
    ("Hiroshi", "hiroshi"),
    ("Priya", "priya"),
    ("Mateo", "mateo"),
    ("Aoife", "aoife"),
];

const LAST_NAMES: &[(&str, &str)] = &[
    ("Lovelace", "lovelace"),
    ("Turing", "turing"),
    ("Hopper", "hopper"),
    ("Torvalds", "torvalds"),
    ("Hamilton", "hamilton"),
    ("Thompson", "thompson"),
    ("Liskov", "liskov"),
    ("Ritchie", "ritchie"),
    ("Allen", "allen"),
    ("Dijkstra", "dijkstra"),
    ("Müller", "muller"),
    ("Núñez", "nunez"),
    ("Kierkegaard", "kierkegaard"),
    ("Okafor", "okafor"),
    ("Tanaka", "tanaka"),
    ("Patel", "patel"),
    ("García", "garcia"),
    ("O'Neill", "oneill"),
    ("Nakamura", "nakamura"),
    ("Ivanova", "ivanova"),
];

/// Reserved example domains (RFC 2606): routable-looking, never anyone's real mailbox.
const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "mail.example.com",
];

/// `(Clerk provider, share among OAuth accounts in percent)`.
const PROVIDERS: &[(&str, u64)] = &[
    ("oauth_google", 60),
    ("oauth_github", 25),
    ("oauth_apple", 5),
    ("oauth_microsoft", 5),
    ("oauth_discord", 3),
    ("oauth_linkedin_oidc", 2),
];

/// The mix of the random users. Defaults are the benchmark's.
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    pub oauth: f64,
    /// Among OAuth users, those who also have a password.
    pub oauth_with_password: f64,
    pub totp: f64,
    /// Among TOTP users, those who also had backup codes.
    pub backup_codes: f64,
    pub banned: f64,
    pub phone_only: f64,
    pub username_only: f64,
    /// Password users whose digest is not bcrypt.
    pub other_hashers: f64,
    pub with_phone: f64,
    pub with_username: f64,
    pub unverified_primary: f64,
    pub additional_email: f64,
    pub has_image: f64,
    pub metadata: f64,
}

impl Default for Mix {
    fn default() -> Mix {
        Mix {
            oauth: 0.30,
            oauth_with_password: 1.0 / 3.0,
            totp: 0.10,
            backup_codes: 0.5,
            banned: 0.02,
            phone_only: 0.02,
            username_only: 0.01,
            other_hashers: 0.05,
            with_phone: 0.25,
            with_username: 0.20,
            unverified_primary: 0.03,
            additional_email: 0.02,
            has_image: 0.40,
            metadata: 0.05,
        }
    }
}

/// A Clerk-shaped id: `user_` + 27 base62 characters. The position leads (Clerk ids sort by
/// creation time too) and makes ids unique; the rest is random.
pub fn clerk_id(position: u64, rng: &mut Rng) -> String {
    let mut id = String::with_capacity(32);
    id.push_str("user_");
    let mut digits = [b'0'; 7];
    let mut n = position;
    for d in digits.iter_mut().rev() {
        *d = BASE62
            .get(usize::try_from(n % 62).unwrap_or(0))
            .copied()
            .unwrap_or(b'0');
        n /= 62;
    }
    id.extend(digits.iter().map(|&b| char::from(b)));
    id.push_str(&rng.string(BASE62, 20));
    id
}

pub fn totp_secret(rng: &mut Rng) -> String {
    rng.string(BASE32, 32)
}

/// An OAuth link; the subject embeds `position` so no two generated users share an identity.
fn external_account(
    provider: &str,
    position: u64,
    person_id: &str,
    email: &str,
    rng: &mut Rng,
) -> bapi::ExternalAccount {
    let subject = match provider {
        "oauth_github" => (10_000_000 + position).to_string(),
        "oauth_apple" => format!(
            "001{:03}.{}.{:04}",
            rng.below(1000),
            rng.string(b"0123456789abcdef", 32),
            rng.below(10_000)
        ),
        _ => format!("1{:08}{:012}", rng.below(100_000_000), position),
    };
    let scopes = match provider {
        "oauth_github" => "read:user user:email",
        "oauth_google" => {
            "email https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid profile"
        }
        _ => "openid email profile",
    };
    let suffix = person_id.strip_prefix("user_").unwrap_or(person_id);
    bapi::ExternalAccount {
        id: format!("eac_{}{}", provider.len(), suffix),
        provider: provider.to_owned(),
        provider_user_id: Some(subject),
        approved_scopes: Some(scopes.to_owned()),
        email_address: Some(email.to_owned()),
        verification: Some(bapi::Verification {
            status: Some("verified".to_owned()),
            strategy: Some(provider.to_owned()),
        }),
        created_at: None,
        updated_at: None,
    }
}

/// The sign-up time of the user at `position`, `jitter_ms` into its minute.
pub fn created_at(position: u64, jitter_ms: u64) -> i64 {
    EPOCH_MS + i64::try_from(position).unwrap_or(0) * 60_000 + i64::try_from(jitter_ms).unwrap_or(0)
}

/// How many [`odd_encoding`] variants there are.
pub const ODD_ENCODINGS: u64 = 4;

/// Makes an importable user's cells awkward to read: line breaks, quotes and commas inside a
/// quoted cell, fullwidth formula characters (Clerk's TAB guard), combining marks and astral-plane
/// characters, a username behind the TAB guard.
pub fn odd_encoding(variant: u64, person: &mut Person) {
    match variant {
        0 => person.first_name = "Anne\r\nMarie \"AJ\", Jr.".to_owned(),
        1 => {
            person.first_name = "＝HYPERLINK(\"x\")".to_owned();
            person.last_name = "+Plus".to_owned();
        }
        2 => person.last_name = "Zoe\u{308} 🦀 Ñandú\t".to_owned(),
        _ => person.first_name = "@handle, \"quoted\"\n".to_owned(),
    }
}

/// A random user at `position` (its index among all generated users).
pub fn random_person(position: u64, rng: &mut Rng, pool: &DigestPool, mix: &Mix) -> Person {
    let created_at = created_at(position, rng.below(60_000));
    let mut p = Person::new(clerk_id(position, rng), created_at);
    p.updated_at = created_at + i64::try_from(rng.below(30 * 86_400_000)).unwrap_or(0);
    let (first, first_ascii) = *rng.pick(FIRST_NAMES).unwrap_or(&("Ada", "ada"));
    let (last, last_ascii) = *rng.pick(LAST_NAMES).unwrap_or(&("Lovelace", "lovelace"));
    if !rng.chance(0.03) {
        p.first_name = first.to_owned();
    }
    if !rng.chance(0.05) {
        p.last_name = last.to_owned();
    }
    let phone = format!("+1{}", 5_550_000_000u64 + position);
    let handle = format!("{first_ascii}{position}");
    let roll = rng.next_u64() % 1000;
    let phone_only = (roll as f64) < mix.phone_only * 1000.0;
    let username_only =
        !phone_only && (roll as f64) < (mix.phone_only + mix.username_only) * 1000.0;
    if phone_only {
        p.phones.push(Identifier::verified(phone));
    } else if username_only {
        p.username = Some(handle);
    } else {
        let domain = rng.pick(DOMAINS).copied().unwrap_or("example.com");
        let email = format!("{first_ascii}.{last_ascii}.{position}@{domain}");
        let verified = !rng.chance(mix.unverified_primary);
        p.emails.push(Identifier {
            value: email,
            verified,
        });
        if rng.chance(mix.additional_email) {
            p.emails.push(Identifier::verified(format!(
                "{first_ascii}.{position}@work.example.org"
            )));
        }
        if rng.chance(mix.with_phone) {
            p.phones.push(Identifier {
                value: phone,
                verified: rng.chance(0.9),
            });
        }
        if rng.chance(mix.with_username) {
            p.username = Some(handle);
        }
    }
    let oauth = !phone_only && !username_only && rng.chance(mix.oauth);
    if oauth {
        let share = rng.below(100);
        let mut acc = 0;
        let provider = PROVIDERS
            .iter()
            .find(|(_, pct)| {
                acc += pct;
                share < acc
            })
            .map_or("oauth_google", |(name, _)| name);
        let email = p
            .emails
            .first()
            .map(|e| e.value.clone())
            .unwrap_or_default();
        p.external_accounts
            .push(external_account(provider, position, &p.id, &email, rng));
    }
    if !oauth || rng.chance(mix.oauth_with_password) {
        let known = if rng.chance(mix.other_hashers) {
            pool.other(rng)
        } else {
            pool.bcrypt(rng)
        };
        p.password = known.cloned();
    }
    if rng.chance(mix.totp) {
        p.totp_secret = Some(totp_secret(rng));
        p.backup_codes = rng.chance(mix.backup_codes);
    }
    p.banned = rng.chance(mix.banned);
    p.locked = !p.banned && rng.chance(0.005);
    p.has_image = rng.chance(mix.has_image);
    if rng.chance(mix.metadata) {
        p.public_metadata = Some(json!({"plan": if rng.chance(0.5) { "pro" } else { "free" }}));
        p.external_id = rng.chance(0.5).then(|| format!("legacy-{position}"));
    }
    if p.backup_codes {
        p.expect_warnings.push(IssueKind::BackupCodesNotMigrated);
    }
    p
}

/// The edge cases of contract §1.7 and the mapping rules, one user each, all importable. Their
/// OAuth links are never imported (unmapped or unverified), so their subjects may repeat.
pub fn fixtures(rng: &mut Rng, pool: &DigestPool) -> Vec<Person> {
    let mut people = Vec::new();
    let mut next = |tweak: &dyn Fn(&mut Person, &mut Rng)| {
        let position = people.len() as u64;
        let mut p = Person::new(
            clerk_id(position, rng),
            EPOCH_MS - 86_400_000 + i64::try_from(position).unwrap_or(0) * 1000,
        );
        p.first_name = "Edge".to_owned();
        p.last_name = format!("Case{position}");
        p.emails.push(Identifier::verified(format!(
            "edge.case.{position}@example.com"
        )));
        p.password = pool.bcrypt(rng).cloned();
        p.listed = true;
        tweak(&mut p, rng);
        people.push(p);
    };
    next(&|p, _| p.first_name = "Smith, Jr.".to_owned());
    next(&|p, _| p.last_name = "O\"Brien".to_owned());
    next(&|p, _| p.first_name = "Anne\nMarie".to_owned());
    next(&|p, _| {
        p.phones.push(Identifier::verified("+15550000001"));
        p.phones.push(Identifier::unverified("+15550000002"));
        p.expect_warnings
            .push(IssueKind::AdditionalPhonesNotImported);
    });
    next(&|p, _| {
        if let Some(primary) = p.emails.first_mut() {
            primary.verified = false;
        }
    });
    next(&|p, _| {
        p.emails
            .push(Identifier::verified("edge.comma.second@example.com"));
        p.expect_warnings
            .push(IssueKind::AdditionalEmailsNotImported);
    });
    next(&|p, _| {
        p.emails
            .push(Identifier::verified("edge.pipe.second@example.com"));
        p.list_separator = '|';
        p.expect_warnings
            .push(IssueKind::AdditionalEmailsNotImported);
    });
    next(&|p, _| {
        p.password = None;
        p.drop_last_column = true;
    });
    next(&|p, _| {
        p.password = None;
        p.stray_hasher = true;
    });
    next(&|p, _| {
        p.username = Some("-dash".to_owned());
        p.expect_warnings.push(IssueKind::UsernameNotValid);
    });
    next(&|p, _| {
        p.first_name = "WorkOS".to_owned();
        p.password = Some(KnownDigest {
            hasher: "bcrypt",
            digest: WORKOS_BCRYPT.to_owned(),
            password: "password".to_owned(),
        });
    });
    next(&|p, _| {
        p.first_name = String::new();
        p.last_name = String::new();
    });
    next(&|p, _| {
        p.first_name = "Cher".to_owned();
        p.last_name = String::new();
    });
    next(&|p, _| {
        p.emails.clear();
        p.phones.push(Identifier::verified("+15550000003"));
        p.expect_warnings.push(IssueKind::PlaceholderEmail);
    });
    next(&|p, _| {
        p.emails.clear();
        p.username = Some("onlyname".to_owned());
        p.expect_warnings.push(IssueKind::PlaceholderEmail);
    });
    next(&|p, _| p.locked = true);
    next(&|p, _| p.banned = true);
    next(&|p, _| {
        p.in_export = false;
        p.expect_warnings.push(IssueKind::OnlyInSnapshot);
    });
    next(&|p, _| {
        p.in_snapshot = false;
        p.expect_warnings.push(IssueKind::NotInSnapshot);
    });
    next(&|p, rng| {
        let email = p
            .emails
            .first()
            .map(|e| e.value.clone())
            .unwrap_or_default();
        p.external_accounts
            .push(external_account("oauth_coinbase", 0, &p.id, &email, rng));
        p.expect_warnings.push(IssueKind::ProviderNotMapped);
    });
    next(&|p, rng| {
        let email = p
            .emails
            .first()
            .map(|e| e.value.clone())
            .unwrap_or_default();
        let mut account = external_account("oauth_github", 0, &p.id, &email, rng);
        account.verification = Some(bapi::Verification {
            status: Some("unverified".to_owned()),
            strategy: Some("oauth_github".to_owned()),
        });
        p.external_accounts.push(account);
        p.expect_warnings.push(IssueKind::ExternalAccountUnverified);
    });
    next(&|p, rng| {
        p.totp_secret = Some(totp_secret(rng));
        p.backup_codes = true;
        p.expect_warnings.push(IssueKind::BackupCodesNotMigrated);
    });
    next(&|p, _| {
        p.passkeys = 1;
        p.web3_wallets = 1;
        p.expect_warnings.push(IssueKind::PasskeysNotMigrated);
        p.expect_warnings.push(IssueKind::Web3WalletsNotMigrated);
    });
    next(&|p, _| {
        if let Some(primary) = p.emails.first_mut() {
            primary.value = "Mixed.Case.Edge@Example.COM".to_owned();
        }
    });
    next(&|p, _| p.first_name = "=cmd".to_owned());
    next(&|p, _| {
        p.first_name = "Zoë".to_owned();
        p.last_name = "Ünal-Ødegård".to_owned();
    });
    next(&|p, _| {
        p.external_id = Some("legacy-edge".to_owned());
        p.public_metadata = Some(json!({"discord": {"step": "final"}}));
    });
    // Clerk's passwordless users: they signed in by a code sent to their verified email, and have
    // no password, OAuth account or phone. Only email-otp or magic-link lets them in.
    for _ in 0..3 {
        next(&|p, _| {
            p.first_name = "Passwordless".to_owned();
            p.password = None;
        });
    }
    people
}

/// Every kind of bad input the generator can make, in the order [`faults`] writes them.
pub const FAULT_KINDS: [IssueKind; 12] = [
    IssueKind::DuplicateId,
    IssueKind::EmailConflict,
    IssueKind::UsernameConflict,
    IssueKind::PhoneConflict,
    IssueKind::InvalidEmail,
    IssueKind::UnknownHasher,
    IssueKind::DigestRejected,
    IssueKind::DigestWithoutHasher,
    IssueKind::NoIdentifier,
    IssueKind::InvalidTotpSecret,
    IssueKind::MalformedRow,
    IssueKind::InvalidSnapshotUser,
];

/// Bad rows, one per kind of bad input the importer must report; `earlier` are users already
/// generated, which the duplicates copy from.
pub fn faults(
    first_position: u64,
    rng: &mut Rng,
    pool: &DigestPool,
    earlier: &[Person],
) -> Vec<Person> {
    let mut people: Vec<Person> = Vec::new();
    for kind in FAULT_KINDS {
        let position = first_position + people.len() as u64;
        if let Some(p) = fault(kind, position, rng, pool, earlier) {
            people.push(p);
        }
    }
    people
}

/// One bad row of `kind` at `position`, or `None` when it needs to copy from an earlier user and
/// none of `earlier` has what it copies (the rng is then left untouched).
pub fn fault(
    kind: IssueKind,
    position: u64,
    rng: &mut Rng,
    pool: &DigestPool,
    earlier: &[Person],
) -> Option<Person> {
    if !FAULT_KINDS.contains(&kind) {
        return None;
    }
    let copied = |has: &dyn Fn(&Person) -> bool| earlier.iter().find(|p| p.in_export && has(p));
    let original = match kind {
        IssueKind::DuplicateId => Some(earlier.first()?),
        IssueKind::EmailConflict => Some(copied(&|p| !p.emails.is_empty())?),
        IssueKind::UsernameConflict => Some(copied(&|p| p.username.is_some())?),
        IssueKind::PhoneConflict => Some(copied(&|p| !p.phones.is_empty())?),
        _ => None,
    };
    let mut p = Person::new(clerk_id(position, rng), EPOCH_MS + 900_000_000_000);
    p.first_name = "Fault".to_owned();
    p.emails.push(Identifier::verified(format!(
        "fault.{position}@example.com"
    )));
    p.password = pool.bcrypt(rng).cloned();
    p.in_snapshot = false;
    p.listed = true;
    p.expect_reject = Some(kind);
    match (kind, original) {
        (IssueKind::DuplicateId, Some(original)) => p.id = original.id.clone(),
        (IssueKind::EmailConflict, Some(original)) => {
            let email = original
                .emails
                .first()
                .map(|e| e.value.to_uppercase())
                .unwrap_or_default();
            if let Some(primary) = p.emails.first_mut() {
                primary.value = email;
            }
        }
        (IssueKind::UsernameConflict, Some(original)) => {
            p.username = original.username.as_deref().map(str::to_uppercase);
        }
        (IssueKind::PhoneConflict, Some(original)) => {
            let phone = original
                .phones
                .first()
                .map(|ph| ph.value.clone())
                .unwrap_or_default();
            p.phones = vec![Identifier::verified(phone)];
        }
        (IssueKind::InvalidEmail, _) => p.emails = vec![Identifier::verified("not-an-email")],
        (IssueKind::UnknownHasher, _) => {
            if let Some(known) = p.password.as_mut() {
                known.hasher = "sha3_custom";
            }
        }
        (IssueKind::DigestRejected, _) => {
            if let Some(known) = p.password.as_mut() {
                known.digest = "$2a$10$tooshort".to_owned();
            }
        }
        (IssueKind::DigestWithoutHasher, _) => {
            if let Some(known) = p.password.as_mut() {
                known.hasher = "";
            }
        }
        (IssueKind::NoIdentifier, _) => p.emails.clear(),
        (IssueKind::InvalidTotpSecret, _) => p.totp_secret = Some("not base32!".to_owned()),
        (IssueKind::MalformedRow, _) => {
            p.raw_csv = Some(format!("{},Cut,Short,,cut@example.com", p.id));
        }
        (IssueKind::InvalidSnapshotUser, _) => {
            p.in_export = false;
            p.in_snapshot = true;
            p.raw_json = Some(format!(r#"{{"id":"{}","created_at":"yesterday"}}"#, p.id));
        }
        _ => return None,
    }
    Some(p)
}
