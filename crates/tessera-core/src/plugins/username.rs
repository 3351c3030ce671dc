//! The username plugin's spec: its fields on `user`, with typed accessors.

use std::sync::{Arc, LazyLock};

use crate::model::User;
use crate::schema::Column;

pub static USERNAME: LazyLock<Arc<Column>> =
    LazyLock::new(|| Arc::new(Column::string("username").unique().sortable().in_fields()));
pub static DISPLAY_USERNAME: LazyLock<Arc<Column>> =
    LazyLock::new(|| Arc::new(Column::string("displayUsername").in_fields()));

pub fn user_fields() -> [&'static Arc<Column>; 2] {
    [&USERNAME, &DISPLAY_USERNAME]
}

pub trait UsernameUser {
    /// The normalized (lower-case) username.
    fn username(&self) -> Option<&str>;
    /// The username as the user typed it.
    fn display_username(&self) -> Option<&str>;
    fn set_username(&mut self, username: Option<String>);
    fn set_display_username(&mut self, display: Option<String>);
}

impl UsernameUser for User {
    fn username(&self) -> Option<&str> {
        self.additional.text(&USERNAME.name)
    }
    fn display_username(&self) -> Option<&str> {
        self.additional.text(&DISPLAY_USERNAME.name)
    }
    fn set_username(&mut self, username: Option<String>) {
        self.additional.set(Arc::clone(&USERNAME), username.into());
    }
    fn set_display_username(&mut self, display: Option<String>) {
        self.additional
            .set(Arc::clone(&DISPLAY_USERNAME), display.into());
    }
}
