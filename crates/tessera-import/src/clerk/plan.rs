//! One Clerk user → the Better Auth rows that represent it (contract §1.5, §2, §6; Better Auth
//! reference §1, §2, §5.3, §7, §8), or a reject. Pure: no I/O, and the same input gives the same
//! rows (ids are derived, see [`ids`]), except for the random nonces of encrypted TOTP secrets.
//!
//! The rules, where the seed migration guide got them wrong (contract §5, §7):
//! - the credential account comes from the export's digest (Clerk never lists a `credential`
//!   external account), with `accountId = user.id`, as Better Auth's sign-in requires;
//! - `emailVerified` is the primary address's own flag, never "has any verified address";
//! - the name joins first and last name without stray spaces; empty cells are NULL, not `''`;
//! - a Clerk ban is a ban without expiry; a lockout (brute-force protection) is not a ban;
//! - the TOTP secret is stored as `base32:<SECRET>` encrypted with the auth secret, and a twoFactor
//!   row exists only for users who have TOTP; backup codes are never invented.

use super::access::Reach;
use super::bapi;
use super::cells;
use super::email;
use super::export::{ExportFormat, ExportRow};
use super::extras::{Extras, KeptIdentifier};
use super::ids;
use super::issue::{Issue, IssueKind, Location};
use super::providers::clerk_provider_to_better_auth;
use super::snapshot::SnapshotUser;
use tessera_core::crypto::password::VerifyContext;
use tessera_core::crypto::password::clerk::{ClerkDigestReject, stored_digest_with};
use tessera_core::crypto::symmetric::Secrets;
use tessera_core::crypto::totp::TotpSecret;
use tessera_core::model::{Account, CREDENTIAL_PROVIDER, TwoFactor, User};
use tessera_core::plugins::Plugins;
use tessera_core::plugins::admin::AdminUser;
use tessera_core::plugins::phone_number::PhoneNumberUser;
use tessera_core::plugins::two_factor::TwoFactorUser;
use tessera_core::plugins::username::UsernameUser;
use tessera_core::timefmt;
use time::OffsetDateTime;
use time::macros::datetime;

/// Better Auth's `role` for users the admin plugin did not make admins.
pub const DEFAULT_ROLE: &str = "user";
/// Why an imported user is banned, as `banReason` shows it to admins.
pub const BAN_REASON: &str = "Banned in Clerk before the migration";
/// Better Auth's stored form of "no backup codes": the encrypted empty JSON array. The column is
/// NOT NULL, and an empty list makes every backup code fail until the user generates new ones.
const NO_BACKUP_CODES: &str = "[]";
/// Shorter TOTP secrets than 80 bits (16 base32 characters, RFC 4226's minimum) are not real ones.
const MIN_TOTP_BASE32_LEN: usize = 16;

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub plugins: Plugins,
    /// Domain of placeholder emails (see [`email::placeholder`]).
    pub placeholder_domain: String,
    /// Import time: `createdAt` of users the snapshot does not date.
    pub now: OffsetDateTime,
    /// The configured Firebase project parameters: `scrypt_firebase` digests exported without
    /// them are stored completed, so that they verify whatever the server's configuration.
    pub passwords: VerifyContext,
}

impl PlanOptions {
    pub fn new(plugins: Plugins) -> PlanOptions {
        PlanOptions {
            plugins,
            placeholder_domain: email::PLACEHOLDER_DOMAIN.to_owned(),
            now: timefmt::now_ms(),
            passwords: VerifyContext::default(),
        }
    }
}

/// What the snapshot says about a user.
#[derive(Debug, Clone, Copy)]
pub enum InSnapshot<'a> {
    Found(&'a SnapshotUser),
    /// Its element exists but is not a readable user.
    Unreadable(&'a Issue),
    /// A snapshot was given and does not have this user.
    Absent,
    /// No snapshot was given at all.
    NoSnapshot,
}

/// The rows of one user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPlan {
    pub clerk_id: String,
    pub location: Option<Location>,
    pub user: User,
    pub accounts: Vec<Account>,
    pub two_factor: Option<TwoFactor>,
    pub extras: Extras,
    pub warnings: Vec<Issue>,
    /// `createdAt` came from Clerk; otherwise it is the import time, which a later plan of the
    /// same user (e.g. `verify`) cannot reproduce.
    pub dated_by_clerk: bool,
    /// What the user can sign in with, whatever the config (see [`super::access`]).
    pub reach: Reach,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    Import(Box<UserPlan>),
    Reject(Box<Issue>),
}

