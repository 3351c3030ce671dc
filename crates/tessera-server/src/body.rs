//! Request bodies as Better Auth reads them: JSON objects (and, for the two sign-in forms,
//! `application/x-www-form-urlencoded`), with Better Auth's 415/400 answers, and a small validator
//! that words its errors as zod does (`[body.email] Invalid email address`).

use std::time::Duration;

use axum::extract::{FromRequest, Request};
use axum::http::HeaderValue;
use axum::http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde_json::{Map, Value};

use crate::error::{ApiError, codes};

/// Bodies over this are refused before parsing; nothing Better Auth accepts comes close.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// After a 413, the rest of an oversize upload is read and thrown away, up to this much and this
/// long, so the client's writes complete and it reads the answer. Closing with unread bytes would
/// make the kernel reset the connection, and the client would see EPIPE instead of the 413.
const DRAIN_MAX_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_MAX_TIME: Duration = Duration::from_secs(30);

/// Answers 413 from `Content-Length` alone, before a byte of the body is read, and closes the
/// connection once the upload has been drained.
pub async fn refuse_declared_oversize(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_none_or(|n| n <= MAX_BODY_BYTES as u64) {
        return next.run(request).await;
    }
    drain_in_background(request.into_body(), 0);
    let mut response = codes::payload_too_large().into_response();
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Reads and discards what is left of a refused body on a task of its own, within bounds.
fn drain_in_background(mut body: axum::body::Body, already_read: usize) {
    tokio::spawn(async move {
        let mut read = already_read;
        let drained = tokio::time::timeout(DRAIN_MAX_TIME, async {
            while read <= DRAIN_MAX_BYTES {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        read = read.saturating_add(frame.data_ref().map_or(0, |d| d.len()));
                    }
                    Some(Err(_)) | None => return,
                }
            }
        })
        .await;
        if drained.is_err() || read > DRAIN_MAX_BYTES {
            tracing::info!(bytes = read, "oversize upload cut short");
        }
    });
}

/// The whole body, or 413 once it passes [`MAX_BODY_BYTES`] (a chunked upload has no length to
/// refuse up front); the rest is drained as for a declared oversize.
async fn read_limited(mut body: axum::body::Body) -> Result<bytes::Bytes, ApiError> {
    let mut buffer = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        // A broken upload was answered 413 before; the client is gone either way.
        let frame = frame.map_err(|_| codes::payload_too_large())?;
        if let Some(data) = frame.data_ref() {
            if buffer.len().saturating_add(data.len()) > MAX_BODY_BYTES {
                let read = buffer.len().saturating_add(data.len());
                drain_in_background(body, read);
                return Err(codes::payload_too_large());
            }
            buffer.extend_from_slice(data);
        }
    }
    Ok(buffer.freeze())
}

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
    let bytes = read_limited(req.into_body()).await?;
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

    /// A required object field (zod `z.object({…})`); an empty map when it is missing or not an
    /// object, with the error recorded.
    pub fn object(&mut self, field: &str) -> &'a Map<String, Value> {
        static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
        match self.body.get(field) {
            Some(Value::Object(object)) => object,
            other => {
                self.mismatch(field, "object", other);
                &EMPTY
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

/// JavaScript truthiness of a JSON value.
/// A permission request as Better Auth's has-permission routes take it (admin's and the
/// organization's): `{resource: [action, …]}`, or `None` when the value is not that shape.
pub(crate) fn permission_request(value: &Value) -> Option<Vec<(String, Vec<String>)>> {
    value
        .as_object()?
        .iter()
        .map(|(resource, actions)| {
            let actions = actions
                .as_array()?
                .iter()
                .map(|a| a.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()?;
            Some((resource.clone(), actions))
        })
        .collect()
}

pub fn is_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
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
