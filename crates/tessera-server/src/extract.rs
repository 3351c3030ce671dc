//! For Rust apps that embed Tessera: an axum extractor that reads the signed session cookie and
//! yields the session and user, with the same rules as `/get-session` (signature, expiry, the
//! database as the authority), minus the sliding refresh, which only `/get-session` performs.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tessera_core::model::{Session, User};

use crate::error::{ApiError, codes};
use crate::session::{self, Lookup};
use crate::state::AppState;

/// The caller's session; a request without a valid one is answered 401 `UNAUTHORIZED`.
#[derive(Debug, Clone)]
pub struct AuthSession {
    pub session: Session,
    pub user: User,
}

impl FromRequestParts<AppState> for AuthSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match session::lookup(state, &parts.headers).await? {
            Lookup::Valid(current) => Ok(AuthSession {
                session: current.session,
                user: current.user,
            }),
            Lookup::NoCookie | Lookup::Expired => Err(codes::unauthorized()),
        }
    }
}

/// Like [`AuthSession`], but absence is not an error.
#[derive(Debug, Clone)]
pub struct MaybeAuthSession(pub Option<AuthSession>);

impl FromRequestParts<AppState> for MaybeAuthSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match session::lookup(state, &parts.headers).await? {
            Lookup::Valid(current) => Ok(MaybeAuthSession(Some(AuthSession {
                session: current.session,
                user: current.user,
            }))),
            Lookup::NoCookie | Lookup::Expired => Ok(MaybeAuthSession(None)),
        }
    }
}
