//! A successful Better Auth answer: JSON (or the literal `null`), plus the cookies and headers
//! the flow sets.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub struct Reply {
    pub status: StatusCode,
    pub body: ReplyBody,
    pub cookies: Vec<String>,
    pub headers: Vec<(HeaderName, String)>,
}

/// The answer's JSON: a value, or text already written as JSON (for large answers built without
/// an intermediate value tree).
pub enum ReplyBody {
    Value(Value),
    Text(Vec<u8>),
}

impl Reply {
    pub fn json(body: Value) -> Reply {
        Reply::with_body(ReplyBody::Value(body))
    }

    /// `text` must be valid JSON; the caller wrote it with [`crate::json_text`].
    pub fn json_text(text: Vec<u8>) -> Reply {
        Reply::with_body(ReplyBody::Text(text))
    }

    fn with_body(body: ReplyBody) -> Reply {
        Reply {
            status: StatusCode::OK,
            body,
            cookies: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn cookies(mut self, cookies: impl IntoIterator<Item = String>) -> Reply {
        self.cookies.extend(cookies);
        self
    }

    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let body = match self.body {
            ReplyBody::Value(value) => {
                serde_json::to_vec(&value).unwrap_or_else(|_| b"null".to_vec())
            }
            ReplyBody::Text(text) => text,
        };
        let mut response = Response::new(axum::body::Body::from(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.append(name, v);
            }
        }
        for cookie in self.cookies {
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                headers.append(header::SET_COOKIE, v);
            }
        }
        response
    }
}
