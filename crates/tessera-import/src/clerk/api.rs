//! The live Clerk Backend API: lists every user (`GET /v1/users`) into a snapshot file, which the
//! import then reads like any saved snapshot (see [`super::snapshot`]), so a run can be repeated
//! offline and the API is asked once.
//!
//! Done the way contract §2.2/§2.7 says the seed guide did not: `+created_at` order, so sign-ups
//! during the run land at the end instead of shifting pages; the `starting_after` cursor, falling
//! back to `offset` when the instance refuses it or ignores it (answers an earlier page again);
//! stop on a short page; dedupe by id; a client-side
//! token bucket under the instance's limit; 429 and 5xx retried a bounded number of times, honouring
//! `Retry-After`. The file is written under a temporary name and renamed only when complete, so a
//! failed run never leaves a snapshot that looks whole. The secret key never appears in an error.

use super::fingerprint::{FingerprintSet, Fingerprinter};
use super::rate::TokenBucket;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const CLERK_API: &str = "https://api.clerk.com/v1";
/// Pinned so a Clerk-side default change cannot reshape the user object (contract §2.1).
pub const API_VERSION: &str = "2025-04-10";
/// The largest page Clerk serves.
pub const PAGE_SIZE: u32 = 500;

#[derive(Debug, Clone)]
pub struct ApiOptions {
    pub base_url: String,
    pub page_size: u32,
    /// Requests allowed per `window`; by default 80% of the key's instance limit.
    pub requests_per_window: u32,
    pub window: Duration,
    /// Retries of one request after a 429, a 5xx or a network error.
    pub max_retries: u32,
    /// The wait after a 429 without `Retry-After` (Clerk's CLI uses 10 s).
    pub default_retry_after: Duration,
    /// Cap on any single wait, whatever `Retry-After` says.
    pub max_wait: Duration,
    pub timeout: Duration,
}

