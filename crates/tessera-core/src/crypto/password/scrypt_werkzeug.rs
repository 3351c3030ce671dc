//! Werkzeug's scrypt format, Clerk hasher `scrypt_werkzeug` (clerk-export.md §3.2):
//! `scrypt:<N>:<r>:<p>$<salt text>$<hex hash>` — hashlib.scrypt over the password with the salt
//! TEXT as bytes, 64-byte output.
//!
//! Clerk's CLI converts Better Auth hashes into this format (`scrypt:16384:16:1$<saltHex>$<key>`);
//! those keys were derived from the NFKC form of the password, so when the raw password fails and
//! its NFKC form differs, the NFKC form is tried too.

use zeroize::Zeroizing;

use super::nfkc;
use super::parse::{self, Reason};
use crate::crypto::ct::constant_time_eq;

const MAX_DK_LEN: usize = 64;

struct Parsed<'a> {
    params: scrypt::Params,
    salt: &'a str,
    digest: Vec<u8>,
}

pub fn looks_like(stored: &str) -> bool {
    stored.starts_with("scrypt:")
}

fn parse_inner(stored: &str) -> Result<Parsed<'_>, Reason> {
    let rest = stored
        .strip_prefix("scrypt:")
        .ok_or("expected scrypt:N:r:p$salt$hash")?;
    let mut fields = rest.split('$');
    let (Some(args), Some(salt), Some(digest), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err("expected scrypt:N:r:p$salt$hash");
    };
    let mut args = args.split(':').map(parse::decimal);
    let (Some(Some(n)), Some(Some(r)), Some(Some(p)), None) =
        (args.next(), args.next(), args.next(), args.next())
    else {
        return Err("expected numeric N:r:p");
    };
    if salt.is_empty() {
        return Err("empty salt");
    }
    let digest = parse::hex(digest)?;
    parse::digest_len(digest.len(), MAX_DK_LEN)?;
    let params = parse::scrypt_params(u64::from(n), r, p, MAX_DK_LEN)?;
    Ok(Parsed {
        params,
        salt,
        digest,
    })
}

pub fn parse(stored: &str) -> Result<(), Reason> {
    parse_inner(stored).map(|_| ())
}

pub fn verify(stored: &str, password: &str) -> Result<bool, Reason> {
    let parsed = parse_inner(stored)?;
    if check(&parsed, password)? {
        return Ok(true);
    }
    let normalized = nfkc(password);
    if normalized.as_str() != password {
        return check(&parsed, &normalized);
    }
    Ok(false)
}

fn check(parsed: &Parsed<'_>, password: &str) -> Result<bool, Reason> {
    let mut out = Zeroizing::new(vec![0u8; parsed.digest.len()]);
    scrypt::scrypt(
        password.as_bytes(),
        parsed.salt.as_bytes(),
        &parsed.params,
        &mut out,
    )
    .map_err(|_| "scrypt failed")?;
    Ok(constant_time_eq(&out, &parsed.digest))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Werkzeug `generate_password_hash` output (clerk-export.md §3.3).
    const WERKZEUG: &str = "scrypt:32768:8:1$abcdefghijklmnop$d3cceeab34835ad3e2221bd2c3401369d5e66ce8702f44110c4b102fe5fa5b7ae4d18f2072e865b55f776f95dd7d1436e0ed29789c8be8dc1f6288e21cd7f851";

    #[test]
    fn werkzeug_vector_verifies() {
        assert!(verify(WERKZEUG, "password").unwrap());
        assert!(!verify(WERKZEUG, "passwore").unwrap());
    }

    #[test]
    fn better_auth_hashes_converted_by_clerk_verify() {
        // A Better Auth 1.7.25 hash (testdata/gen-vectors.mjs) in Clerk's conversion.
        let converted = "scrypt:16384:16:1$fa974e037966e436f1bfd2a43ff99a49$119da47d0492cebd95dd64b630be172b41cb632a2e3d5c76e8b59d009798eb98205981bbae40b98cb59932d52b484413226fc2bec58da11ba8b7061a03688282";
        assert!(verify(converted, "caf\u{e9} \u{fb01}nance \u{2460}").unwrap());
        assert!(!verify(converted, "cafe finance 1").unwrap());
    }

    #[test]
    fn malformed_and_over_cap_digests_are_parse_errors() {
        assert!(verify("scrypt:32768:8$abc$00", "x").is_err());
        assert!(verify("scrypt:1000:8:1$abcdefghijklmnop$00", "x").is_err());
        let huge = WERKZEUG.replacen("scrypt:32768:", "scrypt:262144:", 1);
        assert!(verify(&huge, "password").is_err(), "256 MiB");
        assert!(verify("scrypt:32768:8:1$$d3cceeab34835ad3e2221bd2c3401369", "x").is_err());
        assert!(
            verify("scrypt:32768:8:1$salt$d3cc", "x").is_err(),
            "2-byte digest"
        );
    }
}
