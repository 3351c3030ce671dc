//! The whole path of an imported password: Clerk row → [`clerk::stored_digest`] → stored string →
//! [`identify`] → [`verify`], for every vector of clerk-export.md §3.3, plus rehash decisions.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::clerk::{ClerkDigestReject, stored_digest, stored_digest_with};
use super::*;

/// (hasher, password, digest as exported, format it must dispatch to). From clerk-export.md §3.3
/// except the salted rows, whose digests come from Python's hashlib (see `digest.rs`).
const CLERK_VECTORS: &[(&str, &str, &str, PasswordFormat)] = &[
    (
        "bcrypt",
        "password",
        "$2a$10$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.",
        PasswordFormat::Bcrypt,
    ),
    (
        "bcrypt_peppered",
        "password",
        "$2a$10$abcdefghijklmnopqrstuufsJoadzBoTkmhOCPpb8RqEoE8XJX6Ym$pepper123",
        PasswordFormat::BcryptPeppered,
    ),
    (
        "bcrypt_sha256_django",
        "password",
        "bcrypt_sha256$$2b$10$abcdefghijklmnopqrstuuKGtB3q5KWIAYoHKk7ixG3rOFapDVR7a",
        PasswordFormat::BcryptSha256Django,
    ),
    (
        "argon2i",
        "password",
        "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
        PasswordFormat::Argon2i,
    ),
    (
        "argon2id",
        "password",
        "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo",
        PasswordFormat::Argon2id,
    ),
    (
        "pbkdf2_sha256_django",
        "password",
        "pbkdf2_sha256$10000$seasalt$p2Nf8SH5q1HFJUvFvVd4Nj71pVA5fI7cpL2WDbb86bc=",
        PasswordFormat::Pbkdf2Sha256,
    ),
    (
        "pbkdf2_sha256",
        "password",
        "pbkdf2_sha256$10000$c2FsdHNhbHRzYWx0c2FsdA==$/HBtt7Z/7p0CzRvSN1B+KXrKNskvRts1UWw61zKTFUo=",
        PasswordFormat::Pbkdf2Sha256,
    ),
    (
        "pbkdf2_sha1",
        "password",
        "pbkdf2_sha1$10000$seasalt$3335a9869b4302f0042c257d15afdb22c3dfa256dee2a0a915543fee1b682d72",
        PasswordFormat::Pbkdf2Sha1,
    ),
    (
        "pbkdf2_sha1",
        "password",
        "pbkdf2_sha1$10000$a1b2c3d4e5f60718$2bfadb94a49cb74905004438ffad5ce1e38753f3$20",
        PasswordFormat::Pbkdf2Sha1,
    ),
    (
        "pbkdf2_sha512",
        "password",
        "pbkdf2_sha512$10000$seasalt$8fd9319dd7aca7ea4f6009a0b3e0412702b4e9344e51dd1ad44dd8cb11bfb751aa817f2be973af02a84a0d179449cce58323b44a36ee85234f83a7cc3feb7c35",
        PasswordFormat::Pbkdf2Sha512,
    ),
    (
        "pbkdf2_sha512_hex",
        "password",
        "pbkdf2_sha512_hex$10000$00112233445566778899aabbccddeeff$8aad5d7d1163900c9f11bc74fbbc2cb8076650cb798c50f1373c7559a267fc8b8fd2c4cac24589a67c4140224919bf0f5df042dbaff132fdc06afdd7e6818489",
        PasswordFormat::Pbkdf2Sha512Hex,
    ),
    (
        "scrypt_firebase",
        "user1password",
        "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$8$14",
        PasswordFormat::ScryptFirebase,
    ),
    (
        "scrypt_werkzeug",
        "password",
        "scrypt:32768:8:1$abcdefghijklmnop$d3cceeab34835ad3e2221bd2c3401369d5e66ce8702f44110c4b102fe5fa5b7ae4d18f2072e865b55f776f95dd7d1436e0ed29789c8be8dc1f6288e21cd7f851",
        PasswordFormat::ScryptWerkzeug,
    ),
    (
        "phpass",
        "password",
        "$P$9abcdefghreUCnbbQX76dJT2aHvsT6.",
        PasswordFormat::Phpass,
    ),
    (
        "md5_phpass",
        "password",
        "$H$9abcdefghreUCnbbQX76dJT2aHvsT6.",
        PasswordFormat::Md5Phpass,
    ),
    (
        "ldap_ssha",
        "password",
        "{SSHA}2D7DXcHaxkWxjlTTFhTzbi4Z/sdhYmNk",
        PasswordFormat::LdapSsha,
    ),
    (
        "md5",
        "password",
        "5f4dcc3b5aa765d61d8327deb882cf99",
        PasswordFormat::Md5,
    ),
    (
        "md5_salted",
        "password",
        "NaCl$62d19f7e7ddcb5946728776d25e410ed",
        PasswordFormat::Md5Salted,
    ),
    (
        "md5_salted",
        "password",
        "NaCl$f25b019a9470318d44d60e1416631f34",
        PasswordFormat::Md5Salted,
    ),
    (
        "sha256",
        "test",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        PasswordFormat::Sha256,
    ),
    (
        "sha256_salted",
        "pw",
        "a$b$097c561d09e5fedf01076ec991fafb6323cc7bd7536655d0a29802dfc972241a",
        PasswordFormat::Sha256Salted,
    ),
    (
        "sha512_symfony",
        "password",
        "sha512_symfony$5000$salt$iKw+yyYDAaIE9cknw6XdfjaVtHJ7Gqh+o/GYWoVpWN1wNDQcSjc8uqXSBC+yj0KOMwA7RpCKH9weKfJT+7AEHQ==",
        PasswordFormat::Sha512Symfony,
    ),
];

