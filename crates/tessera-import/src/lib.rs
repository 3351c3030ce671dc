//! Importers that move a user base from another auth provider into a Better Auth database.
//!
//! Only Clerk so far: see [`clerk`].

pub mod clerk;
#[doc(hidden)]
pub mod fuzzing;
