//! `/ok` and `/error`.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::reply::Reply;

pub async fn ok() -> Reply {
    Reply::json(json!({ "ok": true }))
}

/// Where OAuth and other flows land when they fail without an error callback.
pub async fn error_page(Query(query): Query<HashMap<String, String>>) -> Response {
    let code = query.get("error").map(String::as_str).unwrap_or("UNKNOWN");
    let description = query
        .get("error_description")
        .map(String::as_str)
        .unwrap_or("");
    let page = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Error</title></head>\
         <body><h1>Something went wrong</h1><p><code>{}</code></p><p>{}</p></body></html>",
        escape_html(code),
        escape_html(description)
    );
    let mut response = page.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn escape_html(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}
