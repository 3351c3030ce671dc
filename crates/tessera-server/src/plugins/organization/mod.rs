//! The `organization` plugin (reference part 2, §1): organizations, members, invitations, and
//! with options teams and dynamic access control.
//!
//! So far its schema only: the tables and the session's `activeOrganizationId` /
//! `activeTeamId` are declared in `tessera_core::plugins::organization` (so that `generate`,
//! `migrate` and the store see them from config alone) and its options are the config's
//! `[organization]` table (`tessera_core::config::OrganizationConfig`). Its routes
//! (`/organization/*`) come next; until then the plugin registers none, and a session only
//! carries the columns (get-session answers `activeOrganizationId: null`, as Better Auth does
//! before any organization is made active).

mod hooks;

pub use hooks::{ID, OrganizationPlugin};
