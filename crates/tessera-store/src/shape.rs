//! The shape of a query's result, which every reader decodes by.

use tessera_core::schema::Column;

/// What a query returns: which table it reads (named in [`StoreError::Corrupt`]) and the schema column
/// of each result column, in order.
#[derive(Clone, Copy)]
pub(crate) struct Shape<'a> {
    pub table: &'static str,
    pub columns: &'a [Column],
}
