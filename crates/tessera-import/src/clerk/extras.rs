//! What Better Auth has no column for but the operator's application may need: Clerk's
//! `external_id` (apps key foreign keys on it), the three metadata objects, and the identifiers
//! Better Auth's one-email, one-phone user cannot hold.
//!
//! Kept in a side file next to the report, one JSON object per line and user (only users with
//! something to keep), so nothing is lost and no table outside Better Auth's schema is invented.
//! This is personal data: the file is for the operator, like the export itself.

use serde::Serialize;
use serde_json::Value;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// An email or phone that was not imported, and whether Clerk had verified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptIdentifier {
    pub value: String,
    pub verified: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extras {
    pub clerk_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsafe_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_emails: Vec<KeptIdentifier>,
    /// With the phone-number plugin off, the primary phone lands here too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_phones: Vec<KeptIdentifier>,
    /// The username, when the username plugin is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Clerk had backup codes for this user; they were not (cannot be) exported.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub backup_codes_not_migrated: bool,
}

impl Extras {
    /// Metadata that is absent, `null` or `{}` is nothing to keep.
    pub fn metadata(value: Option<&Value>) -> Option<Value> {
        value
            .filter(|v| !v.is_null() && v.as_object().is_none_or(|o| !o.is_empty()))
            .cloned()
    }

    pub fn is_empty(&self) -> bool {
        self.external_id.is_none()
            && self.public_metadata.is_none()
            && self.private_metadata.is_none()
            && self.unsafe_metadata.is_none()
            && self.additional_emails.is_empty()
            && self.additional_phones.is_empty()
            && self.username.is_none()
            && !self.backup_codes_not_migrated
    }
}

/// Writes the side file: one JSON object per line, only for users with something to keep.
pub struct ExtrasWriter {
    out: Option<BufWriter<File>>,
    pub written: u64,
}

impl ExtrasWriter {
    /// `None` keeps nothing (a dry run).
    pub fn create(path: Option<&Path>) -> io::Result<ExtrasWriter> {
        let out = path.map(File::create).transpose()?.map(BufWriter::new);
        Ok(ExtrasWriter { out, written: 0 })
    }

    pub fn write(&mut self, extras: &Extras) -> io::Result<()> {
        let Some(out) = &mut self.out else {
            return Ok(());
        };
        if extras.is_empty() {
            return Ok(());
        }
        serde_json::to_writer(&mut *out, extras)?;
        out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    /// Any other line (an organization's or an invitation's extras).
    pub fn write_line<T: Serialize>(&mut self, line: &T) -> io::Result<()> {
        let Some(out) = &mut self.out else {
            return Ok(());
        };
        serde_json::to_writer(&mut *out, line)?;
        out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    pub fn finish(self) -> io::Result<()> {
        match self.out {
            Some(mut out) => out.flush(),
            None => Ok(()),
        }
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
    use serde_json::json;

    #[test]
    fn empty_metadata_is_nothing_to_keep() {
        assert_eq!(Extras::metadata(None), None);
        assert_eq!(Extras::metadata(Some(&json!(null))), None);
        assert_eq!(Extras::metadata(Some(&json!({}))), None);
        assert_eq!(
            Extras::metadata(Some(&json!({"a": 1}))),
            Some(json!({"a": 1}))
        );
        assert_eq!(Extras::metadata(Some(&json!([]))), Some(json!([])));
    }

    #[test]
    fn serializes_only_what_is_kept() {
        let extras = Extras {
            clerk_id: "user_1".to_owned(),
            external_id: Some("legacy-1".to_owned()),
            ..Extras::default()
        };
        assert!(!extras.is_empty());
        assert_eq!(
            serde_json::to_string(&extras).unwrap(),
            r#"{"clerk_id":"user_1","external_id":"legacy-1"}"#
        );
        assert!(
            Extras {
                clerk_id: "u".to_owned(),
                ..Extras::default()
            }
            .is_empty()
        );
    }

    #[test]
    fn the_side_file_has_one_line_per_user_with_something_to_keep() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("extras.ndjson");
        let mut writer = ExtrasWriter::create(Some(&path)).unwrap();
        let kept = Extras {
            clerk_id: "user_1".to_owned(),
            backup_codes_not_migrated: true,
            ..Extras::default()
        };
        writer.write(&kept).unwrap();
        writer
            .write(&Extras {
                clerk_id: "user_2".to_owned(),
                ..Extras::default()
            })
            .unwrap();
        assert_eq!(writer.written, 1);
        writer.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"clerk_id\":\"user_1\",\"backup_codes_not_migrated\":true}\n"
        );
    }
}
