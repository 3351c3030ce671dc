//! Importing a Clerk user base into a Better Auth database.
//!
//! What `tessera import clerk` calls:
//! - [`api::fetch_snapshot`]: the live Backend API listing into a snapshot file (`--clerk-secret-key`);
//! - [`apply::dry_run`], [`apply::apply`], [`verify::verify`]: plan only, import, or compare
//!   source and database, each over [`join::Sources`] with [`apply::ImportOptions`];
//! - [`report::Summary`] / [`verify::VerifySummary`]: counts to print (no personal data) and the
//!   [`report::ExitStatus`]; every error is [`report::ExitStatus::Refused`];
//! - [`generate::generate_to_dir`]: deterministic exports (the README example, tests, benchmarks).
//!
//! Layers, each usable and tested alone:
//! - reading, all streamed: [`csv`] and [`legacy_json`] (the export, opened by [`source`]; rows
//!   cleaned by [`export`] and [`cells`]), [`snapshot`] (a saved API listing of [`bapi`] users,
//!   read with [`json_array`]);
//! - [`plan`]: one Clerk user → the Better Auth rows, with warnings or a reject ([`ids`],
//!   [`email`], [`providers`], [`extras`] for what Better Auth has no column for);
//! - [`join`]: the export joined to the snapshot by id, with cross-user uniqueness;
//! - [`access`]: each user's ways in under the config; [`loss`]: what the config would lose,
//!   which the CLI refuses to write unless accepted (`--allow-loss`);
//! - [`apply`], [`verify`]: the database side; [`report`]: report files and summaries.

pub mod access;
pub mod api;
pub mod apply;
pub mod bapi;
pub mod cells;
pub mod csv;
pub mod email;
pub mod export;
pub mod extras;
pub mod fingerprint;
pub mod generate;
pub mod ids;
pub mod issue;
pub mod join;
pub mod json_array;
pub mod legacy_json;
pub mod loss;
pub mod org_apply;
pub mod org_bapi;
pub mod org_plan;
pub mod org_snapshot;
pub mod plan;
/// The provider table lives in core, shared with the server's social sign-in.
pub use tessera_core::providers;
pub mod rate;
pub mod report;
pub mod snapshot;
pub mod source;
pub mod verify;
