//! Better Auth's tables as data (reference §1.1, §2), so that `generate`, `migrate` and every query in
//! the store follow one declaration.
//!
//! A disabled plugin contributes nothing: no column, no table. Plugin columns come in the order
//! admin, two-factor, username, phone-number, which is the order of the reference DDL (§1.2); Better
//! Auth itself orders them by the `plugins` array of its config. Fields declared in config
//! (`user.additional_fields`, `session.additional_fields`: Better Auth's `additionalFields`) come
//! last, in declaration order, as Better Auth spreads `options.user.additionalFields` after the
//! plugins' fields.
//!
//! Defaults are application-side, as in Better Auth. They reach SQL only where Better Auth emits them:
//! `default CURRENT_TIMESTAMP` on PostgreSQL date columns with a default of "now", and static defaults
//! when a column is added to an existing table (the dialect rules live in `tessera-store`).

use std::fmt;
use std::sync::Arc;

use crate::model::FieldValue;
use crate::plugins::organization::{self, OrganizationOptions};
use crate::plugins::{self, Plugins};

pub const USER: &str = "user";
pub const SESSION: &str = "session";
pub const ACCOUNT: &str = "account";
pub const VERIFICATION: &str = "verification";
pub const TWO_FACTOR: &str = "twoFactor";
pub const RATE_LIMIT: &str = "rateLimit";

/// Better Auth's field types (`DBFieldType`), limited to the ones these tables and config use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Boolean,
    Date,
    Number,
    /// `number` with `bigint: true` (rateLimit.lastRequest: epoch milliseconds).
    BigNumber,
    /// Any JSON value: SQLite text, PostgreSQL `jsonb`.
    Json,
}

impl FieldType {
    /// The name Better Auth's config uses (`type: "string"`, …).
    pub fn better_auth_name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Number | FieldType::BigNumber => "number",
            FieldType::Json => "json",
        }
    }
}

/// The application-side `defaultValue` of a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnDefault {
    None,
    /// `() => new Date()`.
    Now,
    Bool(bool),
    Int(i64),
    /// A function other than "now" (e.g. `Date.now()` on a number): never becomes SQL.
    Computed,
    /// A value given in config (`default = "blue"`), already of the column's type.
    Value(FieldValue),
}

/// A column name. The schema's own are static; names declared in config are shared, so that a row's
/// [`FieldValues`](crate::model::FieldValues) holds them without allocating.
#[derive(Clone)]
pub enum Name {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Name {
    pub fn shared(name: &str) -> Name {
        Name::Shared(Arc::from(name))
    }
    pub fn as_str(&self) -> &str {
        match self {
            Name::Static(s) => s,
            Name::Shared(s) => s,
        }
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for Name {}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&'static str> for Name {
    fn from(name: &'static str) -> Name {
        Name::Static(name)
    }
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: Name,
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
    /// Better Auth's `input`: false refuses the field in sign-up and update-user bodies.
    pub input: bool,
    /// Sign-up refuses a body without the field (`MISSING_FIELD`). Better Auth checks only an
    /// explicit `required: true`, while its migrator makes any column not marked `required: false`
    /// NOT NULL ([`Column::required`]).
    pub input_required: bool,
    /// Better Auth's `returned`: false keeps the field out of every answer.
    pub returned: bool,
    /// Held in the row's [`FieldValues`](crate::model::FieldValues) rather than a struct field:
    /// plugins' columns on `user` and `session`, and the columns declared in config.
    pub additional: bool,
}

// The builders take `mut self` and assign rather than use `..self`: a const fn may not drop a value
// with a destructor, and `Name` has one.
impl Column {
    const fn new(name: &'static str, ty: FieldType) -> Column {
        Column {
            name: Name::Static(name),
            ty,
            primary_key: false,
            required: false,
            unique: false,
            index: false,
            sortable: false,
            references: None,
            default: ColumnDefault::None,
            input: true,
            input_required: false,
            returned: true,
            additional: false,
        }
    }

    /// A field declared in config (`[user.additional_fields.<name>]`): its name is only known at
    /// run time.
    pub fn additional(name: &str, ty: FieldType) -> Column {
        let mut column = Column::new("", ty);
        column.name = Name::shared(name);
        column.additional = true;
        column
    }

