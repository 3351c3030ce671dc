//! The whole import as a stream of planned users: export rows joined to snapshot users by Clerk
//! id, then the snapshot users the export lacks, each planned ([`super::plan`]) and checked against the
//! users before it (duplicate ids, and emails, usernames, phones or OAuth identities used twice).
//!
//! Memory is bounded by what uniqueness needs (well under 200 bytes per user), not by the files.

use super::cells;
use super::csv::Record;
use super::fingerprint::{FingerprintMap, FingerprintSet, Fingerprinter};
use super::issue::{Issue, IssueKind};
use super::plan::{InSnapshot, PlanOptions, Planned, UserPlan, plan_user};
use super::snapshot::{SnapshotError, SnapshotIndex, Untaken};
use super::source::{ExportError, ExportFile};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use tessera_core::crypto::symmetric::Secrets;
use tessera_core::plugins::phone_number::PhoneNumberUser;
use tessera_core::plugins::username::UsernameUser;

/// The files of one import.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The Dashboard CSV or the legacy export (CSV or JSON).
    pub export: PathBuf,
    /// A saved Backend API listing (see [`super::snapshot`]).
    pub snapshot: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The inputs cannot belong together; importing would mostly produce "not in snapshot" users.
    #[error("refusing to import: {0}")]
    Mismatch(String),
}

/// One step of the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    User(Box<UserPlan>),
    /// A reject, or a file-level warning.
    Issue(Box<Issue>),
}

/// How many export rows are checked against the snapshot before anything is planned.
const SAMPLE: usize = 1000;
/// Below this many sampled rows the check proves nothing.
const MIN_SAMPLE: usize = 20;

pub struct Planner {
    export: ExportFile,
    snapshot: Option<SnapshotIndex>,
    options: PlanOptions,
    secrets: Secrets,
    seen: FingerprintSet,
    claims: Claims,
    /// Rows read by the snapshot check, not yet planned.
    sampled: VecDeque<Record>,
    pending: VecDeque<Step>,
    untaken: Option<std::vec::IntoIter<Untaken>>,
}

impl Planner {
    /// Opens both files and indexes the snapshot. With `allow_mismatch` false, a snapshot that
    /// shares fewer than half of the first export rows' ids is refused: it belongs to another
    /// instance (e.g. a development key) and would silently strip users of their OAuth accounts.
    pub fn open(
        sources: &Sources,
        options: PlanOptions,
        secrets: Secrets,
        allow_mismatch: bool,
    ) -> Result<Planner, JoinError> {
        let export = ExportFile::open(&sources.export)?;
        let snapshot = sources
            .snapshot
            .as_deref()
            .map(SnapshotIndex::build)
            .transpose()?;
        let mut planner = Planner {
            export,
            snapshot,
            options,
            secrets,
            seen: FingerprintSet::default(),
            claims: Claims::default(),
            sampled: VecDeque::new(),
            pending: VecDeque::new(),
            untaken: None,
        };
        planner.check_sources_match(allow_mismatch)?;
        let file_issues = planner.export.reader.file_issues();
        let index_issues = planner
            .snapshot
            .as_mut()
            .map(SnapshotIndex::take_issues)
            .unwrap_or_default();
        planner.pending.extend(
            file_issues
                .into_iter()
                .chain(index_issues)
                .map(|i| Step::Issue(Box::new(i))),
        );
        Ok(planner)
    }

    fn check_sources_match(&mut self, allow_mismatch: bool) -> Result<(), JoinError> {
        let Some(snapshot) = &self.snapshot else {
            return Ok(());
        };
        while self.sampled.len() < SAMPLE {
            match self.export.reader.next_record()? {
                Some(record) => self.sampled.push_back(record),
                None => break,
            }
        }
        let ids: Vec<&str> = self
            .sampled
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|r| r.id.as_str())
            .collect();
        let found = ids.iter().filter(|id| snapshot.contains(id)).count();
        if !allow_mismatch && ids.len() >= MIN_SAMPLE && found * 2 < ids.len() {
            return Err(JoinError::Mismatch(format!(
                "only {found} of the first {} exported users are in the snapshot ({} users): is it \
                 from the same Clerk instance (production vs development key)?",
                ids.len(),
                snapshot.len()
            )));
        }
        Ok(())
    }

    /// Bytes of the export read so far, and its size: enough for a progress bar.
    pub fn progress(&self) -> (u64, u64) {
        (self.export.read.load(Ordering::Relaxed), self.export.size)
    }

    pub fn next_step(&mut self) -> Result<Option<Step>, JoinError> {
        loop {
            if let Some(step) = self.pending.pop_front() {
                return Ok(Some(step));
            }
            if self.untaken.is_none() {
                let record = match self.sampled.pop_front() {
                    Some(record) => Some(record),
                    None => self.export.reader.next_record()?,
                };
                match record {
                    Some(record) => self.export_record(record)?,
                    None => {
                        let untaken = self
                            .snapshot
                            .as_mut()
                            .map(SnapshotIndex::untaken)
                            .unwrap_or_default();
                        self.untaken = Some(untaken.into_iter());
                    }
                }
                continue;
            }
            let next = self.untaken.as_mut().and_then(Iterator::next);
            let (Some(untaken), Some(snapshot)) = (next, self.snapshot.as_mut()) else {
                return Ok(None);
            };
            match snapshot.read_untaken(untaken)? {
                Ok(found) => {
                    let planned = plan_user(
                        None,
                        InSnapshot::Found(&found),
                        &self.options,
                        &self.secrets,
                    );
                    self.accept(planned);
                }
                Err(issue) => self.pending.push_back(Step::Issue(Box::new(issue))),
            }
        }
    }

    fn export_record(&mut self, record: Record) -> Result<(), JoinError> {
        let row = match record {
            Ok(row) => row,
            Err(issue) => {
                self.pending.push_back(Step::Issue(Box::new(issue)));
                return Ok(());
            }
        };
        if !self.seen.insert(self.claims.fingerprints.of(&row.id)) {
            let issue = Issue::new(
                IssueKind::DuplicateId,
                "the Clerk id appears earlier in the export; only its first row is considered",
            )
            .user(&row.id)
            .at(Some(row.location));
            self.pending.push_back(Step::Issue(Box::new(issue)));
            return Ok(());
        }
        let planned = match self.snapshot.as_mut() {
            None => plan_user(
                Some(&row),
                InSnapshot::NoSnapshot,
                &self.options,
                &self.secrets,
            ),
            Some(snapshot) => match snapshot.take(&row.id)? {
                None => plan_user(Some(&row), InSnapshot::Absent, &self.options, &self.secrets),
                Some(Ok(found)) => plan_user(
                    Some(&row),
                    InSnapshot::Found(&found),
                    &self.options,
                    &self.secrets,
                ),
                Some(Err(issue)) => plan_user(
                    Some(&row),
                    InSnapshot::Unreadable(&issue),
                    &self.options,
                    &self.secrets,
                ),
            },
        };
        self.accept(planned);
        Ok(())
    }

    fn accept(&mut self, planned: Planned) {
        let step = match planned {
            Planned::Reject(issue) => Step::Issue(issue),
            Planned::Import(mut plan) => match self.claims.claim(&mut plan) {
                Ok(()) => Step::User(plan),
                Err(issue) => Step::Issue(Box::new(issue)),
            },
        };
        self.pending.push_back(step);
    }
}

