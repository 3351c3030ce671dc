//! Domain rows ↔ columns, by column name, written once for both dialects. Only Better Auth's core
//! columns are named here.
//!
//! Columns marked [`Column::additional`] (a plugin's, or declared in config) are not: reading walks
//! the schema into the row's [`FieldValues`], writing looks each one up there, typed by its column,
//! and a field the row does not carry takes its column's default on insert.

use std::borrow::Cow;
use std::sync::Arc;

use tessera_core::model::{
    Account, FieldValue, FieldValues, Session, TwoFactor, User, Verification,
};
use tessera_core::schema::{self, Column, FieldType};
use time::OffsetDateTime;

use crate::queries::TableSql;
use crate::value::{Cell, Field, Value};
use crate::{StoreError, StoreResult};

/// One decoded row, readable by column name.
pub(crate) struct Fields<'a> {
    table: &'a TableSql,
    cells: &'a [Cell],
}

impl<'a> Fields<'a> {
    /// `cells` in the order of `table.columns`.
    pub(crate) fn new(table: &'a TableSql, cells: &'a [Cell]) -> Self {
        Fields { table, cells }
    }

    fn cell(&self, name: &str) -> Option<&'a Cell> {
        let i = self.table.columns.iter().position(|c| c.name == name)?;
        self.cells.get(i)
    }

    /// The additional fields of the row, in schema order, keyed by the schema's own columns.
    fn additional(&self) -> StoreResult<FieldValues> {
        let mut fields = FieldValues::with_capacity(self.table.additional.len());
        for (position, column) in &self.table.additional {
            let cell = self.cells.get(*position).unwrap_or(&Cell::Null);
            let value = field_value(column.ty, cell).ok_or_else(|| {
                self.corrupt(format!(
                    "{} is not a {:?}: {cell:?}",
                    column.name, column.ty
                ))
            })?;
            fields.set(Arc::clone(column), value);
        }
        Ok(fields)
    }

    fn corrupt(&self, reason: String) -> StoreError {
        StoreError::Corrupt {
            table: self.table.name,
            reason,
        }
    }

    fn required<T>(&self, name: &str, value: Option<T>) -> StoreResult<T> {
        value.ok_or_else(|| self.corrupt(format!("{name} is NULL or missing")))
    }

    fn opt_text(&self, name: &str) -> StoreResult<Option<String>> {
        match self.cell(name) {
            None | Some(Cell::Null) => Ok(None),
            Some(Cell::Text(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.corrupt(format!("{name} is not text: {other:?}"))),
        }
    }
    fn text(&self, name: &str) -> StoreResult<String> {
        self.required(name, self.opt_text(name)?)
    }

    fn opt_bool(&self, name: &str) -> StoreResult<Option<bool>> {
        match self.cell(name) {
            None | Some(Cell::Null) => Ok(None),
            Some(Cell::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.corrupt(format!("{name} is not a boolean: {other:?}"))),
        }
    }
    fn bool(&self, name: &str) -> StoreResult<bool> {
        self.required(name, self.opt_bool(name)?)
    }

    fn opt_date(&self, name: &str) -> StoreResult<Option<OffsetDateTime>> {
        match self.cell(name) {
            None | Some(Cell::Null) => Ok(None),
            Some(Cell::Date(t)) => Ok(Some(*t)),
            Some(other) => Err(self.corrupt(format!("{name} is not a date: {other:?}"))),
        }
    }
    fn date(&self, name: &str) -> StoreResult<OffsetDateTime> {
        self.required(name, self.opt_date(name)?)
    }

    fn opt_int(&self, name: &str) -> StoreResult<Option<i64>> {
        match self.cell(name) {
            None | Some(Cell::Null) => Ok(None),
            Some(Cell::Int(n)) => Ok(Some(*n)),
            Some(other) => Err(self.corrupt(format!("{name} is not a number: {other:?}"))),
        }
    }
}

