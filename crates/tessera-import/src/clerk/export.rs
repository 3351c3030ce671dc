//! One user as Clerk exported it, whatever the file looked like.
//!
//! Two formats exist (contract §1.2, §1.6): the Dashboard export (13 columns, with primary and
//! verified flags) and the legacy support export ("format B": `email_addresses` and
//! `phone_numbers` lists without flags, plus metadata), the latter as CSV or as a JSON array. Both
//! readers ([`super::csv`], [`super::legacy_json`]) hand a row's cells to [`build_row`] by column,
//! so every clean-up rule lives here once.

use super::cells;
use super::issue::{Issue, IssueKind, Location};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Dashboard → Settings → User exports.
    Dashboard,
    /// The pre-2024 support-ticket export.
    Legacy,
}

/// The columns the importer understands, in either format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Id,
    FirstName,
    LastName,
    Username,
    PrimaryEmail,
    PrimaryPhone,
    VerifiedEmails,
    UnverifiedEmails,
    VerifiedPhones,
    UnverifiedPhones,
    TotpSecret,
    PasswordDigest,
    PasswordHasher,
    EmailAddresses,
    PhoneNumbers,
    UnsafeMetadata,
    PublicMetadata,
    PrivateMetadata,
}

const COLUMNS: [(Column, &str); 18] = [
    (Column::Id, "id"),
    (Column::FirstName, "first_name"),
    (Column::LastName, "last_name"),
    (Column::Username, "username"),
    (Column::PrimaryEmail, "primary_email_address"),
    (Column::PrimaryPhone, "primary_phone_number"),
    (Column::VerifiedEmails, "verified_email_addresses"),
    (Column::UnverifiedEmails, "unverified_email_addresses"),
    (Column::VerifiedPhones, "verified_phone_numbers"),
    (Column::UnverifiedPhones, "unverified_phone_numbers"),
    (Column::TotpSecret, "totp_secret"),
    (Column::PasswordDigest, "password_digest"),
    (Column::PasswordHasher, "password_hasher"),
    (Column::EmailAddresses, "email_addresses"),
    (Column::PhoneNumbers, "phone_numbers"),
    (Column::UnsafeMetadata, "unsafe_metadata"),
    (Column::PublicMetadata, "public_metadata"),
    (Column::PrivateMetadata, "private_metadata"),
];

impl Column {
    pub fn name(self) -> &'static str {
        COLUMNS
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("", |(_, n)| n)
    }

    pub(crate) fn from_name(name: &str) -> Option<Column> {
        COLUMNS
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(c, _)| *c)
    }

    fn slot(self) -> usize {
        COLUMNS.iter().position(|(c, _)| *c == self).unwrap_or(0)
    }
}

/// Where each known column sits in a record, found from the header (never from the position:
/// Clerk may add or reorder columns).
#[derive(Debug, Clone)]
pub struct ColumnMap {
    positions: [Option<usize>; COLUMNS.len()],
    pub format: ExportFormat,
    /// Header names the importer does not know.
    pub unknown: Vec<String>,
}

impl ColumnMap {
    /// Reads a header. A header that is neither format is a usage error: the file is not a Clerk
    /// export, and importing it column by column would only produce garbage.
    pub fn from_header<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<ColumnMap, String> {
        let mut positions = [None; COLUMNS.len()];
        let mut unknown = Vec::new();
        for (i, raw) in names.into_iter().enumerate() {
            let name = raw.trim_start_matches('\u{feff}').trim();
            match Column::from_name(name) {
                Some(column) => {
                    if let Some(slot) = positions.get_mut(column.slot()) {
                        slot.get_or_insert(i);
                    }
                }
                None if name.is_empty() => {}
                None => unknown.push(name.to_owned()),
            }
        }
        let has = |c: Column| positions.get(c.slot()).copied().flatten().is_some();
        if !has(Column::Id) {
            return Err("the header has no `id` column: not a Clerk user export".to_owned());
        }
        let format = if has(Column::PrimaryEmail) {
            ExportFormat::Dashboard
        } else if has(Column::EmailAddresses) {
            ExportFormat::Legacy
        } else {
            return Err(
                "the header has neither `primary_email_address` (Dashboard export) nor \
                 `email_addresses` (legacy export): not a Clerk user export"
                    .to_owned(),
            );
        };
        Ok(ColumnMap {
            positions,
            format,
            unknown,
        })
    }

    pub fn position(&self, column: Column) -> Option<usize> {
        self.positions.get(column.slot()).copied().flatten()
    }

