//! The Clerk Backend API user object (contract §2.3–§2.6), reduced to what the import uses and
//! tolerant of what real responses do: absent fields, `null` where an array or bool was expected.
//! The same types write the generator's snapshots, so what we read is what we test with.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// `null` and absent both mean the type's default (empty list, false).
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub strategy: Option<String>,
}

/// Clerk's rule, the one its own exporter uses: verified ⇔ `verification.status == "verified"`.
pub fn is_verified(verification: Option<&Verification>) -> bool {
    verification.and_then(|v| v.status.as_deref()) == Some("verified")
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmailAddress {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub email_address: String,
    #[serde(default)]
    pub verification: Option<Verification>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhoneNumber {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub phone_number: String,
    #[serde(default)]
    pub verification: Option<Verification>,
    #[serde(default, deserialize_with = "nullable")]
    pub reserved_for_second_factor: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExternalAccount {
    #[serde(default)]
    pub id: String,
    /// `oauth_<name>`, e.g. `oauth_google`.
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub provider_user_id: Option<String>,
    /// One space-separated string, OAuth style.
    #[serde(default)]
    pub approved_scopes: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub verification: Option<Verification>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub primary_email_address_id: Option<String>,
    #[serde(default)]
    pub primary_phone_number_id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub has_image: bool,
    #[serde(default)]
    pub public_metadata: Option<Value>,
    #[serde(default)]
    pub private_metadata: Option<Value>,
    #[serde(default)]
    pub unsafe_metadata: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub email_addresses: Vec<EmailAddress>,
    #[serde(default, deserialize_with = "nullable")]
    pub phone_numbers: Vec<PhoneNumber>,
    #[serde(default, deserialize_with = "nullable")]
    pub web3_wallets: Vec<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub passkeys: Vec<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub password_enabled: bool,
    #[serde(default)]
    pub password_last_updated_at: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    pub two_factor_enabled: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub totp_enabled: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub backup_code_enabled: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub external_accounts: Vec<ExternalAccount>,
    #[serde(default, deserialize_with = "nullable")]
    pub saml_accounts: Vec<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub enterprise_accounts: Vec<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub banned: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub locked: bool,
    #[serde(default)]
    pub lockout_expires_in_seconds: Option<i64>,
    /// SCIM deprovisioning; treated like a ban.
    #[serde(default, deserialize_with = "nullable")]
    pub deprovisioned: bool,
    #[serde(default)]
    pub last_sign_in_at: Option<i64>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub updated_at: Option<i64>,
}

impl User {
    pub fn primary_email(&self) -> Option<&EmailAddress> {
        let id = self.primary_email_address_id.as_deref()?;
        self.email_addresses.iter().find(|e| e.id == id)
    }

    pub fn primary_phone(&self) -> Option<&PhoneNumber> {
        let id = self.primary_phone_number_id.as_deref()?;
        self.phone_numbers.iter().find(|p| p.id == id)
    }
}

/// Only the id, for indexing a snapshot without parsing each user twice in full.
#[derive(Debug, Deserialize)]
pub struct IdOnly {
    pub id: String,
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
    fn reads_a_spec_shaped_user_and_tolerates_nulls() {
        let user: User = serde_json::from_str(
            r#"{"id":"user_1","object":"user","external_id":null,
                "primary_email_address_id":"idn_1","primary_phone_number_id":null,
                "username":null,"first_name":"Ann","last_name":null,"image_url":"https://img",
                "has_image":true,"public_metadata":{"plan":"pro"},"private_metadata":null,
                "email_addresses":[{"id":"idn_1","object":"email_address","email_address":"a@x.dev",
                    "reserved":false,"verification":{"status":"verified","strategy":"email_code"},
                    "linked_to":[]}],
                "phone_numbers":null,"web3_wallets":[],"passkeys":[],"password_enabled":true,
                "two_factor_enabled":false,"totp_enabled":false,"backup_code_enabled":false,
                "external_accounts":[{"object":"external_account","id":"eac_1","provider":"oauth_google",
                    "identification_id":"idn_1","provider_user_id":"1234","approved_scopes":"email openid",
                    "email_address":"a@x.dev","verification":{"status":"verified","strategy":"oauth_google"},
                    "created_at":1700000000000,"updated_at":1700000000001}],
                "saml_accounts":[],"enterprise_accounts":null,"banned":false,"locked":true,
                "lockout_expires_in_seconds":900,"last_sign_in_at":null,
                "created_at":1700000000000,"updated_at":1700000000002}"#,
        )
        .unwrap();
        assert_eq!(
            user.primary_email().map(|e| e.email_address.as_str()),
            Some("a@x.dev")
        );
        assert!(is_verified(
            user.primary_email().and_then(|e| e.verification.as_ref())
        ));
        assert!(user.phone_numbers.is_empty());
        assert!(user.primary_phone().is_none());
        assert_eq!(
            user.external_accounts[0].provider_user_id.as_deref(),
            Some("1234")
        );
        assert!(user.locked && !user.banned);
        assert_eq!(user.created_at, Some(1_700_000_000_000));
    }

    #[test]
    fn only_verified_status_counts_as_verified() {
        let status = |s: &str| Verification {
            status: Some(s.to_owned()),
            strategy: None,
        };
        assert!(is_verified(Some(&status("verified"))));
        for s in ["unverified", "failed", "expired", "transferable"] {
            assert!(!is_verified(Some(&status(s))), "{s}");
        }
        assert!(!is_verified(None));
    }

    #[test]
    fn an_id_is_all_a_user_needs_to_be_read() {
        let user: User = serde_json::from_str(r#"{"id":"user_1"}"#).unwrap();
        assert_eq!(user.id, "user_1");
        assert!(serde_json::from_str::<User>(r#"{"first_name":"x"}"#).is_err());
        assert!(serde_json::from_str::<User>(r#"{"id":"u","created_at":"yesterday"}"#).is_err());
    }
}
