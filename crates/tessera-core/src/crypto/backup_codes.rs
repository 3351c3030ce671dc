//! Two-factor backup codes as Better Auth generates and checks them (reference §5.4).
//!
//! Ten codes of ten characters from `a-z0-9A-Z`, shown as `XXXXX-XXXXX`. The stored form is the
//! JSON array (`JSON.stringify`), encrypted by the caller with the auth secret. A code is used by
//! exact comparison and then removed.

use super::ct::constant_time_eq;
use super::random::{Alphabet, generate_random_string};

/// Codes per set (`backupCodeOptions.amount`).
pub const AMOUNT: usize = 10;
/// Characters per code before the dash (`backupCodeOptions.length`).
pub const LENGTH: usize = 10;

const ALPHABETS: [Alphabet; 3] = [Alphabet::Lower, Alphabet::Digits, Alphabet::Upper];

/// A fresh set of `amount` codes of `length` characters each, formatted as Better Auth does:
/// the first five characters, `-`, the rest.
#[must_use]
pub fn generate(amount: usize, length: usize) -> Vec<String> {
    (0..amount)
        .map(|_| format_code(&generate_random_string(length, &ALPHABETS)))
        .collect()
}

/// `${code.slice(0, 5)}-${code.slice(5)}`; the input is ASCII by construction.
fn format_code(raw: &str) -> String {
    let (head, tail) = raw.split_at(raw.len().min(5));
    format!("{head}-{tail}")
}

/// The stored plaintext, `JSON.stringify(codes)`.
#[must_use]
pub fn to_json(codes: &[String]) -> String {
    serde_json::to_string(codes).unwrap_or_else(|_| "[]".to_owned())
}

/// The codes from a decrypted stored value; `None` when it is not a JSON array of strings
/// (Better Auth's `safeJSONParse` gives up the same way).
#[must_use]
pub fn from_json(json: &str) -> Option<Vec<String>> {
    serde_json::from_str(json).ok()
}

/// When `input` is one of `codes`, the codes left after using it; otherwise `None`. Every code is
/// compared, in constant time.
#[must_use]
pub fn consume(codes: &[String], input: &str) -> Option<Vec<String>> {
    let mut found = false;
    let mut remaining = Vec::with_capacity(codes.len());
    for code in codes {
        if constant_time_eq(code.as_bytes(), input.as_bytes()) {
            found = true;
        } else {
            remaining.push(code.clone());
        }
    }
    found.then_some(remaining)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn a_set_is_ten_codes_shaped_xxxxx_dash_xxxxx() {
        let codes = generate(AMOUNT, LENGTH);
        assert_eq!(codes.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 11);
            assert_eq!(&code[5..6], "-");
            assert!(
                code.bytes()
                    .filter(|&b| b != b'-')
                    .all(|b| b.is_ascii_alphanumeric())
            );
        }
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), 10);
    }

    #[test]
    fn json_round_trips_like_json_stringify() {
        let codes = vec!["WGHer-sebd4".to_owned(), "a1b2c-D3e4F".to_owned()];
        assert_eq!(to_json(&codes), r#"["WGHer-sebd4","a1b2c-D3e4F"]"#);
        assert_eq!(from_json(&to_json(&codes)).unwrap(), codes);
        assert_eq!(from_json("not json"), None);
        assert_eq!(from_json(r#"{"a":1}"#), None);
    }

    #[test]
    fn a_code_is_usable_once() {
        let codes = vec!["WGHer-sebd4".to_owned(), "a1b2c-D3e4F".to_owned()];
        let left = consume(&codes, "WGHer-sebd4").unwrap();
        assert_eq!(left, vec!["a1b2c-D3e4F".to_owned()]);
        assert_eq!(consume(&left, "WGHer-sebd4"), None);
    }

    #[test]
    fn near_misses_are_refused() {
        let codes = vec!["WGHer-sebd4".to_owned()];
        assert_eq!(consume(&codes, "wgher-sebd4"), None);
        assert_eq!(consume(&codes, "WGHersebd4"), None);
        assert_eq!(consume(&codes, "WGHer-sebd4 "), None);
        assert_eq!(consume(&codes, ""), None);
    }
}
