//! Firebase's modified scrypt, Clerk hasher `scrypt_firebase` (clerk-export.md §3.2, the
//! `firebase/scrypt` README).
//!
//! Stored as `<b64 hash>$<b64 salt>$<b64 signer key>$<b64 salt separator>$<rounds>$<mem cost>`.
//! dk = scrypt(password, salt ‖ separator, N = 2^mem_cost, r = rounds, p = 1, 64 bytes); the
//! hash is AES-256-CTR(key = dk[..32], IV = 0) applied to the signer key. Signer key, separator,
//! rounds and mem cost are project-wide in Firebase: a digest may leave them empty and take them
//! from [`FirebaseParams`] in the configuration; fields present in the digest win.

use aes::Aes256;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};
use zeroize::Zeroizing;

use super::parse::{self, Reason};
use crate::crypto::ct::constant_time_eq;

const DK_LEN: usize = 64;
const AES_KEY_LEN: usize = 32;

/// A Firebase project's password-hash parameters (Firebase console → Users → "Password hash
/// parameters").
#[derive(Clone, PartialEq, Eq)]
pub struct FirebaseParams {
    pub signer_key: Vec<u8>,
    pub salt_separator: Vec<u8>,
    pub rounds: u32,
    pub mem_cost: u32,
}

impl std::fmt::Debug for FirebaseParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirebaseParams")
            .field("signer_key", &"<redacted>")
            .field("rounds", &self.rounds)
            .field("mem_cost", &self.mem_cost)
            .finish_non_exhaustive()
    }
}

impl FirebaseParams {
    /// From the base64 strings the Firebase console shows.
    pub fn from_base64(
        signer_key: &str,
        salt_separator: &str,
        rounds: u32,
        mem_cost: u32,
    ) -> Result<Self, Reason> {
        Ok(FirebaseParams {
            signer_key: parse::base64(signer_key)?,
            salt_separator: parse::base64(salt_separator)?,
            rounds,
            mem_cost,
        })
    }
}

struct Parsed {
    hash: Vec<u8>,
    salt: Vec<u8>,
    signer_key: Vec<u8>,
    separator: Vec<u8>,
    params: scrypt::Params,
}

/// Six `$`-separated fields whose last two are empty or decimal; the first must be non-empty.
pub fn looks_like(stored: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let numeric = |s: &&str| s.is_empty() || parse::decimal(s).is_some();
    parts.len() == 6
        && parts.first().is_some_and(|h| !h.is_empty())
        && parts.get(4).is_some_and(numeric)
        && parts.get(5).is_some_and(numeric)
}

fn parse_with(stored: &str, project: Option<&FirebaseParams>) -> Result<Parsed, Reason> {
    let parts: Vec<&str> = stored.split('$').collect();
    let [hash, salt, signer, separator, rounds, mem_cost] = parts.as_slice() else {
        return Err("expected 6 $-separated fields");
    };
    let hash = parse::base64(hash)?;
    parse::digest_len(hash.len(), 1024)?;
    let salt = parse::base64(salt)?;
    let signer_key = match (signer.is_empty(), project) {
        (false, _) => parse::base64(signer)?,
        (true, Some(p)) => p.signer_key.clone(),
        (true, None) => return Err("no signer key in the digest or the configuration"),
    };
    if signer_key.len() != hash.len() {
        return Err("signer key and hash differ in length");
    }
    let separator = match (separator.is_empty(), project) {
        (false, _) => parse::base64(separator)?,
        (true, Some(p)) => p.salt_separator.clone(),
        (true, None) => Vec::new(),
    };
    let number = |field: &str, from_project: Option<u32>| -> Result<u32, Reason> {
        if field.is_empty() {
            from_project.ok_or("no rounds / mem cost in the digest or the configuration")
        } else {
            parse::decimal(field).ok_or("rounds / mem cost is not a number")
        }
    };
    let rounds = number(rounds, project.map(|p| p.rounds))?;
    let mem_cost = number(mem_cost, project.map(|p| p.mem_cost))?;
    if mem_cost == 0 {
        return Err("mem cost is zero");
    }
    // 2^27 · 128 bytes is already 16 GiB; the shift below stays far from overflow.
    if mem_cost > 26 {
        return Err(parse::OVER_SCRYPT_MEMORY);
    }
    let params = parse::scrypt_params(1u64 << mem_cost, rounds, 1, DK_LEN)?;
    Ok(Parsed {
        hash,
        salt,
        signer_key,
        separator,
        params,
    })
}