    /// The number of fields a complete record has: one past the last known column.
    pub fn width(&self) -> usize {
        self.positions.iter().flatten().max().map_or(0, |m| m + 1)
    }

    /// The file-level warning about columns that will be ignored, if any.
    pub fn unknown_columns_issue(&self) -> Option<Issue> {
        (!self.unknown.is_empty()).then(|| {
            Issue::new(
                IssueKind::UnknownColumns,
                format!("ignored columns: {}", self.unknown.join(", ")),
            )
        })
    }
}

/// The metadata only the legacy export carries (the Dashboard export has none: the snapshot does).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub public: Option<Value>,
    pub private: Option<Value>,
    pub unsafe_: Option<Value>,
}

/// One exported user, cleaned: guard TABs removed, lists split and deduplicated, blanks as `None`.
/// Nothing is validated here beyond what is needed to read the row; the plan decides.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    pub location: Location,
    pub format: ExportFormat,
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    /// Dashboard only; may be unverified (then it is also in `unverified_emails`).
    pub primary_email: Option<String>,
    pub verified_emails: Vec<String>,
    /// Legacy exports put every address here: they carry no verification flags.
    pub unverified_emails: Vec<String>,
    pub primary_phone: Option<String>,
    pub verified_phones: Vec<String>,
    pub unverified_phones: Vec<String>,
    pub totp_secret: Option<String>,
    pub password_digest: Option<String>,
    pub password_hasher: Option<String>,
    pub metadata: Metadata,
    /// Problems with single cells that do not stop the row.
    pub warnings: Vec<Issue>,
}

/// Builds a row from its cells. `cell` returns a column's raw text (`None` when the column is absent
/// from the file or the record is short).
pub fn build_row<'a>(
    format: ExportFormat,
    location: Location,
    cell: impl Fn(Column) -> Option<&'a str>,
) -> Result<ExportRow, Issue> {
    let raw = |c: Column| cell(c).unwrap_or("");
    let id = raw(Column::Id).trim().to_owned();
    if id.is_empty() {
        return Err(Issue::new(IssueKind::MissingId, "the `id` cell is empty").at(Some(location)));
    }
    // Secrets and digests are never unguarded: no hasher format starts with a guarded character,
    // and altering a secret would silently break it.
    let secret = |c: Column| {
        let v = raw(c).trim();
        (!v.is_empty()).then(|| v.to_owned())
    };
    let mut row = ExportRow {
        location,
        format,
        first_name: cells::text(raw(Column::FirstName)),
        last_name: cells::text(raw(Column::LastName)),
        username: cells::text(raw(Column::Username)),
        primary_email: None,
        verified_emails: Vec::new(),
        unverified_emails: Vec::new(),
        primary_phone: None,
        verified_phones: Vec::new(),
        unverified_phones: Vec::new(),
        totp_secret: secret(Column::TotpSecret),
        password_digest: secret(Column::PasswordDigest),
        password_hasher: secret(Column::PasswordHasher),
        metadata: Metadata::default(),
        warnings: Vec::new(),
        id,
    };
    match format {
        ExportFormat::Dashboard => {
            row.primary_email = cells::text(raw(Column::PrimaryEmail));
            row.primary_phone = cells::text(raw(Column::PrimaryPhone));
            row.verified_emails = cells::list(raw(Column::VerifiedEmails), cells::same_email);
            row.unverified_emails = cells::list(raw(Column::UnverifiedEmails), cells::same_email);
            row.verified_phones = cells::list(raw(Column::VerifiedPhones), cells::same_phone);
            row.unverified_phones = cells::list(raw(Column::UnverifiedPhones), cells::same_phone);
        }
        ExportFormat::Legacy => {
            row.unverified_emails = cells::list(raw(Column::EmailAddresses), cells::same_email);
            row.unverified_phones = cells::list(raw(Column::PhoneNumbers), cells::same_phone);
            let mut metadata = |c: Column| match parse_metadata(raw(c)) {
                Ok(value) => value,
                Err(()) => {
                    row.warnings.push(
                        Issue::new(
                            IssueKind::MetadataUnreadable,
                            format!("`{}` is not JSON; it was not kept", c.name()),
                        )
                        .user(&row.id)
                        .at(Some(location)),
                    );
                    None
                }
            };
            let public = metadata(Column::PublicMetadata);
            let private = metadata(Column::PrivateMetadata);
            let unsafe_ = metadata(Column::UnsafeMetadata);
            row.metadata = Metadata {
                public,
                private,
                unsafe_,
            };
        }
    }
    Ok(row)
}