/// Plans one user from its export row and/or its snapshot entry (at least one of them).
pub fn plan_user(
    row: Option<&ExportRow>,
    snapshot: InSnapshot<'_>,
    options: &PlanOptions,
    secrets: &Secrets,
) -> Planned {
    let api = match snapshot {
        InSnapshot::Found(found) => Some(found),
        _ => None,
    };
    let (clerk_id, location) = match (row, api) {
        (Some(row), _) => (row.id.as_str(), Some(row.location)),
        (None, Some(found)) => (found.user.id.as_str(), Some(found.location)),
        (None, None) => {
            return Planned::Reject(Box::new(Issue::new(
                IssueKind::MissingId,
                "neither an export row nor a snapshot user",
            )));
        }
    };
    let mut mapping = Mapping {
        clerk_id,
        location,
        options,
        warnings: row.map(|r| r.warnings.clone()).unwrap_or_default(),
        extras: Extras {
            clerk_id: clerk_id.to_owned(),
            ..Extras::default()
        },
    };
    match mapping.plan(row, api.map(|f| &f.user), snapshot, secrets) {
        Ok(plan) => Planned::Import(Box::new(plan)),
        Err(reject) => Planned::Reject(Box::new(reject)),
    }
}

struct Mapping<'a> {
    clerk_id: &'a str,
    location: Option<Location>,
    options: &'a PlanOptions,
    warnings: Vec<Issue>,
    extras: Extras,
}

/// An email or phone with its verification flag.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ident {
    value: String,
    verified: bool,
}

/// Which address is primary and which are left over.
#[derive(Debug, Default)]
struct Choice {
    primary: Option<Ident>,
    others: Vec<Ident>,
    /// The export named no primary; one was picked.
    picked: bool,
    /// Legacy export without snapshot: nobody knows which addresses were verified.
    flags_unknown: bool,
}

/// The identifiers of one kind as the export lists them.
struct RowIdents<'a> {
    format: ExportFormat,
    primary: Option<&'a str>,
    verified: &'a [String],
    unverified: &'a [String],
}

fn choose(
    row: Option<RowIdents<'_>>,
    api: Option<(Option<&str>, Vec<Ident>)>,
    same: fn(&str, &str) -> bool,
) -> Choice {
    let mut choice = Choice::default();
    let push = |choice: &mut Choice, ident: Ident| {
        let is_primary = choice
            .primary
            .as_ref()
            .is_some_and(|p| same(&p.value, &ident.value));
        if !is_primary && !choice.others.iter().any(|o| same(&o.value, &ident.value)) {
            choice.others.push(ident);
        }
    };
    match (row, api) {
        (Some(row), _) if row.format == ExportFormat::Dashboard => {
            let in_unverified = |v: &str| row.unverified.iter().any(|u| same(u, v));
            let primary = row
                .primary
                .map(str::to_owned)
                .or_else(|| row.verified.first().cloned())
                .or_else(|| row.unverified.first().cloned());
            choice.picked = row.primary.is_none() && primary.is_some();
            // Clerk's rule (§1.5): the primary is verified unless it is also listed unverified.
            choice.primary = primary.map(|value| Ident {
                verified: !in_unverified(&value),
                value,
            });
            for v in row.verified {
                push(
                    &mut choice,
                    Ident {
                        value: v.clone(),
                        verified: !in_unverified(v),
                    },
                );
            }
            for v in row.unverified {
                push(
                    &mut choice,
                    Ident {
                        value: v.clone(),
                        verified: false,
                    },
                );
            }
        }
        (Some(row), Some((api_primary, api_all))) => {
            let flag = |v: &str| api_all.iter().any(|a| a.verified && same(&a.value, v));
            let primary = api_primary
                .map(str::to_owned)
                .or_else(|| row.unverified.first().cloned());
            choice.primary = primary.map(|value| Ident {
                verified: flag(&value),
                value,
            });
            for v in row.unverified {
                push(
                    &mut choice,
                    Ident {
                        value: v.clone(),
                        verified: flag(v),
                    },
                );
            }
            for a in api_all.iter().cloned() {
                push(&mut choice, a);
            }
        }
        (Some(row), None) => {
            choice.flags_unknown = !row.unverified.is_empty();
            choice.primary = row.unverified.first().map(|v| Ident {
                value: v.clone(),
                verified: false,
            });
            for v in row.unverified {
                push(
                    &mut choice,
                    Ident {
                        value: v.clone(),
                        verified: false,
                    },
                );
            }
        }
        (None, Some((api_primary, api_all))) => {
            let primary = api_primary
                .and_then(|p| api_all.iter().find(|a| same(&a.value, p)).cloned())
                .or_else(|| api_all.first().cloned());
            choice.picked = api_primary.is_none() && primary.is_some();
            choice.primary = primary;
            for a in api_all {
                push(&mut choice, a);
            }
        }
        (None, None) => {}
    }
    choice
}

