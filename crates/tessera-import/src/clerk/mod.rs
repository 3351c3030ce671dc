//! Importing a Clerk user base.
//!
//! Layers, each usable alone:
//! - reading: [`csv`] / [`legacy_json`] (the export, via [`source`]), [`snapshot`] (a saved
//!   Backend API listing), all streamed;
//! - [`plan`]: one Clerk user → the Better Auth rows to write, with warnings or a reject;
//! - [`report`]: every reject and warning by Clerk id, and a summary without personal data;
//! - [`generate`]: deterministic Clerk exports of any size, for tests, examples and benchmarks.

pub mod bapi;
pub mod cells;
pub mod csv;
pub mod email;
pub mod extras;
pub mod export;
pub mod generate;
pub mod ids;
pub mod issue;
pub mod join;
pub mod json_array;
pub mod legacy_json;
pub mod plan;
pub mod providers;
pub mod report;
pub mod snapshot;
pub mod source;
