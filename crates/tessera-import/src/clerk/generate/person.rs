//! One synthetic Clerk user and its two renderings: a Dashboard CSV record and a Backend API user.
//! Both come from the same value, so the export and the snapshot always agree (unless a fixture
//! says otherwise on purpose).

use super::digests::KnownDigest;
use super::go_csv::guard;
use crate::clerk::bapi;
use crate::clerk::issue::IssueKind;
use serde_json::{Value, json};

/// An email address or phone number and whether Clerk verified it.
#[derive(Debug, Clone)]
pub struct Identifier {
    pub value: String,
    pub verified: bool,
}

impl Identifier {
    pub fn verified(value: impl Into<String>) -> Identifier {
        Identifier {
            value: value.into(),
            verified: true,
        }
    }

    pub fn unverified(value: impl Into<String>) -> Identifier {
        Identifier {
            value: value.into(),
            verified: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub username: Option<String>,
    /// The primary first.
    pub emails: Vec<Identifier>,
    /// The primary first.
    pub phones: Vec<Identifier>,
    pub totp_secret: Option<String>,
    pub backup_codes: bool,
    pub password: Option<KnownDigest>,
    pub external_accounts: Vec<bapi::ExternalAccount>,
    pub banned: bool,
    pub locked: bool,
    pub has_image: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub external_id: Option<String>,
    pub public_metadata: Option<Value>,
    pub passkeys: usize,
    pub web3_wallets: usize,
    pub in_export: bool,
    pub in_snapshot: bool,
    /// How the multi-valued cells are joined (`,` or `|`: Clerk's separator is undocumented).
    pub list_separator: char,
    /// Write the record without its last column (seen in the wild).
    pub drop_last_column: bool,
    /// A hasher in the CSV although there is no digest (old-format quirk).
    pub stray_hasher: bool,
    /// Replaces the CSV record entirely (for malformed-input fixtures).
    pub raw_csv: Option<String>,
    /// Replaces the snapshot element entirely.
    pub raw_json: Option<String>,
    /// What the importer must do with this user: `None` = import it.
    pub expect_reject: Option<IssueKind>,
    /// Warnings this user exists to provoke (not exhaustive for random users).
    pub expect_warnings: Vec<IssueKind>,
    /// A fixture or fault: listed with its expectations in the generator's stats.
    pub listed: bool,
}

impl Person {
    pub fn new(id: String, created_at: i64) -> Person {
        Person {
            id,
            first_name: String::new(),
            last_name: String::new(),
            username: None,
            emails: Vec::new(),
            phones: Vec::new(),
            totp_secret: None,
            backup_codes: false,
            password: None,
            external_accounts: Vec::new(),
            banned: false,
            locked: false,
            has_image: false,
            created_at,
            updated_at: created_at,
            external_id: None,
            public_metadata: None,
            passkeys: 0,
            web3_wallets: 0,
            in_export: true,
            in_snapshot: true,
            list_separator: ',',
            drop_last_column: false,
            stray_hasher: false,
            raw_csv: None,
            raw_json: None,
            expect_reject: None,
            expect_warnings: Vec::new(),
            listed: false,
        }
    }

    /// The sign-in identifier a test would use with the known password.
    pub fn sign_in_identifier(&self) -> Option<(&'static str, &str)> {
        if let Some(email) = self.emails.first() {
            Some(("email", email.value.as_str()))
        } else if let Some(username) = &self.username {
            Some(("username", username.as_str()))
        } else {
            self.phones.first().map(|p| ("phone", p.value.as_str()))
        }
    }

    /// The 13 Dashboard cells (unquoted; the writer quotes).
    pub fn csv_fields(&self) -> Vec<String> {
        let sep = self.list_separator.to_string();
        let list = |items: &[Identifier], verified: bool| {
            let values: Vec<&str> = items
                .iter()
                .filter(|i| i.verified == verified)
                .map(|i| i.value.as_str())
                .collect();
            guard(&values.join(&sep))
        };
        let first =
            |items: &[Identifier]| items.first().map(|i| guard(&i.value)).unwrap_or_default();
        let (digest, hasher) = match &self.password {
            Some(known) => (known.digest.clone(), known.hasher.to_owned()),
            None if self.stray_hasher => (String::new(), "bcrypt".to_owned()),
            None => (String::new(), String::new()),
        };
        let mut fields = vec![
            self.id.clone(),
            guard(&self.first_name),
            guard(&self.last_name),
            self.username.as_deref().map(guard).unwrap_or_default(),
            first(&self.emails),
            first(&self.phones),
            list(&self.emails, true),
            list(&self.emails, false),
            list(&self.phones, true),
            list(&self.phones, false),
            self.totp_secret.clone().unwrap_or_default(),
            digest,
            hasher,
        ];
        if self.drop_last_column {
            fields.pop();
        }
        fields
    }

    /// The Backend API user object.
    pub fn bapi_user(&self) -> bapi::User {
        let suffix = self.id.strip_prefix("user_").unwrap_or(&self.id);
        let linked_strategy = |email: &str| {
            self.external_accounts
                .iter()
                .find(|a| a.email_address.as_deref() == Some(email))
                .map(|a| format!("from_{}", a.provider))
        };
        let verification = |verified: bool, strategy: String| {
            Some(bapi::Verification {
                status: Some(if verified { "verified" } else { "unverified" }.to_owned()),
                strategy: Some(strategy),
            })
        };
        let email_addresses: Vec<bapi::EmailAddress> = self
            .emails
            .iter()
            .enumerate()
            .map(|(k, e)| bapi::EmailAddress {
                id: format!("idn_e{k}{suffix}"),
                email_address: e.value.clone(),
                verification: verification(
                    e.verified,
                    linked_strategy(&e.value).unwrap_or_else(|| "email_code".to_owned()),
                ),
            })
            .collect();
        let phone_numbers: Vec<bapi::PhoneNumber> = self
            .phones
            .iter()
            .enumerate()
            .map(|(k, p)| bapi::PhoneNumber {
                id: format!("idn_p{k}{suffix}"),
                phone_number: p.value.clone(),
                verification: verification(p.verified, "phone_code".to_owned()),
                reserved_for_second_factor: false,
            })
            .collect();
        bapi::User {
            id: self.id.clone(),
            object: Some("user".to_owned()),
            external_id: self.external_id.clone(),
            primary_email_address_id: email_addresses.first().map(|e| e.id.clone()),
            primary_phone_number_id: phone_numbers.first().map(|p| p.id.clone()),
            username: self.username.clone(),
            first_name: (!self.first_name.is_empty()).then(|| self.first_name.clone()),
            last_name: (!self.last_name.is_empty()).then(|| self.last_name.clone()),
            image_url: Some(if self.has_image {
                format!("https://img.clerk.com/uploaded/{suffix}")
            } else {
                "https://img.clerk.com/default-avatar".to_owned()
            }),
            has_image: self.has_image,
            public_metadata: Some(self.public_metadata.clone().unwrap_or_else(|| json!({}))),
            private_metadata: Some(json!({})),
            unsafe_metadata: Some(json!({})),
            email_addresses,
            phone_numbers,
            web3_wallets: (0..self.web3_wallets)
                .map(|k| json!({"id": format!("idn_w{k}{suffix}"), "web3_wallet": "0x0"}))
                .collect(),
            passkeys: (0..self.passkeys)
                .map(|k| json!({"id": format!("idn_k{k}{suffix}"), "name": "passkey"}))
                .collect(),
            password_enabled: self.password.is_some(),
            password_last_updated_at: self.password.as_ref().map(|_| self.created_at),
            two_factor_enabled: self.totp_secret.is_some() || self.backup_codes,
            totp_enabled: self.totp_secret.is_some(),
            backup_code_enabled: self.backup_codes,
            external_accounts: self.external_accounts.clone(),
            saml_accounts: Vec::new(),
            enterprise_accounts: Vec::new(),
            banned: self.banned,
            locked: self.locked,
            lockout_expires_in_seconds: self.locked.then_some(1800),
            deprovisioned: false,
            last_sign_in_at: Some(self.updated_at),
            created_at: Some(self.created_at),
            updated_at: Some(self.updated_at),
        }
    }
}