fn api_emails(user: &bapi::User) -> (Option<&str>, Vec<Ident>) {
    let all = user
        .email_addresses
        .iter()
        .filter(|e| !e.email_address.trim().is_empty())
        .map(|e| Ident {
            value: e.email_address.trim().to_owned(),
            verified: bapi::is_verified(e.verification.as_ref()),
        })
        .collect();
    (user.primary_email().map(|e| e.email_address.trim()), all)
}

fn api_phones(user: &bapi::User) -> (Option<&str>, Vec<Ident>) {
    let all = user
        .phone_numbers
        .iter()
        .filter(|p| !p.phone_number.trim().is_empty())
        .map(|p| Ident {
            value: cells::unguard(p.phone_number.trim()).to_owned(),
            verified: bapi::is_verified(p.verification.as_ref()),
        })
        .collect();
    (user.primary_phone().map(|p| p.phone_number.trim()), all)
}

/// A password ready to store, or why there is none.
enum Password {
    Stored(String),
    None,
}

impl Mapping<'_> {
    fn warn(&mut self, kind: IssueKind, detail: impl Into<String>) {
        self.warnings.push(
            Issue::new(kind, detail)
                .user(self.clerk_id)
                .at(self.location),
        );
    }

    fn reject(&self, kind: IssueKind, detail: impl Into<String>) -> Issue {
        Issue::new(kind, detail)
            .user(self.clerk_id)
            .at(self.location)
    }

    fn plan(
        &mut self,
        row: Option<&ExportRow>,
        api: Option<&bapi::User>,
        snapshot: InSnapshot<'_>,
        secrets: &Secrets,
    ) -> Result<UserPlan, Issue> {
        let plugins = self.options.plugins;
        match (row.is_some(), snapshot) {
            (true, InSnapshot::Absent) => self.warn(
                IssueKind::NotInSnapshot,
                "not in the snapshot: imported without dates, image, ban or OAuth accounts",
            ),
            (true, InSnapshot::Unreadable(issue)) => self.warn(
                IssueKind::SnapshotUserUnreadable,
                format!(
                    "imported from the export alone; snapshot entry: {}",
                    issue.detail
                ),
            ),
            (false, _) => self.warn(
                IssueKind::OnlyInSnapshot,
                "not in the export: imported without password or TOTP",
            ),
            _ => {}
        }

        // ---- identifiers
        let emails = choose(
            row.map(|r| RowIdents {
                format: r.format,
                primary: r.primary_email.as_deref(),
                verified: &r.verified_emails,
                unverified: &r.unverified_emails,
            }),
            api.map(api_emails),
            cells::same_email,
        );
        let phones = choose(
            row.map(|r| RowIdents {
                format: r.format,
                primary: r.primary_phone.as_deref(),
                verified: &r.verified_phones,
                unverified: &r.unverified_phones,
            }),
            api.map(api_phones),
            cells::same_phone,
        );
        let username = match row {
            Some(r) => r.username.clone(),
            None => api
                .and_then(|u| u.username.as_deref())
                .and_then(cells::text),
        };
        let (email, email_verified) = match &emails.primary {
            Some(primary) => {
                let lowered = primary.value.to_lowercase();
                if !email::is_valid(&lowered) {
                    return Err(self.reject(
                        IssueKind::InvalidEmail,
                        "the primary email address is not a valid address",
                    ));
                }
                if email::is_non_routable(&lowered) {
                    self.warn(
                        IssueKind::NonRoutableEmail,
                        "the primary email's domain never receives mail",
                    );
                }
                (lowered, primary.verified)
            }
            None if phones.primary.is_none() && username.is_none() => {
                return Err(self.reject(
                    IssueKind::NoIdentifier,
                    "no email address, phone number or username: nobody could sign in as this user",
                ));
            }
            None => {
                self.warn(
                    IssueKind::PlaceholderEmail,
                    "no email address: a placeholder that receives no mail was stored; the user signs in by phone or username",
                );
                (
                    email::placeholder(self.clerk_id, &self.options.placeholder_domain),
                    false,
                )
            }
        };
        if emails.picked {
            self.warn(
                IssueKind::PrimaryEmailChosen,
                "no primary email address: the first listed one was used",
            );
        }
        if emails.flags_unknown {
            self.warn(
                IssueKind::EmailVerificationUnknown,
                "the legacy export has no verification flags and there is no snapshot: the email is stored unverified",
            );
        }

        // ---- what cannot be kept: checked before anything is built
        let banned = api.is_some_and(|u| u.banned || u.deprovisioned);
        if banned && !plugins.admin {
            return Err(self.reject(
                IssueKind::BannedWithoutAdmin,
                "banned in Clerk, but without the admin plugin the ban cannot be kept",
            ));
        }
        let password = self.password(row, api)?;
        let totp = self.totp(row, api)?;

        // ---- the user row
        let clerk_created_at = self.timestamp(api.and_then(|u| u.created_at), "created_at");
        let created_at = clerk_created_at.unwrap_or(self.options.now);
        let updated_at = self
            .timestamp(api.and_then(|u| u.updated_at), "updated_at")
            .unwrap_or(created_at);
        let name = self.name(row, api);
        let mut user = User::new(
            self.clerk_id.to_owned(),
            name,
            email,
            email_verified,
            created_at,
        );
        user.updated_at = updated_at;
        user.image = api
            .filter(|u| u.has_image)
            .and_then(|u| u.image_url.as_deref())
            .and_then(cells::text);
        if plugins.admin {
            user.set_role(Some(DEFAULT_ROLE.to_owned()));
            user.set_banned(Some(banned));
            user.set_ban_reason(banned.then(|| BAN_REASON.to_owned()));
            user.set_ban_expires(None);
        }
        let verified_phone = phones.primary.as_ref().is_some_and(|p| p.verified);
        self.phone(&mut user, phones);
        self.username(&mut user, username);
        for other in emails.others {
            self.extras.additional_emails.push(KeptIdentifier {
                value: other.value,
                verified: other.verified,
            });
        }
        if !self.extras.additional_emails.is_empty() {
            let n = self.extras.additional_emails.len();
            self.warn(
                IssueKind::AdditionalEmailsNotImported,
                format!("{n} more email address(es): Better Auth keeps one per user; kept in the extras file"),
            );
        }

        // ---- accounts
        // Sized for the usual password + one OAuth account: a Vec grows to 4 on its first push,
        // and 4 accounts (over 1 KiB) make glibc's malloc consolidate its free lists on every
        // user; that alone was a tenth of a million-user import's time.
        let mut accounts = Vec::with_capacity(2);
        if let Password::Stored(hash) = password {
            let mut account = Account::credential(
                ids::credential_account(self.clerk_id),
                self.clerk_id,
                hash,
                created_at,
            );
            account.updated_at = self
                .timestamp(
                    api.and_then(|u| u.password_last_updated_at),
                    "password_last_updated_at",
                )
                .unwrap_or(updated_at);
            accounts.push(account);
        }
        if let Some(api) = api {
            self.oauth_accounts(api, &user, &mut accounts);
            self.unmigratable(api);
            self.extras.external_id = api.external_id.as_deref().and_then(cells::text);
            self.extras.public_metadata = Extras::metadata(api.public_metadata.as_ref());
            self.extras.private_metadata = Extras::metadata(api.private_metadata.as_ref());
            self.extras.unsafe_metadata = Extras::metadata(api.unsafe_metadata.as_ref());
        } else if let Some(row) = row {
            self.extras.public_metadata = Extras::metadata(row.metadata.public.as_ref());
            self.extras.private_metadata = Extras::metadata(row.metadata.private.as_ref());
            self.extras.unsafe_metadata = Extras::metadata(row.metadata.unsafe_.as_ref());
        }

        // ---- two-factor
        let two_factor = match totp {
            Some(plaintext) if plugins.two_factor => {
                let sealed = |text: &str| {
                    secrets.encrypt(text).map_err(|e| {
                        self.reject(
                            IssueKind::InvalidTotpSecret,
                            format!("cannot be encrypted: {e}"),
                        )
                    })
                };
                Some(TwoFactor {
                    id: ids::two_factor(self.clerk_id),
                    secret: sealed(&plaintext)?,
                    backup_codes: sealed(NO_BACKUP_CODES)?,
                    user_id: self.clerk_id.to_owned(),
                    verified: Some(true),
                    failed_verification_count: Some(0),
                    locked_until: None,
                })
            }
            Some(_) => {
                self.warn(
                    IssueKind::TwoFactorPluginDisabled,
                    "has TOTP in Clerk, but the two-factor plugin is off: signs in without a second factor",
                );
                None
            }
            None => None,
        };
        if plugins.two_factor {
            user.set_two_factor_enabled(Some(two_factor.is_some()));
        }

        let reach = Reach {
            password: accounts
                .iter()
                .any(|a| a.provider_id == CREDENTIAL_PROVIDER),
            oauth: accounts
                .iter()
                .filter(|a| a.provider_id != CREDENTIAL_PROVIDER)
                .map(|a| a.provider_id.clone())
                .collect(),
            verified_email: user.email_verified,
            verified_phone,
        };
        Ok(UserPlan {
            clerk_id: self.clerk_id.to_owned(),
            location: self.location,
            user,
            accounts,
            two_factor,
            extras: std::mem::take(&mut self.extras),
            warnings: std::mem::take(&mut self.warnings),
            dated_by_clerk: clerk_created_at.is_some(),
            reach,
        })
    }

    fn name(&mut self, row: Option<&ExportRow>, api: Option<&bapi::User>) -> String {
        let (first, last) = match row {
            Some(r) => (r.first_name.clone(), r.last_name.clone()),
            None => (
                api.and_then(|u| u.first_name.as_deref())
                    .and_then(cells::text),
                api.and_then(|u| u.last_name.as_deref())
                    .and_then(cells::text),
            ),
        };
        let parts: Vec<&str> = [first.as_deref(), last.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.iter().any(|p| looks_like_contact_or_markup(p)) {
            self.warn(
                IssueKind::SuspiciousName,
                "the name looks like an email, phone number, URL or HTML (Clerk's own tools drop such names)",
            );
        }
        parts.join(" ")
    }

    fn phone(&mut self, user: &mut User, phones: Choice) {
        let additional = phones.others.len();
        let mut kept = phones.others;
        if let Some(primary) = phones.primary {
            if !is_e164(&primary.value) {
                self.warn(
                    IssueKind::PhoneNotE164,
                    "the phone number is not in E.164 form (+ and 7 to 15 digits)",
                );
            }
            if self.options.plugins.phone_number {
                user.set_phone_number(Some(primary.value));
                user.set_phone_number_verified(Some(primary.verified));
            } else {
                self.warn(
                    IssueKind::PhonePluginDisabled,
                    "has a phone number, but the phone-number plugin is off; kept in the extras file",
                );
                kept.insert(0, primary);
            }
        }
        if additional > 0 {
            self.warn(
                IssueKind::AdditionalPhonesNotImported,
                format!("{additional} more phone number(s): Better Auth keeps one per user; kept in the extras file"),
            );
        }
        self.extras.additional_phones = kept
            .into_iter()
            .map(|p| KeptIdentifier {
                value: p.value,
                verified: p.verified,
            })
            .collect();
    }

    fn username(&mut self, user: &mut User, username: Option<String>) {
        let Some(display) = username else { return };
        if !self.options.plugins.username {
            self.warn(
                IssueKind::UsernamePluginDisabled,
                "has a username, but the username plugin is off; kept in the extras file",
            );
            self.extras.username = Some(display);
            return;
        }
        if !is_better_auth_username(&display) {
            self.warn(
                IssueKind::UsernameNotValid,
                "stored, but Better Auth's default username rules (3 to 30 of a-z 0-9 _ .) refuse it at sign-in",
            );
        }
        user.set_username(Some(display.to_lowercase()));
        user.set_display_username(Some(display));
    }

    fn password(
        &mut self,
        row: Option<&ExportRow>,
        api: Option<&bapi::User>,
    ) -> Result<Password, Issue> {
        let Some(row) = row else {
            return Ok(Password::None);
        };
        let Some(digest) = row.password_digest.as_deref() else {
            if api.is_some_and(|u| u.password_enabled) {
                self.warn(
                    IssueKind::PasswordNotInExport,
                    "Clerk says the user has a password but the export has no digest: the user must reset it",
                );
            }
            return Ok(Password::None);
        };
        let Some(hasher) = row.password_hasher.as_deref() else {
            return Err(self.reject(
                IssueKind::DigestWithoutHasher,
                "a password digest without `password_hasher`",
            ));
        };
        let stored = match stored_digest_with(hasher, digest, &self.options.passwords) {
            Ok(stored) => stored,
            Err(ClerkDigestReject::UnknownHasher(_)) => {
                return Err(self.reject(
                    IssueKind::UnknownHasher,
                    format!("unknown password hasher {}", hasher_name(hasher)),
                ));
            }
            Err(e @ ClerkDigestReject::Unsupported { .. }) => {
                self.warn(
                    IssueKind::PasswordUnsupported,
                    format!("{e}; imported without a password"),
                );
                return Ok(Password::None);
            }
            Err(e) => return Err(self.reject(IssueKind::DigestRejected, e.to_string())),
        };
        if api.is_some_and(|u| !u.password_enabled) {
            self.warn(
                IssueKind::PasswordDisabledInSnapshot,
                "the export has a digest but Clerk says the password was removed: no password imported",
            );
            return Ok(Password::None);
        }
        Ok(Password::Stored(stored))
    }

    /// The TOTP plaintext to encrypt (`base32:<SECRET>`), if the user has TOTP.
    fn totp(
        &mut self,
        row: Option<&ExportRow>,
        api: Option<&bapi::User>,
    ) -> Result<Option<String>, Issue> {
        let api_totp = api.map(|u| u.totp_enabled);
        if api.is_some_and(|u| u.backup_code_enabled) {
            self.extras.backup_codes_not_migrated = true;
            self.warn(
                IssueKind::BackupCodesNotMigrated,
                "had backup codes in Clerk, which never exports them: the user must generate new ones",
            );
        }
        if api.is_some_and(|u| u.two_factor_enabled && !u.totp_enabled && !u.backup_code_enabled) {
            self.warn(
                IssueKind::SmsSecondFactorNotMigrated,
                "used SMS codes as second factor in Clerk: not carried over",
            );
        }
        let Some(row) = row else {
            return Ok(None);
        };
        let Some(secret) = row.totp_secret.as_deref() else {
            if api_totp == Some(true) {
                self.warn(IssueKind::TotpNotInExport, "Clerk says TOTP is on but the export has no secret: the user must enroll again");
            }
            return Ok(None);
        };
        let plaintext = TotpSecret::import_plaintext(secret).map_err(|e| {
            self.reject(
                IssueKind::InvalidTotpSecret,
                format!("the TOTP secret is unusable: {e}"),
            )
        })?;
        if plaintext.len() < "base32:".len() + MIN_TOTP_BASE32_LEN {
            return Err(self.reject(
                IssueKind::InvalidTotpSecret,
                "the TOTP secret is shorter than 80 bits",
            ));
        }
        if api_totp == Some(false) {
            self.warn(
                IssueKind::TotpDisabledInSnapshot,
                "the export has a TOTP secret but Clerk says TOTP is off: not imported",
            );
            return Ok(None);
        }
        Ok(Some(plaintext))
    }

    fn oauth_accounts(&mut self, api: &bapi::User, user: &User, accounts: &mut Vec<Account>) {
        for external in &api.external_accounts {
            let provider = printable(&external.provider);
            if !bapi::is_verified(external.verification.as_ref()) {
                self.warn(
                    IssueKind::ExternalAccountUnverified,
                    format!("{provider} link never completed in Clerk: not imported"),
                );
                continue;
            }
            let Some(provider_id) = clerk_provider_to_better_auth(&external.provider) else {
                self.warn(
                    IssueKind::ProviderNotMapped,
                    format!("{provider} has no Better Auth provider: not imported"),
                );
                continue;
            };
            let Some(subject) = external
                .provider_user_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            else {
                self.warn(
                    IssueKind::ExternalAccountMissingId,
                    format!("{provider} account without provider_user_id: not imported"),
                );
                continue;
            };
            if accounts
                .iter()
                .any(|a| a.provider_id == provider_id && a.account_id == subject)
            {
                continue;
            }
            let created_at = self
                .timestamp(external.created_at, "external_accounts.created_at")
                .unwrap_or(user.created_at);
            let updated_at = self
                .timestamp(external.updated_at, "external_accounts.updated_at")
                .unwrap_or(created_at);
            accounts.push(Account {
                id: ids::oauth_account(self.clerk_id, provider_id, subject),
                account_id: subject.to_owned(),
                provider_id: provider_id.to_owned(),
                user_id: self.clerk_id.to_owned(),
                access_token: None,
                refresh_token: None,
                id_token: None,
                access_token_expires_at: None,
                refresh_token_expires_at: None,
                scope: scope(external.approved_scopes.as_deref()),
                password: None,
                created_at,
                updated_at,
            });
        }
    }

    /// Credentials Better Auth has no place for (contract §1.4, §2.6).
    fn unmigratable(&mut self, api: &bapi::User) {
        if !api.passkeys.is_empty() {
            self.warn(
                IssueKind::PasskeysNotMigrated,
                format!(
                    "{} passkey(s): bound to Clerk's domain, the user must enroll again",
                    api.passkeys.len()
                ),
            );
        }
        if !api.web3_wallets.is_empty() {
            self.warn(
                IssueKind::Web3WalletsNotMigrated,
                format!("{} web3 wallet(s) not imported", api.web3_wallets.len()),
            );
        }
        let enterprise = api.saml_accounts.len() + api.enterprise_accounts.len();
        if enterprise > 0 {
            self.warn(
                IssueKind::EnterpriseAccountsNotMigrated,
                format!("{enterprise} SAML/enterprise account(s) not imported: the user signs in by email until SSO is configured"),
            );
        }
    }

    /// A Clerk millisecond timestamp, if it is a plausible date.
    fn timestamp(&mut self, ms: Option<i64>, field: &str) -> Option<OffsetDateTime> {
        let ms = ms?;
        let earliest = datetime!(1990-01-01 0:00 UTC);
        let latest = self.options.now + time::Duration::days(1);
        match timefmt::from_epoch_ms(ms) {
            Some(t) if t >= earliest && t <= latest => Some(t),
            _ => {
                self.warn(
                    IssueKind::InvalidTimestamp,
                    format!("`{field}` is not a plausible date; import time used"),
                );
                None
            }
        }
    }
}

