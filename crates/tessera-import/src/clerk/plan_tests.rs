#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::*;
use crate::clerk::bapi::{EmailAddress, ExternalAccount, PhoneNumber, Verification};
use crate::clerk::export::Metadata;
use crate::clerk::issue::Input;
use serde_json::json;
use tessera_core::crypto::password::{FirebaseParams, verify};
use time::macros::datetime;

const SECRET: &str = "a-test-secret-that-is-long-enough-0123456789";
const WORKOS_DIGEST: &str = "$2a$10$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.";
const TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

fn options(plugins: Plugins) -> PlanOptions {
    PlanOptions {
        plugins,
        placeholder_domain: email::PLACEHOLDER_DOMAIN.to_owned(),
        now: NOW,
        passwords: Default::default(),
    }
}

fn secrets() -> Secrets {
    Secrets::single(SECRET)
}

fn row(id: &str) -> ExportRow {
    ExportRow {
        location: Location::line(Input::Export, 2),
        format: ExportFormat::Dashboard,
        id: id.to_owned(),
        first_name: Some("Ada".to_owned()),
        last_name: Some("Lovelace".to_owned()),
        username: None,
        primary_email: Some("Ada@Example.COM".to_owned()),
        verified_emails: vec!["Ada@Example.COM".to_owned()],
        unverified_emails: Vec::new(),
        primary_phone: None,
        verified_phones: Vec::new(),
        unverified_phones: Vec::new(),
        totp_secret: None,
        password_digest: Some(WORKOS_DIGEST.to_owned()),
        password_hasher: Some("bcrypt".to_owned()),
        metadata: Metadata::default(),
        warnings: Vec::new(),
    }
}

fn verified() -> Option<Verification> {
    Some(Verification {
        status: Some("verified".to_owned()),
        strategy: Some("email_code".to_owned()),
    })
}

fn api(id: &str) -> SnapshotUser {
    SnapshotUser {
        user: bapi::User {
            id: id.to_owned(),
            primary_email_address_id: Some("idn_1".to_owned()),
            email_addresses: vec![EmailAddress {
                id: "idn_1".to_owned(),
                email_address: "ada@example.com".to_owned(),
                verification: verified(),
            }],
            first_name: Some("Ada".to_owned()),
            last_name: Some("Lovelace".to_owned()),
            image_url: Some("https://img.clerk.com/ada".to_owned()),
            has_image: true,
            password_enabled: true,
            created_at: Some(1_700_000_000_000),
            updated_at: Some(1_700_000_100_000),
            ..bapi::User::default()
        },
        location: Location::index(Input::Snapshot, 7),
    }
}

fn oauth(provider: &str, subject: Option<&str>, status: &str) -> ExternalAccount {
    ExternalAccount {
        id: "eac_1".to_owned(),
        provider: provider.to_owned(),
        provider_user_id: subject.map(str::to_owned),
        approved_scopes: Some("email  openid profile".to_owned()),
        email_address: Some("ada@example.com".to_owned()),
        verification: Some(Verification {
            status: Some(status.to_owned()),
            strategy: Some(provider.to_owned()),
        }),
        created_at: Some(1_700_000_050_000),
        updated_at: None,
    }
}

fn plan_with(row: Option<&ExportRow>, snapshot: InSnapshot<'_>, plugins: Plugins) -> Planned {
    plan_user(row, snapshot, &options(plugins), &secrets())
}

fn import(row: Option<&ExportRow>, snapshot: InSnapshot<'_>) -> UserPlan {
    match plan_with(row, snapshot, Plugins::ALL) {
        Planned::Import(plan) => *plan,
        Planned::Reject(issue) => panic!("rejected: {issue:?}"),
    }
}

fn reject(row: Option<&ExportRow>, snapshot: InSnapshot<'_>, plugins: Plugins) -> Issue {
    match plan_with(row, snapshot, plugins) {
        Planned::Reject(issue) => *issue,
        Planned::Import(plan) => panic!("imported: {:?}", plan.user),
    }
}

fn kinds(plan: &UserPlan) -> Vec<IssueKind> {
    plan.warnings.iter().map(|w| w.kind).collect()
}