    /// The string primary key every table starts with.
    pub const fn id() -> Column {
        let mut column = Column::new("id", FieldType::String);
        column.primary_key = true;
        column.required = true;
        column
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
        let mut column = Column::new("userId", FieldType::String);
        column.required = true;
        column.index = true;
        column.references = Some(Reference {
            table: USER,
            column: "id",
            on_delete: OnDelete::Cascade,
        });
        column
    }

    pub const fn required(mut self) -> Column {
        self.required = true;
        self
    }
    pub const fn unique(mut self) -> Column {
        self.unique = true;
        self
    }
    pub const fn indexed(mut self) -> Column {
        self.index = true;
        self
    }
    pub const fn sortable(mut self) -> Column {
        self.sortable = true;
        self
    }
    pub fn default(mut self, default: ColumnDefault) -> Column {
        self.default = default;
        self
    }
    /// Carried in the row's [`FieldValues`](crate::model::FieldValues), not a struct field: every
    /// plugin's column on `user` and `session`.
    pub const fn in_fields(mut self) -> Column {
        self.additional = true;
        self
    }
    /// Better Auth's `input: false`.
    pub const fn no_input(mut self) -> Column {
        self.input = false;
        self
    }
    /// Better Auth's `returned: false`.
    pub const fn not_returned(mut self) -> Column {
        self.returned = false;
        self
    }
    /// `references "<table>" ("id") on delete cascade`: every reference Better Auth declares.
    pub const fn references(mut self, table: &'static str) -> Column {
        self.references = Some(Reference {
            table,
            column: "id",
            on_delete: OnDelete::Cascade,
        });
        self
    }

    /// What `default` gives a new row (`now` standing for "now"); `None` without a default.
    pub fn default_value(&self, now: time::OffsetDateTime) -> Option<FieldValue> {
        match &self.default {
            ColumnDefault::Value(value) => Some(value.clone()),
            ColumnDefault::Now if self.ty == FieldType::Date => Some(FieldValue::Date(now)),
            ColumnDefault::Bool(b) => Some(FieldValue::Boolean(*b)),
            ColumnDefault::Int(n) => Some(FieldValue::Number((*n).into())),
            _ => None,
        }
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

/// An index Tessera creates beyond Better Auth's DDL, for a query that Better Auth's single-column
/// indexes serve only by reading a whole organization (reference part 2 §1.3 has none such).
/// `migrate` creates it when missing; `generate` prints Better Auth's DDL only. Extra indexes are
/// invisible to Better Auth, so a database stays shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryIndex {
    pub name: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

/// What the database holds: the enabled plugins' tables and columns, and the fields declared in
/// config. Built once at start; `generate`, `migrate`, the store's queries and the wire all follow it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    pub plugins: Plugins,
    /// `user.additional_fields`, in declaration order (each [`Column::additional`]). Shared: rows
    /// carry these very columns as the keys of their [`FieldValues`](crate::model::FieldValues).
    pub user_fields: Vec<Arc<Column>>,
    /// `session.additional_fields`, in declaration order.
    pub session_fields: Vec<Arc<Column>>,
    /// Tables of plugins' own (not Better Auth's built-in ones), after Better Auth's.
    pub extra_tables: Vec<Table>,
    /// The organization plugin's options that change its tables (teams, dynamic access
    /// control); ignored while `plugins.organization` is off.
    pub organization: OrganizationOptions,
}

impl From<Plugins> for Schema {
    fn from(plugins: Plugins) -> Schema {
        Schema {
            plugins,
            ..Schema::default()
        }
    }
}

impl Schema {
    /// The tables, in creation order.
    pub fn tables(&self) -> Vec<Table> {
        let mut user = user(self.plugins);
        user.columns
            .extend(self.user_fields.iter().map(|c| Column::clone(c)));
        let mut session = session(self.plugins, self.organization);
        session
            .columns
            .extend(self.session_fields.iter().map(|c| Column::clone(c)));
        let mut tables = vec![user, session, account(), verification()];
        if self.plugins.two_factor {
            tables.push(two_factor());
        }
        // After twoFactor: Better Auth creates plugin tables in the order of its `plugins` array,
        // where the organization plugin comes after two-factor (reference §2.2's migration log).
        if self.plugins.organization {
            tables.extend(organization::tables(self.organization));
        }
        tables.extend(self.extra_tables.iter().cloned());
        tables
    }