pub(crate) fn user(f: &Fields<'_>) -> StoreResult<User> {
    Ok(User {
        id: f.text("id")?,
        name: f.text("name")?,
        email: f.text("email")?,
        email_verified: f.bool("emailVerified")?,
        image: f.opt_text("image")?,
        created_at: f.date("createdAt")?,
        updated_at: f.date("updatedAt")?,
        additional: f.additional()?,
    })
}

/// A decoded cell as the value of a field of type `ty`; `None` when the cell is of another type.
fn field_value(ty: FieldType, cell: &Cell) -> Option<FieldValue> {
    Some(match (ty, cell) {
        (_, Cell::Null) => FieldValue::Null,
        (FieldType::String, Cell::Text(s)) => FieldValue::String(s.clone()),
        (FieldType::Boolean, Cell::Bool(b)) => FieldValue::Boolean(*b),
        (FieldType::Date, Cell::Date(t)) => FieldValue::Date(*t),
        (FieldType::Number | FieldType::BigNumber, Cell::Int(n)) => FieldValue::Number((*n).into()),
        (FieldType::Number | FieldType::BigNumber, Cell::Real(n)) => {
            FieldValue::Number(serde_json::Number::from_f64(*n)?)
        }
        (FieldType::Json, Cell::Json(v)) => FieldValue::Json(v.clone()),
        _ => return None,
    })
}

/// An additional field of a row being written: its value, or on insert its default.
fn additional_field<'a>(
    fields: &'a FieldValues,
    column: &'a Column,
    created_at: OffsetDateTime,
) -> Option<Field<'a>> {
    if !column.additional {
        return None;
    }
    Some(match fields.get(&column.name) {
        Some(value) => Field::of(column, value),
        None => Field::default_of(column, created_at),
    })
}

pub(crate) fn user_value(u: &User, column: &Column) -> Option<Value> {
    user_field(u, column).map(Value::from)
}

pub(crate) fn user_field<'a>(u: &'a User, column: &'a Column) -> Option<Field<'a>> {
    Some(match column.name.as_str() {
        "id" => Field::text(&u.id),
        "name" => Field::text(&u.name),
        "email" => Field::text(&u.email),
        "emailVerified" => u.email_verified.into(),
        "image" => Field::opt_text(&u.image),
        "createdAt" => u.created_at.into(),
        "updatedAt" => u.updated_at.into(),
        _ => return additional_field(&u.additional, column, u.created_at),
    })
}

pub(crate) fn session(f: &Fields<'_>) -> StoreResult<Session> {
    Ok(Session {
        id: f.text("id")?,
        expires_at: f.date("expiresAt")?,
        token: f.text("token")?,
        created_at: f.date("createdAt")?,
        updated_at: f.date("updatedAt")?,
        ip_address: f.opt_text("ipAddress")?,
        user_agent: f.opt_text("userAgent")?,
        user_id: f.text("userId")?,
        additional: f.additional()?,
    })
}

pub(crate) fn session_value(s: &Session, column: &Column) -> Option<Value> {
    Some(match column.name.as_str() {
        "id" => Value::text(&s.id),
        "expiresAt" => s.expires_at.into(),
        "token" => Value::text(&s.token),
        "createdAt" => s.created_at.into(),
        "updatedAt" => s.updated_at.into(),
        "ipAddress" => s.ip_address.clone().into(),
        "userAgent" => s.user_agent.clone().into(),
        "userId" => Value::text(&s.user_id),
        _ => return additional_field(&s.additional, column, s.created_at).map(Value::from),
    })
}

pub(crate) fn account(f: &Fields<'_>) -> StoreResult<Account> {
    Ok(Account {
        id: f.text("id")?,
        account_id: f.text("accountId")?,
        provider_id: f.text("providerId")?,
        user_id: f.text("userId")?,
        access_token: f.opt_text("accessToken")?,
        refresh_token: f.opt_text("refreshToken")?,
        id_token: f.opt_text("idToken")?,
        access_token_expires_at: f.opt_date("accessTokenExpiresAt")?,
        refresh_token_expires_at: f.opt_date("refreshTokenExpiresAt")?,
        scope: f.opt_text("scope")?,
        password: f.opt_text("password")?,
        created_at: f.date("createdAt")?,
        updated_at: f.date("updatedAt")?,
    })
}