#[test]
fn maps_a_password_user_as_better_auth_stores_it() {
    let api = api("user_1");
    let plan = import(Some(&row("user_1")), InSnapshot::Found(&api));
    let user = &plan.user;
    assert_eq!(user.id, "user_1");
    assert_eq!(user.email, "ada@example.com");
    assert!(user.email_verified);
    assert_eq!(user.name, "Ada Lovelace");
    assert_eq!(user.image.as_deref(), Some("https://img.clerk.com/ada"));
    assert_eq!(user.created_at, datetime!(2023-11-14 22:13:20 UTC));
    assert!(plan.dated_by_clerk);
    assert_eq!(user.updated_at, datetime!(2023-11-14 22:15:00 UTC));
    assert_eq!(user.role(), Some("user"));
    assert_eq!(user.banned(), Some(false));
    assert_eq!(user.ban_expires(), None);
    assert_eq!(user.two_factor_enabled(), Some(false));
    assert_eq!(user.username(), None);
    assert_eq!(user.phone_number(), None);
    assert_eq!(plan.accounts.len(), 1);
    let credential = &plan.accounts[0];
    assert_eq!(credential.provider_id, "credential");
    assert_eq!(credential.account_id, "user_1");
    assert_eq!(credential.user_id, "user_1");
    assert_eq!(credential.password.as_deref(), Some(WORKOS_DIGEST));
    assert_eq!(credential.id, ids::credential_account("user_1"));
    assert!(plan.two_factor.is_none());
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    assert!(plan.extras.is_empty());
}

#[test]
fn an_unverified_primary_stays_unverified() {
    let mut r = row("user_1");
    r.verified_emails.clear();
    r.unverified_emails = vec!["ada@example.com".to_owned()];
    let plan = import(Some(&r), InSnapshot::NoSnapshot);
    assert!(!plan.user.email_verified);
    assert!(
        plan.extras.additional_emails.is_empty(),
        "the primary is not an extra"
    );
}

#[test]
fn a_verified_secondary_does_not_verify_the_primary() {
    let mut r = row("user_1");
    r.verified_emails = vec!["other@example.com".to_owned()];
    r.unverified_emails = vec!["Ada@Example.COM".to_owned()];
    let plan = import(Some(&r), InSnapshot::NoSnapshot);
    assert!(!plan.user.email_verified);
    assert_eq!(
        plan.extras.additional_emails,
        vec![KeptIdentifier {
            value: "other@example.com".to_owned(),
            verified: true
        }]
    );
    assert!(kinds(&plan).contains(&IssueKind::AdditionalEmailsNotImported));
}

#[test]
fn names_have_no_stray_spaces() {
    let mut r = row("user_1");
    r.first_name = None;
    r.last_name = None;
    assert_eq!(import(Some(&r), InSnapshot::NoSnapshot).user.name, "");
    r.first_name = Some("Cher".to_owned());
    assert_eq!(import(Some(&r), InSnapshot::NoSnapshot).user.name, "Cher");
    r.first_name = None;
    r.last_name = Some(" Curie ".to_owned());
    assert_eq!(import(Some(&r), InSnapshot::NoSnapshot).user.name, "Curie");
}

#[test]
fn the_image_is_imported_only_when_the_user_set_one() {
    let mut api = api("user_1");
    api.user.has_image = false;
    let plan = import(Some(&row("user_1")), InSnapshot::Found(&api));
    assert_eq!(plan.user.image, None);
}

#[test]
fn a_ban_has_no_expiry_and_a_lockout_is_not_a_ban() {
    let mut locked = api("user_1");
    locked.user.locked = true;
    locked.user.lockout_expires_in_seconds = Some(900);
    let plan = import(Some(&row("user_1")), InSnapshot::Found(&locked));
    assert_eq!(plan.user.banned(), Some(false));
    assert_eq!(plan.user.ban_expires(), None);

    let mut banned = api("user_1");
    banned.user.banned = true;
    let plan = import(Some(&row("user_1")), InSnapshot::Found(&banned));
    assert_eq!(plan.user.banned(), Some(true));
    assert_eq!(plan.user.ban_expires(), None);
    assert_eq!(plan.user.ban_reason(), Some(BAN_REASON));
}

#[test]
fn a_banned_user_is_refused_rather_than_unbanned_without_the_admin_plugin() {
    let mut banned = api("user_1");
    banned.user.banned = true;
    let plugins = Plugins {
        admin: false,
        ..Plugins::ALL
    };
    let issue = reject(Some(&row("user_1")), InSnapshot::Found(&banned), plugins);
    assert_eq!(issue.kind, IssueKind::BannedWithoutAdmin);
    assert_eq!(issue.clerk_id.as_deref(), Some("user_1"));
}

