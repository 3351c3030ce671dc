//! Clerk's organization objects (contract §2.8, decided rules in the Better Auth reference
//! §4.3a): the organization, its memberships, its invitations and the instance's roles, reduced to
//! what the import uses and tolerant of absent fields and `null`s. The generator writes the same
//! types, so what we read is what we test with.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `GET /v1/organizations` element.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub has_image: bool,
    #[serde(default)]
    pub max_allowed_memberships: Option<i64>,
    #[serde(default)]
    pub admin_delete_enabled: Option<bool>,
    #[serde(default)]
    pub public_metadata: Option<Value>,
    #[serde(default)]
    pub private_metadata: Option<Value>,
    /// The user id of the creator.
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
}

/// `public_user_data` of a membership: only the user id is used (the rest is personal data).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublicUserData {
    #[serde(default)]
    pub user_id: Option<String>,
}

/// `GET /v1/organizations/{id}/memberships` element.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub id: String,
    /// A role key: `org:admin`, `org:member`, `org:<custom>`, legacy `admin` / `basic_member`.
    #[serde(default)]
    pub role: Option<String>,
    /// The role's permission keys (`org:sys_…`, `org:<resource>:<action>`).
    #[serde(default, deserialize_with = "nullable")]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub public_user_data: Option<PublicUserData>,
    #[serde(default)]
    pub created_at: Option<i64>,
}

impl Membership {
    pub fn user_id(&self) -> Option<&str> {
        self.public_user_data
            .as_ref()
            .and_then(|d| d.user_id.as_deref())
            .filter(|id| !id.is_empty())
    }
}

/// `GET /v1/organizations/{id}/invitations` element.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    /// `pending`, `accepted` or `revoked`; only `pending` is fetched and imported.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub inviter_id: Option<String>,
    #[serde(default)]
    pub public_inviter_data: Option<Value>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// A permission of a role, as `GET /v1/organization_roles` lists it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Permission {
    pub key: String,
}

/// `GET /v1/organization_roles` element: a role key and its permissions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub key: String,
    #[serde(default, deserialize_with = "nullable")]
    pub permissions: Vec<Permission>,
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn reads_spec_shaped_objects_and_tolerates_nulls() {
        let org: Organization = serde_json::from_str(
            r#"{"object":"organization","id":"org_1","name":"Acme","slug":null,
                "image_url":"https://img","has_image":false,"members_count":3,
                "max_allowed_memberships":5,"admin_delete_enabled":true,
                "public_metadata":{},"private_metadata":null,"created_by":"user_1",
                "created_at":1700000000000,"updated_at":1700000000001}"#,
        )
        .unwrap();
        assert_eq!(org.slug, None);
        assert!(!org.has_image);
        let m: Membership = serde_json::from_str(
            r#"{"id":"orgmem_1","role":"org:admin","permissions":null,
                "public_user_data":{"user_id":"user_1","identifier":"a@x.dev"},"created_at":1}"#,
        )
        .unwrap();
        assert_eq!(m.user_id(), Some("user_1"));
        assert!(m.permissions.is_empty());
        let i: Invitation = serde_json::from_str(
            r#"{"id":"orginv_1","email_address":"A@X.dev","role":"org:member","status":"pending",
                "inviter_id":null,"expires_at":5}"#,
        )
        .unwrap();
        assert_eq!(i.expires_at, Some(5));
        let r: Role =
            serde_json::from_str(r#"{"key":"org:billing","permissions":[{"key":"org:x:y"}]}"#)
                .unwrap();
        assert_eq!(r.permissions[0].key, "org:x:y");
    }
}
