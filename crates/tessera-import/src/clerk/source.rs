//! Opens an export file whatever its format: a JSON array (legacy support export) or CSV (either
//! format), told apart by the first byte, and counts the bytes read for the progress bar.

use super::csv::{CsvError, CsvExport, Record};
use super::export::ExportFormat;
use super::issue::Issue;
use super::legacy_json::{JsonExport, JsonExportError};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot open the export: {0}")]
    Open(io::Error),
    #[error(transparent)]
    Csv(#[from] CsvError),
    #[error(transparent)]
    Json(#[from] JsonExportError),
}

/// A reader that counts what went through it.
pub struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

pub enum ExportReader<R> {
    Csv(CsvExport<R>),
    Json(JsonExport<R>),
}

/// An export being read from a file, with its size and a live count of the bytes read so far.
pub struct ExportFile {
    pub reader: ExportReader<BufReader<Counted<File>>>,
    pub size: u64,
    pub read: Arc<AtomicU64>,
}

impl ExportFile {
    pub fn open(path: &Path) -> Result<ExportFile, ExportError> {
        let file = File::open(path).map_err(ExportError::Open)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let read = Arc::new(AtomicU64::new(0));
        let counted = Counted {
            inner: file,
            count: Arc::clone(&read),
        };
        let reader = ExportReader::new(BufReader::with_capacity(1 << 16, counted))?;
        Ok(ExportFile { reader, size, read })
    }
}

impl<R: BufRead> ExportReader<R> {
    pub fn new(mut input: R) -> Result<ExportReader<R>, ExportError> {
        let head = input.fill_buf().map_err(ExportError::Open)?;
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let first = head.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'[') {
            Ok(ExportReader::Json(JsonExport::new(input)))
        } else {
            Ok(ExportReader::Csv(CsvExport::new(input)?))
        }
    }

    pub fn next_record(&mut self) -> Result<Option<Record>, ExportError> {
        match self {
            ExportReader::Csv(csv) => Ok(csv.next_record()?),
            ExportReader::Json(json) => Ok(json.next_record()?),
        }
    }

    /// Known once the header (CSV) or first object (JSON) has been read.
    pub fn format(&self) -> Option<ExportFormat> {
        match self {
            ExportReader::Csv(csv) => Some(csv.format()),
            ExportReader::Json(json) => json.format(),
        }
    }

    /// File-level warnings (ignored columns).
    pub fn file_issues(&self) -> Vec<Issue> {
        let columns = match self {
            ExportReader::Csv(csv) => Some(csv.columns()),
            ExportReader::Json(json) => json.columns(),
        };
        columns
            .and_then(|c| c.unknown_columns_issue())
            .into_iter()
            .collect()
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
    fn picks_json_for_an_array_and_csv_otherwise() {
        let json = "\u{feff}  [{\"id\":\"user_1\",\"email_addresses\":\"a@x.dev\"}]";
        let mut reader = ExportReader::new(json.as_bytes()).unwrap();
        assert!(matches!(reader, ExportReader::Json(_)));
        assert!(reader.next_record().unwrap().unwrap().is_ok());
        assert_eq!(reader.format(), Some(ExportFormat::Legacy));

        let csv = "id,primary_email_address,nickname\nuser_1,a@x.dev,x\n";
        let mut reader = ExportReader::new(csv.as_bytes()).unwrap();
        assert_eq!(reader.format(), Some(ExportFormat::Dashboard));
        assert_eq!(reader.file_issues().len(), 1);
        assert!(reader.next_record().unwrap().unwrap().is_ok());
        assert!(reader.next_record().unwrap().is_none());
    }

    #[test]
    fn counts_the_bytes_it_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        let text = "id,primary_email_address\nuser_1,a@x.dev\n";
        std::fs::write(&path, text).unwrap();
        let mut file = ExportFile::open(&path).unwrap();
        while file.reader.next_record().unwrap().is_some() {}
        assert_eq!(file.size, text.len() as u64);
        assert_eq!(file.read.load(Ordering::Relaxed), file.size);
    }
}