#[test]
fn totp_becomes_an_encrypted_base32_secret_and_no_backup_codes() {
    let mut r = row("user_1");
    r.totp_secret = Some("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp".to_owned());
    let mut api = api("user_1");
    api.user.two_factor_enabled = true;
    api.user.totp_enabled = true;
    api.user.backup_code_enabled = true;
    let plan = import(Some(&r), InSnapshot::Found(&api));
    let two_factor = plan.two_factor.as_ref().unwrap();
    assert_eq!(two_factor.user_id, "user_1");
    assert_eq!(two_factor.id, ids::two_factor("user_1"));
    assert_eq!(two_factor.verified, Some(true));
    assert_eq!(
        secrets().decrypt(&two_factor.secret).unwrap(),
        format!("base32:{TOTP}")
    );
    assert_eq!(secrets().decrypt(&two_factor.backup_codes).unwrap(), "[]");
    assert_eq!(plan.user.two_factor_enabled(), Some(true));
    assert!(kinds(&plan).contains(&IssueKind::BackupCodesNotMigrated));
    assert!(plan.extras.backup_codes_not_migrated);
}

#[test]
fn a_secret_clerk_says_is_off_is_not_imported() {
    let mut r = row("user_1");
    r.totp_secret = Some(TOTP.to_owned());
    let api = api("user_1");
    let plan = import(Some(&r), InSnapshot::Found(&api));
    assert!(plan.two_factor.is_none());
    assert_eq!(plan.user.two_factor_enabled(), Some(false));
    assert_eq!(kinds(&plan), vec![IssueKind::TotpDisabledInSnapshot]);
}

#[test]
fn a_bad_totp_secret_rejects_the_user() {
    let mut r = row("user_1");
    r.totp_secret = Some("not base32!".to_owned());
    assert_eq!(
        reject(Some(&r), InSnapshot::NoSnapshot, Plugins::ALL).kind,
        IssueKind::InvalidTotpSecret
    );
    r.totp_secret = Some("JBSWY3DP".to_owned());
    assert_eq!(
        reject(Some(&r), InSnapshot::NoSnapshot, Plugins::ALL).kind,
        IssueKind::InvalidTotpSecret
    );
}

#[test]
fn totp_without_the_plugin_is_a_warning() {
    let mut r = row("user_1");
    r.totp_secret = Some(TOTP.to_owned());
    let plugins = Plugins {
        two_factor: false,
        ..Plugins::ALL
    };
    let Planned::Import(plan) = plan_with(Some(&r), InSnapshot::NoSnapshot, plugins) else {
        panic!("rejected")
    };
    assert!(plan.two_factor.is_none());
    assert_eq!(plan.user.two_factor_enabled(), None);
    assert_eq!(kinds(&plan), vec![IssueKind::TwoFactorPluginDisabled]);
}

#[test]
fn a_phone_only_user_gets_an_unverified_placeholder_email() {
    let mut r = row("user_Phone");
    r.primary_email = None;
    r.verified_emails.clear();
    r.primary_phone = Some("+15550100".to_owned());
    r.verified_phones = vec!["+15550100".to_owned()];
    let plan = import(Some(&r), InSnapshot::NoSnapshot);
    assert_eq!(
        plan.user.email,
        email::placeholder("user_Phone", email::PLACEHOLDER_DOMAIN)
    );
    assert!(!plan.user.email_verified);
    assert_eq!(plan.user.phone_number(), Some("+15550100"));
    assert_eq!(plan.user.phone_number_verified(), Some(true));
    assert!(kinds(&plan).contains(&IssueKind::PlaceholderEmail));
}

#[test]
fn usernames_are_lowercased_and_displayed_as_written() {
    let mut r = row("user_1");
    r.primary_email = None;
    r.verified_emails.clear();
    r.username = Some("Ada_L".to_owned());
    let plan = import(Some(&r), InSnapshot::NoSnapshot);
    assert_eq!(plan.user.username(), Some("ada_l"));
    assert_eq!(plan.user.display_username(), Some("Ada_L"));
    assert!(plan.user.email.ends_with(email::PLACEHOLDER_DOMAIN));
}

