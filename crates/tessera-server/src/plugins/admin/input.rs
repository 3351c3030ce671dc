//! Admin inputs read the way Better Auth's zod schemas and JavaScript read them: `z.coerce.string()`
//! ids, role unions, records, and query strings (a repeated key becomes an array, numbers are
//! JavaScript's `Number()`), with zod's wording for every refusal.

use serde_json::{Map, Value};

use crate::body::{Validator, type_name};
use crate::error::{ApiError, codes};

/// JavaScript's `String(value)`, which `z.coerce.string()` applies.
pub fn js_string(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => js_number_string(n),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

fn js_number_string(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    match n.as_f64() {
        Some(0.0) => "0".to_owned(),
        Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}

/// `z.coerce.string()` on a required key: any present value, even `null`, becomes `String(value)`.
pub fn coerce_string(v: &mut Validator, body: &Map<String, Value>, field: &str) -> Option<String> {
    match body.get(field) {
        Some(value) => Some(js_string(value)),
        None => {
            v.error(
                field,
                "Invalid input: expected nonoptional, received undefined",
            );
            None
        }
    }
}

/// A role value as Better Auth stores it: a string, or an array of strings joined by `,`.
pub fn join_roles(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items
            .iter()
            .map(Value::as_str)
            .collect::<Option<Vec<_>>>()
            .map(|roles| roles.join(",")),
        _ => None,
    }
}

/// `z.union([z.string(), z.array(z.string())])`, joined. Absent (or null) is allowed only when
/// the field is optional.
pub fn roles(
    v: &mut Validator,
    body: &Map<String, Value>,
    field: &str,
    required: bool,
) -> Option<String> {
    let joined = match body.get(field) {
        None | Some(Value::Null) if !required => return None,
        None => None,
        Some(value) => join_roles(value),
    };
    if joined.is_none() {
        v.error(field, "Invalid input");
    }
    joined
}

/// `z.record(...)`: a JSON object. Absent (or null) is allowed only when the field is optional.
pub fn record<'b>(
    v: &mut Validator,
    body: &'b Map<String, Value>,
    field: &str,
    required: bool,
) -> Option<&'b Map<String, Value>> {
    match body.get(field) {
        Some(Value::Object(map)) => Some(map),
        None | Some(Value::Null) if !required => None,
        other => {
            let received = other.map(type_name).unwrap_or("undefined");
            v.error(
                field,
                &format!("Invalid input: expected record, received {received}"),
            );
            None
        }
    }
}

/// The query string as better-call reads it (`URLSearchParams`): a key given once is a string,
/// a repeated key an array of strings.
pub fn parse_query(raw: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let value = Value::String(value.into_owned());
        match out.get_mut(key.as_ref()) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                out.insert(key.into_owned(), value);
            }
        }
    }
    out
}

/// Like [`Validator`], for a query: errors read `[query.<field>] …`.
pub struct QueryCheck<'a> {
    query: &'a Map<String, Value>,
    errors: Vec<String>,
}

impl<'a> QueryCheck<'a> {
    pub fn new(query: &'a Map<String, Value>) -> QueryCheck<'a> {
        QueryCheck {
            query,
            errors: Vec::new(),
        }
    }

    fn push(&mut self, field: &str, message: &str) {
        self.errors.push(format!("[query.{field}] {message}"));
    }

    fn mismatch(&mut self, field: &str, got: Option<&Value>) {
        let received = got.map(type_name).unwrap_or("undefined");
        self.push(
            field,
            &format!("Invalid input: expected string, received {received}"),
        );
    }

    pub fn string(&mut self, field: &str) -> Option<String> {
        match self.query.get(field) {
            Some(Value::String(s)) => Some(s.clone()),
            other => {
                self.mismatch(field, other);
                None
            }
        }
    }

    pub fn opt_string(&mut self, field: &str) -> Option<String> {
        match self.query.get(field) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            other => {
                self.mismatch(field, other);
                None
            }
        }
    }

