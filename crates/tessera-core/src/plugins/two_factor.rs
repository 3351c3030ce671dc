//! The two-factor plugin's spec: its field on `user`, with a typed accessor. (Its own table is
//! declared in [`crate::schema`].)

use std::sync::{Arc, LazyLock};

use crate::model::User;
use crate::schema::{Column, ColumnDefault};

pub static TWO_FACTOR_ENABLED: LazyLock<Arc<Column>> = LazyLock::new(|| {
    Arc::new(
        Column::boolean("twoFactorEnabled")
            .default(ColumnDefault::Bool(false))
            .no_input()
            .in_fields(),
    )
});

pub fn user_fields() -> [&'static Arc<Column>; 1] {
    [&TWO_FACTOR_ENABLED]
}

pub trait TwoFactorUser {
    fn two_factor_enabled(&self) -> Option<bool>;
    fn set_two_factor_enabled(&mut self, enabled: Option<bool>);
}

impl TwoFactorUser for User {
    fn two_factor_enabled(&self) -> Option<bool> {
        self.additional.boolean(&TWO_FACTOR_ENABLED.name)
    }
    fn set_two_factor_enabled(&mut self, enabled: Option<bool>) {
        self.additional
            .set(Arc::clone(&TWO_FACTOR_ENABLED), enabled.into());
    }
}
