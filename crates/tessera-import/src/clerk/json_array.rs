//! Reads a top-level JSON array one element at a time, so a snapshot of a million users never has
//! to fit in memory.
//!
//! The scanner only finds where each element starts and ends (tracking strings, escapes and
//! nesting); serde then parses the element's bytes. A malformed element is therefore one bad
//! element, reported by index, and the scan goes on with the next one.

use std::io::{self, BufRead};

#[derive(Debug, thiserror::Error)]
pub enum ArrayError {
    #[error("reading the file failed: {0}")]
    Io(#[from] io::Error),
    #[error("not a JSON array: the file must start with '['")]
    NotAnArray,
    #[error("the file ends inside element {index}: truncated?")]
    Truncated { index: u64 },
    #[error("unexpected character after element {index} at byte {offset}")]
    Unexpected { index: u64, offset: u64 },
}

/// One element: its bytes, its position in the array and where it sits in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element {
    pub index: u64,
    pub offset: u64,
    pub len: usize,
}

pub struct ArrayReader<R> {
    reader: R,
    /// Bytes consumed so far: the file offset of the next unread byte.
    offset: u64,
    next_index: u64,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// After `[` or `,`: an element (or, after `[`, the closing bracket) comes next.
    BeforeElement {
        first: bool,
    },
    Done,
}

impl<R: BufRead> ArrayReader<R> {
    pub fn new(reader: R) -> ArrayReader<R> {
        ArrayReader {
            reader,
            offset: 0,
            next_index: 0,
            state: State::Start,
        }
    }

    /// Reads the next element into `buf` (cleared first). `None` after the closing `]`.
    pub fn next_element(&mut self, buf: &mut Vec<u8>) -> Result<Option<Element>, ArrayError> {
        buf.clear();
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Start => {
                    self.skip_bom()?;
                    match self.skip_whitespace()? {
                        Some(b'[') => {
                            self.consume(1);
                            self.state = State::BeforeElement { first: true };
                        }
                        _ => return Err(ArrayError::NotAnArray),
                    }
                }
                State::BeforeElement { first } => {
                    let index = self.next_index;
                    match self.skip_whitespace()? {
                        None => return Err(ArrayError::Truncated { index }),
                        Some(b']') if first => {
                            self.consume(1);
                            self.state = State::Done;
                            return Ok(None);
                        }
                        Some(_) => {
                            let offset = self.offset;
                            self.scan_value(buf, index)?;
                            self.next_index += 1;
                            match self.skip_whitespace()? {
                                Some(b',') => {
                                    self.consume(1);
                                    self.state = State::BeforeElement { first: false };
                                }
                                Some(b']') => {
                                    self.consume(1);
                                    self.state = State::Done;
                                }
                                Some(_) => {
                                    return Err(ArrayError::Unexpected {
                                        index,
                                        offset: self.offset,
                                    });
                                }
                                None => return Err(ArrayError::Truncated { index }),
                            }
                            return Ok(Some(Element {
                                index,
                                offset,
                                len: buf.len(),
                            }));
                        }
                    }
                }
            }
        }
    }

    fn consume(&mut self, n: usize) {
        self.reader.consume(n);
        self.offset += n as u64;
    }

    fn skip_bom(&mut self) -> io::Result<()> {
        if self.reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
            self.consume(3);
        }
        Ok(())
    }

    /// Skips whitespace and returns the next byte without consuming it (`None` at end of file).
    fn skip_whitespace(&mut self) -> io::Result<Option<u8>> {
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(None);
            }
            match chunk.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(n) => {
                    let next = chunk.get(n).copied();
                    self.consume(n);
                    return Ok(next);
                }
                None => {
                    let n = chunk.len();
                    self.consume(n);
                }
            }
        }
    }

    /// Copies one JSON value into `buf`. Containers and strings end at their closing byte; a bare
    /// scalar ends before the next separator or whitespace.
    fn scan_value(&mut self, buf: &mut Vec<u8>, index: u64) -> Result<(), ArrayError> {
        let mut depth: u32 = 0;
        let mut in_string = false;
        let mut escaped = false;
        let mut started = false;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                // A bare scalar may legitimately run to the end of a (malformed) file; anything
                // else open at EOF is a truncated file.
                return Err(ArrayError::Truncated { index });
            }
            let mut end = None;
            let mut i = 0;
            while i < chunk.len() {
                if in_string {
                    if escaped {
                        escaped = false;
                        i += 1;
                        continue;
                    }
                    // Strings are most of a user object: jump to the next quote or backslash.
                    let rest = chunk.get(i..).unwrap_or_default();
                    let Some(k) = memchr::memchr2(b'"', b'\\', rest) else {
                        i = chunk.len();
                        continue;
                    };
                    i += k;
                    if chunk.get(i) == Some(&b'\\') {
                        escaped = true;
                    } else {
                        in_string = false;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    i += 1;
                    continue;
                }
                match chunk.get(i).copied().unwrap_or(b' ') {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        if depth == 0 {
                            // A closing bracket that ends a bare scalar (`[1]`) or the array.
                            end = Some(i);
                            break;
                        }
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    b',' if depth == 0 => {
                        end = Some(i);
                        break;
                    }
                    b if depth == 0 && started && b.is_ascii_whitespace() => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
                started = true;
                i += 1;
            }
            match end {
                Some(n) => {
                    buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                    self.consume(n);
                    return Ok(());
                }
                None => {
                    let n = chunk.len();
                    buf.extend_from_slice(chunk);
                    self.consume(n);
                }
            }
        }
    }
}

