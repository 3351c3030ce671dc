//! Better Auth's tables as data (reference §1.1, §2), so that `generate`, `migrate` and every query in
//! the store follow one declaration.
//!
//! A disabled plugin contributes nothing: no column, no table. Plugin columns come in the order
//! admin, two-factor, username, phone-number, which is the order of the reference DDL (§1.2); Better
//! Auth itself orders them by the `plugins` array of its config.
//!
//! Defaults are application-side, as in Better Auth. They reach SQL only where Better Auth emits them:
//! `default CURRENT_TIMESTAMP` on PostgreSQL date columns with a default of "now", and static defaults
//! when a column is added to an existing table (the dialect rules live in `tessera-store`).

use crate::plugins::Plugins;

pub const USER: &str = "user";
pub const SESSION: &str = "session";
pub const ACCOUNT: &str = "account";
pub const VERIFICATION: &str = "verification";
pub const TWO_FACTOR: &str = "twoFactor";
pub const RATE_LIMIT: &str = "rateLimit";

/// Better Auth's field types (`DBFieldType`), limited to the ones these tables use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Boolean,
    Date,
    Number,
    /// `number` with `bigint: true` (rateLimit.lastRequest: epoch milliseconds).
    BigNumber,
}

/// The application-side `defaultValue` of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnDefault {
    None,
    /// `() => new Date()`.
    Now,
    Bool(bool),
    Int(i64),
    /// A function other than "now" (e.g. `Date.now()` on a number): never becomes SQL.
    Computed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    Cascade,
}

/// A foreign key, e.g. `references "user" ("id") on delete cascade`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    pub table: &'static str,
    pub column: &'static str,
    pub on_delete: OnDelete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub ty: FieldType,
    pub primary_key: bool,
    pub required: bool,
    pub unique: bool,
    /// A non-unique index `<table>_<column>_idx`.
    pub index: bool,
    /// Only MySQL-flavoured DDL cares (varchar length); kept so the declaration matches Better Auth's.
    pub sortable: bool,
    pub references: Option<Reference>,
    pub default: ColumnDefault,
}

impl Column {
    const fn new(name: &'static str, ty: FieldType) -> Column {
        Column {
            name,
            ty,
            primary_key: false,
            required: false,
            unique: false,
            index: false,
            sortable: false,
            references: None,
            default: ColumnDefault::None,
        }
    }

    /// The string primary key every table starts with.
    pub const fn id() -> Column {
        Column {
            primary_key: true,
            required: true,
            ..Column::new("id", FieldType::String)
        }
    }
    pub const fn string(name: &'static str) -> Column {
        Column::new(name, FieldType::String)
    }
    pub const fn boolean(name: &'static str) -> Column {
        Column::new(name, FieldType::Boolean)
    }
    pub const fn date(name: &'static str) -> Column {
        Column::new(name, FieldType::Date)
    }
    pub const fn number(name: &'static str) -> Column {
        Column::new(name, FieldType::Number)
    }
    pub const fn big_number(name: &'static str) -> Column {
        Column::new(name, FieldType::BigNumber)
    }
    /// `userId`: required, indexed, `references "user" ("id") on delete cascade`.
    pub const fn user_id() -> Column {
        Column {
            required: true,
            index: true,
            references: Some(Reference {
                table: USER,
                column: "id",
                on_delete: OnDelete::Cascade,
            }),
            ..Column::new("userId", FieldType::String)
        }
    }

    pub const fn required(self) -> Column {
        Column {
            required: true,
            ..self
        }
    }
    pub const fn unique(self) -> Column {
        Column {
            unique: true,
            ..self
        }
    }
    pub const fn indexed(self) -> Column {
        Column {
            index: true,
            ..self
        }
    }
    pub const fn sortable(self) -> Column {
        Column {
            sortable: true,
            ..self
        }
    }
    pub const fn default(self, default: ColumnDefault) -> Column {
        Column { default, ..self }
    }