impl Iterator for Planner {
    type Item = Result<Step, JoinError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_step().transpose()
    }
}

/// The unique values taken so far, each with the user that took it.
#[derive(Default)]
struct Claims {
    fingerprints: Fingerprinter,
    /// Clerk ids of accepted users; the maps point into it.
    owners: Vec<Box<str>>,
    emails: FingerprintMap<u32>,
    usernames: FingerprintMap<u32>,
    phones: FingerprintMap<u32>,
    oauth: FingerprintMap<u32>,
}

impl Claims {
    fn owner(&self, index: Option<&u32>) -> Option<&str> {
        index
            .and_then(|&i| self.owners.get(i as usize))
            .map(|id| &**id)
    }

    /// Takes the user's email, username and phone, or rejects the user if an earlier user holds one
    /// of them (an email used twice is a conflict to resolve, never a merge). OAuth identities held
    /// by an earlier user are dropped from this one with a warning.
    fn claim(&mut self, plan: &mut UserPlan) -> Result<(), Issue> {
        let user = &plan.user;
        let f = &self.fingerprints;
        let email = f.of(&user.email);
        let username = user.username().map(|u| f.of(u));
        let phone = user.phone_number().map(|p| f.of(&cells::phone_key(p)));
        let conflict = |kind: IssueKind, what: &str, owner: &str| {
            Issue::new(
                kind,
                format!("the {what} is already used by {owner}; not merged"),
            )
            .user(&plan.clerk_id)
            .at(plan.location)
        };
        if let Some(owner) = self.owner(self.emails.get(&email)) {
            return Err(conflict(IssueKind::EmailConflict, "email address", owner));
        }
        if let Some(owner) = self.owner(username.and_then(|u| self.usernames.get(&u))) {
            return Err(conflict(IssueKind::UsernameConflict, "username", owner));
        }
        if let Some(owner) = self.owner(phone.and_then(|p| self.phones.get(&p))) {
            return Err(conflict(IssueKind::PhoneConflict, "phone number", owner));
        }
        let index = u32::try_from(self.owners.len()).unwrap_or(u32::MAX);
        self.owners.push(plan.clerk_id.as_str().into());
        self.emails.insert(email, index);
        if let Some(username) = username {
            self.usernames.insert(username, index);
        }
        if let Some(phone) = phone {
            self.phones.insert(phone, index);
        }
        let mut warnings = Vec::new();
        let mut kept = Vec::with_capacity(plan.accounts.len());
        for account in std::mem::take(&mut plan.accounts) {
            if account.provider_id == tessera_core::model::CREDENTIAL_PROVIDER {
                kept.push(account);
                continue;
            }
            let key = self.fingerprints.of(&format!(
                "{}\u{0}{}",
                account.provider_id, account.account_id
            ));
            if let Some(owner) = self.owner(self.oauth.get(&key)) {
                warnings.push(
                    Issue::new(
                        IssueKind::ExternalAccountConflict,
                        format!(
                            "the {} identity is already linked to {owner}: not imported",
                            account.provider_id
                        ),
                    )
                    .user(&plan.clerk_id)
                    .at(plan.location),
                );
            } else {
                self.oauth.insert(key, index);
                kept.push(account);
            }
        }
        plan.accounts = kept;
        plan.warnings.extend(warnings);
        Ok(())
    }
}

#[cfg(test)]
#[path = "join_tests.rs"]
mod tests;
