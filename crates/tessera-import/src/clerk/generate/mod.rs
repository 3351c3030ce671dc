//! Deterministic Clerk exports of any size: a Dashboard CSV, the matching Backend API snapshot,
//! and the known passwords of every password user, for tests, the README example and benchmarks.
//!
//! The same options and seed give byte-identical files. A million users take a few seconds: users
//! are generated on the fly from (seed, position) and never held in memory, and password digests
//! come from a small precomputed pool (see `digests.rs`).

mod digests;
mod go_csv;
pub mod orgs;
mod person;
mod population;
mod rng;

pub use digests::KnownDigest;
pub use population::Mix;

use crate::clerk::bapi;
use crate::clerk::issue::IssueKind;
use crate::clerk::providers::clerk_provider_to_better_auth;
use person::Person;
use rng::Rng;
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The Dashboard export header, exactly as Clerk writes it.
pub const DASHBOARD_HEADER: [&str; 13] = [
    "id",
    "first_name",
    "last_name",
    "username",
    "primary_email_address",
    "primary_phone_number",
    "verified_email_addresses",
    "unverified_email_addresses",
    "verified_phone_numbers",
    "unverified_phone_numbers",
    "totp_secret",
    "password_digest",
    "password_hasher",
];

pub const CSV_FILE: &str = "exported_users.csv";
pub const SNAPSHOT_FILE: &str = "users.json";
pub const PASSWORDS_FILE: &str = "known_passwords.csv";

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Random users, besides fixtures and faults.
    pub users: u64,
    pub seed: u64,
    /// Add the edge cases of contract §1.7 (all importable).
    pub edge_cases: bool,
    /// Add bad rows, one per kind of bad input (each must be rejected).
    pub faults: bool,
    /// Every how many random users one is replaced by a hostile one (0: never): in turn, a bad row
    /// of each fault kind (copying from the users just before it where the kind needs to), then
    /// an importable user with an awkwardly encoded name. Spreads faults through the whole file.
    pub hostile_every: u64,
    /// Write the CSV as a spreadsheet re-save would: UTF-8 BOM and CRLF line endings.
    pub spreadsheet_style: bool,
    /// bcrypt cost of the digest pool (Clerk: 10; tests may go lower to sign in faster).
    pub bcrypt_cost: u32,
    /// How many distinct bcrypt digests the users share.
    pub bcrypt_pool: usize,
    pub mix: Mix,
    /// Random organizations (besides the fixed ones that come with `edge_cases`), written to
    /// `users.organizations.ndjson` with their memberships and invitations.
    pub organizations: u64,
}

impl GenerateOptions {
    /// A benchmark run: clean data in the benchmark mix, no faults.
    pub fn bench(users: u64) -> GenerateOptions {
        GenerateOptions {
            users,
            seed: 1,
            edge_cases: false,
            faults: false,
            hostile_every: 0,
            spreadsheet_style: false,
            bcrypt_cost: 10,
            bcrypt_pool: 8,
            mix: Mix::default(),
            organizations: 0,
        }
    }

    /// An export meant to break the importer: every edge case and fault kind, faults and odd
    /// encodings throughout the file (one user in 50), re-saved as a spreadsheet would (BOM, CRLF).
    pub fn hostile(users: u64) -> GenerateOptions {
        GenerateOptions {
            edge_cases: true,
            faults: true,
            hostile_every: 50,
            spreadsheet_style: true,
            ..GenerateOptions::bench(users)
        }
    }