    /// Tessera's own indexes for the enabled plugins (see [`QueryIndex`]).
    pub fn query_indexes(&self) -> Vec<QueryIndex> {
        if self.plugins.organization {
            organization::QUERY_INDEXES.to_vec()
        } else {
            Vec::new()
        }
    }

    /// One table of [`Schema::tables`] by name.
    pub fn table(&self, name: &str) -> Option<Table> {
        self.tables().into_iter().find(|t| t.name == name)
    }
}

/// The tables Better Auth 1.7.25 keeps for these plugins, in creation order.
pub fn tables(plugins: Plugins) -> Vec<Table> {
    Schema::from(plugins).tables()
}

/// One table of [`tables`] by name.
pub fn table(plugins: Plugins, name: &str) -> Option<Table> {
    tables(plugins).into_iter().find(|t| t.name == name)
}

/// Every column name core and the known plugins may put on `table`: a configured field may not
/// reuse one, whether or not its plugin (or the option that adds it) is enabled today.
pub fn reserved_names(table: &str) -> Vec<&'static str> {
    let every = Schema {
        plugins: Plugins {
            organization: true,
            ..Plugins::ALL
        },
        organization: OrganizationOptions::ALL,
        ..Schema::default()
    };
    every
        .tables()
        .into_iter()
        .filter(|t| t.name == table)
        .flat_map(|t| t.columns)
        .filter_map(|c| match c.name {
            Name::Static(name) => Some(name),
            Name::Shared(_) => None,
        })
        .collect()
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
    columns.extend(plugins::user_fields(plugins).map(|c| Column::clone(c)));
    Table {
        name: USER,
        order: Some(1),
        columns,
    }
}

fn session(plugins: Plugins, organization: OrganizationOptions) -> Table {
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
    columns.extend(plugins::session_fields(plugins, organization).map(|c| Column::clone(c)));
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

    fn names(t: &Table) -> Vec<String> {
        t.columns.iter().map(|c| c.name.to_string()).collect()
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
    fn the_organization_plugin_adds_its_tables_after_two_factor() {
        let schema = Schema {
            plugins: Plugins {
                organization: true,
                ..Plugins::ALL
            },
            organization: OrganizationOptions::ALL,
            ..Schema::default()
        };
        let tables = schema.tables();
        let table_names: Vec<_> = tables.iter().map(|t| t.name).collect();
        assert_eq!(
            table_names,
            [
                USER,
                SESSION,
                ACCOUNT,
                VERIFICATION,
                TWO_FACTOR,
                "organization",
                "organizationRole",
                "team",
                "teamMember",
                "member",
                "invitation"
            ]
        );
        let session = schema.table(SESSION).expect("session");
        assert_eq!(
            names(&session).get(8..).expect("plugin columns"),
            ["impersonatedBy", "activeOrganizationId", "activeTeamId"]
        );
        // Only the two dates with an app default of "now" get `default CURRENT_TIMESTAMP`.
        let now: Vec<_> = tables
            .iter()
            .skip(5)
            .flat_map(|t| {
                t.columns
                    .iter()
                    .filter(|c| c.defaults_to_now())
                    .map(move |c| format!("{}.{}", t.name, c.name))
            })
            .collect();
        assert_eq!(now, ["organizationRole.createdAt", "invitation.createdAt"]);
        // Switched off, the options change nothing.
        let off = Schema {
            organization: OrganizationOptions::ALL,
            ..Schema::from(Plugins::ALL)
        };
        assert_eq!(off.tables(), super::tables(Plugins::ALL));
    }

    #[test]
    fn configured_fields_may_not_take_the_organization_columns() {
        let reserved = reserved_names(SESSION);
        assert!(reserved.contains(&"activeOrganizationId"));
        assert!(reserved.contains(&"activeTeamId"));
    }

    #[test]
    fn legacy_issuer_matches_better_auth_1_7_2() {
        assert_eq!(legacy_account_issuer("credential"), "local:credential");
        assert_eq!(legacy_account_issuer("github"), "local:oauth:github");
        assert_eq!(legacy_account_issuer("my app"), "local:oauth:my%20app");
    }
}
