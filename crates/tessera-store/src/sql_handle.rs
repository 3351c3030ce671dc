//! What a SQL store holds: the driver, the query texts built at open, and the tables it knows. Its
//! own module so that the flows written as free functions over it (`import`, `rows`) and the
//! [`Store`](crate::Store) impl in `sql_store` depend on it, never on each other.

use tessera_core::schema::Table;

use crate::db::Db;
use crate::queries::Queries;

pub(crate) struct SqlStore {
    pub(crate) db: Db,
    pub(crate) q: Queries,
    /// Every table the store knows, for the row API: Better Auth's and the plugins' own.
    pub(crate) tables: Vec<Table>,
}
