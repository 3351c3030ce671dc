//! What the importer tells the operator about a user it rejected or imported with a loss.
//!
//! Every issue names the Clerk user (when known) and where it came from, never an email, phone,
//! name, digest or secret: reports are shared with people who must not see the user base.

use serde::Serialize;
use std::fmt;

/// A reject leaves the user out of the database; a warning imports it with something lost or
/// changed; a difference is what `verify` found in the database that the plan did not expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Reject,
    Warning,
    Difference,
}

/// Which input an issue was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// The dashboard or legacy export (CSV or JSON).
    Export,
    /// The Backend API snapshot.
    Snapshot,
    /// The target database, when it already holds a conflicting row.
    Database,
    /// The organizations side file of the snapshot.
    Organizations,
}

/// Where in its input an issue sits: CSV records are found by the line they start on, JSON array
/// elements by their 0-based index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    pub input: Input,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
}

impl Input {
    pub fn name(self) -> &'static str {
        match self {
            Input::Export => "export",
            Input::Snapshot => "snapshot",
            Input::Database => "database",
            Input::Organizations => "organizations",
        }
    }
}

impl Location {
    pub fn line(input: Input, line: u64) -> Location {
        Location {
            input,
            line: Some(line),
            index: None,
        }
    }

    pub fn index(input: Input, index: u64) -> Location {
        Location {
            input,
            line: None,
            index: Some(index),
        }
    }

    pub fn database() -> Location {
        Location {
            input: Input::Database,
            line: None,
            index: None,
        }
    }
}

macro_rules! issue_kinds {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $severity:ident; )*) => {
        /// Every kind of issue, with a stable snake_case name used in reports and counts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum IssueKind {
            $( $(#[$doc])* $variant, )*
        }

        impl IssueKind {
            pub const ALL: &'static [IssueKind] = &[$(IssueKind::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $( IssueKind::$variant => $name, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( IssueKind::$variant => Severity::$severity, )* }
            }
        }
    };
}

