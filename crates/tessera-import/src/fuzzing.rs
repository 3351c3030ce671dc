//! Entry points shared by the fuzz targets in `fuzz/` and the tests that replay their kept corpus,
//! so that both run exactly the importer's readers. Not an API: nothing else should call these.
//!
//! Each reads a whole export from memory and plans every user it yields, as `tessera import clerk`
//! does, so a hostile file reaches the row cleaning and the mapping too. Each returns `Err` when
//! a property does not hold; a panic anywhere below is a finding by itself.

use std::io::Cursor;

use tessera_core::crypto::password;
use tessera_core::crypto::symmetric::Secrets;
use tessera_core::plugins::Plugins;
use time::macros::datetime;

use crate::clerk::csv::{CsvExport, Record};
use crate::clerk::email;
use crate::clerk::legacy_json::JsonExport;
use crate::clerk::plan::{InSnapshot, PlanOptions, Planned, plan_user};
use crate::clerk::snapshot::SnapshotReader;

const SECRET: &str = "tessera-fuzz-secret-0123456789abcdef";

fn plan_options() -> PlanOptions {
    PlanOptions {
        plugins: Plugins::ALL,
        placeholder_domain: email::PLACEHOLDER_DOMAIN.to_owned(),
        now: datetime!(2026-06-01 12:00 UTC),
        passwords: Default::default(),
    }
}

/// Property of every planned user: an imported password is one sign-in can dispatch.
fn check_plan(planned: &Planned) -> Result<(), String> {
    let Planned::Import(plan) = planned else {
        return Ok(());
    };
    for account in &plan.accounts {
        if let Some(stored) = &account.password
            && password::identify(stored).is_none()
        {
            return Err(format!(
                "user {} was planned with a password no format reads",
                plan.clerk_id
            ));
        }
    }
    Ok(())
}

fn plan_record(record: &Record, options: &PlanOptions, secrets: &Secrets) -> Result<(), String> {
    match record {
        Ok(row) => check_plan(&plan_user(
            Some(row),
            InSnapshot::NoSnapshot,
            options,
            secrets,
        )),
        Err(_) => Ok(()),
    }
}

/// Target `clerk_csv`: the CSV export.
pub fn clerk_csv(data: &[u8]) -> Result<(), String> {
    let Ok(mut export) = CsvExport::new(Cursor::new(data)) else {
        return Ok(());
    };
    let (options, secrets) = (plan_options(), Secrets::single(SECRET));
    while let Ok(Some(record)) = export.next_record() {
        plan_record(&record, &options, &secrets)?;
    }
    Ok(())
}

/// Target `legacy_json`: the legacy JSON export (an array of flat objects).
pub fn legacy_json(data: &[u8]) -> Result<(), String> {
    let mut export = JsonExport::new(Cursor::new(data));
    let (options, secrets) = (plan_options(), Secrets::single(SECRET));
    while let Ok(Some(record)) = export.next_record() {
        plan_record(&record, &options, &secrets)?;
    }
    Ok(())
}

/// Target `snapshot`: a saved Backend API listing (an array of Clerk user objects).
pub fn snapshot(data: &[u8]) -> Result<(), String> {
    let (options, secrets) = (plan_options(), Secrets::single(SECRET));
    for item in SnapshotReader::new(Cursor::new(data)) {
        let Ok(Ok(user)) = item else {
            continue;
        };
        check_plan(&plan_user(
            None,
            InSnapshot::Found(&user),
            &options,
            &secrets,
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use tessera_core::fuzzing::replay_corpus;

    #[test]
    fn clerk_csv_corpus_replays_clean() {
        assert_eq!(
            replay_corpus("clerk_csv", super::clerk_csv).map(|n| n > 0),
            Ok(true)
        );
    }

    #[test]
    fn legacy_json_corpus_replays_clean() {
        assert_eq!(
            replay_corpus("legacy_json", super::legacy_json).map(|n| n > 0),
            Ok(true)
        );
    }

    #[test]
    fn snapshot_corpus_replays_clean() {
        assert_eq!(
            replay_corpus("snapshot", super::snapshot).map(|n| n > 0),
            Ok(true)
        );
    }
}