impl ApiOptions {
    /// Clerk's defaults for this key: `sk_live_` is a production instance (1000 requests / 10 s),
    /// anything else development (100 / 10 s); we use 80% of it.
    pub fn for_key(secret_key: &str) -> ApiOptions {
        let production = secret_key.starts_with("sk_live_");
        ApiOptions {
            base_url: CLERK_API.to_owned(),
            page_size: PAGE_SIZE,
            requests_per_window: if production { 800 } else { 80 },
            window: Duration::from_secs(10),
            max_retries: 5,
            default_retry_after: Duration::from_secs(10),
            max_wait: Duration::from_secs(120),
            timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401/403: the key is wrong, revoked, or for another instance.
    #[error("Clerk refused the secret key (HTTP {status}{}): check CLERK_SECRET_KEY", clerk_detail(.code, .trace_id))]
    Unauthorized {
        status: u16,
        code: Option<String>,
        trace_id: Option<String>,
    },
    #[error("Clerk answered HTTP {status}{} to {what}", clerk_detail(.code, .trace_id))]
    Http {
        status: u16,
        what: &'static str,
        code: Option<String>,
        trace_id: Option<String>,
    },
    #[error("gave up after {attempts} attempts ({last})")]
    GaveUp { attempts: u32, last: String },
    #[error("Clerk's answer is not a list of users: {0}")]
    Body(String),
    #[error("Clerk's organization listing is not readable: {0}")]
    OrgBody(String),
    #[error("writing the snapshot failed: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

fn clerk_detail(code: &Option<String>, trace_id: &Option<String>) -> String {
    let mut detail = String::new();
    if let Some(code) = code {
        detail.push_str(&format!(", code {code}"));
    }
    if let Some(trace) = trace_id {
        detail.push_str(&format!(", trace {trace}"));
    }
    detail
}

/// Clerk's error body: `{"errors":[{"code",…}],"clerk_trace_id":…}`.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
    #[serde(default)]
    clerk_trace_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchSummary {
    pub users: u64,
    /// Users listed twice (a page boundary moved) and written once.
    pub duplicates: u64,
    pub requests: u64,
    pub retries: u64,
    /// The instance refused or ignored `starting_after`; pages were fetched by offset.
    pub used_offset: bool,
    /// It ignored the cursor: a page asked for with `starting_after` held only users listed before.
    pub cursor_ignored: bool,
}

impl std::fmt::Display for FetchSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the Clerk API listed {} users ({} listed twice, {} requests, {} retries)",
            self.users, self.duplicates, self.requests, self.retries
        )?;
        if self.cursor_ignored {
            write!(
                f,
                "; it ignored the starting_after cursor (answered an earlier page again), so the \
                 rest was listed by offset and deduplicated by id"
            )?;
        } else if self.used_offset {
            write!(
                f,
                "; it refused the starting_after cursor, so the rest was listed by offset"
            )?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paging {
    Cursor,
    Offset,
}

struct Client<'a> {
    http: reqwest::Client,
    key: &'a str,
    options: &'a ApiOptions,
    bucket: TokenBucket,
    summary: FetchSummary,
}

/// Lists every user into `out` (a JSON array, written as `out` + `.partial` and renamed at the
/// end). `progress` gets the number of users written so far.
pub async fn fetch_snapshot(
    secret_key: &str,
    options: &ApiOptions,
    out: &Path,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<FetchSummary, ApiError> {
    let http = reqwest::Client::builder()
        .timeout(options.timeout)
        .build()
        .map_err(|e| ApiError::Client(e.to_string()))?;
    let mut client = Client {
        http,
        key: secret_key,
        options,
        bucket: TokenBucket::new(options.requests_per_window, options.window),
        summary: FetchSummary::default(),
    };
    let partial = partial_path(out);
    let result = client.fetch_into(&partial, progress).await;
    match result {
        Ok(()) => {
            std::fs::rename(&partial, out)?;
            Ok(client.summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

/// A listed user's id, read without parsing the rest of the user.
#[derive(Deserialize)]
struct UserId<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
}

impl Client<'_> {
    async fn fetch_into(
        &mut self,
        path: &Path,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<(), ApiError> {
        let mut file = BufWriter::new(File::create(path)?);
        file.write_all(b"[")?;
        let fingerprints = Fingerprinter::new();
        let mut seen = FingerprintSet::default();
        let mut paging = Paging::Cursor;
        let mut cursor: Option<String> = None;
        let mut offset: u64 = 0;
        loop {
            let page = match self.page(paging, cursor.as_deref(), offset).await {
                Err(ApiError::Http { status, .. })
                    if paging == Paging::Cursor
                        && (400..500).contains(&status)
                        && status != 429 =>
                {
                    // An instance or API version without the cursor: offset paging from where we are.
                    paging = Paging::Offset;
                    self.summary.used_offset = true;
                    offset = seen.len() as u64;
                    continue;
                }
                other => other?,
            };
            // Users are kept as the API sent them: only their ids are read, and each is copied into
            // the snapshot byte for byte (a parsed tree of every user was most of this loop's time).
            let page = serde_json::from_slice::<Vec<&RawValue>>(&page)
                .map_err(|e| ApiError::Body(super::json_array::describe(&e)))?;
            let mut users = Vec::with_capacity(page.len());
            for user in page {
                let Ok(UserId { id }) = serde_json::from_str::<UserId<'_>>(user.get()) else {
                    return Err(ApiError::Body("a user without an id".to_owned()));
                };
                users.push((id, user));
            }
            if paging == Paging::Cursor
                && cursor.is_some()
                && !users.is_empty()
                && users
                    .iter()
                    .all(|(id, _)| seen.contains(&fingerprints.of(id)))
            {
                // Some APIs answer an unknown parameter with the first page instead of a 422: the
                // cursor is ignored, and following it would list the same page forever. Offset
                // paging from where the listing stands; these repeats are not "listed twice".
                paging = Paging::Offset;
                self.summary.used_offset = true;
                self.summary.cursor_ignored = true;
                offset = seen.len() as u64;
                continue;
            }
            let count = users.len();
            let before = self.summary.users;
            for (id, user) in users {
                cursor = Some(id.to_string());
                if !seen.insert(fingerprints.of(&id)) {
                    self.summary.duplicates += 1;
                    continue;
                }
                file.write_all(if self.summary.users == 0 {
                    b"\n"
                } else {
                    b",\n"
                })?;
                file.write_all(user.get().as_bytes())?;
                self.summary.users += 1;
            }
            offset += count as u64;
            progress(self.summary.users);
            // Clerk: "stop when a page returns fewer than limit users".
            if count < self.options.page_size as usize {
                break;
            }
            if self.summary.users == before {
                // A full page of users already seen: the listing does not advance.
                return Err(ApiError::Body(
                    "a full page without a new user: the listing repeats itself".to_owned(),
                ));
            }
        }
        file.write_all(b"\n]\n")?;
        file.flush()?;
        Ok(())
    }

    async fn page(
        &mut self,
        paging: Paging,
        cursor: Option<&str>,
        offset: u64,
    ) -> Result<Vec<u8>, ApiError> {
        let mut query: Vec<(&str, String)> = vec![
            ("limit", self.options.page_size.to_string()),
            ("order_by", "+created_at".to_owned()),
        ];
        match (paging, cursor) {
            (Paging::Cursor, Some(after)) => query.push(("starting_after", after.to_owned())),
            (Paging::Cursor, None) => {}
            (Paging::Offset, _) => query.push(("offset", offset.to_string())),
        }
        self.get("/users", &query, "the user listing").await
    }

    /// One GET under the API's base URL, through the token bucket, with 429, 5xx and network
    /// errors retried (honouring `Retry-After`) up to the budget.
    async fn get(
        &mut self,
        path: &str,
        query: &[(&str, String)],
        what: &'static str,
    ) -> Result<Vec<u8>, ApiError> {
        let url = format!("{}{path}", self.options.base_url.trim_end_matches('/'));
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            self.bucket.acquire().await;
            self.summary.requests += 1;
            let sent = self
                .http
                .get(&url)
                .query(query)
                .bearer_auth(self.key)
                .header("Clerk-API-Version", API_VERSION)
                .send()
                .await;
            let (wait, last) = match sent {
                Err(e) => (
                    self.options.default_retry_after.min(backoff(attempt)),
                    network_error(&e),
                ),
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        let body = response
                            .bytes()
                            .await
                            .map_err(|e| ApiError::Body(network_error(&e)))?;
                        return Ok(body.to_vec());
                    }
                    let retry_after = retry_after(&response);
                    let body: ErrorBody = response
                        .bytes()
                        .await
                        .ok()
                        .and_then(|b| serde_json::from_slice(&b).ok())
                        .unwrap_or_default();
                    let code = body.errors.into_iter().find_map(|e| e.code);
                    let trace_id = body.clerk_trace_id;
                    match status {
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                            return Err(ApiError::Unauthorized {
                                status: status.as_u16(),
                                code,
                                trace_id,
                            });
                        }
                        StatusCode::TOO_MANY_REQUESTS => (
                            retry_after.unwrap_or(self.options.default_retry_after),
                            "HTTP 429".to_owned(),
                        ),
                        s if s.is_server_error() => {
                            (backoff(attempt), format!("HTTP {}", s.as_u16()))
                        }
                        s => {
                            return Err(ApiError::Http {
                                status: s.as_u16(),
                                what,
                                code,
                                trace_id,
                            });
                        }
                    }
                }
            };
            if attempt > self.options.max_retries {
                return Err(ApiError::GaveUp {
                    attempts: attempt,
                    last,
                });
            }
            self.summary.retries += 1;
            tokio::time::sleep(wait.min(self.options.max_wait)).await;
        }
    }
}

/// What [`fetch_organizations`] listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgFetchSummary {
    pub organizations: u64,
    pub memberships: u64,
    pub invitations: u64,
    pub roles: u64,
    /// Objects listed twice (a page boundary moved) and written once.
    pub duplicates: u64,
    pub requests: u64,
    pub retries: u64,
    /// The instance has no role listing (`/organization_roles` refused): custom roles' permissions
    /// are then read from the memberships.
    pub roles_unavailable: bool,
}

