//! The phone-number plugin's spec: its fields on `user`, with typed accessors.

use std::sync::{Arc, LazyLock};

use crate::model::User;
use crate::schema::Column;

pub static PHONE_NUMBER: LazyLock<Arc<Column>> = LazyLock::new(|| {
    Arc::new(
        Column::string("phoneNumber")
            .unique()
            .sortable()
            .in_fields(),
    )
});
pub static PHONE_NUMBER_VERIFIED: LazyLock<Arc<Column>> = LazyLock::new(|| {
    Arc::new(
        Column::boolean("phoneNumberVerified")
            .no_input()
            .in_fields(),
    )
});

pub fn user_fields() -> [&'static Arc<Column>; 2] {
    [&PHONE_NUMBER, &PHONE_NUMBER_VERIFIED]
}

pub trait PhoneNumberUser {
    fn phone_number(&self) -> Option<&str>;
    fn phone_number_verified(&self) -> Option<bool>;
    fn set_phone_number(&mut self, phone: Option<String>);
    fn set_phone_number_verified(&mut self, verified: Option<bool>);
}

impl PhoneNumberUser for User {
    fn phone_number(&self) -> Option<&str> {
        self.additional.text(&PHONE_NUMBER.name)
    }
    fn phone_number_verified(&self) -> Option<bool> {
        self.additional.boolean(&PHONE_NUMBER_VERIFIED.name)
    }
    fn set_phone_number(&mut self, phone: Option<String>) {
        self.additional.set(Arc::clone(&PHONE_NUMBER), phone.into());
    }
    fn set_phone_number_verified(&mut self, verified: Option<bool>) {
        self.additional
            .set(Arc::clone(&PHONE_NUMBER_VERIFIED), verified.into());
    }
}
