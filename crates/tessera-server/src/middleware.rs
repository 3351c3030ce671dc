//! What runs before every route, in Better Auth's order: the rate limiter, then the origin check.
//! It also resolves the client's address once, for the limiter and for the sessions the route
//! may create.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::codes;
use crate::ip;
use crate::origin;
use crate::rate_limit::{self, Decision};
use crate::state::AppState;

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let client = ip::resolve(&state.config.client_address, request.headers(), peer);
    // Better Auth does not limit at all when IP tracking is off: its keys are addresses.
    if state.config.rate_limit.enabled && !state.config.client_address.disable_ip_tracking {
        let route = rate_limit::route(
            request
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str),
            &state.config.base_path,
        );
        let key = rate_limit::key(client.limiter.as_deref(), route);
        let rule = rate_limit::rule_for_route(route, state.default_rule, &state.registry);
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
    ip::scope(client, next.run(request)).await
}
