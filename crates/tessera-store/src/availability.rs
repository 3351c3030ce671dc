//! Whether a failure means the database could not be reached (down, restarting, refusing
//! connections, or the pool gave up waiting for a connection), as opposed to a query that the
//! database answered with an error. The server answers the first kind with a JSON 500 the client
//! can retry, and the pool reconnects by itself once the database is back.

use sqlx::error::DatabaseError;

use crate::StoreError;

impl StoreError {
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(error) => sqlx_unavailable(error),
            _ => false,
        }
    }
}

fn sqlx_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => connection_lost(db.as_ref()),
        _ => false,
    }
}

/// SQLSTATE class 08 (connection exception) and the shutdown codes a restarting PostgreSQL sends
/// its sessions: 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now.
fn connection_lost(db: &dyn DatabaseError) -> bool {
    db.code()
        .is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03"))
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    #[test]
    fn a_pool_that_gave_up_or_a_refused_connection_is_unavailable() {
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(StoreError::Database(sqlx::Error::PoolClosed).is_unavailable());
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(StoreError::Database(sqlx::Error::Io(refused)).is_unavailable());
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert!(StoreError::Database(sqlx::Error::Io(reset)).is_unavailable());
    }

    #[test]
    fn answers_from_a_reachable_database_are_not_unavailability() {
        assert!(!StoreError::Conflict("email".to_owned()).is_unavailable());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!StoreError::Schema("no table user".to_owned()).is_unavailable());
        assert!(!StoreError::Inline("disk I/O error".to_owned()).is_unavailable());
    }
}
