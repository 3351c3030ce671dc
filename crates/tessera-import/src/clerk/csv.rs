//! The CSV export, read one record at a time (RFC 4180: quoted commas, doubled quotes, fields
//! spanning lines; a UTF-8 BOM and CRLF endings from a spreadsheet round trip are tolerated).
//!
//! A record that cannot be a row becomes a reject with its line number and the rest of the file
//! goes on; only an unreadable header or an I/O error stops the import.

use super::export::{Column, ColumnMap, ExportFormat, ExportRow, build_row};
use super::issue::{Input, Issue, IssueKind, Location};
use std::io::Read;

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("the export is empty")]
    Empty,
    #[error("wrong header: {0}")]
    Header(String),
    #[error("reading the export failed: {0}")]
    Read(#[from] csv::Error),
}

/// What one record gave: a row to plan, or a reject.
pub type Record = Result<ExportRow, Issue>;

pub struct CsvExport<R> {
    reader: csv::Reader<R>,
    columns: ColumnMap,
    header_len: usize,
    record: csv::ByteRecord,
}

impl<R: Read> CsvExport<R> {
    pub fn new(input: R) -> Result<CsvExport<R>, CsvError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            // Records of any length come through; the row check below decides what a short or
            // long record means, so that one bad record is one reject rather than an abort.
            .flexible(true)
            .from_reader(input);
        let mut header = csv::ByteRecord::new();
        if !reader.read_byte_record(&mut header)? {
            return Err(CsvError::Empty);
        }
        let names: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        let columns =
            ColumnMap::from_header(names.iter().map(String::as_str)).map_err(CsvError::Header)?;
        Ok(CsvExport {
            reader,
            header_len: names.len(),
            columns,
            record: csv::ByteRecord::new(),
        })
    }

    pub fn format(&self) -> ExportFormat {
        self.columns.format
    }

    pub fn columns(&self) -> &ColumnMap {
        &self.columns
    }

    /// The next record, `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<Record>, CsvError> {
        if !self.reader.read_byte_record(&mut self.record)? {
            return Ok(None);
        }
        let line = self.record.position().map_or(0, csv::Position::line);
        Ok(Some(self.row(Location::line(Input::Export, line))))
    }

    fn row(&self, location: Location) -> Record {
        let record = &self.record;
        let id_hint = || {
            self.columns
                .position(Column::Id)
                .and_then(|i| record.get(i))
                .map(|id| String::from_utf8_lossy(id).trim().to_owned())
                .filter(|id| !id.is_empty())
        };
        let reject = |detail: String| {
            let issue = Issue::new(IssueKind::MalformedRow, detail).at(Some(location));
            match id_hint() {
                Some(id) => issue.user(&id),
                None => issue,
            }
        };
        let width = self.header_len;
        // Clerk's files have been seen without their last column; fewer fields than that means a
        // truncated file or a broken line, whose cells would land in the wrong columns.
        if record.len() + 1 < width {
            return Err(reject(format!(
                "the record has {} of {} columns: truncated or broken line",
                record.len(),
                width
            )));
        }
        if record.len() > width
            && record
                .iter()
                .skip(width)
                .any(|f| !f.iter().all(u8::is_ascii_whitespace))
        {
            return Err(reject(format!(
                "the record has {} fields but the header {}: a value with an unquoted comma?",
                record.len(),
                width
            )));
        }
        let mut fields: Vec<&str> = Vec::with_capacity(record.len());
        for (i, field) in record.iter().enumerate() {
            match std::str::from_utf8(field) {
                Ok(text) => fields.push(text),
                Err(_) => {
                    return Err(reject(format!("column {} is not UTF-8 text", i + 1)));
                }
            }
        }
        build_row(self.columns.format, location, |column| {
            self.columns
                .position(column)
                .and_then(|i| fields.get(i).copied())
        })
    }
}

impl<R: Read> Iterator for CsvExport<R> {
    type Item = Result<Record, CsvError>;

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

    const HEADER: &str = "id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher";

