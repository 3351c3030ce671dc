//! Pure rules of Tessera.
//!
//! Everything here is synchronous and does no I/O, so every security-critical rule (password formats,
//! encryption, signed cookies, ids, TOTP) can be tested alone, with known-answer vectors.
//!
//! - [`model`]: the rows Better Auth keeps (user, session, account, verification, twoFactor).
//! - [`schema`]: those tables described as data, per enabled plugin; the store turns it into DDL.
//! - [`plugins`]: which of Better Auth's plugins are switched on.
//! - [`timefmt`]: dates the way Better Auth writes them (`YYYY-MM-DDTHH:mm:ss.sssZ`).
//! - [`crypto`]: ids and tokens, password hashes, symmetric encryption, signed cookie values.
//! - [`oauth`]: social sign-in's pure rules: PKCE, OAuth state, stored tokens, ID-token checks.
//! - [`providers`]: the social provider ids, and the Clerk providers that map to them.

pub mod config;
pub mod config_error;
pub mod crypto;
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
pub mod oauth;
pub mod plugins;
pub mod providers;
pub mod schema;
pub mod social;
pub mod timefmt;