pub(crate) fn account_value(a: &Account, column: &Column) -> Option<Value> {
    account_field(a, column).map(Value::from)
}

pub(crate) fn account_field<'a>(a: &'a Account, column: &Column) -> Option<Field<'a>> {
    Some(match column.name.as_str() {
        "id" => Field::text(&a.id),
        "accountId" => Field::text(&a.account_id),
        "providerId" => Field::text(&a.provider_id),
        "userId" => Field::text(&a.user_id),
        "accessToken" => Field::opt_text(&a.access_token),
        "refreshToken" => Field::opt_text(&a.refresh_token),
        "idToken" => Field::opt_text(&a.id_token),
        "accessTokenExpiresAt" => a.access_token_expires_at.into(),
        "refreshTokenExpiresAt" => a.refresh_token_expires_at.into(),
        "scope" => Field::opt_text(&a.scope),
        "password" => Field::opt_text(&a.password),
        "createdAt" => a.created_at.into(),
        "updatedAt" => a.updated_at.into(),
        schema::LEGACY_ACCOUNT_ISSUER => Field::Text(Some(Cow::Owned(
            schema::legacy_account_issuer(&a.provider_id),
        ))),
        _ => return None,
    })
}

pub(crate) fn verification(f: &Fields<'_>) -> StoreResult<Verification> {
    Ok(Verification {
        id: f.text("id")?,
        identifier: f.text("identifier")?,
        value: f.text("value")?,
        expires_at: f.date("expiresAt")?,
        created_at: f.date("createdAt")?,
        updated_at: f.date("updatedAt")?,
    })
}

pub(crate) fn verification_value(v: &Verification, column: &Column) -> Option<Value> {
    Some(match column.name.as_str() {
        "id" => Value::text(&v.id),
        "identifier" => Value::text(&v.identifier),
        "value" => Value::text(&v.value),
        "expiresAt" => v.expires_at.into(),
        "createdAt" => v.created_at.into(),
        "updatedAt" => v.updated_at.into(),
        _ => return None,
    })
}

pub(crate) fn two_factor(f: &Fields<'_>) -> StoreResult<TwoFactor> {
    Ok(TwoFactor {
        id: f.text("id")?,
        secret: f.text("secret")?,
        backup_codes: f.text("backupCodes")?,
        user_id: f.text("userId")?,
        verified: f.opt_bool("verified")?,
        failed_verification_count: f.opt_int("failedVerificationCount")?,
        locked_until: f.opt_date("lockedUntil")?,
    })
}

pub(crate) fn two_factor_value(t: &TwoFactor, column: &Column) -> Option<Value> {
    two_factor_field(t, column).map(Value::from)
}

pub(crate) fn two_factor_field<'a>(t: &'a TwoFactor, column: &Column) -> Option<Field<'a>> {
    Some(match column.name.as_str() {
        "id" => Field::text(&t.id),
        "secret" => Field::text(&t.secret),
        "backupCodes" => Field::text(&t.backup_codes),
        "userId" => Field::text(&t.user_id),
        "verified" => t.verified.into(),
        "failedVerificationCount" => t.failed_verification_count.into(),
        "lockedUntil" => t.locked_until.into(),
        _ => return None,
    })
}

/// The values of `row` for `columns`, in order; a column without a mapping is a programming error
/// reported as a schema error rather than a silent NULL.
pub(crate) fn values<T>(
    row: &T,
    columns: &[Column],
    value: fn(&T, &Column) -> Option<Value>,
) -> StoreResult<Vec<Value>> {
    columns
        .iter()
        .map(|c| {
            value(row, c)
                .ok_or_else(|| StoreError::Schema(format!("no value for column {}", c.name)))
        })
        .collect()
}