#[test]
fn a_user_nobody_could_sign_in_as_is_rejected() {
    let mut r = row("user_1");
    r.primary_email = None;
    r.verified_emails.clear();
    assert_eq!(
        reject(Some(&r), InSnapshot::NoSnapshot, Plugins::ALL).kind,
        IssueKind::NoIdentifier
    );
}

#[test]
fn an_invalid_primary_email_is_rejected_without_quoting_it() {
    let mut r = row("user_1");
    r.primary_email = Some("not-an-email".to_owned());
    let issue = reject(Some(&r), InSnapshot::NoSnapshot, Plugins::ALL);
    assert_eq!(issue.kind, IssueKind::InvalidEmail);
    assert!(!issue.detail.contains("not-an-email"));
    assert_eq!(issue.location.and_then(|l| l.line), Some(2));
}

#[test]
fn password_problems_are_rejects_by_kind() {
    let cases = [
        (Some("sha3_custom"), Some("abc"), IssueKind::UnknownHasher),
        (
            Some("bcrypt"),
            Some("$2a$10$tooshort"),
            IssueKind::DigestRejected,
        ),
        (None, Some(WORKOS_DIGEST), IssueKind::DigestWithoutHasher),
        (Some("md5"), Some(WORKOS_DIGEST), IssueKind::DigestRejected),
    ];
    for (hasher, digest, kind) in cases {
        let mut r = row("user_1");
        r.password_hasher = hasher.map(str::to_owned);
        r.password_digest = digest.map(str::to_owned);
        let issue = reject(Some(&r), InSnapshot::NoSnapshot, Plugins::ALL);
        assert_eq!(issue.kind, kind, "{hasher:?}");
        assert!(
            !issue.detail.contains("$2a$10$"),
            "the digest never appears: {}",
            issue.detail
        );
    }
}

/// The firebase/scrypt README's vector (clerk-export.md §3.3) as a Firebase export gives it:
/// hash and salt only, the project's parameters left empty.
const FIREBASE_BARE: &str = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$$$$";
const FIREBASE_SIGNER: &str =
    "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";

#[test]
fn a_firebase_digest_without_project_parameters_is_completed_from_the_configuration() {
    let mut r = row("user_1");
    r.password_hasher = Some("scrypt_firebase".to_owned());
    r.password_digest = Some(FIREBASE_BARE.to_owned());
    let issue = reject(Some(&r), InSnapshot::NoSnapshot, Plugins::ALL);
    assert_eq!(
        issue.kind,
        IssueKind::DigestRejected,
        "no parameters anywhere"
    );

    let mut configured = options(Plugins::ALL);
    configured.passwords.firebase =
        Some(FirebaseParams::from_base64(FIREBASE_SIGNER, "Bw==", 8, 14).unwrap());
    let Planned::Import(plan) =
        plan_user(Some(&r), InSnapshot::NoSnapshot, &configured, &secrets())
    else {
        panic!("rejected with the project's parameters configured");
    };
    let stored = plan.accounts[0].password.clone().unwrap();
    assert_eq!(
        stored,
        format!(
            "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==${FIREBASE_SIGNER}$Bw==$8$14"
        )
    );
    let none = VerifyContext::default();
    assert!(verify(&stored, "user1password", &none).unwrap());
    assert!(!verify(&stored, "user1Password", &none).unwrap());
}

#[test]
fn a_secret_in_the_hasher_column_is_not_quoted() {
    let mut r = row("user_1");
    r.password_hasher = Some("$2a$10$abcdefghijklmnopqrstuv".to_owned());
    let issue = reject(Some(&r), InSnapshot::NoSnapshot, Plugins::ALL);
    assert_eq!(issue.kind, IssueKind::UnknownHasher);
    assert!(!issue.detail.contains("abcdefgh"), "{}", issue.detail);
    r.password_hasher = Some("sha3_custom".to_owned());
    let issue = reject(Some(&r), InSnapshot::NoSnapshot, Plugins::ALL);
    assert!(issue.detail.contains("`sha3_custom`"), "{}", issue.detail);
}

#[test]
fn a_hasher_without_digest_means_no_password() {
    let mut r = row("user_1");
    r.password_digest = None;
    let plan = import(Some(&r), InSnapshot::NoSnapshot);
    assert!(plan.accounts.is_empty());
    assert!(plan.warnings.is_empty());
}

