//! Password hashing off the async runtime, with bounded concurrency.
//!
//! A Better Auth scrypt holds ~32 MiB for ~50–100 ms. Running it on the async workers would stall
//! every other request; running 200 at once would hold 6 GiB. So each hash waits for a permit
//! (as many as configured, by default the number of cores) and then runs on the blocking pool.
//! Callers never hold a database connection across these awaits.

use std::sync::Arc;

use tessera_core::config::NativePasswordFormat;
use tessera_core::crypto::password::{self, NativeFormat, VerifyContext};
use tokio::sync::Semaphore;

use crate::error::ApiError;

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    native: NativeFormat,
    verify_context: Arc<VerifyContext>,
    /// A real hash in the native format, verified against when the user does not exist, so that
    /// an unknown email costs what a wrong password costs.
    dummy: Arc<String>,
}

impl Hasher {
    pub fn new(concurrency: usize, native: &NativePasswordFormat) -> Result<Hasher, String> {
        let native = match native {
            NativePasswordFormat::BetterAuthScrypt => NativeFormat::BetterAuthScrypt,
            NativePasswordFormat::Argon2id => NativeFormat::Argon2id,
        };
        let dummy = password::hash("tessera-dummy-password", native)
            .map_err(|e| format!("cannot hash: {e}"))?;
        Ok(Hasher {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            native,
            verify_context: Arc::new(VerifyContext::default()),
            dummy: Arc::new(dummy),
        })
    }

    /// What imported formats need at verification (the Firebase project's parameters).
    #[must_use]
    pub fn with_verify_context(mut self, context: VerifyContext) -> Hasher {
        self.verify_context = Arc::new(context);
        self
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        // The permit moves into the blocking task: if the client goes away and this future is
        // dropped, the hash still runs to its end, and it keeps holding its slot until then.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::internal())?;
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "hashing task failed");
            ApiError::internal()
        })
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let native = self.native;
        self.run(move || password::hash(&password, native))
            .await?
            .map_err(|e| {
                tracing::error!(error = %e, "password hashing failed");
                ApiError::internal()
            })
    }

    /// Verifies by the stored hash's format. A stored hash that no format reads is a 500, as in
    /// Better Auth: the data is wrong, not the user.
    pub async fn verify(&self, stored: String, candidate: String) -> Result<bool, ApiError> {
        let ctx = Arc::clone(&self.verify_context);
        self.run(move || password::verify(&stored, &candidate, &ctx))
            .await?
            .map_err(|e| {
                tracing::error!(error = %e, "stored password hash cannot be read");
                ApiError::internal()
            })
    }

    /// Spends the time a real verification would, for a user who does not exist.
    pub async fn verify_dummy(&self, candidate: String) -> Result<(), ApiError> {
        let stored = String::clone(&self.dummy);
        self.verify(stored, candidate).await.map(|_| ())
    }

    pub fn needs_rehash(&self, stored: &str) -> bool {
        password::needs_rehash(stored, self.native)
    }
}