issue_kinds! {
    // ---- rejects: the user is not imported
    /// A CSV record that cannot be read as a row (wrong field count, not UTF-8).
    MalformedRow = "malformed_row", Reject;
    MissingId = "missing_id", Reject;
    /// A Clerk id seen earlier in the same export; the first one is kept.
    DuplicateId = "duplicate_id", Reject;
    /// No email, phone or username: nobody could ever sign in as this user.
    NoIdentifier = "no_identifier", Reject;
    InvalidEmail = "invalid_email", Reject;
    /// The primary email belongs to an earlier user of the same import.
    EmailConflict = "email_conflict", Reject;
    UsernameConflict = "username_conflict", Reject;
    PhoneConflict = "phone_conflict", Reject;
    /// The database already holds another user with this email, username or phone number.
    ExistingConflict = "existing_conflict", Reject;
    UnknownHasher = "unknown_hasher", Reject;
    DigestWithoutHasher = "digest_without_hasher", Reject;
    /// The digest does not have the shape its hasher produces.
    DigestRejected = "digest_rejected", Reject;
    InvalidTotpSecret = "invalid_totp_secret", Reject;
    /// Banned in Clerk, but without the admin plugin the ban could not be kept.
    BannedWithoutAdmin = "banned_without_admin", Reject;
    /// A snapshot element that is not a Clerk user object.
    InvalidSnapshotUser = "invalid_snapshot_user", Reject;

    // ---- warnings: imported, with a loss
    AdditionalEmailsNotImported = "additional_emails_not_imported", Warning;
    AdditionalPhonesNotImported = "additional_phones_not_imported", Warning;
    /// Clerk never exports backup codes; the user must generate new ones.
    BackupCodesNotMigrated = "backup_codes_not_migrated", Warning;
    /// In the API snapshot but not in the export: imported without password or TOTP.
    OnlyInSnapshot = "only_in_snapshot", Warning;
    /// In the export but not in the snapshot: imported without dates, image, ban or OAuth accounts.
    NotInSnapshot = "not_in_snapshot", Warning;
    /// The snapshot element of an exported user could not be read; imported from the export alone.
    SnapshotUserUnreadable = "snapshot_user_unreadable", Warning;
    /// No email: a placeholder address that can never receive mail was stored instead.
    PlaceholderEmail = "placeholder_email", Warning;
    /// The primary email was empty; the first verified address was used instead.
    PrimaryEmailChosen = "primary_email_chosen", Warning;
    /// Legacy export without snapshot: which address is primary and verified is unknown.
    EmailVerificationUnknown = "email_verification_unknown", Warning;
    NonRoutableEmail = "non_routable_email", Warning;
    /// Clerk says the user has a password but the export holds no digest: the user must reset it.
    PasswordNotInExport = "password_not_in_export", Warning;
    /// The export holds a digest but Clerk says the password was removed: no credential account.
    PasswordDisabledInSnapshot = "password_disabled_in_snapshot", Warning;
    /// A hasher Tessera cannot verify (e.g. `awscognito`): imported without password, must reset.
    PasswordUnsupported = "password_unsupported", Warning;
    TotpNotInExport = "totp_not_in_export", Warning;
    TotpDisabledInSnapshot = "totp_disabled_in_snapshot", Warning;
    SmsSecondFactorNotMigrated = "sms_second_factor_not_migrated", Warning;
    ExternalAccountUnverified = "external_account_unverified", Warning;
    ExternalAccountMissingId = "external_account_missing_id", Warning;
    /// A Clerk OAuth provider Better Auth has no built-in provider for.
    ProviderNotMapped = "provider_not_mapped", Warning;
    /// The same (provider, provider user id) already belongs to an earlier user.
    ExternalAccountConflict = "external_account_conflict", Warning;
    PasskeysNotMigrated = "passkeys_not_migrated", Warning;
    Web3WalletsNotMigrated = "web3_wallets_not_migrated", Warning;
    EnterpriseAccountsNotMigrated = "enterprise_accounts_not_migrated", Warning;
    TwoFactorPluginDisabled = "two_factor_plugin_disabled", Warning;
    UsernamePluginDisabled = "username_plugin_disabled", Warning;
    PhonePluginDisabled = "phone_plugin_disabled", Warning;
    /// Nothing this user can sign in with under this config; the detail says what would do.
    NoWayIn = "no_way_in", Warning;
    /// Stored, but Better Auth's default username rules would refuse it at sign-in.
    UsernameNotValid = "username_not_valid", Warning;
    PhoneNotE164 = "phone_not_e164", Warning;
    SuspiciousName = "suspicious_name", Warning;
    InvalidTimestamp = "invalid_timestamp", Warning;
    MetadataUnreadable = "metadata_unreadable", Warning;
    /// The same Clerk id twice in the snapshot; the first element is used.
    DuplicateInSnapshot = "duplicate_in_snapshot", Warning;
    /// Header columns the importer does not know; their values are ignored.
    UnknownColumns = "unknown_columns", Warning;

    // ---- organizations (all warnings: a user is never rejected for them)
    /// The organizations were fetched but the organization plugin is off: none was imported.
    OrganizationsNotImported = "organizations_not_imported", Warning;
    /// A line of the organizations file that is not a Clerk object.
    InvalidOrganizationLine = "invalid_organization_line", Warning;
    /// Clerk's slug was empty or held by an older organization: a generated one was stored.
    OrganizationSlugGenerated = "organization_slug_generated", Warning;
    OrganizationNameMissing = "organization_name_missing", Warning;
    /// Which member became the owner, and why (creator, oldest admin, oldest member).
    OrganizationOwnerChosen = "organization_owner_chosen", Warning;
    /// No member was imported: the organization has no owner.
    OrganizationWithoutOwner = "organization_without_owner", Warning;
    /// The database already has another organization with this slug: not imported.
    OrganizationSlugTaken = "organization_slug_taken", Warning;
    /// The membership's user is not in the import: skipped, never written half.
    MembershipUserNotImported = "membership_user_not_imported", Warning;
    DuplicateMembership = "duplicate_membership", Warning;
    /// A custom role that grants nothing without dynamic access control.
    RoleGrantsNothing = "role_grants_nothing", Warning;
    /// The organization has no owner to be the inviter: its pending invitations were skipped.
    InvitationsWithoutOwner = "invitations_without_owner", Warning;
    InvitationWithoutEmail = "invitation_without_email", Warning;

    // ---- differences found by `verify`
    UserMissing = "user_missing", Difference;
    /// The user row differs; the detail names the columns (never their values).
    UserDiffers = "user_differs", Difference;
    AccountMissing = "account_missing", Difference;
    AccountDiffers = "account_differs", Difference;
    TwoFactorMissing = "two_factor_missing", Difference;
    /// A twoFactor row the plan does not have (enrolled after the import?).
    TwoFactorUnexpected = "two_factor_unexpected", Difference;
    OrganizationMissing = "organization_missing", Difference;
    /// The detail names the columns (never their values).
    OrganizationDiffers = "organization_differs", Difference;
    MemberMissing = "member_missing", Difference;
    MemberDiffers = "member_differs", Difference;
    InvitationMissing = "invitation_missing", Difference;
    InvitationDiffers = "invitation_differs", Difference;
    OrganizationRoleMissing = "organization_role_missing", Difference;
    OrganizationRoleDiffers = "organization_role_differs", Difference;
    /// A way in the user had at Clerk (password, an OAuth provider, or its only emailed or
    /// texted code) that this config does not offer.
    WayInNotOffered = "way_in_not_offered", Difference;
}

impl fmt::Display for IssueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for IssueKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One reject or warning. `detail` explains the reason without quoting personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub severity: Severity,
    pub kind: IssueKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clerk_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub detail: String,
}

impl Issue {
    pub fn new(kind: IssueKind, detail: impl Into<String>) -> Issue {
        Issue {
            severity: kind.severity(),
            kind,
            clerk_id: None,
            location: None,
            detail: detail.into(),
        }
    }

    pub fn user(mut self, clerk_id: &str) -> Issue {
        self.clerk_id = Some(clerk_id.to_owned());
        self
    }

    pub fn at(mut self, location: Option<Location>) -> Issue {
        self.location = location;
        self
    }

    pub fn is_reject(&self) -> bool {
        self.severity == Severity::Reject
    }
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
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_snake_case() {
        let mut seen = HashSet::new();
        for kind in IssueKind::ALL {
            let name = kind.name();
            assert!(seen.insert(name), "{name} used twice");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
        }
    }

    #[test]
    fn an_issue_takes_its_severity_from_its_kind() {
        assert!(Issue::new(IssueKind::DuplicateId, "x").is_reject());
        assert!(!Issue::new(IssueKind::PlaceholderEmail, "x").is_reject());
    }
}