    /// `z.enum([...]).optional()`.
    pub fn opt_enum(&mut self, field: &str, options: &[&str]) -> Option<String> {
        match self.query.get(field) {
            None => None,
            Some(Value::String(s)) if options.contains(&s.as_str()) => Some(s.clone()),
            Some(_) => {
                let expected = options
                    .iter()
                    .map(|o| format!("\"{o}\""))
                    .collect::<Vec<_>>()
                    .join("|");
                self.push(
                    field,
                    &format!("Invalid option: expected one of {expected}"),
                );
                None
            }
        }
    }

    /// `z.string().or(z.number()).optional()`: from a URL, always a string when valid.
    pub fn opt_string_or_number(&mut self, field: &str) -> Option<String> {
        match self.query.get(field) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.push(field, "Invalid input");
                None
            }
        }
    }

    /// A value that may be one string or several (`filterValue`).
    pub fn opt_strings(&mut self, field: &str) -> Option<Vec<String>> {
        match self.query.get(field) {
            Some(Value::String(s)) => Some(vec![s.clone()]),
            Some(Value::Array(items)) => Some(items.iter().map(js_string).collect()),
            _ => None,
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(codes::validation(self.errors.join("; ")))
        }
    }
}

/// JavaScript's `Number(string)`: surrounding whitespace ignored, empty is 0, `0x`/`0o`/`0b`
/// integers, `Infinity`; anything else that is not a decimal literal is NaN.
pub fn js_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        let lower = t.get(..2).map(str::to_ascii_lowercase);
        if lower.as_deref() == Some(prefix) {
            let digits = t.get(2..).unwrap_or_default();
            if digits.is_empty() {
                return f64::NAN;
            }
            return digits
                .chars()
                .try_fold(0f64, |acc, c| {
                    c.to_digit(radix)
                        .map(|d| acc * f64::from(radix) + f64::from(d))
                })
                .unwrap_or(f64::NAN);
        }
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    // Rust also reads "inf" and "NaN"; JavaScript does not.
    if !t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coerced_strings_follow_javascripts_string() {
        let cases = [
            (json!("abc"), "abc"),
            (json!(5), "5"),
            (json!(1.5), "1.5"),
            (json!(2.0), "2"),
            (json!(true), "true"),
            (json!(null), "null"),
            (json!({}), "[object Object]"),
            (json!(["a", null, 1]), "a,,1"),
        ];
        for (value, expected) in cases {
            assert_eq!(js_string(&value), expected, "{value}");
        }
    }

    #[test]
    fn numbers_follow_javascripts_number() {
        for (s, n) in [
            ("", 0.0),
            (" 12 ", 12.0),
            ("0x10", 16.0),
            ("0B11", 3.0),
            ("1e2", 100.0),
            ("-1.5", -1.5),
            (".5", 0.5),
        ] {
            assert_eq!(js_number(s), n, "{s:?}");
        }
        assert_eq!(js_number("Infinity"), f64::INFINITY);
        for nan in ["abc", "inf", "NaN", "0x", "1e", "1_000", "-0x10", "."] {
            assert!(js_number(nan).is_nan(), "{nan:?}");
        }
    }

    #[test]
    fn repeated_query_keys_become_arrays() {
        let q = parse_query(Some("a=1&b=x+y&a=2&a=%C3%A9"));
        assert_eq!(q.get("a"), Some(&json!(["1", "2", "é"])));
        assert_eq!(q.get("b"), Some(&json!("x y")));
    }

    #[test]
    fn query_errors_are_worded_like_zods() {
        let q = parse_query(Some("sortBy=a&sortBy=b&searchField=x&limit=1&limit=2"));
        let mut check = QueryCheck::new(&q);
        let _ = check.opt_enum("searchField", &["email", "name"]);
        let _ = check.opt_string_or_number("limit");
        let _ = check.opt_string("sortBy");
        let _ = check.string("id");
        let message = match check.finish().map_err(|e| e.body) {
            Err(crate::error::ErrorBody::Coded { message, .. }) => message.into_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(
            message,
            "[query.searchField] Invalid option: expected one of \"email\"|\"name\"; \
             [query.limit] Invalid input; \
             [query.sortBy] Invalid input: expected string, received array; \
             [query.id] Invalid input: expected string, received undefined"
        );
    }
}