/// Why serde refused an element, without quoting any of it (an element holds personal data).
pub fn describe(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Io => "read error",
        Category::Syntax => "invalid JSON",
        Category::Data => "a field has the wrong type or is missing",
        Category::Eof => "the element ends too early",
    };
    format!(
        "{what} (line {}, column {} of the element)",
        error.line(),
        error.column()
    )
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

    fn elements(input: &str) -> Result<Vec<String>, ArrayError> {
        let mut reader = ArrayReader::new(input.as_bytes());
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(element) = reader.next_element(&mut buf)? {
            assert_eq!(element.len, buf.len());
            let at = usize::try_from(element.offset).unwrap_or(usize::MAX);
            assert_eq!(input.as_bytes().get(at..at + element.len), Some(&buf[..]));
            out.push(String::from_utf8_lossy(&buf).into_owned());
        }
        Ok(out)
    }

    #[test]
    fn splits_an_array_into_its_elements() {
        let got = elements(r#" [ {"id":"a","n":[1,{"x":"}]"}]} , {"id":"b"} ,"s\"]", 12 ,null] "#)
            .unwrap_or_default();
        assert_eq!(
            got,
            vec![
                r#"{"id":"a","n":[1,{"x":"}]"}]}"#,
                r#"{"id":"b"}"#,
                r#""s\"]""#,
                "12",
                "null"
            ]
        );
    }

    #[test]
    fn reads_an_empty_array_and_a_bom() {
        assert_eq!(elements("[]").ok(), Some(vec![]));
        assert_eq!(
            elements("\u{feff}[{\"id\":1}]\n").ok(),
            Some(vec!["{\"id\":1}".to_owned()])
        );
    }

    #[test]
    fn keeps_going_after_an_element_serde_would_refuse() {
        let got = elements(r#"[{"id": }, {"id":"b"}]"#).unwrap_or_default();
        assert_eq!(got.len(), 2);
        assert!(serde_json::from_str::<serde_json::Value>(&got[0]).is_err());
        assert!(serde_json::from_str::<serde_json::Value>(&got[1]).is_ok());
    }

    #[test]
    fn reports_a_truncated_file_with_the_element_it_stopped_in() {
        assert!(matches!(
            elements(r#"[{"id":"a"},{"id":"b""#),
            Err(ArrayError::Truncated { index: 1 })
        ));
        assert!(matches!(
            elements(r#"[{"id":"a"}"#),
            Err(ArrayError::Truncated { index: 0 })
        ));
        assert!(matches!(
            elements("["),
            Err(ArrayError::Truncated { index: 0 })
        ));
    }

    #[test]
    fn refuses_what_is_not_an_array() {
        assert!(matches!(
            elements(r#"{"id":"a"}"#),
            Err(ArrayError::NotAnArray)
        ));
        assert!(matches!(elements(""), Err(ArrayError::NotAnArray)));
        assert!(matches!(
            elements(r#"[{"a":1} {"b":2}]"#),
            Err(ArrayError::Unexpected { index: 0, .. })
        ));
    }

    #[test]
    fn works_across_small_buffer_refills() {
        let input = r#"[{"id":"a","s":"x\\\"y"},{"id":"b"}]"#;
        let mut reader = ArrayReader::new(io::BufReader::with_capacity(2, input.as_bytes()));
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Ok(Some(_)) = reader.next_element(&mut buf) {
            got.push(String::from_utf8_lossy(&buf).into_owned());
        }
        assert_eq!(got, vec![r#"{"id":"a","s":"x\\\"y"}"#, r#"{"id":"b"}"#]);
    }
}
