//! The organization plugin's JSON shapes (reference §1.5, ORGANIZATION-NOTES "Wire shapes"),
//! built field by field in Better Auth's key order from the stored rows.

use serde_json::{Map, Value};
use tessera_core::timefmt::to_iso_ms;
use tessera_store::Row;

use crate::json_text;

fn text(row: &Row, column: &str) -> Value {
    row.text(column)
        .map_or(Value::Null, |s| Value::String(s.to_owned()))
}

fn date(row: &Row, column: &str) -> Value {
    row.date(column)
        .map_or(Value::Null, |t| Value::String(to_iso_ms(t)))
}

/// How an answer carries `metadata`: Better Auth parses it back into an object only in the create
/// and update answers, and there leaves the key out when there is none; every other answer gives
/// the stored JSON text (or null).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metadata {
    Object,
    Text,
}

/// An organization: `name, slug, logo, createdAt, metadata, id`.
pub fn organization(row: &Row, metadata: Metadata) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), text(row, "name"));
    m.insert("slug".into(), text(row, "slug"));
    m.insert("logo".into(), text(row, "logo"));
    m.insert("createdAt".into(), date(row, "createdAt"));
    match metadata {
        Metadata::Text => {
            m.insert("metadata".into(), text(row, "metadata"));
        }
        Metadata::Object => {
            // Stored by us as `JSON.stringify(object)`; text that is not JSON stays text.
            if let Some(stored) = row.text("metadata") {
                let value = serde_json::from_str(stored)
                    .unwrap_or_else(|_| Value::String(stored.to_owned()));
                m.insert("metadata".into(), value);
            }
        }
    }
    m.insert("id".into(), text(row, "id"));
    m
}

/// A member: `organizationId, userId, role, createdAt, id`, then `user` when the answer has it.
pub fn member(row: &Row, user: Option<&Row>) -> Value {
    let mut m = Map::new();
    m.insert("organizationId".into(), text(row, "organizationId"));
    m.insert("userId".into(), text(row, "userId"));
    m.insert("role".into(), text(row, "role"));
    m.insert("createdAt".into(), date(row, "createdAt"));
    m.insert("id".into(), text(row, "id"));
    if let Some(user) = user {
        m.insert("user".into(), member_user(user));
    }
    Value::Object(m)
}

/// The member's `user`: `{id, name, email, image}` only.
fn member_user(user: &Row) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), text(user, "id"));
    m.insert("name".into(), text(user, "name"));
    m.insert("email".into(), text(user, "email"));
    m.insert("image".into(), text(user, "image"));
    Value::Object(m)
}

/// An invitation: `organizationId, email, role, [teamId], status, expiresAt, createdAt,
/// inviterId, id` (`teamId` only with teams).
pub fn invitation(row: &Row, teams: bool) -> Value {
    let mut m = Map::new();
    m.insert("organizationId".into(), text(row, "organizationId"));
    m.insert("email".into(), text(row, "email"));
    m.insert("role".into(), text(row, "role"));
    if teams {
        m.insert("teamId".into(), text(row, "teamId"));
    }
    m.insert("status".into(), text(row, "status"));
    m.insert("expiresAt".into(), date(row, "expiresAt"));
    m.insert("createdAt".into(), date(row, "createdAt"));
    m.insert("inviterId".into(), text(row, "inviterId"));
    m.insert("id".into(), text(row, "id"));
    Value::Object(m)
}

/// A team in get-full-organization: `name, memberCount, organizationId, createdAt, updatedAt, id`
/// (`memberCount` although the schema says `returned: false`, as Better Auth answers it there).
pub fn full_team(row: &Row) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), text(row, "name"));
    m.insert(
        "memberCount".into(),
        row.int("memberCount").map_or(Value::Null, Value::from),
    );
    m.insert("organizationId".into(), text(row, "organizationId"));
    m.insert("createdAt".into(), date(row, "createdAt"));
    m.insert("updatedAt".into(), date(row, "updatedAt"));
    m.insert("id".into(), text(row, "id"));
    Value::Object(m)
}

/// A team: `name, organizationId, createdAt, updatedAt, id` (`memberCount` stays inside).
pub fn team(row: &Row) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), text(row, "name"));
    m.insert("organizationId".into(), text(row, "organizationId"));
    m.insert("createdAt".into(), date(row, "createdAt"));
    m.insert("updatedAt".into(), date(row, "updatedAt"));
    m.insert("id".into(), text(row, "id"));
    Value::Object(m)
}

/// A team member: `teamId, userId, createdAt, id` (`membershipKey` stays inside).
pub fn team_member(row: &Row) -> Value {
    let mut m = Map::new();
    m.insert("teamId".into(), text(row, "teamId"));
    m.insert("userId".into(), text(row, "userId"));
    m.insert("createdAt".into(), date(row, "createdAt"));
    m.insert("id".into(), text(row, "id"));
    Value::Object(m)
}

/// [`member`] with its user, written straight as JSON text (list-members' large pages).
pub fn write_member_with_user(out: &mut Vec<u8>, row: &Row, user: &Row) {
    let created_at = row.date("createdAt").map(to_iso_ms);
    json_text::Object::open(out)
        .text("organizationId", row.text("organizationId"))
        .text("userId", row.text("userId"))
        .text("role", row.text("role"))
        .text("createdAt", created_at.as_deref())
        .text("id", row.text("id"))
        .with("user", |out| {
            json_text::Object::open(out)
                .text("id", user.text("id"))
                .text("name", user.text("name"))
                .text("email", user.text("email"))
                .text("image", user.text("image"))
                .finish();
        })
        .finish();
}
