//! What more than one route or plugin does: the password check, the end of every sign-in, the one
//! path that creates a user, and the emailed links. Nothing here imports a route module or a
//! concrete plugin; where a plugin has a say, a flow asks the registry (`crate::plugins`).

pub mod credential;
pub mod links;
pub mod otp;
pub mod passwordless;
pub mod sign_in;
pub mod users;
