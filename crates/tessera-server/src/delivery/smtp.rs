//! Email over SMTP (lettre on tokio, rustls only): STARTTLS, implicit TLS, or plain for a local
//! relay; optional AUTH. A whole delivery is bounded by the configured timeout, so a relay that
//! refuses or hangs costs the request that much and no more.

use std::time::Duration;

use futures::future::BoxFuture;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tessera_core::config::{SmtpConfig, SmtpTls};

use super::template::render;
use super::{DeliveryError, Message, Sender};

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    app_name: String,
    timeout: Duration,
    relay: String,
}

impl Smtp {
    pub fn new(config: &SmtpConfig, app_name: &str) -> Result<Smtp, String> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("smtp.from {:?}: {e}", config.from))?;
        let timeout = Duration::from_millis(config.timeout_ms);
        let tls = match config.tls {
            SmtpTls::None => Tls::None,
            mode => {
                let mut params = TlsParameters::builder(config.host.clone());
                if let Some(path) = &config.ca_cert {
                    let pem =
                        std::fs::read(path).map_err(|e| format!("smtp.ca_cert {path}: {e}"))?;
                    let cert = Certificate::from_pem(&pem)
                        .map_err(|e| format!("smtp.ca_cert {path}: {e}"))?;
                    params = params.add_root_certificate(cert);
                }
                let params = params.build().map_err(|e| format!("smtp TLS: {e}"))?;
                if mode == SmtpTls::Implicit {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Smtp {
            transport: builder.build(),
            from,
            app_name: app_name.to_owned(),
            timeout,
            relay: format!("{}:{}", config.host, config.port),
        })
    }
}

impl Sender for Smtp {
    fn send(&self, message: Message) -> BoxFuture<'_, Result<(), DeliveryError>> {
        Box::pin(async move {
            let to: Mailbox = message
                .to
                .parse()
                .map_err(|_| DeliveryError::Smtp("recipient is not an email address".into()))?;
            let rendered = render(&self.app_name, &message);
            let email = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(rendered.subject)
                .header(ContentType::TEXT_PLAIN)
                .body(rendered.body)
                .map_err(|e| DeliveryError::Smtp(format!("building the message: {e}")))?;
            // lettre's own timeout covers each socket operation; this one bounds the whole
            // exchange, however many steps a slow relay drags out.
            // Both bounds are the same length, so either may fire first: they read the same.
            match tokio::time::timeout(self.timeout, self.transport.send(email)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) if !e.is_timeout() => {
                    Err(DeliveryError::Smtp(format!("{}: {e}", self.relay)))
                }
                Ok(Err(_)) | Err(_) => Err(DeliveryError::Smtp(format!(
                    "{}: no answer within {} ms",
                    self.relay,
                    self.timeout.as_millis()
                ))),
            }
        })
    }
}
