//! One error type for every handler, mapped to Better Auth's error envelope at the edge:
//! `{"message": …, "code": …}` (in that key order), a message-only body for the few errors Better
//! Auth sends without a code, or an empty body (404, 500, admin 401).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorBody {
    Coded {
        message: Cow<'static, str>,
        code: Cow<'static, str>,
    },
    MessageOnly(Cow<'static, str>),
    /// Any other JSON object, keys in the order given: for answers whose key order or extra keys
    /// differ from `{message, code}` (e.g. `missingPermissions`).
    Object(Box<serde_json::Map<String, serde_json::Value>>),
    Empty,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// Set-Cookie lines that must go out even with the error (e.g. clearing a dead session).
    pub cookies: Vec<String>,
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// A plugin's error code (its spec's `$ERROR_CODES` entry), answered with `status`.
    pub fn coded(status: StatusCode, code: tessera_core::plugins::ErrorCode) -> ApiError {
        ApiError::new(status, code.code, code.message)
    }

    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> ApiError {
        ApiError {
            status,
            body: ErrorBody::Coded {
                message: message.into(),
                code: code.into(),
            },
            cookies: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn message_only(status: StatusCode, message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody::MessageOnly(message.into()),
            cookies: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn object(
        status: StatusCode,
        body: serde_json::Map<String, serde_json::Value>,
    ) -> ApiError {
        ApiError {
            status,
            body: ErrorBody::Object(Box::new(body)),
            cookies: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn empty(status: StatusCode) -> ApiError {
        ApiError {
            status,
            body: ErrorBody::Empty,
            cookies: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// An unexpected failure: logged by the caller, answered as Better Auth does (500, empty body).
    pub fn internal() -> ApiError {
        ApiError::empty(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn not_found() -> ApiError {
        ApiError::empty(StatusCode::NOT_FOUND)
    }

    pub fn with_cookies(mut self, cookies: Vec<String>) -> ApiError {
        self.cookies.extend(cookies);
        self
    }

    pub fn code(&self) -> Option<&str> {
        match &self.body {
            ErrorBody::Coded { code, .. } => Some(code),
            ErrorBody::Object(body) => body.get("code").and_then(|c| c.as_str()),
            _ => None,
        }
    }
}

/// Better Auth's base error codes with their messages (reference §3.10), and the status each site
/// uses. A code used with more than one status takes the status as an argument.
pub mod codes {
    use super::ApiError;
    use axum::http::StatusCode;

    macro_rules! coded {
        ($fn_name:ident, $status:ident, $code:literal, $message:literal) => {
            pub fn $fn_name() -> ApiError {
                ApiError::new(StatusCode::$status, $code, $message)
            }
        };
    }

    coded!(unauthorized, UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized");
    // Not one of Better Auth's codes: where Better Auth answers an unreachable database with an
    // empty 500 (or, on get-session, FAILED_TO_GET_SESSION), Tessera keeps the status and says why.
    coded!(
        database_unavailable,
        INTERNAL_SERVER_ERROR,
        "DATABASE_UNAVAILABLE",
        "Database unavailable"
    );
    coded!(
        invalid_email_or_password,
        UNAUTHORIZED,
        "INVALID_EMAIL_OR_PASSWORD",
        "Invalid email or password"
    );
    coded!(invalid_email, BAD_REQUEST, "INVALID_EMAIL", "Invalid email");
    coded!(
        invalid_password,
        BAD_REQUEST,
        "INVALID_PASSWORD",
        "Invalid password"
    );
    coded!(
        password_too_short,
        BAD_REQUEST,
        "PASSWORD_TOO_SHORT",
        "Password too short"
    );
    coded!(
        password_too_long,
        BAD_REQUEST,
        "PASSWORD_TOO_LONG",
        "Password too long"
    );
    coded!(
        user_already_exists_use_another_email,
        UNPROCESSABLE_ENTITY,
        "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
        "User already exists. Use another email."
    );
    coded!(
        failed_to_create_user,
        UNPROCESSABLE_ENTITY,
        "FAILED_TO_CREATE_USER",
        "Failed to create user"
    );
    coded!(
        email_can_not_be_updated,
        BAD_REQUEST,
        "EMAIL_CAN_NOT_BE_UPDATED",
        "Email can not be updated"
    );
    coded!(
        credential_account_not_found,
        BAD_REQUEST,
        "CREDENTIAL_ACCOUNT_NOT_FOUND",
        "Credential account not found"
    );
    coded!(
        session_not_fresh,
        FORBIDDEN,
        "SESSION_NOT_FRESH",
        "Session is not fresh"
    );
    coded!(
        email_password_disabled,
        BAD_REQUEST,
        "EMAIL_PASSWORD_DISABLED",
        "Email and password is not enabled"
    );
    coded!(
        email_password_sign_up_disabled,
        BAD_REQUEST,
        "EMAIL_PASSWORD_SIGN_UP_DISABLED",
        "Email and password sign up is not enabled"
    );
    coded!(
        invalid_origin,
        FORBIDDEN,
        "INVALID_ORIGIN",
        "Invalid origin"
    );
    coded!(
        missing_or_null_origin,
        FORBIDDEN,
        "MISSING_OR_NULL_ORIGIN",
        "Missing or null Origin"
    );
    coded!(
        invalid_callback_url,
        FORBIDDEN,
        "INVALID_CALLBACK_URL",
        "Invalid callbackURL"
    );
    coded!(
        cross_site_navigation_login_blocked,
        FORBIDDEN,
        "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED",
        "Cross-site navigation login blocked. This request appears to be a CSRF attack."
    );
    coded!(
        body_must_be_an_object,
        BAD_REQUEST,
        "BODY_MUST_BE_AN_OBJECT",
        "Body must be an object"
    );
    coded!(
        invalid_json,
        BAD_REQUEST,
        "BAD_REQUEST",
        "Invalid JSON in request body"
    );
    coded!(
        method_not_allowed_defer_session_required,
        METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
        "POST method requires deferSessionRefresh to be enabled in session config"
    );
    coded!(
        payload_too_large,
        PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "Request body is too large"
    );

    pub fn field_not_allowed(field: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "FIELD_NOT_ALLOWED",
            format!("{field} is not allowed to be set"),
        )
    }

    pub fn unsupported_media_type(content_type: &str) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            format!(
                "Content-Type \"{content_type}\" is not allowed. Allowed types: application/json"
            ),
        )
    }

    pub fn validation(message: String) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
    }

    pub fn too_many_requests(retry_after_secs: u64) -> ApiError {
        let mut e = ApiError::message_only(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests. Please try again later.",
        );
        e.headers
            .push(("x-retry-after", retry_after_secs.to_string()));
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = match &self.body {
            ErrorBody::Coded { message, code } => {
                // Built by hand: Better Auth's key order is message, then code.
                let body = format!(
                    "{{\"message\":{},\"code\":{}}}",
                    json_string(message),
                    json_string(code)
                );
                json_response(self.status, body)
            }
            ErrorBody::MessageOnly(message) => json_response(
                self.status,
                format!("{{\"message\":{}}}", json_string(message)),
            ),
            ErrorBody::Object(body) => json_response(
                self.status,
                serde_json::Value::Object((**body).clone()).to_string(),
            ),
            ErrorBody::Empty => {
                let mut r = Response::new(axum::body::Body::empty());
                *r.status_mut() = self.status;
                r
            }
        };
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().append(name, v);
            }
        }
        for cookie in self.cookies {
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        response
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(axum::body::Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

impl From<tessera_store::StoreError> for ApiError {
    fn from(e: tessera_store::StoreError) -> ApiError {
        if e.is_unavailable() {
            tracing::error!(error = %e, "database unavailable");
            return codes::database_unavailable();
        }
        tracing::error!(error = %e, "store error");
        ApiError::internal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(error: ApiError) -> (StatusCode, Option<String>, String) {
        let response = error.into_response();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        (
            status,
            content_type,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_json_500_the_client_can_read() {
        let error = ApiError::from(tessera_store::StoreError::Database(
            sqlx::Error::PoolTimedOut,
        ));
        let (status, content_type, body) = body_of(error).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(content_type.as_deref(), Some("application/json"));
        assert_eq!(
            body,
            r#"{"message":"Database unavailable","code":"DATABASE_UNAVAILABLE"}"#
        );
    }

    #[tokio::test]
    async fn other_store_failures_stay_better_auths_empty_500() {
        let error = ApiError::from(tessera_store::StoreError::Corrupt {
            table: "user",
            reason: "createdAt: not a date".to_owned(),
        });
        let (status, _, body) = body_of(error).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, "");
    }
}