/// A Better Auth 1.7.25 hash of "password" (testdata/gen-vectors.mjs).
const BA_PASSWORD: &str = "de32d4ab03944e50ab0d1c23f14c3244:d2c62e303418a14c606535f4d83c8132d3038795ccd35d465da040ec977d0b1cb3dba7a95ead51d3a092020727c4514d624e57261cf2d70f7d736f171729aa78";

fn ctx() -> VerifyContext {
    VerifyContext::default()
}

#[test]
fn every_clerk_vector_imports_identifies_and_verifies() {
    for &(hasher, password, digest, format) in CLERK_VECTORS {
        let stored = stored_digest(hasher, digest).unwrap();
        assert_eq!(identify(&stored), Some(format), "{hasher}");
        assert!(
            verify(&stored, password, &ctx()).unwrap(),
            "{hasher} accepts its password"
        );
        assert!(
            !verify(&stored, "wrong password", &ctx()).unwrap(),
            "{hasher} refuses a wrong password"
        );
        assert!(
            needs_rehash(&stored, NativeFormat::BetterAuthScrypt),
            "{hasher}"
        );
    }
}

#[test]
fn self_identifying_digests_are_stored_unchanged_and_salted_ones_tagged() {
    for &(hasher, _, digest, _) in CLERK_VECTORS {
        let stored = stored_digest(hasher, digest).unwrap();
        if hasher.ends_with("_salted") {
            assert_eq!(stored, format!("{hasher}${digest}"));
            assert_eq!(identify(digest), None, "untagged {hasher} is ambiguous");
        } else {
            assert_eq!(stored, digest, "{hasher}");
        }
    }
}

#[test]
fn the_hasher_column_decides_not_the_digest() {
    let bcrypt = CLERK_VECTORS[0].2;
    let err = stored_digest("argon2id", bcrypt).unwrap_err();
    assert!(matches!(
        err,
        ClerkDigestReject::DoesNotParse {
            hasher: "argon2id",
            ..
        }
    ));
    let argon2i = CLERK_VECTORS[3].2;
    assert!(stored_digest("argon2id", argon2i).is_err());
    // pbkdf2_sha256's salt must be base64; Django's text salt "seasalt" is not.
    let django = CLERK_VECTORS[5].2;
    assert!(stored_digest("pbkdf2_sha256", django).is_err());
    assert!(stored_digest("pbkdf2_sha256_django", django).is_ok());
    assert!(
        stored_digest("md5", CLERK_VECTORS[19].2).is_err(),
        "sha256 digest as md5"
    );
    assert!(stored_digest("bcrypt", "").is_err());
}

