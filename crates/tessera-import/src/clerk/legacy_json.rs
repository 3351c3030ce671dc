//! The legacy support export as a JSON array of flat objects (contract §1.6: the same keys as its
//! CSV form, `null` for empty values, metadata as objects). Streamed element by element.

use super::csv::Record;
use super::export::{Column, ColumnMap, ExportFormat, build_row};
use super::issue::{Input, Issue, IssueKind, Location};
use super::json_array::{ArrayError, ArrayReader, describe};
use serde_json::{Map, Value};
use std::io::BufRead;

#[derive(Debug, thiserror::Error)]
pub enum JsonExportError {
    #[error(transparent)]
    Array(#[from] ArrayError),
    #[error("wrong keys: {0}")]
    Header(String),
}

pub struct JsonExport<R> {
    elements: ArrayReader<R>,
    buf: Vec<u8>,
    /// Fixed by the first object: one file has one format.
    columns: Option<ColumnMap>,
}

impl<R: BufRead> JsonExport<R> {
    pub fn new(input: R) -> JsonExport<R> {
        JsonExport {
            elements: ArrayReader::new(input),
            buf: Vec::new(),
            columns: None,
        }
    }

    /// The format, known once the first object has been read.
    pub fn format(&self) -> Option<ExportFormat> {
        self.columns.as_ref().map(|c| c.format)
    }

    pub fn columns(&self) -> Option<&ColumnMap> {
        self.columns.as_ref()
    }

    pub fn next_record(&mut self) -> Result<Option<Record>, JsonExportError> {
        let Some(element) = self.elements.next_element(&mut self.buf)? else {
            return Ok(None);
        };
        let location = Location::index(Input::Export, element.index);
        let object = match serde_json::from_slice::<Map<String, Value>>(&self.buf) {
            Ok(object) => object,
            Err(e) => {
                let issue = Issue::new(
                    IssueKind::MalformedRow,
                    format!("not a user object: {}", describe(&e)),
                );
                return Ok(Some(Err(issue.at(Some(location)))));
            }
        };
        let format = match &self.columns {
            Some(columns) => columns.format,
            None => {
                let columns = ColumnMap::from_header(object.keys().map(String::as_str))
                    .map_err(JsonExportError::Header)?;
                let format = columns.format;
                self.columns = Some(columns);
                format
            }
        };
        let cells: Vec<(Column, String)> = object
            .iter()
            .filter_map(|(key, value)| {
                let text = match value {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    // Metadata objects and JSON-array lists become their JSON text, which is
                    // exactly what the same cell holds in the CSV form.
                    other => other.to_string(),
                };
                Column::from_name(key).map(|column| (column, text))
            })
            .collect();
        Ok(Some(build_row(format, location, |column| {
            cells
                .iter()
                .find(|(c, _)| *c == column)
                .map(|(_, text)| text.as_str())
        })))
    }
}

impl<R: BufRead> Iterator for JsonExport<R> {
    type Item = Result<Record, JsonExportError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
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

    #[test]
    fn reads_the_workos_style_legacy_json() {
        let text = r#"[
          {"id":"user_1","first_name":"Jessica","last_name":null,"username":null,
           "email_addresses":"jessica@atreides.com|jessica@harkonnen.com","phone_numbers":null,
           "totp_secret":null,"password_digest":"$2a$10$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.",
           "password_hasher":"bcrypt","unsafe_metadata":{},"public_metadata":{"discord":{"step":"final"}},
           "private_metadata":null},
          {"id":"user_2","email_addresses":["a@x.dev","b@x.dev"],"password_digest":null,"password_hasher":"bcrypt"}
        ]"#;
        let mut export = JsonExport::new(text.as_bytes());
        let rows: Vec<Record> = export.by_ref().map(|r| r.unwrap()).collect();
        assert_eq!(export.format(), Some(ExportFormat::Legacy));
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.last_name, None);
        assert_eq!(first.unverified_emails.len(), 2);
        assert_eq!(first.password_hasher.as_deref(), Some("bcrypt"));
        assert_eq!(
            first.metadata.public,
            Some(serde_json::json!({"discord":{"step":"final"}}))
        );
        assert_eq!(first.location.index, Some(0));
        let second = rows[1].as_ref().unwrap();
        assert_eq!(second.unverified_emails, vec!["a@x.dev", "b@x.dev"]);
        assert_eq!(second.password_digest, None);
    }

    #[test]
    fn a_bad_element_is_a_reject_by_index() {
        let text = r#"[{"id":"user_1","email_addresses":"a@x.dev"}, 42, {"id":"user_3","email_addresses":""}]"#;
        let rows: Vec<Record> = JsonExport::new(text.as_bytes())
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows.len(), 3);
        let bad = rows[1].as_ref().unwrap_err();
        assert_eq!(bad.kind, IssueKind::MalformedRow);
        assert_eq!(bad.location.and_then(|l| l.index), Some(1));
        assert!(rows[2].is_ok());
    }

    #[test]
    fn refuses_objects_that_are_not_clerk_users() {
        let mut export = JsonExport::new(r#"[{"email":"a@x.dev"}]"#.as_bytes());
        assert!(matches!(
            export.next_record(),
            Err(JsonExportError::Header(_))
        ));
    }
}