/// Parses without verifying; with `project`, empty fields are filled from it.
pub fn parse(stored: &str, project: Option<&FirebaseParams>) -> Result<(), Reason> {
    parse_with(stored, project).map(|_| ())
}

/// The digest with empty project fields filled in from `project`, so that it verifies without
/// configuration later.
pub fn complete(stored: &str, project: &FirebaseParams) -> Result<String, Reason> {
    use base64::Engine;
    let parsed = parse_with(stored, Some(project))?;
    let b64 = |b: &[u8]| parse::BASE64_LENIENT.encode(b);
    let mut parts = stored.split('$');
    let hash = parts.next().unwrap_or_default();
    let salt = parts.next().unwrap_or_default();
    Ok(format!(
        "{hash}${salt}${}${}${}${}",
        b64(&parsed.signer_key),
        b64(&parsed.separator),
        parsed.params.r(),
        parsed.params.log_n(),
    ))
}

pub fn verify(
    stored: &str,
    password: &str,
    project: Option<&FirebaseParams>,
) -> Result<bool, Reason> {
    let p = parse_with(stored, project)?;
    let mut salt = p.salt.clone();
    salt.extend_from_slice(&p.separator);
    let mut dk = Zeroizing::new([0u8; DK_LEN]);
    scrypt::scrypt(password.as_bytes(), &salt, &p.params, dk.as_mut())
        .map_err(|_| "scrypt failed")?;
    let key = dk.get(..AES_KEY_LEN).ok_or("scrypt output too short")?;
    let mut cipher =
        Ctr128BE::<Aes256>::new_from_slices(key, &[0u8; 16]).map_err(|_| "AES key setup failed")?;
    let mut out = p.signer_key.clone();
    cipher.apply_keystream(&mut out);
    Ok(constant_time_eq(&out, &p.hash))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The firebase/scrypt README example in Clerk's 6-part order (clerk-export.md §3.3).
    const README: &str = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$8$14";
    const SIGNER: &str =
        "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";

    fn project() -> FirebaseParams {
        FirebaseParams::from_base64(SIGNER, "Bw==", 8, 14).unwrap()
    }

    #[test]
    fn readme_vector_verifies() {
        assert!(looks_like(README));
        assert!(verify(README, "user1password", None).unwrap());
        assert!(!verify(README, "user1Password", None).unwrap());
    }

    #[test]
    fn project_parameters_fill_empty_fields() {
        let bare = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$$$$";
        assert!(looks_like(bare));
        assert!(verify(bare, "user1password", None).is_err());
        assert!(verify(bare, "user1password", Some(&project())).unwrap());
        let completed = complete(bare, &project()).unwrap();
        assert!(verify(&completed, "user1password", None).unwrap());
    }

    #[test]
    fn caps_and_shape_errors() {
        let huge = README.replace("$8$14", "$8$18");
        assert_eq!(
            verify(&huge, "user1password", None),
            Err(parse::OVER_SCRYPT_MEMORY)
        );
        assert_eq!(
            verify(&README.replace("$8$14", "$8$99"), "x", None),
            Err(parse::OVER_SCRYPT_MEMORY)
        );
        assert!(verify(&README.replace("$8$14", "$8$0"), "x", None).is_err());
        assert!(verify("abc$def", "x", None).is_err());
        assert!(!looks_like("a$b$c$d$e$f"));
    }
}