impl std::fmt::Display for OrgFetchSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the Clerk API listed {} organizations, {} memberships, {} pending invitations and {} \
             roles ({} listed twice, {} requests, {} retries)",
            self.organizations,
            self.memberships,
            self.invitations,
            self.roles,
            self.duplicates,
            self.requests,
            self.retries
        )?;
        if self.roles_unavailable {
            write!(
                f,
                "; the instance has no role listing, so custom roles take their permissions from \
                 the memberships"
            )?;
        }
        Ok(())
    }
}

/// An object's id, or a role's key.
#[derive(Deserialize)]
struct ObjectKey<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    key: Option<Cow<'a, str>>,
}

/// `{"data":[…],"total_count":N}`, the organization endpoints' page.
#[derive(Deserialize)]
struct DataPage<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
}

/// Lists every organization (`GET /v1/organizations`, oldest first), each one's memberships and
/// pending invitations, and the instance's roles, into `out` (see [`super::org_snapshot`]; written
/// as `out` + `.partial` and renamed at the end). Paged by offset (the organization endpoints
/// have no cursor), stopping on a short page and deduplicating by id; the same token bucket and
/// retries as the user listing. Holds one page at a time: memberships are written as they come.
/// `progress` gets the number of organizations written so far.
pub async fn fetch_organizations(
    secret_key: &str,
    options: &ApiOptions,
    out: &Path,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<OrgFetchSummary, ApiError> {
    let http = reqwest::Client::builder()
        .timeout(options.timeout)
        .build()
        .map_err(|e| ApiError::Client(e.to_string()))?;
    let mut client = Client {
        http,
        key: secret_key,
        options,
        bucket: TokenBucket::new(options.requests_per_window, options.window),
        summary: FetchSummary::default(),
    };
    let partial = partial_path(out);
    let mut summary = OrgFetchSummary::default();
    let result = client
        .fetch_organizations_into(&partial, &mut summary, progress)
        .await;
    summary.requests = client.summary.requests;
    summary.retries = client.summary.retries;
    match result {
        Ok(()) => {
            std::fs::rename(&partial, out)?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

impl Client<'_> {
    /// Every page of a `{data:[…]}` listing at `path`, by offset; each new object (by id) is
    /// handed to `each`. Returns how many were new.
    async fn list_all(
        &mut self,
        path: &str,
        extra: &[(&str, &str)],
        what: &'static str,
        duplicates: &mut u64,
        each: &mut dyn FnMut(&RawValue) -> Result<(), ApiError>,
    ) -> Result<u64, ApiError> {
        let mut seen = std::collections::HashSet::<String>::new();
        let mut offset: u64 = 0;
        loop {
            let mut query: Vec<(&str, String)> = vec![
                ("limit", self.options.page_size.to_string()),
                ("offset", offset.to_string()),
            ];
            query.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
            let body = self.get(path, &query, what).await?;
            let page = serde_json::from_slice::<DataPage<'_>>(&body)
                .map_err(|e| ApiError::OrgBody(super::json_array::describe(&e)))?;
            let count = page.data.len();
            let before = seen.len();
            for object in page.data {
                // Roles are known by their key; everything else by its id.
                let id = match serde_json::from_str::<ObjectKey<'_>>(object.get()) {
                    Ok(ObjectKey { id: Some(id), .. } | ObjectKey { key: Some(id), .. }) => id,
                    _ => {
                        return Err(ApiError::OrgBody(format!(
                            "an object without an id in {what}"
                        )));
                    }
                };
                if !seen.insert(id.into_owned()) {
                    *duplicates += 1;
                    continue;
                }
                each(object)?;
            }
            offset += count as u64;
            if count < self.options.page_size as usize {
                return Ok(seen.len() as u64);
            }
            if seen.len() == before {
                return Err(ApiError::OrgBody(format!(
                    "a full page without a new object in {what}: the listing repeats itself"
                )));
            }
        }
    }

    async fn fetch_organizations_into(
        &mut self,
        path: &Path,
        summary: &mut OrgFetchSummary,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<(), ApiError> {
        use super::org_snapshot::{LineKind, OrgSnapshotWriter};
        let mut file = OrgSnapshotWriter::create(path)?;
        let mut duplicates = 0;
        let roles = self
            .list_all(
                "/organization_roles",
                &[],
                "the role listing",
                &mut duplicates,
                &mut |role| Ok(file.write_raw(LineKind::Role, role)?),
            )
            .await;
        match roles {
            Ok(n) => summary.roles = n,
            Err(ApiError::Http { status, .. }) if (400..500).contains(&status) => {
                summary.roles_unavailable = true;
            }
            Err(e) => return Err(e),
        }
        // Organizations a page at a time: each one's memberships and invitations are listed and
        // written before the next, so the file groups them and memory holds one page.
        let mut seen = std::collections::HashSet::<String>::new();
        let mut offset: u64 = 0;
        loop {
            let query: Vec<(&str, String)> = vec![
                ("limit", self.options.page_size.to_string()),
                ("offset", offset.to_string()),
                ("order_by", "+created_at".to_owned()),
            ];
            let body = self
                .get("/organizations", &query, "the organization listing")
                .await?;
            let page = serde_json::from_slice::<DataPage<'_>>(&body)
                .map_err(|e| ApiError::OrgBody(super::json_array::describe(&e)))?;
            let count = page.data.len();
            let before = seen.len();
            for org in page.data {
                let Ok(UserId { id }) = serde_json::from_str::<UserId<'_>>(org.get()) else {
                    return Err(ApiError::OrgBody(
                        "an organization without an id".to_owned(),
                    ));
                };
                if !seen.insert(id.to_string()) {
                    duplicates += 1;
                    continue;
                }
                file.write_raw(LineKind::Organization, org)?;
                summary.organizations += 1;
                let base = format!("/organizations/{}", encode_segment(&id));
                summary.memberships += self
                    .list_all(
                        &format!("{base}/memberships"),
                        &[("order_by", "+created_at")],
                        "a membership listing",
                        &mut duplicates,
                        &mut |m| Ok(file.write_raw(LineKind::Membership, m)?),
                    )
                    .await?;
                summary.invitations += self
                    .list_all(
                        &format!("{base}/invitations"),
                        &[("status", "pending")],
                        "an invitation listing",
                        &mut duplicates,
                        &mut |i| Ok(file.write_raw(LineKind::Invitation, i)?),
                    )
                    .await?;
                progress(summary.organizations);
            }
            offset += count as u64;
            if count < self.options.page_size as usize {
                break;
            }
            if seen.len() == before {
                return Err(ApiError::OrgBody(
                    "a full page without a new organization: the listing repeats itself".to_owned(),
                ));
            }
        }
        summary.duplicates = duplicates;
        file.finish()?;
        Ok(())
    }
}

/// A path segment with everything but Clerk's id characters percent-encoded.
fn encode_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `Retry-After` in seconds (Clerk sends seconds).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// 0.5 s, 1 s, 2 s, … for 5xx and network errors.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(8)))
}

/// A network error without the URL (which is fine) or anything else from the request.
fn network_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "network error".to_owned()
    }
}

#[cfg(test)]
#[path = "api_tests.rs"]
mod tests;