#[test]
fn a_cognito_pointer_imports_the_user_without_password() {
    let mut r = row("user_1");
    r.password_hasher = Some("awscognito".to_owned());
    r.password_digest = Some("awscognito#pool#client#ada".to_owned());
    let plan = import(Some(&r), InSnapshot::NoSnapshot);
    assert!(plan.accounts.is_empty());
    assert_eq!(kinds(&plan), vec![IssueKind::PasswordUnsupported]);
}

#[test]
fn passwords_clerk_removed_or_never_exported_are_reported() {
    let mut removed = api("user_1");
    removed.user.password_enabled = false;
    let plan = import(Some(&row("user_1")), InSnapshot::Found(&removed));
    assert!(plan.accounts.is_empty());
    assert_eq!(kinds(&plan), vec![IssueKind::PasswordDisabledInSnapshot]);

    let mut no_digest = row("user_1");
    no_digest.password_digest = None;
    let plan = import(Some(&no_digest), InSnapshot::Found(&api("user_1")));
    assert_eq!(kinds(&plan), vec![IssueKind::PasswordNotInExport]);
}

#[test]
fn verified_oauth_accounts_become_accounts_without_tokens() {
    let mut api = api("user_1");
    api.user.external_accounts = vec![
        oauth("oauth_google", Some("1234567890"), "verified"),
        oauth("oauth_x", Some("42"), "verified"),
        oauth("oauth_github", Some("7"), "unverified"),
        oauth("oauth_coinbase", Some("8"), "verified"),
        oauth("oauth_gitlab", None, "verified"),
        oauth("oauth_google", Some("1234567890"), "verified"),
    ];
    let plan = import(Some(&row("user_1")), InSnapshot::Found(&api));
    let oauth: Vec<&Account> = plan
        .accounts
        .iter()
        .filter(|a| a.provider_id != "credential")
        .collect();
    assert_eq!(oauth.len(), 2, "duplicates inside one user collapse");
    let google = oauth[0];
    assert_eq!(google.provider_id, "google");
    assert_eq!(google.account_id, "1234567890");
    assert_eq!(google.user_id, "user_1");
    assert_eq!(google.scope.as_deref(), Some("email,openid,profile"));
    assert_eq!(
        google.id,
        ids::oauth_account("user_1", "google", "1234567890")
    );
    assert_eq!(google.created_at, datetime!(2023-11-14 22:14:10 UTC));
    assert!(
        google.access_token.is_none()
            && google.refresh_token.is_none()
            && google.id_token.is_none()
    );
    assert_eq!(oauth[1].provider_id, "twitter");
    assert_eq!(
        kinds(&plan),
        vec![
            IssueKind::ExternalAccountUnverified,
            IssueKind::ProviderNotMapped,
            IssueKind::ExternalAccountMissingId
        ]
    );
}

#[test]
fn a_user_only_in_the_snapshot_is_imported_without_password() {
    let mut only = api("user_2");
    only.user.username = Some("Grace".to_owned());
    only.user.phone_numbers = vec![PhoneNumber {
        id: "idn_p".to_owned(),
        phone_number: "+15550101".to_owned(),
        verification: verified(),
        reserved_for_second_factor: false,
    }];
    only.user.primary_phone_number_id = Some("idn_p".to_owned());
    only.user.totp_enabled = true;
    let plan = import(None, InSnapshot::Found(&only));
    assert_eq!(plan.user.id, "user_2");
    assert!(plan.accounts.is_empty());
    assert!(plan.two_factor.is_none());
    assert_eq!(plan.user.username(), Some("grace"));
    assert_eq!(plan.user.phone_number(), Some("+15550101"));
    assert_eq!(plan.location.and_then(|l| l.index), Some(7));
    assert_eq!(kinds(&plan), vec![IssueKind::OnlyInSnapshot]);
}

#[test]
fn a_user_missing_from_the_snapshot_is_dated_at_import_time() {
    let plan = import(Some(&row("user_1")), InSnapshot::Absent);
    assert_eq!(plan.user.created_at, NOW);
    assert!(!plan.dated_by_clerk);
    assert_eq!(plan.user.image, None);
    assert_eq!(kinds(&plan), vec![IssueKind::NotInSnapshot]);
    let unreadable = Issue::new(IssueKind::InvalidSnapshotUser, "wrong type");
    let plan = import(Some(&row("user_1")), InSnapshot::Unreadable(&unreadable));
    assert_eq!(kinds(&plan), vec![IssueKind::SnapshotUserUnreadable]);
}

