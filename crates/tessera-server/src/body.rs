//! Request bodies as Better Auth reads them: JSON objects (and, for the two sign-in forms,
//! `application/x-www-form-urlencoded`), with Better Auth's 415/400 answers, and a small validator
//! that words its errors as zod does (`[body.email] Invalid email address`).

use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};

use crate::error::{ApiError, codes};

/// Bodies over this are refused before parsing; nothing Better Auth accepts comes close.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON body, read as an object. `Body` refuses form posts; [`FormOrJson`] accepts them.
#[derive(Debug, Default)]
pub struct Body(pub Map<String, Value>);

/// For `sign-up/email` and `sign-in/email`, which Better Auth also accepts as HTML form posts.
#[derive(Debug, Default)]
pub struct FormOrJson(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;
    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        read(req, false).await.map(Body)
    }
}

impl<S: Send + Sync> FromRequest<S> for FormOrJson {
    type Rejection = ApiError;
    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        read(req, true).await.map(FormOrJson)
    }
}

async fn read(req: Request, allow_form: bool) -> Result<Map<String, Value>, ApiError> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.to_owned());
    let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| codes::payload_too_large())?;
    parse(content_type.as_deref(), &bytes, allow_form)
}

/// A body already read, by its `Content-Type` (fuzzed directly: see `crate::fuzzing`).
pub(crate) fn parse(
    content_type: Option<&str>,
    bytes: &[u8],
    allow_form: bool,
) -> Result<Map<String, Value>, ApiError> {
    let essence = content_type.map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    match essence.as_deref() {
        Some("application/x-www-form-urlencoded") if allow_form => Ok(parse_form(bytes)),
        Some("application/json") | None => parse_json(bytes),
        Some(other) if other.ends_with("+json") => parse_json(bytes),
        Some(_) => Err(codes::unsupported_media_type(content_type.unwrap_or(""))),
    }
}

fn parse_json(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(codes::validation(
            "[body] Invalid input: expected record, received undefined".to_owned(),
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(codes::validation(format!(
            "[body] Invalid input: expected object, received {}",
            type_name(&other)
        ))),
        Err(_) => Err(codes::invalid_json()),
    }
}

fn parse_form(bytes: &[u8]) -> Map<String, Value> {
    url::form_urlencoded::parse(bytes)
        .map(|(k, v)| {
            let value = match v.as_ref() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(v.into_owned()),
            };
            (k.into_owned(), value)
        })
        .collect()
}

/// zod v4's name for a JSON value's type in "received …".
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Collects every field error, then answers them all at once, joined by `; ` as Better Auth does.
pub struct Validator<'a> {
    body: &'a Map<String, Value>,
    errors: Vec<String>,
}

impl<'a> Validator<'a> {
    pub fn new(body: &'a Map<String, Value>) -> Validator<'a> {
        Validator {
            body,
            errors: Vec::new(),
        }
    }

    fn mismatch(&mut self, field: &str, expected: &str, got: Option<&Value>) {
        let received = got.map(type_name).unwrap_or("undefined");
        self.errors.push(format!(
            "[body.{field}] Invalid input: expected {expected}, received {received}"
        ));
    }

    pub fn error(&mut self, field: &str, message: &str) {
        self.errors.push(format!("[body.{field}] {message}"));
    }

    pub fn string(&mut self, field: &str) -> Option<String> {
        match self.body.get(field) {
            Some(Value::String(s)) => Some(s.clone()),
            other => {
                self.mismatch(field, "string", other);
                None
            }
        }
    }

    /// Absent and `null` are both "not given" here; zod's `.optional()` refuses null, but the
    /// client never sends it and Better Auth's own `.nullish()` fields accept it.
    pub fn opt_string(&mut self, field: &str) -> Option<String> {
        match self.body.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            other => {
                self.mismatch(field, "string", other);
                None
            }
        }
    }

    pub fn opt_bool(&mut self, field: &str) -> Option<bool> {
        match self.body.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            other => {
                self.mismatch(field, "boolean", other);
                None
            }
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

/// Better Auth's (zod's) email pattern, checked by hand to keep the regex engine out.
/// `^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let local_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '+' | '-');
    if local.is_empty() || local.contains('@') {
        return false;
    }
    // Dot-separated atoms; every atom before the last non-empty, the last may be empty only if
    // nothing precedes it, and the final character must not be `'`.
    let atoms: Vec<&str> = local.split('.').collect();
    let Some((last, leading)) = atoms.split_last() else {
        return false;
    };
    if leading
        .iter()
        .any(|a| a.is_empty() || !a.chars().all(local_char))
    {
        return false;
    }
    if last.is_empty() || !last.chars().all(local_char) || last.ends_with('\'') {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, hosts)) = labels.split_last() else {
        return false;
    };
    if hosts.is_empty() {
        return false;
    }
    let host_ok = |l: &&str| {
        let mut chars = l.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    hosts.iter().all(host_ok) && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_follow_zods_pattern() {
        for ok in [
            "alice@example.com",
            "a.b+tag@sub.example.co",
            "o'neil@example.org",
            "x_y-z@a-b.example.io",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "alice@example.c",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
            "alice@-example.com",
            "alice@exa_mple.com",
            "alice@example.c0m",
            "al ice@example.com",
            "a@b@example.com",
            "alice'@example.com",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn validator_words_errors_like_zod() {
        let body: Map<String, Value> =
            serde_json::from_str(r#"{"email":5,"rememberMe":"yes"}"#).unwrap_or_default();
        let mut v = Validator::new(&body);
        let _ = v.string("name");
        let _ = v.string("email");
        let _ = v.opt_bool("rememberMe");
        let err = v.finish().err().map(|e| e.body);
        assert_eq!(
            err,
            Some(crate::error::ErrorBody::Coded {
                code: "VALIDATION_ERROR".into(),
                message: "[body.name] Invalid input: expected string, received undefined; \
                          [body.email] Invalid input: expected string, received number; \
                          [body.rememberMe] Invalid input: expected boolean, received string"
                    .into(),
            })
        );
    }
}
