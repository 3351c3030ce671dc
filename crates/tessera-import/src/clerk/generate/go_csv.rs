//! Writes CSV the way Clerk's exporter (Go's `encoding/csv`) does, formula guard included, so the
//! generated files carry the same quirks the reader must undo.

use std::io::{self, Write};

/// Clerk's `csvsafe`: a TAB in front of a value starting with a formula character.
pub fn guard(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '＝', '＋', '－', '＠']) {
        format!("\t{value}")
    } else {
        value.to_owned()
    }
}

/// Go quotes a field that contains `,`, `"`, CR or LF, or starts with a space or TAB; it writes
/// empty fields bare and doubles embedded quotes.
fn needs_quotes(field: &str) -> bool {
    field.contains([',', '"', '\r', '\n']) || field.starts_with(char::is_whitespace)
}

pub fn write_record<W: Write>(out: &mut W, fields: &[&str], line_end: &str) -> io::Result<()> {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        if needs_quotes(field) {
            out.write_all(b"\"")?;
            out.write_all(field.replace('"', "\"\"").as_bytes())?;
            out.write_all(b"\"")?;
        } else {
            out.write_all(field.as_bytes())?;
        }
    }
    out.write_all(line_end.as_bytes())
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

    fn line(fields: &[&str]) -> String {
        let mut out = Vec::new();
        write_record(&mut out, fields, "\n").unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quotes_like_go() {
        assert_eq!(line(&["a", "", "b c"]), "a,,b c\n");
        assert_eq!(
            line(&["Smith, Jr.", "O\"Brien"]),
            "\"Smith, Jr.\",\"O\"\"Brien\"\n"
        );
        assert_eq!(line(&["Anne\nMarie"]), "\"Anne\nMarie\"\n");
        assert_eq!(line(&[&guard("+15550100")]), "\"\t+15550100\"\n");
        assert_eq!(line(&[" lead"]), "\" lead\"\n");
    }

    #[test]
    fn guards_formula_characters_only() {
        assert_eq!(guard("-dash"), "\t-dash");
        assert_eq!(guard("@x"), "\t@x");
        assert_eq!(guard("Ann"), "Ann");
    }
}
