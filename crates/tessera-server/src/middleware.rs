//! What runs before every route, in Better Auth's order: the rate limiter, then the origin check.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::codes;
use crate::ip;
use crate::origin;
use crate::rate_limit::{Decision, rule_for};
use crate::state::AppState;

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.config.rate_limit.enabled {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let path = request.uri().path();
        let client = ip::rate_limit_ip(request.headers(), peer)
            .unwrap_or_else(|| "no-trusted-ip".to_owned());
        let key = format!("{client}|{path}");
        let rule = rule_for(path, state.default_rule);
        let now = tessera_core::timefmt::to_epoch_ms(time::OffsetDateTime::now_utc());
        if let Decision::Deny { retry_after } = state.rate_limit.hit(&key, rule, now) {
            return codes::too_many_requests(retry_after).into_response();
        }
    }
    if let Err(e) =
        origin::check_request_origin(&state.trusted, request.method(), request.headers())
    {
        return e.into_response();
    }
    next.run(request).await
}