#[test]
fn a_legacy_row_takes_primary_and_flags_from_the_snapshot() {
    let mut legacy = row("user_1");
    legacy.format = ExportFormat::Legacy;
    legacy.primary_email = None;
    legacy.verified_emails.clear();
    legacy.unverified_emails = vec!["old@example.com".to_owned(), "ada@example.com".to_owned()];
    let plan = import(Some(&legacy), InSnapshot::Found(&api("user_1")));
    assert_eq!(plan.user.email, "ada@example.com");
    assert!(plan.user.email_verified);
    assert_eq!(plan.extras.additional_emails.len(), 1);

    let plan = import(Some(&legacy), InSnapshot::NoSnapshot);
    assert_eq!(plan.user.email, "old@example.com");
    assert!(!plan.user.email_verified);
    assert!(kinds(&plan).contains(&IssueKind::EmailVerificationUnknown));
}

#[test]
fn what_better_auth_cannot_hold_goes_to_the_extras() {
    let mut r = row("user_1");
    r.username = Some("ada".to_owned());
    r.primary_phone = Some("+15550100".to_owned());
    r.verified_phones = vec!["+15550100".to_owned(), "+15550199".to_owned()];
    let mut api = api("user_1");
    api.user.external_id = Some("legacy-1".to_owned());
    api.user.public_metadata = Some(json!({"plan": "pro"}));
    api.user.private_metadata = Some(json!({}));
    let plugins = Plugins {
        username: false,
        phone_number: false,
        ..Plugins::ALL
    };
    let Planned::Import(plan) = plan_with(Some(&r), InSnapshot::Found(&api), plugins) else {
        panic!("rejected")
    };
    assert_eq!(plan.user.username(), None);
    assert_eq!(plan.user.phone_number(), None);
    assert_eq!(plan.extras.username.as_deref(), Some("ada"));
    assert_eq!(plan.extras.additional_phones.len(), 2);
    assert_eq!(plan.extras.external_id.as_deref(), Some("legacy-1"));
    assert_eq!(plan.extras.public_metadata, Some(json!({"plan": "pro"})));
    assert_eq!(plan.extras.private_metadata, None);
    assert_eq!(
        kinds(&plan),
        vec![
            IssueKind::PhonePluginDisabled,
            IssueKind::AdditionalPhonesNotImported,
            IssueKind::UsernamePluginDisabled
        ]
    );
}

#[test]
fn implausible_dates_fall_back_to_import_time() {
    let mut api = api("user_1");
    api.user.created_at = Some(-5);
    let plan = import(Some(&row("user_1")), InSnapshot::Found(&api));
    assert_eq!(plan.user.created_at, NOW);
    assert_eq!(kinds(&plan), vec![IssueKind::InvalidTimestamp]);
}

#[test]
fn planning_twice_gives_the_same_rows() {
    let mut r = row("user_1");
    r.totp_secret = Some(TOTP.to_owned());
    let mut api = api("user_1");
    api.user.totp_enabled = true;
    api.user.external_accounts = vec![oauth("oauth_google", Some("1"), "verified")];
    let a = import(Some(&r), InSnapshot::Found(&api));
    let b = import(Some(&r), InSnapshot::Found(&api));
    assert_eq!(a.user, b.user);
    assert_eq!(a.accounts, b.accounts);
    assert_eq!(
        a.two_factor.as_ref().map(|t| &t.id),
        b.two_factor.as_ref().map(|t| &t.id)
    );
}

#[test]
fn no_warning_or_reject_quotes_personal_data() {
    let mut r = row("user_1");
    r.first_name = Some("ada@example.com".to_owned());
    r.verified_emails.push("second@example.com".to_owned());
    r.primary_phone = Some("5550100".to_owned());
    r.unverified_phones = vec!["+15550199".to_owned()];
    r.username = Some("-ada".to_owned());
    let plan = import(Some(&r), InSnapshot::Absent);
    assert!(plan.warnings.len() >= 5, "{:?}", plan.warnings);
    for w in &plan.warnings {
        for secret in ["ada@", "second@", "5550100", "5550199", "-ada", "$2a$"] {
            assert!(!w.detail.contains(secret), "{} quotes {secret}", w.detail);
        }
    }
}