/// Better Auth stores granted scopes comma-joined; Clerk gives OAuth's space-separated string.
fn scope(approved: Option<&str>) -> Option<String> {
    let scopes: Vec<&str> = approved?
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .collect();
    (!scopes.is_empty()).then(|| scopes.join(","))
}

fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|digits| {
        (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

/// Better Auth's default username validator: 3–30 characters of `[a-zA-Z0-9_.]`.
fn is_better_auth_username(username: &str) -> bool {
    (3..=30).contains(&username.chars().count())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Clerk's CLI strips names that look like an email, phone, URL or HTML (copying its backend).
fn looks_like_contact_or_markup(part: &str) -> bool {
    let lower = part.to_lowercase();
    let email_like = part.contains('@') && part.contains('.');
    let url_like = lower.contains("://") || lower.starts_with("www.");
    let html_like = part.contains('<') && part.contains('>');
    let digits = part.chars().filter(char::is_ascii_digit).count();
    let phone_like = digits >= 7
        && part
            .chars()
            .all(|c| c.is_ascii_digit() || "+-() .".contains(c));
    email_like || url_like || html_like || phone_like
}

/// A hasher cell as a report may show it: only if it looks like a hasher name, since a misplaced
/// digest or secret could sit in that column.
fn hasher_name(cell: &str) -> String {
    let looks_like_name = !cell.is_empty()
        && cell.len() <= 40
        && cell
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if looks_like_name {
        format!("`{cell}`")
    } else {
        "(the cell does not look like a hasher name)".to_owned()
    }
}

/// A value from the input shown in a report: short and printable, since it is attacker-chosen.
fn printable(value: &str) -> String {
    value
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
