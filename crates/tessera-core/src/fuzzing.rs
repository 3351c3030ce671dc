//! Entry points shared by the fuzz targets in `fuzz/` and the tests that replay their kept corpus,
//! so that both exercise exactly the same code. Not an API: nothing else should call these.
//!
//! Each returns `Err` with a description when a property the target checks does not hold; a panic
//! anywhere below is a finding by itself.

use crate::crypto::password::{self, NativeFormat, VerifyContext, clerk, parse};

/// Small enough that no input costs more than a few milliseconds, so the fuzzer explores parsers
/// instead of waiting in key derivation; the cap checks themselves still run on every input.
const FUZZ_CAPS: parse::Caps = parse::Caps {
    iterations: 1_000,
    scrypt_memory_bytes: 64 * 1024,
    argon2_memory_kib: 64,
    argon2_iterations: 2,
    bcrypt_cost: 4,
    phpass_log2: 8,
};

/// Target `password_digest`. The input is `hasher \n digest \n password` (lossy UTF-8; missing
/// parts are empty). Every stored-hash reader runs on the digest, then the importer's check for the
/// named Clerk hasher; whatever the importer accepts must verify at sign-in without an error
/// (an error there is an HTTP 500 for that user).
pub fn password_digest(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let hasher = parts.next().unwrap_or_default();
    let digest = parts.next().unwrap_or_default();
    let candidate = parts.next().unwrap_or_default();
    parse::with_caps(FUZZ_CAPS, || {
        let ctx = VerifyContext::default();
        let _ = password::identify(digest);
        let _ = password::verify(digest, candidate, &ctx);
        let _ = password::needs_rehash(digest, NativeFormat::BetterAuthScrypt);
        let _ = password::needs_rehash(digest, NativeFormat::Argon2id);
        match clerk::stored_digest(hasher, digest) {
            Ok(stored) => match password::verify(&stored, candidate, &ctx) {
                Ok(_) => Ok(()),
                Err(e) => Err(format!(
                    "imported as {hasher} but sign-in cannot verify it: {e}"
                )),
            },
            Err(_) => Ok(()),
        }
    })
}

/// Runs every file of `fuzz/corpus/<target>/` through `entry`, naming the first file that
/// panics or breaks the target's property; `Ok` holds how many files ran. The normal test run
/// calls this for every target, so the kept corpus stays a regression suite without nightly.
pub fn replay_corpus(
    target: &str,
    entry: impl Fn(&[u8]) -> Result<(), String>,
) -> Result<usize, String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let listing = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = listing
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    files.sort();
    if files.is_empty() {
        return Err(format!("no corpus in {}", dir.display()));
    }
    for file in &files {
        let data = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| entry(&data))) {
            Ok(Ok(())) => {}
            Ok(Err(violation)) => return Err(format!("{}: {violation}", file.display())),
            Err(_) => return Err(format!("{}: panicked", file.display())),
        }
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn password_digest_corpus_replays_clean() {
        assert_eq!(
            super::replay_corpus("password_digest", super::password_digest).map(|n| n > 0),
            Ok(true)
        );
    }
}
