//! `[user.additional_fields.<name>]` and `[session.additional_fields.<name>]`: Better Auth's
//! `user.additionalFields` / `session.additionalFields`, declared in the config file.
//!
//! ```toml
//! [user.additional_fields.favoriteColor]
//! type = "string"        # string | number | boolean | date | json
//! required = false      # omitted: NOT NULL, yet not checked on sign-up (Better Auth's rule)
//! default = "blue"       # optional; a date field also takes "now"
//! input = true           # default true: clients may set it on sign-up and update-user
//! returned = true        # default true: answers carry it
//! unique = false
//! ```
//!
//! Each declaration becomes a schema [`Column`] marked [`Column::additional`], in declaration order
//! (Better Auth keeps the object's key order), so that migrate, the store and the wire follow it.

use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::ConfigError;
use crate::model::FieldValue;
use crate::schema::{self, Column, ColumnDefault, FieldType};
use crate::timefmt;

/// The declarations of one table, in the order the file gives them (a map would sort them).
#[derive(Debug, Default)]
pub struct FileFields(pub Vec<(String, FileField)>);

impl<'de> Deserialize<'de> for FileFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FileFields, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = FileFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of field declarations")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FileFields, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, FileField>()? {
                    fields.push(entry);
                }
                Ok(FileFields(fields))
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileField {
    #[serde(rename = "type")]
    pub ty: String,
    pub required: Option<bool>,
    #[serde(alias = "default_value")]
    pub default: Option<serde_json::Value>,
    pub input: Option<bool>,
    pub returned: Option<bool>,
    pub unique: Option<bool>,
}