    /// The small example the README imports: every edge case, no faults.
    pub fn example() -> GenerateOptions {
        GenerateOptions {
            users: 50,
            edge_cases: true,
            organizations: 6,
            ..GenerateOptions::bench(50)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("writing the export failed: {0}")]
    Io(#[from] io::Error),
    #[error("invalid bcrypt cost: {0}")]
    Bcrypt(#[from] bcrypt::BcryptError),
    #[error("writing the snapshot failed: {0}")]
    Json(#[from] serde_json::Error),
}

/// What a fixture or fault user is there to provoke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expectation {
    pub clerk_id: String,
    pub reject: Option<IssueKind>,
    pub warnings: Vec<IssueKind>,
}

/// What an import of the generated files must produce, with every plugin on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GenerateStats {
    pub export_records: u64,
    pub snapshot_users: u64,
    pub expected_users: u64,
    pub expected_rejects: u64,
    pub expected_credential_accounts: u64,
    pub expected_oauth_accounts: u64,
    pub expected_two_factors: u64,
    pub expected_banned: u64,
    pub expected_placeholder_emails: u64,
    pub known_passwords: u64,
    /// What the organizations side file must import to (all zero without one).
    pub organizations: orgs::OrgStats,
    /// Fixtures and faults, by Clerk id.
    pub expectations: Vec<Expectation>,
}

#[derive(Debug, Clone)]
pub struct GeneratedPaths {
    pub csv: PathBuf,
    pub snapshot: PathBuf,
    pub passwords: PathBuf,
    /// The organizations side file, when organizations were generated.
    pub organizations: Option<PathBuf>,
}

/// Writes `exported_users.csv`, `users.json` and `known_passwords.csv` into `dir`.
pub fn generate_to_dir(
    options: &GenerateOptions,
    dir: &Path,
) -> Result<(GeneratedPaths, GenerateStats), GenerateError> {
    std::fs::create_dir_all(dir)?;
    let paths = GeneratedPaths {
        csv: dir.join(CSV_FILE),
        snapshot: dir.join(SNAPSHOT_FILE),
        passwords: dir.join(PASSWORDS_FILE),
        organizations: None,
    };
    let mut csv = BufWriter::with_capacity(1 << 20, File::create(&paths.csv)?);
    let mut snapshot = BufWriter::with_capacity(1 << 20, File::create(&paths.snapshot)?);
    let mut passwords = BufWriter::with_capacity(1 << 20, File::create(&paths.passwords)?);
    let mut stats = generate(options, &mut csv, &mut snapshot, &mut passwords)?;
    csv.flush()?;
    snapshot.flush()?;
    passwords.flush()?;
    let mut paths = paths;
    if options.edge_cases || options.organizations > 0 {
        let path = crate::clerk::org_snapshot::organizations_path(&paths.snapshot);
        let mut out = crate::clerk::org_snapshot::OrgSnapshotWriter::create(&path)?;
        stats.organizations = generate_organizations(options, &mut out)?;
        out.finish()?;
        paths.organizations = Some(path);
    }
    Ok((paths, stats))
}

/// The organizations of the population `options` describes (see [`orgs`]).
fn generate_organizations(
    options: &GenerateOptions,
    out: &mut crate::clerk::org_snapshot::OrgSnapshotWriter,
) -> Result<orgs::OrgStats, GenerateError> {
    let population = Population::new(options)?;
    let first = population.fixtures.len() as u64;
    let head = population.head();
    let importable_at = |p: u64| {
        let person = population.person(p);
        (person.expect_reject.is_none() && population.hostile_slot(p).is_none())
            .then_some(person.id)
    };
    // The fixed organizations' people sign in by email and password, so that tests (and a
    // newcomer) can sign in as their creators whatever the random users before them hold.
    let signs_in_by_password = |p: u64| {
        let person = population.person(p);
        (person.password.is_some() && !person.emails.is_empty())
            .then(|| importable_at(p))
            .flatten()
    };
    let importable: Vec<String> = (first..head)
        .filter_map(signs_in_by_password)
        .take(8)
        .collect();
    let fallback = importable.first().cloned().unwrap_or_default();
    let span = head - first;
    let mut pick_user = |rng: &mut Rng| {
        for _ in 0..20 {
            if span == 0 {
                break;
            }
            if let Some(id) = importable_at(first + rng.below(span)) {
                return id;
            }
        }
        fallback.clone()
    };
    let mut rng = population.root.fork(7);
    Ok(orgs::generate(
        out,
        &mut rng,
        &importable,
        options.edge_cases,
        options.organizations,
        &mut pick_user,
        population::EPOCH_MS,
    )?)
}

/// The population: fixtures, then random users, then faults, each a function of its position.
struct Population {
    root: Rng,
    pool: digests::DigestPool,
    fixtures: Vec<Person>,
    faults: Vec<Person>,
    mix: Mix,
    users: u64,
    hostile_every: u64,
}

impl Population {
    fn new(options: &GenerateOptions) -> Result<Population, GenerateError> {
        let root = Rng::new(options.seed);
        let pool =
            digests::DigestPool::new(&mut root.fork(1), options.bcrypt_pool, options.bcrypt_cost)?;
        let fixtures = if options.edge_cases {
            population::fixtures(&mut root.fork(2), &pool)
        } else {
            Vec::new()
        };
        let mut population = Population {
            root,
            pool,
            fixtures,
            faults: Vec::new(),
            mix: options.mix,
            users: options.users,
            hostile_every: options.hostile_every,
        };
        if options.faults {
            // Duplicates copy from the first users: fixtures, else the first random ones.
            let mut earlier: Vec<Person> = population.fixtures.clone();
            let fixtures = population.fixtures.len() as u64;
            earlier.extend(
                (fixtures..population.head().min(fixtures + 200))
                    .filter(|&i| population.hostile_slot(i).is_none())
                    .map(|i| population.person(i)),
            );
            let first = population.head();
            population.faults = population::faults(
                first,
                &mut population.root.fork(3),
                &population.pool,
                &earlier,
            );
        }
        Ok(population)
    }

    /// Fixtures plus random users.
    fn head(&self) -> u64 {
        self.fixtures.len() as u64 + self.users
    }

    fn len(&self) -> u64 {
        self.head() + self.faults.len() as u64
    }

    fn person(&self, position: u64) -> Person {
        let fixtures = self.fixtures.len() as u64;
        if position < fixtures {
            return self
                .fixtures
                .get(usize::try_from(position).unwrap_or(usize::MAX))
                .cloned()
                .unwrap_or_else(|| Person::new(String::new(), 0));
        }
        if position >= self.head() {
            let k = usize::try_from(position - self.head()).unwrap_or(usize::MAX);
            return self
                .faults
                .get(k)
                .cloned()
                .unwrap_or_else(|| Person::new(String::new(), 0));
        }
        if let Some(slot) = self.hostile_slot(position) {
            return self.hostile_person(slot, position);
        }
        self.random_person(position)
    }

    fn random_person(&self, position: u64) -> Person {
        let mut rng = self.root.fork(1_000 + position);
        population::random_person(position, &mut rng, &self.pool, &self.mix)
    }

    /// Which hostile user a random position holds, counting from 0, if it holds one.
    fn hostile_slot(&self, position: u64) -> Option<u64> {
        let fixtures = self.fixtures.len() as u64;
        if self.hostile_every == 0 || position < fixtures || position >= self.head() {
            return None;
        }
        let nth = position - fixtures + 1;
        nth.is_multiple_of(self.hostile_every)
            .then(|| nth / self.hostile_every - 1)
    }

    fn hostile_person(&self, slot: u64, position: u64) -> Person {
        let kinds = population::FAULT_KINDS.len() as u64;
        let variant = slot % (kinds + population::ODD_ENCODINGS);
        let fault_kind = usize::try_from(variant)
            .ok()
            .and_then(|k| population::FAULT_KINDS.get(k));
        let Some(&kind) = fault_kind else {
            let mut person = self.random_person(position);
            population::odd_encoding(variant - kinds, &mut person);
            return person;
        };
        // Nearest first, so a duplicate copies from the user just before it.
        let earlier: Vec<Person> = (1..=40)
            .filter_map(|back| position.checked_sub(back))
            .filter(|&p| p >= self.fixtures.len() as u64 && self.hostile_slot(p).is_none())
            .map(|p| self.random_person(p))
            .collect();
        let mut rng = self.root.fork(1_000 + position);
        match population::fault(kind, position, &mut rng, &self.pool, &earlier) {
            Some(mut fault) => {
                fault.created_at = population::created_at(position, 0);
                fault
            }
            None => self.random_person(position),
        }
    }
}

/// Writes the three files to the given writers.
pub fn generate<C: Write, S: Write, P: Write>(
    options: &GenerateOptions,
    csv: &mut C,
    snapshot: &mut S,
    passwords: &mut P,
) -> Result<GenerateStats, GenerateError> {
    let population = Population::new(options)?;
    let line_end = if options.spreadsheet_style {
        "\r\n"
    } else {
        "\n"
    };
    if options.spreadsheet_style {
        csv.write_all("\u{feff}".as_bytes())?;
    }
    go_csv::write_record(csv, &DASHBOARD_HEADER, line_end)?;
    go_csv::write_record(
        passwords,
        &[
            "clerk_id",
            "sign_in_with",
            "identifier",
            "password",
            "hasher",
        ],
        "\n",
    )?;
    let mut stats = GenerateStats::default();
    snapshot.write_all(b"[")?;
    for position in 0..population.len() {
        let person = population.person(position);
        count(&person, &mut stats);
        if person.in_export {
            stats.export_records += 1;
            write_csv_record(csv, &person, line_end)?;
            if person.expect_reject.is_none()
                && let (Some(known), Some((with, identifier))) =
                    (&person.password, person.sign_in_identifier())
            {
                stats.known_passwords += 1;
                let fields = [
                    person.id.as_str(),
                    with,
                    identifier,
                    &known.password,
                    known.hasher,
                ];
                go_csv::write_record(passwords, &fields, "\n")?;
            }
        }
        if person.in_snapshot {
            // `+created_at` order, as the `api` client lists users.
            snapshot.write_all(if stats.snapshot_users == 0 {
                b"\n"
            } else {
                b",\n"
            })?;
            stats.snapshot_users += 1;
            match &person.raw_json {
                Some(raw) => snapshot.write_all(raw.as_bytes())?,
                None => serde_json::to_writer(&mut *snapshot, &person.bapi_user())?,
            }
        }
    }
    snapshot.write_all(b"\n]\n")?;
    Ok(stats)
}

fn write_csv_record<W: Write>(csv: &mut W, person: &Person, line_end: &str) -> io::Result<()> {
    match &person.raw_csv {
        Some(raw) => {
            csv.write_all(raw.as_bytes())?;
            csv.write_all(line_end.as_bytes())
        }
        None => {
            let fields = person.csv_fields();
            let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
            go_csv::write_record(csv, &refs, line_end)
        }
    }
}

/// Tallies what an import must produce for this user, by rules simple enough to check by eye.
fn count(person: &Person, stats: &mut GenerateStats) {
    if person.listed {
        stats.expectations.push(Expectation {
            clerk_id: person.id.clone(),
            reject: person.expect_reject,
            warnings: person.expect_warnings.clone(),
        });
    }
    if person.expect_reject.is_some() {
        stats.expected_rejects += 1;
        return;
    }
    stats.expected_users += 1;
    if person.in_export && person.password.is_some() {
        stats.expected_credential_accounts += 1;
    }
    if person.in_export && person.totp_secret.is_some() {
        stats.expected_two_factors += 1;
    }
    if person.emails.is_empty() {
        stats.expected_placeholder_emails += 1;
    }
    if person.in_snapshot {
        stats.expected_oauth_accounts += person
            .external_accounts
            .iter()
            .filter(|a| bapi::is_verified(a.verification.as_ref()))
            .filter(|a| clerk_provider_to_better_auth(&a.provider).is_some())
            .count() as u64;
        if person.banned {
            stats.expected_banned += 1;
        }
    }
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
    use crate::clerk::csv::CsvExport;
    use crate::clerk::snapshot::SnapshotReader;

    fn small(users: u64) -> GenerateOptions {
        GenerateOptions {
            users,
            edge_cases: true,
            faults: true,
            bcrypt_cost: 4,
            bcrypt_pool: 2,
            ..GenerateOptions::bench(users)
        }
    }

    fn run(options: &GenerateOptions) -> (Vec<u8>, Vec<u8>, Vec<u8>, GenerateStats) {
        let (mut c, mut s, mut p) = (Vec::new(), Vec::new(), Vec::new());
        let stats = generate(options, &mut c, &mut s, &mut p).unwrap();
        (c, s, p, stats)
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let a = run(&small(200));
        let b = run(&small(200));
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
        assert_eq!(a.2, b.2);
        let other = run(&GenerateOptions {
            seed: 2,
            ..small(200)
        });
        assert_ne!(a.0, other.0);
    }

    #[test]
    fn the_csv_reads_back_with_one_row_per_record() {
        let (csv, _, _, stats) = run(&small(300));
        let records: Vec<_> = CsvExport::new(&csv[..])
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(records.len() as u64, stats.export_records);
        let malformed = records.iter().filter(|r| r.is_err()).count();
        assert_eq!(malformed, 1, "only the malformed-row fault fails to read");
    }

    #[test]
    fn the_snapshot_reads_back_as_clerk_users() {
        let (_, snapshot, _, stats) = run(&small(300));
        let users: Vec<_> = SnapshotReader::new(&snapshot[..])
            .map(|u| u.unwrap())
            .collect();
        assert_eq!(users.len() as u64, stats.snapshot_users);
        assert_eq!(
            users.iter().filter(|u| u.is_err()).count(),
            1,
            "only the invalid-user fault"
        );
    }

    #[test]
    fn the_mix_is_roughly_the_benchmark_s() {
        let options = GenerateOptions {
            bcrypt_cost: 4,
            ..GenerateOptions::bench(20_000)
        };
        let (_, _, _, stats) = run(&options);
        let share = |n: u64| n as f64 / stats.expected_users as f64;
        assert!(
            (0.25..0.35).contains(&share(stats.expected_oauth_accounts)),
            "{stats:?}"
        );
        assert!(
            (0.08..0.12).contains(&share(stats.expected_two_factors)),
            "{stats:?}"
        );
        assert!(
            (0.01..0.03).contains(&share(stats.expected_banned)),
            "{stats:?}"
        );
        assert!(
            (0.02..0.045).contains(&share(stats.expected_placeholder_emails)),
            "{stats:?}"
        );
        assert_eq!(stats.expected_rejects, 0);
    }

    #[test]
    fn known_passwords_list_every_password_user() {
        let (_, _, passwords, stats) = run(&small(100));
        let lines = String::from_utf8(passwords).unwrap().lines().count() as u64;
        assert_eq!(lines, stats.known_passwords + 1);
        assert!(stats.known_passwords > 0);
    }

    #[test]
    fn spreadsheet_style_adds_a_bom_and_crlf() {
        let (csv, _, _, _) = run(&GenerateOptions {
            spreadsheet_style: true,
            ..small(10)
        });
        assert!(csv.starts_with("\u{feff}id,".as_bytes()));
        assert!(csv.windows(2).any(|w| w == b"\r\n"));
    }

    #[test]
    fn a_hostile_export_spreads_every_fault_kind_through_the_file() {
        let options = GenerateOptions {
            bcrypt_cost: 4,
            bcrypt_pool: 2,
            ..GenerateOptions::hostile(2_000)
        };
        let (csv, snapshot, _, stats) = run(&options);
        assert!(csv.starts_with("\u{feff}id,".as_bytes()));
        let mut per_kind: std::collections::BTreeMap<IssueKind, u64> = Default::default();
        for kind in stats.expectations.iter().filter_map(|e| e.reject) {
            *per_kind.entry(kind).or_default() += 1;
        }
        for kind in population::FAULT_KINDS {
            // 40 hostile slots over 16 variants, plus the one at the end of the file.
            let n = per_kind.get(&kind).copied().unwrap_or(0);
            assert!(n >= 3, "{kind:?} only {n} times");
        }
        let first_fault = csv.windows(7).position(|w| w == b",Fault,").unwrap();
        assert!(
            first_fault < csv.len() / 10,
            "faults start early in the file"
        );

        let records: Vec<_> = CsvExport::new(&csv[..])
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(records.len() as u64, stats.export_records);
        let malformed = records.iter().filter(|r| r.is_err()).count() as u64;
        assert_eq!(malformed, per_kind[&IssueKind::MalformedRow]);
        let invalid = SnapshotReader::new(&snapshot[..])
            .filter(|u| u.as_ref().unwrap().is_err())
            .count() as u64;
        assert_eq!(invalid, per_kind[&IssueKind::InvalidSnapshotUser]);
        let text = String::from_utf8(csv).unwrap();
        assert!(text.contains("Anne\r\nMarie"), "a line break inside a cell");
        assert!(
            text.contains("\t＝HYPERLINK"),
            "a fullwidth formula behind the TAB guard"
        );
    }

    #[test]
    fn every_fault_kind_is_listed_once() {
        let (_, _, _, stats) = run(&small(50));
        let rejects: Vec<IssueKind> = stats.expectations.iter().filter_map(|e| e.reject).collect();
        assert_eq!(rejects.len() as u64, stats.expected_rejects);
        let distinct: std::collections::BTreeSet<_> = rejects.iter().collect();
        assert_eq!(distinct.len(), rejects.len());
    }
}
