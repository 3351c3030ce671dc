//! What a bad configuration is reported as. Its own module so that the config sections parsed
//! elsewhere (`social`) and `config` itself share it without depending on each other.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{key}: {reason}")]
    Invalid { key: String, reason: String },
    #[error(
        "refusing to start in production with {0}: set BETTER_AUTH_SECRET to at least 32 random characters (`tessera secret` prints one)"
    )]
    WeakSecret(&'static str),
}