/// The columns declared for `table` (`user` or `session`), checked.
pub(super) fn load(table: &str, file: Option<FileFields>) -> Result<Vec<Arc<Column>>, ConfigError> {
    let Some(FileFields(declared)) = file else {
        return Ok(Vec::new());
    };
    let reserved = schema::reserved_names(table);
    declared
        .into_iter()
        .map(|(name, field)| {
            let invalid = |reason: String| ConfigError::Invalid {
                key: format!("{table}.additional_fields.{name}"),
                reason,
            };
            if !is_identifier(&name) {
                return Err(invalid(
                    "a field name must start with a letter or '_' and hold only letters, digits \
                     and '_'"
                        .into(),
                ));
            }
            if reserved.contains(&name.as_str()) {
                return Err(invalid(format!(
                    "{name} is already a column of \"{table}\" (Better Auth's or one of its plugins')"
                )));
            }
            let ty = field_type(&field.ty).ok_or_else(|| {
                invalid(format!(
                    "unknown type {:?} (known: string, number, boolean, date, json)",
                    field.ty
                ))
            })?;
            let default = match field.default {
                None => ColumnDefault::None,
                Some(value) => default(ty, value).map_err(invalid)?,
            };
            let mut column = Column::additional(&name, ty).default(default);
            // As Better Auth: NOT NULL unless `required = false`, but only `required = true` makes
            // sign-up insist on a value.
            column.required = field.required != Some(false);
            column.input_required = field.required == Some(true);
            column.unique = field.unique.unwrap_or(false);
            column.input = field.input.unwrap_or(true);
            column.returned = field.returned.unwrap_or(true);
            Ok(Arc::new(column))
        })
        .collect()
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn field_type(name: &str) -> Option<FieldType> {
    Some(match name {
        "string" => FieldType::String,
        "number" => FieldType::Number,
        "boolean" => FieldType::Boolean,
        "date" => FieldType::Date,
        "json" => FieldType::Json,
        _ => return None,
    })
}

/// The TOML key the `toml` crate gives a datetime when it is read as a generic value.
const TOML_DATETIME: &str = "$__toml_private_datetime";

fn default(ty: FieldType, value: serde_json::Value) -> Result<ColumnDefault, String> {
    use serde_json::Value as J;
    let wrong = || format!("default must be a {}", ty.better_auth_name());
    let value = match value {
        J::Object(map) if ty == FieldType::Date && map.len() == 1 => match map.get(TOML_DATETIME) {
            Some(J::String(s)) => J::String(s.clone()),
            _ => return Err(wrong()),
        },
        other => other,
    };
    let value = match (ty, value) {
        (FieldType::String, J::String(s)) => FieldValue::String(s),
        (FieldType::Number | FieldType::BigNumber, J::Number(n)) => FieldValue::Number(n),
        (FieldType::Boolean, J::Bool(b)) => FieldValue::Boolean(b),
        (FieldType::Date, J::String(s)) if s == "now" => return Ok(ColumnDefault::Now),
        (FieldType::Date, J::String(s)) => FieldValue::Date(timefmt::parse_date(&s).ok_or_else(
            || format!("default {s:?} is not a date (ISO 8601, e.g. 2026-01-01T00:00:00.000Z, or \"now\")"),
        )?),
        (FieldType::Json, value) => FieldValue::Json(value),
        _ => return Err(wrong()),
    };
    Ok(ColumnDefault::Value(value))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::config::{FileConfig, load as load_config};
    use crate::schema::Name;

    fn user_fields(toml_like_json: &str) -> Result<Vec<Arc<Column>>, ConfigError> {
        let file: FileConfig = serde_json::from_str(toml_like_json).unwrap();
        load_config(file, &[], 2).map(|c| c.user_fields)
    }

    #[test]
    fn a_declaration_becomes_an_additional_column_with_better_auths_defaults() {
        let fields = user_fields(
            r#"{"user":{"additional_fields":{
                "favoriteColor":{"type":"string","default":"blue"},
                "age":{"type":"number","required":true,"input":false,"returned":false,"unique":true},
                "prefs":{"type":"json","default":{"a":[1,2]}},
                "birthday":{"type":"date","default":"now"}
            }}}"#,
        )
        .unwrap();
        let names: Vec<&str> = fields.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["favoriteColor", "age", "prefs", "birthday"],
            "declaration order"
        );
        let color = &fields[0];
        assert!(color.additional && color.input && color.returned);
        assert!(!color.unique);
        assert!(
            color.required && !color.input_required,
            "as Better Auth: NOT NULL unless required = false, checked on input only when true"
        );
        assert_eq!(color.ty, FieldType::String);
        assert_eq!(
            color.default,
            ColumnDefault::Value(FieldValue::String("blue".into()))
        );
        assert!(matches!(color.name, Name::Shared(_)));
        let age = &fields[1];
        assert!(age.required && age.input_required && age.unique && !age.input && !age.returned);
        assert_eq!(age.default, ColumnDefault::None);
        assert_eq!(
            fields[2].default,
            ColumnDefault::Value(FieldValue::Json(serde_json::json!({"a":[1,2]})))
        );
        assert_eq!(fields[3].default, ColumnDefault::Now);
    }

    #[test]
    fn toml_keeps_declaration_order_and_reads_datetimes() {
        let text = r#"
            [user.additional_fields.zeta]
            type = "string"
            [user.additional_fields.alpha]
            type = "date"
            default = 2026-01-02T03:04:05.678Z
            [session.additional_fields.device]
            type = "string"
            returned = false
        "#;
        let file: FileConfig = toml::from_str(text).unwrap();
        let c = load_config(file, &[], 2).unwrap();
        let names: Vec<&str> = c.user_fields.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
        assert!(matches!(
            c.user_fields[1].default,
            ColumnDefault::Value(FieldValue::Date(_))
        ));
        assert_eq!(c.session_fields.len(), 1);
        assert!(!c.session_fields[0].returned);
        let schema = c.schema();
        let user = schema.table(schema::USER).unwrap();
        assert_eq!(
            user.columns.last().map(|c| c.name.as_str()),
            Some("alpha"),
            "configured fields come after core and plugin columns"
        );
    }

    #[test]
    fn bad_declarations_are_refused_with_the_key_and_the_reason() {
        let error = |json: &str| match user_fields(json) {
            Err(ConfigError::Invalid { key, reason }) => format!("{key}: {reason}"),
            other => panic!("expected an error, got {other:?}"),
        };
        assert_eq!(
            error(r#"{"user":{"additional_fields":{"color":{"type":"colour"}}}}"#),
            "user.additional_fields.color: unknown type \"colour\" (known: string, number, boolean, date, json)"
        );
        assert_eq!(
            error(r#"{"user":{"additional_fields":{"color":{"type":"string","default":3}}}}"#),
            "user.additional_fields.color: default must be a string"
        );
        assert_eq!(
            error(r#"{"user":{"additional_fields":{"when":{"type":"date","default":"soon"}}}}"#),
            "user.additional_fields.when: default \"soon\" is not a date (ISO 8601, e.g. 2026-01-01T00:00:00.000Z, or \"now\")"
        );
        assert!(
            error(r#"{"user":{"additional_fields":{"email":{"type":"string"}}}}"#)
                .contains("already a column")
        );
        assert!(
            error(r#"{"user":{"additional_fields":{"role":{"type":"string"}}}}"#)
                .contains("already a column"),
            "plugin columns are reserved even when the plugin is off"
        );
        assert!(
            error(r#"{"user":{"additional_fields":{"my-field":{"type":"string"}}}}"#)
                .contains("a field name must start")
        );
        let file: Result<FileConfig, _> = serde_json::from_str(
            r#"{"user":{"additional_fields":{"color":{"type":"string","inputs":true}}}}"#,
        );
        assert!(file.is_err(), "unknown keys in a declaration are errors");
        let file: Result<FileConfig, _> =
            serde_json::from_str(r#"{"user":{"additional_fields":{"color":{}}}}"#);
        assert!(file.is_err(), "type is required");
    }

    #[test]
    fn session_fields_may_not_reuse_session_columns() {
        let file: FileConfig = serde_json::from_str(
            r#"{"session":{"additional_fields":{"impersonatedBy":{"type":"string"}}}}"#,
        )
        .unwrap();
        assert!(load_config(file, &[], 2).is_err());
    }
}