#[test]
fn unsupported_and_unknown_hashers_say_why() {
    for hasher in ["hmac_sha256_utf16_b64", "awscognito"] {
        let err = stored_digest(hasher, "anything").unwrap_err();
        assert!(
            matches!(err, ClerkDigestReject::Unsupported { .. }),
            "{hasher}"
        );
        assert!(err.to_string().contains(hasher));
    }
    assert_eq!(
        stored_digest("md5_crypt", "x"),
        Err(ClerkDigestReject::UnknownHasher("md5_crypt".to_owned()))
    );
}

#[test]
fn digests_over_the_caps_are_reported_as_such() {
    let cases = [
        (
            "bcrypt",
            "$2a$16$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.",
        ),
        (
            "pbkdf2_sha512",
            "pbkdf2_sha512$10000001$seasalt$8fd9319dd7aca7ea4f6009a0b3e0412702b4e9344e51dd1ad44dd8cb11bfb751",
        ),
        (
            "argon2id",
            "$argon2id$v=19$m=1048576,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo",
        ),
        (
            "scrypt_werkzeug",
            "scrypt:1048576:8:1$abcdefghijklmnop$d3cceeab34835ad3e2221bd2c3401369",
        ),
    ];
    for (hasher, digest) in cases {
        let err = stored_digest(hasher, digest).unwrap_err();
        assert!(
            matches!(err, ClerkDigestReject::OverCap { .. }),
            "{hasher}: {err}"
        );
        // At sign-in the same row is an error (HTTP 500), never a silent false.
        assert!(matches!(
            verify(digest, "password", &ctx()),
            Err(PasswordError::Malformed { .. })
        ));
    }
}

#[test]
fn firebase_project_parameters_complete_the_digest_at_import() {
    let bare = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$$$$";
    assert!(stored_digest("scrypt_firebase", bare).is_err());
    let project = FirebaseParams::from_base64(
        "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
        "Bw==",
        8,
        14,
    )
    .unwrap();
    let with_project = VerifyContext {
        firebase: Some(project),
        ..VerifyContext::default()
    };
    let stored = stored_digest_with("scrypt_firebase", bare, &with_project).unwrap();
    assert_eq!(stored, CLERK_VECTORS[11].2);
    assert!(verify(&stored, "user1password", &ctx()).unwrap());
    // Configuration also fills the gaps at sign-in for rows stored incomplete.
    assert!(verify(bare, "user1password", &with_project).unwrap());
}

#[test]
fn better_auth_hashes_are_native_by_default() {
    assert_eq!(
        identify(BA_PASSWORD),
        Some(PasswordFormat::BetterAuthScrypt)
    );
    assert!(verify(BA_PASSWORD, "password", &ctx()).unwrap());
    assert!(!verify(BA_PASSWORD, "wrong password", &ctx()).unwrap());
    assert!(!needs_rehash(BA_PASSWORD, NativeFormat::BetterAuthScrypt));
    assert!(needs_rehash(BA_PASSWORD, NativeFormat::Argon2id));
}

#[test]
fn native_hashes_round_trip_and_are_not_rehashed() {
    for native in [NativeFormat::BetterAuthScrypt, NativeFormat::Argon2id] {
        let stored = hash("correct horse battery staple", native).unwrap();
        assert!(verify(&stored, "correct horse battery staple", &ctx()).unwrap());
        assert!(!verify(&stored, "correct horse battery stapler", &ctx()).unwrap());
        assert!(!needs_rehash(&stored, native), "{native:?}");
    }
    assert_eq!(
        identify(&hash("x", NativeFormat::default()).unwrap()),
        Some(PasswordFormat::BetterAuthScrypt)
    );
}

