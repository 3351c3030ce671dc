//! Persistence for Tessera.
//!
//! Only this crate writes SQL. [`Store`] is what the server and the importer see; [`open`] returns
//! the SQLite or PostgreSQL implementation for a database URL. Both dialects pass one shared test
//! suite (`tests/`), which runs on SQLite always and on PostgreSQL whenever
//! `TESSERA_TEST_POSTGRES_URL` is set.

mod store;

pub use store::{BatchOutcome, Dialect, Store, StoreError, StoreResult};