fn parse_metadata(cell: &str) -> Result<Option<Value>, ()> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(cell) {
        Ok(Value::Null) => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(_) => Err(()),
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
    use crate::clerk::issue::Input;

    const DASHBOARD: &str = "id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher";
    const LEGACY: &str = "id,first_name,last_name,username,email_addresses,phone_numbers,totp_secret,password_digest,password_hasher,unsafe_metadata,public_metadata,private_metadata";

    fn map(header: &str) -> Result<ColumnMap, String> {
        ColumnMap::from_header(header.split(','))
    }

    #[test]
    fn tells_the_formats_apart_by_header() {
        assert_eq!(map(DASHBOARD).unwrap().format, ExportFormat::Dashboard);
        assert_eq!(map(LEGACY).unwrap().format, ExportFormat::Legacy);
        assert_eq!(map(DASHBOARD).unwrap().width(), 13);
    }

    #[test]
    fn refuses_a_header_that_is_not_clerk_s() {
        assert!(map("email,password").is_err());
        assert!(map("id,name,email").is_err());
        assert!(map("first_name,primary_email_address").is_err());
    }

    #[test]
    fn keys_columns_by_name_with_bom_case_and_extras() {
        let m = ColumnMap::from_header([
            "\u{feff}ID",
            "created_at",
            "Primary_Email_Address ",
            "first_name",
        ])
        .unwrap();
        assert_eq!(m.position(Column::Id), Some(0));
        assert_eq!(m.position(Column::PrimaryEmail), Some(2));
        assert_eq!(m.position(Column::LastName), None);
        assert_eq!(m.unknown, vec!["created_at"]);
        assert!(m.unknown_columns_issue().is_some());
    }

    fn row(format: ExportFormat, cells: &[(Column, &'static str)]) -> Result<ExportRow, Issue> {
        build_row(format, Location::line(Input::Export, 2), |c| {
            cells.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
        })
    }

    #[test]
    fn cleans_a_dashboard_row() {
        let r = row(
            ExportFormat::Dashboard,
            &[
                (Column::Id, " user_1 "),
                (Column::FirstName, "\t-Ann "),
                (Column::LastName, ""),
                (Column::Username, "\t@ann"),
                (Column::PrimaryEmail, "Ann@X.dev"),
                (Column::PrimaryPhone, "\t+15550100"),
                (Column::VerifiedEmails, "Ann@X.dev|b@x.dev"),
                (Column::VerifiedPhones, "\t+15550100"),
                (Column::TotpSecret, " JBSWY3DPEHPK3PXP "),
                (Column::PasswordDigest, "$2a$10$x"),
            ],
        )
        .unwrap();
        assert_eq!(r.id, "user_1");
        assert_eq!(r.first_name.as_deref(), Some("-Ann"));
        assert_eq!(r.last_name, None);
        assert_eq!(r.username.as_deref(), Some("@ann"));
        assert_eq!(r.primary_email.as_deref(), Some("Ann@X.dev"));
        assert_eq!(r.primary_phone.as_deref(), Some("+15550100"));
        assert_eq!(r.verified_emails, vec!["Ann@X.dev", "b@x.dev"]);
        assert_eq!(r.verified_phones, vec!["+15550100"]);
        assert_eq!(r.totp_secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));
        assert_eq!(r.password_hasher, None);
    }

    #[test]
    fn a_row_without_id_is_rejected() {
        let err = row(ExportFormat::Dashboard, &[(Column::Id, "  ")]).unwrap_err();
        assert_eq!(err.kind, IssueKind::MissingId);
        assert_eq!(err.location.and_then(|l| l.line), Some(2));
    }

    #[test]
    fn reads_legacy_lists_and_metadata() {
        let r = row(
            ExportFormat::Legacy,
            &[
                (Column::Id, "user_2"),
                (
                    Column::EmailAddresses,
                    "jessica@atreides.com|jessica@harkonnen.com",
                ),
                (Column::PhoneNumbers, ""),
                (Column::PublicMetadata, r#"{"discord": {"step": "final"}}"#),
                (Column::PrivateMetadata, "null"),
                (Column::UnsafeMetadata, "{not json"),
            ],
        )
        .unwrap();
        assert_eq!(r.primary_email, None);
        assert_eq!(r.unverified_emails.len(), 2);
        assert_eq!(
            r.metadata.public,
            Some(serde_json::json!({"discord": {"step": "final"}}))
        );
        assert_eq!(r.metadata.private, None);
        assert_eq!(r.metadata.unsafe_, None);
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].kind, IssueKind::MetadataUnreadable);
        assert!(r.warnings[0].detail.contains("unsafe_metadata"));
    }
}