    /// Better Auth emits `default CURRENT_TIMESTAMP` for exactly these on PostgreSQL.
    pub fn defaults_to_now(&self) -> bool {
        self.ty == FieldType::Date && self.default == ColumnDefault::Now
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    /// Creation order (`order` in Better Auth); plugin tables have none and come last.
    pub order: Option<u32>,
    pub columns: Vec<Column>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The tables Better Auth 1.7.25 keeps for these plugins, in creation order.
pub fn tables(plugins: Plugins) -> Vec<Table> {
    let mut tables = vec![user(plugins), session(plugins), account(), verification()];
    if plugins.two_factor {
        tables.push(two_factor());
    }
    tables
}

/// One table of [`tables`] by name.
pub fn table(plugins: Plugins, name: &str) -> Option<Table> {
    tables(plugins).into_iter().find(|t| t.name == name)
}

fn user(plugins: Plugins) -> Table {
    let mut columns = vec![
        Column::id(),
        Column::string("name").required().sortable(),
        Column::string("email").required().unique().sortable(),
        Column::boolean("emailVerified")
            .required()
            .default(ColumnDefault::Bool(false)),
        Column::string("image"),
        Column::date("createdAt")
            .required()
            .default(ColumnDefault::Now),
        Column::date("updatedAt")
            .required()
            .default(ColumnDefault::Now),
    ];
    if plugins.admin {
        columns.extend([
            Column::string("role"),
            Column::boolean("banned").default(ColumnDefault::Bool(false)),
            Column::string("banReason"),
            Column::date("banExpires"),
        ]);
    }
    if plugins.two_factor {
        columns.push(Column::boolean("twoFactorEnabled").default(ColumnDefault::Bool(false)));
    }
    if plugins.username {
        columns.extend([
            Column::string("username").unique().sortable(),
            Column::string("displayUsername"),
        ]);
    }
    if plugins.phone_number {
        columns.extend([
            Column::string("phoneNumber").unique().sortable(),
            Column::boolean("phoneNumberVerified"),
        ]);
    }
    Table {
        name: USER,
        order: Some(1),
        columns,
    }
}

fn session(plugins: Plugins) -> Table {
    let mut columns = vec![
        Column::id(),
        Column::date("expiresAt").required(),
        Column::string("token").required().unique(),
        Column::date("createdAt")
            .required()
            .default(ColumnDefault::Now),
        // No default: Better Auth sets it on every write and emits no SQL default.
        Column::date("updatedAt").required(),
        Column::string("ipAddress"),
        Column::string("userAgent"),
        Column::user_id(),
    ];
    if plugins.admin {
        columns.push(Column::string("impersonatedBy"));
    }
    Table {
        name: SESSION,
        order: Some(2),
        columns,
    }
}

fn account() -> Table {
    Table {
        name: ACCOUNT,
        order: Some(3),
        columns: vec![
            Column::id(),
            Column::string("accountId").required(),
            Column::string("providerId").required(),
            Column::user_id(),
            Column::string("accessToken"),
            Column::string("refreshToken"),
            Column::string("idToken"),
            Column::date("accessTokenExpiresAt"),
            Column::date("refreshTokenExpiresAt"),
            Column::string("scope"),
            Column::string("password"),
            Column::date("createdAt")
                .required()
                .default(ColumnDefault::Now),
            Column::date("updatedAt").required(),
        ],
    }
}

fn verification() -> Table {
    Table {
        name: VERIFICATION,
        order: Some(4),
        columns: vec![
            Column::id(),
            Column::string("identifier").required().indexed(),
            Column::string("value").required(),
            Column::date("expiresAt").required(),
            Column::date("createdAt")
                .required()
                .default(ColumnDefault::Now),
            Column::date("updatedAt")
                .required()
                .default(ColumnDefault::Now),
        ],
    }
}

fn two_factor() -> Table {
    Table {
        name: TWO_FACTOR,
        order: None,
        columns: vec![
            Column::id(),
            Column::string("secret").required().indexed(),
            Column::string("backupCodes").required(),
            Column::user_id(),
            Column::boolean("verified").default(ColumnDefault::Bool(true)),
            Column::number("failedVerificationCount").default(ColumnDefault::Int(0)),
            Column::date("lockedUntil"),
        ],
    }
}

/// The table Better Auth adds with `rateLimit.storage: "database"`; not part of [`tables`] until the
/// SQL rate-limit backend exists.
pub fn rate_limit_table() -> Table {
    Table {
        name: RATE_LIMIT,
        order: None,
        columns: vec![
            Column::id(),
            Column::string("key").required().unique(),
            Column::number("count").required(),
            Column::big_number("lastRequest")
                .required()
                .default(ColumnDefault::Computed),
        ],
    }
}

/// The column Better Auth 1.7.0–1.7.2 added to `account` (required, unique with `accountId`) and 1.7.3
/// removed again (reference §0.1). A database migrated by those versions may still carry it.
pub const LEGACY_ACCOUNT_ISSUER: &str = "issuer";

/// The value Better Auth 1.7.0–1.7.2 wrote into `account.issuer` for providers without an issuer of
/// their own: `local:credential` for passwords, `local:oauth:<providerId>` for OAuth. (Those versions
/// wrote the OIDC issuer URL for OIDC providers such as Google; a synthetic value is still unique per
/// provider, which is all the legacy `(issuer, accountId)` index needs.)
pub fn legacy_account_issuer(provider_id: &str) -> String {
    let encoded = encode_uri_component(provider_id);
    if provider_id == crate::model::CREDENTIAL_PROVIDER {
        format!("local:{encoded}")
    } else {
        format!("local:oauth:{encoded}")
    }
}

/// JavaScript's `encodeURIComponent`, which is what those versions applied to the provider id.
fn encode_uri_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn names(t: &Table) -> Vec<&'static str> {
        t.columns.iter().map(|c| c.name).collect()
    }