    fn read(text: &str) -> Vec<Record> {
        CsvExport::new(text.as_bytes())
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    fn ok(record: &Record) -> &ExportRow {
        record.as_ref().unwrap()
    }

    #[test]
    fn reads_quoted_commas_doubled_quotes_and_multi_line_names() {
        let text = format!(
            "{HEADER}\n\
             user_1,\"Smith, Jr.\",\"O\"\"Brien\",,a@x.dev,,a@x.dev,,,,,,\n\
             user_2,\"Anne\nMarie\",Curie,,b@x.dev,,b@x.dev,,,,,,\n\
             user_3,Carl,,,c@x.dev,,c@x.dev,,,,,,\n"
        );
        let rows = read(&text);
        assert_eq!(rows.len(), 3);
        assert_eq!(ok(&rows[0]).first_name.as_deref(), Some("Smith, Jr."));
        assert_eq!(ok(&rows[0]).last_name.as_deref(), Some("O\"Brien"));
        assert_eq!(ok(&rows[1]).first_name.as_deref(), Some("Anne\nMarie"));
        // The multi-line record starts on line 3; the next one on line 5.
        assert_eq!(ok(&rows[1]).location.line, Some(3));
        assert_eq!(ok(&rows[2]).location.line, Some(5));
    }

    #[test]
    fn tolerates_bom_crlf_and_a_missing_trailing_column() {
        let text = format!(
            "\u{feff}{}\r\nuser_1,A,B,,a@x.dev,\"\t+15550100\",a@x.dev,,\"\t+15550100\",,,,\r\nuser_2,C,D,,c@x.dev,,,,,,,\r\n",
            HEADER
        );
        let rows = read(&text);
        assert_eq!(rows.len(), 2);
        assert_eq!(ok(&rows[0]).id, "user_1");
        assert_eq!(ok(&rows[0]).primary_phone.as_deref(), Some("+15550100"));
        assert_eq!(ok(&rows[1]).password_hasher, None);
        assert_eq!(ok(&rows[1]).last_name.as_deref(), Some("D"));
    }

    #[test]
    fn splits_multi_valued_cells_in_comma_and_pipe_form() {
        let text = format!(
            "{HEADER}\n\
             user_1,,,,a@x.dev,,\"a@x.dev,b@x.dev\",,,,,,\n\
             user_2,,,,c@x.dev,,c@x.dev|d@x.dev,,,,,,\n"
        );
        let rows = read(&text);
        assert_eq!(ok(&rows[0]).verified_emails, vec!["a@x.dev", "b@x.dev"]);
        assert_eq!(ok(&rows[1]).verified_emails, vec!["c@x.dev", "d@x.dev"]);
    }

    #[test]
    fn a_broken_record_is_one_reject_and_the_rest_goes_on() {
        let text = format!(
            "{HEADER}\n\
             user_1,A,B,,a@x.dev\n\
             user_2,A,B,,a@x,dev,,,,,,,,\"$2a$\",bcrypt\n\
             ,A,B,,c@x.dev,,,,,,,,\n\
             user_4,A,B,,d@x.dev,,,,,,,,\n"
        );
        let rows = read(&text);
        assert_eq!(rows.len(), 4);
        let short = rows[0].as_ref().unwrap_err();
        assert_eq!(short.kind, IssueKind::MalformedRow);
        assert_eq!(short.clerk_id.as_deref(), Some("user_1"));
        assert_eq!(short.location.and_then(|l| l.line), Some(2));
        assert!(short.detail.contains("5 of 13"));
        let long = rows[1].as_ref().unwrap_err();
        assert_eq!(long.kind, IssueKind::MalformedRow);
        assert!(long.detail.contains("unquoted comma"));
        assert_eq!(rows[2].as_ref().unwrap_err().kind, IssueKind::MissingId);
        assert_eq!(ok(&rows[3]).id, "user_4");
    }

    #[test]
    fn trailing_empty_fields_beyond_the_header_are_harmless() {
        let text = format!("{HEADER}\nuser_1,A,B,,a@x.dev,,,,,,,,,,\n");
        assert_eq!(ok(&read(&text)[0]).id, "user_1");
    }

    #[test]
    fn a_file_cut_inside_a_quoted_name_rejects_that_row() {
        let text = format!("{HEADER}\nuser_1,A,B,,a@x.dev,,,,,,,,\nuser_2,\"Smith, J");
        let rows = read(&text);
        assert_eq!(rows.len(), 2);
        assert!(rows[0].is_ok());
        let cut = rows[1].as_ref().unwrap_err();
        assert_eq!(cut.kind, IssueKind::MalformedRow);
        assert_eq!(cut.clerk_id.as_deref(), Some("user_2"));
    }

    #[test]
    fn a_record_that_is_not_utf8_is_rejected() {
        let mut bytes = format!("{HEADER}\nuser_1,").into_bytes();
        bytes.extend_from_slice(b"Ren\xe9,B,,a@x.dev,,,,,,,,\n");
        let rows: Vec<Record> = CsvExport::new(&bytes[..])
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let err = rows[0].as_ref().unwrap_err();
        assert_eq!(err.kind, IssueKind::MalformedRow);
        assert!(err.detail.contains("column 2"));
    }

    #[test]
    fn refuses_a_wrong_header_or_an_empty_file() {
        assert!(matches!(
            CsvExport::new("email,password\na,b\n".as_bytes()),
            Err(CsvError::Header(_))
        ));
        assert!(matches!(
            CsvExport::new("".as_bytes()),
            Err(CsvError::Empty)
        ));
    }

    #[test]
    fn reads_the_legacy_csv() {
        let text = "id,first_name,last_name,username,email_addresses,phone_numbers,totp_secret,password_digest,password_hasher,unsafe_metadata,public_metadata,private_metadata\n\
                    user_1,Jessica,,,jessica@atreides.com|jessica@harkonnen.com,,,,bcrypt,{},{},{}\n";
        let export = CsvExport::new(text.as_bytes()).unwrap();
        assert_eq!(export.format(), ExportFormat::Legacy);
        let rows: Vec<Record> = export.map(|r| r.unwrap()).collect();
        let row = ok(&rows[0]);
        assert_eq!(row.unverified_emails.len(), 2);
        assert_eq!(row.password_digest, None);
        assert_eq!(row.password_hasher.as_deref(), Some("bcrypt"));
        assert_eq!(row.metadata.public, Some(serde_json::json!({})));
    }
}