#[test]
fn native_formats_do_not_truncate() {
    // P5: 100-character passwords differing only at character 90.
    let a = format!("{}a{}", "p".repeat(89), "q".repeat(10));
    let b = format!("{}b{}", "p".repeat(89), "q".repeat(10));
    for native in [NativeFormat::BetterAuthScrypt, NativeFormat::Argon2id] {
        let stored = hash(&a, native).unwrap();
        assert!(verify(&stored, &a, &ctx()).unwrap());
        assert!(!verify(&stored, &b, &ctx()).unwrap(), "{native:?}");
    }
}

#[test]
fn composed_and_decomposed_forms_verify_alike_natively() {
    // P6.
    for native in [NativeFormat::BetterAuthScrypt, NativeFormat::Argon2id] {
        let stored = hash("Caf\u{e9}-passphrase", native).unwrap();
        assert!(
            verify(&stored, "Cafe\u{301}-passphrase", &ctx()).unwrap(),
            "{native:?}"
        );
    }
}

#[test]
fn unknown_and_broken_strings_are_errors_not_false() {
    for stored in ["", "plaintext", "$2a$10$short", "{SHA}abc"] {
        assert!(verify(stored, "password", &ctx()).is_err(), "{stored:?}");
        assert!(needs_rehash(stored, NativeFormat::BetterAuthScrypt));
    }
    assert_eq!(identify("plaintext"), None);
    assert_eq!(
        verify("nocolon", "x", &ctx()),
        Err(PasswordError::Unrecognized)
    );
    let malformed = verify("pbkdf2_sha256$x$y$z", "x", &ctx()).unwrap_err();
    assert!(matches!(
        malformed,
        PasswordError::Malformed {
            format: PasswordFormat::Pbkdf2Sha256,
            ..
        }
    ));
}

#[test]
fn error_messages_never_contain_the_digest() {
    let digest = "pbkdf2_sha512$10000001$seasalt$8fd9319dd7aca7ea4f6009a0b3e0412702b4e9344e51dd1ad44dd8cb11bfb751";
    let shown = [
        verify(digest, "pw", &ctx()).unwrap_err().to_string(),
        stored_digest("pbkdf2_sha512", digest)
            .unwrap_err()
            .to_string(),
    ];
    for text in shown {
        assert!(
            !text.contains("8fd9319d") && !text.contains("seasalt"),
            "{text}"
        );
    }
}

/// A stored digest is data an import put there; the cost it claims must never become the cost of
/// a sign-in. Each of these would hang or exhaust memory if computed; `verify` (the sign-in path)
/// refuses them as malformed, which the server answers with 500.
#[test]
fn digests_claiming_enormous_costs_are_refused_at_sign_in() {
    let hash = "d3cceeab34835ad3e2221bd2c3401369d5e66ce8702f44110c4b102fe5fa5b7a";
    let firebase = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==";
    let hostile = [
        format!("scrypt:1099511627776:8:1$salt${hash}"), // N = 2^40
        format!("scrypt:2147483648:8:1$salt${hash}"),    // N = 2^31
        format!("scrypt:16384:4294967295:1$salt${hash}"),
        format!("scrypt:16384:8:4294967295$salt${hash}"),
        format!("{firebase}$8$40"),
        format!("{firebase}$4294967295$14"),
        "$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo".to_owned(),
        "$argon2id$v=19$m=65536,t=4294967295,p=1$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo".to_owned(),
        "$2a$31$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.".to_owned(),
        format!("pbkdf2_sha512$4294967295$seasalt${hash}"),
        "sha512_symfony$4294967295$salt$iKw+yyYDAaIE9cknw6XdfjaVtHJ7Gqh+o/GYWoVpWN1wNDQcSjc8uqXSBC+yj0KOMwA7RpCKH9weKfJT+7AEHQ==".to_owned(),
        "$P$zabcdefghreUCnbbQX76dJT2aHvsT6.".to_owned(), // 2^63 rounds
    ];
    for stored in &hostile {
        let format = identify(stored);
        assert!(format.is_some(), "{stored}: should be recognised");
        assert!(
            matches!(
                verify(stored, "password", &ctx()),
                Err(PasswordError::Malformed { .. })
            ),
            "{stored}"
        );
    }
}
