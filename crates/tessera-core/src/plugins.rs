//! The Better Auth plugins Tessera knows. A disabled plugin adds no route and no column.

use serde::{Deserialize, Serialize};

/// Which plugins are switched on. Config names them as Better Auth does: `admin`, `two-factor`,
/// `username`, `phone-number`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plugins {
    pub admin: bool,
    pub two_factor: bool,
    pub username: bool,
    pub phone_number: bool,
}

impl Plugins {
    pub const NONE: Plugins = Plugins {
        admin: false,
        two_factor: false,
        username: false,
        phone_number: false,
    };
    pub const ALL: Plugins = Plugins {
        admin: true,
        two_factor: true,
        username: true,
        phone_number: true,
    };

    /// Parses Better Auth's plugin names; an unknown name is returned as the error.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Plugins, String> {
        let mut plugins = Plugins::NONE;
        for name in names {
            match name.trim() {
                "admin" => plugins.admin = true,
                "two-factor" | "twoFactor" | "two_factor" => plugins.two_factor = true,
                "username" => plugins.username = true,
                "phone-number" | "phoneNumber" | "phone_number" => plugins.phone_number = true,
                "" => {}
                other => return Err(other.to_owned()),
            }
        }
        Ok(plugins)
    }
}
