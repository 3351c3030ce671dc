//! Outgoing messages (emails, SMS codes) behind one trait, chosen by config: SMTP for emails
//! (`smtp`, with a subject and text per message from `template`), an HTTP webhook, or a
//! development outbox file with one JSON object per line that a person, script or test can read.
//!
//! A message is `{"type": "<flow>", "to": …, <flow fields…>, "at": <ISO date>}`; `type` names the
//! flow (`two-factor-otp`, `phone-otp`, `phone-reset-otp`, `verify-email`, `reset-password`, …).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

mod smtp;
mod template;

pub use smtp::Smtp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: &'static str,
    pub to: String,
    pub fields: Vec<(&'static str, String)>,
}

impl Message {
    pub fn new(kind: &'static str, to: impl Into<String>) -> Message {
        Message {
            kind,
            to: to.into(),
            fields: Vec::new(),
        }
    }

    pub fn field(mut self, name: &'static str, value: impl Into<String>) -> Message {
        self.fields.push((name, value.into()));
        self
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), Value::String(self.kind.to_owned()));
        m.insert("to".into(), Value::String(self.to.clone()));
        for (k, v) in &self.fields {
            m.insert((*k).to_owned(), Value::String(v.clone()));
        }
        m.insert(
            "at".into(),
            Value::String(tessera_core::timefmt::to_iso_ms(
                time::OffsetDateTime::now_utc(),
            )),
        );
        Value::Object(m)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("outbox: {0}")]
    Outbox(#[from] std::io::Error),
    #[error("webhook: {0}")]
    Webhook(String),
    #[error("smtp: {0}")]
    Smtp(String),
}

pub trait Sender: Send + Sync + 'static {
    fn send(&self, message: Message) -> BoxFuture<'_, Result<(), DeliveryError>>;
}

/// Appends each message as a JSON line; one writer at a time so lines never interleave.
pub struct Outbox {
    path: PathBuf,
    lock: Mutex<()>,
}

impl Outbox {
    pub fn new(path: impl Into<PathBuf>) -> Outbox {
        Outbox {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }
}

impl Sender for Outbox {
    fn send(&self, message: Message) -> BoxFuture<'_, Result<(), DeliveryError>> {
        Box::pin(async move {
            let mut line = message.to_json().to_string();
            line.push('\n');
            let _guard = self.lock.lock().await;
            let mut file = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .await?;
            file.write_all(line.as_bytes()).await?;
            file.flush().await?;
            Ok(())
        })
    }
}

/// POSTs each message as JSON; a non-2xx answer or a timeout is a delivery failure.
pub struct Webhook {
    url: String,
    client: reqwest::Client,
}

impl Webhook {
    pub fn new(url: String) -> Result<Webhook, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Webhook { url, client })
    }
}

impl Sender for Webhook {
    fn send(&self, message: Message) -> BoxFuture<'_, Result<(), DeliveryError>> {
        Box::pin(async move {
            let response = self
                .client
                .post(&self.url)
                .json(&message.to_json())
                .send()
                .await
                // reqwest's error text names the URL and cause, never the body we sent.
                .map_err(|e| DeliveryError::Webhook(e.without_url().to_string()))?;
            if !response.status().is_success() {
                return Err(DeliveryError::Webhook(format!(
                    "answered {}",
                    response.status()
                )));
            }
            Ok(())
        })
    }
}

/// Emails to one sender, SMS codes (`phone-*` messages) to another: SMTP cannot reach a phone.
struct Split {
    email: Arc<dyn Sender>,
    sms: Option<Arc<dyn Sender>>,
}

impl Sender for Split {
    fn send(&self, message: Message) -> BoxFuture<'_, Result<(), DeliveryError>> {
        if message.kind.starts_with("phone-") {
            match &self.sms {
                Some(sms) => sms.send(message),
                None => Box::pin(async {
                    Err(DeliveryError::Smtp(
                        "no webhook or outbox configured for SMS codes".into(),
                    ))
                }),
            }
        } else {
            self.email.send(message)
        }
    }
}

/// The configured sender, if any: SMTP for emails when set (SMS codes then go to the webhook or
/// outbox); otherwise webhook first, else outbox.
pub fn from_config(
    config: &tessera_core::config::Config,
) -> Result<Option<Arc<dyn Sender>>, String> {
    let other: Option<Arc<dyn Sender>> = if let Some(url) = &config.webhook_url {
        Some(Arc::new(Webhook::new(url.clone())?))
    } else {
        config
            .outbox_path
            .as_ref()
            .map(|p| Arc::new(Outbox::new(p.clone())) as Arc<dyn Sender>)
    };
    match &config.smtp {
        Some(smtp) => Ok(Some(Arc::new(Split {
            email: Arc::new(Smtp::new(smtp, &config.app_name)?),
            sms: other,
        }))),
        None => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[tokio::test]
    async fn the_outbox_holds_one_json_line_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.jsonl");
        let outbox = Outbox::new(&path);
        outbox
            .send(Message::new("phone-otp", "+15550100").field("code", "123456"))
            .await
            .unwrap();
        outbox
            .send(Message::new("two-factor-otp", "a@example.com").field("code", "654321"))
            .await
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["type"], "phone-otp");
        assert_eq!(lines[0]["to"], "+15550100");
        assert_eq!(lines[0]["code"], "123456");
        assert_eq!(lines[1]["type"], "two-factor-otp");
        let keys: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["type", "to", "code", "at"]);
    }
}