    #[test]
    fn core_only_has_no_plugin_column_or_table() {
        let tables = tables(Plugins::NONE);
        let table_names: Vec<_> = tables.iter().map(|t| t.name).collect();
        assert_eq!(table_names, [USER, SESSION, ACCOUNT, VERIFICATION]);
        let user = table(Plugins::NONE, USER).expect("table");
        assert_eq!(
            names(&user),
            [
                "id",
                "name",
                "email",
                "emailVerified",
                "image",
                "createdAt",
                "updatedAt"
            ]
        );
    }

    #[test]
    fn each_plugin_brings_its_own_columns() {
        let only = |p: Plugins| {
            let user = table(p, USER).expect("table");
            let session = table(p, SESSION).expect("table");
            let mut extra: Vec<_> = names(&user).into_iter().skip(7).collect();
            extra.extend(names(&session).into_iter().skip(8));
            extra
        };
        let admin = Plugins {
            admin: true,
            ..Plugins::NONE
        };
        assert_eq!(
            only(admin),
            [
                "role",
                "banned",
                "banReason",
                "banExpires",
                "impersonatedBy"
            ]
        );
        let username = Plugins {
            username: true,
            ..Plugins::NONE
        };
        assert_eq!(only(username), ["username", "displayUsername"]);
        let phone = Plugins {
            phone_number: true,
            ..Plugins::NONE
        };
        assert_eq!(only(phone), ["phoneNumber", "phoneNumberVerified"]);
        let two_factor = Plugins {
            two_factor: true,
            ..Plugins::NONE
        };
        assert_eq!(only(two_factor), ["twoFactorEnabled"]);
        assert!(table(two_factor, TWO_FACTOR).is_some());
    }

    #[test]
    fn only_dates_defaulting_to_now_get_a_sql_default() {
        let with_default: Vec<_> = tables(Plugins::ALL)
            .iter()
            .flat_map(|t| {
                t.columns
                    .iter()
                    .filter(|c| c.defaults_to_now())
                    .map(move |c| format!("{}.{}", t.name, c.name))
            })
            .collect();
        assert_eq!(
            with_default,
            [
                "user.createdAt",
                "user.updatedAt",
                "session.createdAt",
                "account.createdAt",
                "verification.createdAt",
                "verification.updatedAt"
            ]
        );
    }

    #[test]
    fn legacy_issuer_matches_better_auth_1_7_2() {
        assert_eq!(legacy_account_issuer("credential"), "local:credential");
        assert_eq!(legacy_account_issuer("github"), "local:oauth:github");
        assert_eq!(legacy_account_issuer("my app"), "local:oauth:my%20app");
    }
}
