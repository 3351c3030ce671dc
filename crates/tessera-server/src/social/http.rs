//! The HTTP client for providers: rustls, a timeout, and redirects refused (Better Auth's
//! `fetchRefusingRedirects`: a server-side OAuth fetch never follows one, so a provider cannot
//! bounce it elsewhere).

use std::time::Duration;

use serde_json::Value;

/// Long enough for a slow provider, short enough that a dead one fails the flow promptly.
const TIMEOUT: Duration = Duration::from_secs(10);
/// No provider answer (tokens, profile, key set, discovery) comes near this; a larger one is
/// refused rather than held in memory.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("request failed: {0}")]
    Transport(String),
    #[error("status {status}")]
    Status { status: u16, body: Value },
    #[error("the answer is not JSON")]
    NotJson,
    #[error("the answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
}

#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
}

impl Http {
    pub fn new() -> Result<Http, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .user_agent("better-auth")
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Http { client })
    }

    /// POST a form, expect JSON back.
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(&str, String)],
        headers: &[(&str, String)],
    ) -> Result<Value, HttpError> {
        let mut req = self
            .client
            .post(url)
            .header("accept", "application/json")
            .form(form);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        read(req.send().await).await
    }

    /// GET with a bearer token (and extra headers), expect JSON back.
    pub async fn get_json(
        &self,
        url: &str,
        bearer: Option<&str>,
        headers: &[(&str, String)],
    ) -> Result<Value, HttpError> {
        let mut req = self.client.get(url).header("accept", "application/json");
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        read(req.send().await).await
    }

    /// POST JSON (or nothing) with a bearer token, expect JSON back.
    pub async fn post_json(
        &self,
        url: &str,
        bearer: &str,
        body: Option<&Value>,
    ) -> Result<Value, HttpError> {
        let mut req = self
            .client
            .post(url)
            .header("accept", "application/json")
            .bearer_auth(bearer);
        if let Some(b) = body {
            req = req.json(b);
        }
        read(req.send().await).await
    }
}

async fn read(result: reqwest::Result<reqwest::Response>) -> Result<Value, HttpError> {
    let response = result.map_err(|e| HttpError::Transport(e.to_string()))?;
    let status = response.status();
    let bytes = read_capped(response, MAX_ANSWER_BYTES).await?;
    let body: Option<Value> = serde_json::from_slice(&bytes).ok();
    if !status.is_success() {
        return Err(HttpError::Status {
            status: status.as_u16(),
            body: body.unwrap_or(Value::Null),
        });
    }
    body.ok_or(HttpError::NotJson)
}

/// The body, refused as soon as its declared or actual length passes `cap`.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, HttpError> {
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(cap).unwrap_or(u64::MAX))
    {
        return Err(HttpError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| HttpError::Transport(e.to_string()))?
    {
        if body.len().saturating_add(chunk.len()) > cap {
            return Err(HttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
