//! Importing generated Clerk exports into real databases: what lands, reruns, crashes, conflicts,
//! and `verify`. Runs on SQLite always and on PostgreSQL when `TESSERA_TEST_POSTGRES_URL` is set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

#[path = "import/organizations.rs"]
mod organizations;

#[path = "import/ways_in.rs"]
mod ways_in;

use std::sync::atomic::{AtomicU64, Ordering};
use support::{Db, export, export_with, secrets};
use tessera_core::crypto::password::{VerifyContext, verify};
use tessera_core::model::{CREDENTIAL_PROVIDER, UserPatch};
use tessera_core::plugins::accessors::*;
use tessera_import::clerk::apply::{apply, dry_run};
use tessera_import::clerk::generate::GenerateOptions;
use tessera_import::clerk::issue::IssueKind;
use tessera_import::clerk::report::ExitStatus;
use tessera_import::clerk::verify::verify as verify_import;

async fn counts(db: &Db) -> (i64, i64, i64) {
    (
        db.count("user").await,
        db.count("account").await,
        db.count("twoFactor").await,
    )
}

async fn imports_what_the_export_holds(db: Db) {
    let export = export(300, true);
    let stats = &export.stats;
    let summary = apply(
        &*db.store,
        &export.sources,
        &export.options(),
        secrets(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.users_inserted, stats.expected_users, "{summary}");
    assert_eq!(summary.users_rejected, stats.expected_rejects, "{summary}");
    let accounts = stats.expected_credential_accounts + stats.expected_oauth_accounts;
    assert_eq!(summary.accounts_inserted, accounts);
    assert_eq!(summary.two_factors_inserted, stats.expected_two_factors);
    assert_eq!(summary.exit_status(), ExitStatus::Rejected);
    let expected = (
        stats.expected_users as i64,
        accounts as i64,
        stats.expected_two_factors as i64,
    );
    assert_eq!(counts(&db).await, expected);

    // Every fault is in the report, by Clerk id and kind.
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(export.dir.path().join("report.json")).unwrap(),
    )
    .unwrap();
    let issues = report["issues"].as_array().unwrap();
    for fault in stats.expectations.iter().filter(|e| e.reject.is_some()) {
        let kind = fault.reject.unwrap().name();
        assert!(
            issues
                .iter()
                .any(|i| i["clerk_id"] == fault.clerk_id.as_str() && i["kind"] == kind),
            "{kind} for {} missing from the report",
            fault.clerk_id
        );
    }
    assert_eq!(report["summary"]["exit_status"], "rejected");
}
on_every_database!(imports_what_the_export_holds);

/// The soak's export (faults and odd encodings throughout, BOM, CRLF) imports exactly what the
/// generator says it holds, so the soak's "no lost user" count is the right one.
async fn a_hostile_export_imports_what_it_holds(db: Db) {
    let export = export_with(GenerateOptions {
        bcrypt_cost: 4,
        bcrypt_pool: 3,
        ..GenerateOptions::hostile(1_200)
    });
    let stats = &export.stats;
    let summary = apply(
        &*db.store,
        &export.sources,
        &export.options(),
        secrets(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.users_inserted, stats.expected_users, "{summary}");
    assert_eq!(summary.users_rejected, stats.expected_rejects, "{summary}");
    assert!(stats.expected_rejects > 24, "{stats:?}");
    let accounts = stats.expected_credential_accounts + stats.expected_oauth_accounts;
    assert_eq!(
        counts(&db).await,
        (
            stats.expected_users as i64,
            accounts as i64,
            stats.expected_two_factors as i64
        )
    );
}
on_every_database!(a_hostile_export_imports_what_it_holds);

/// Every imported password user can be found by its sign-in identifier and its known password
/// verifies against the stored digest, whatever Clerk hasher produced it.
async fn known_passwords_verify_after_import(db: Db) {
    let export = export(150, false);
    check_known_passwords(&db, &export).await;
}
on_every_database!(known_passwords_verify_after_import);

/// The same with every password user on a non-bcrypt hasher: each of Clerk's formats survives the
/// trip through the database and verifies.
async fn every_clerk_hasher_verifies_after_import(db: Db) {
    let mut options = GenerateOptions::bench(400);
    options.bcrypt_cost = 4;
    options.mix.other_hashers = 1.0;
    let export = export_with(options);
    let hashers = check_known_passwords(&db, &export).await;
    assert_eq!(
        hashers.len(),
        17,
        "every Clerk hasher of the contract but bcrypt: {hashers:?}"
    );
}
on_every_database!(every_clerk_hasher_verifies_after_import);

async fn check_known_passwords(
    db: &Db,
    export: &support::Export,
) -> std::collections::BTreeSet<String> {
    apply(
        &*db.store,
        &export.sources,
        &export.options(),
        secrets(),
        &|_| {},
    )
    .await
    .unwrap();
    let mut reader = csv::Reader::from_path(&export.passwords).unwrap();
    let mut checked = 0;
    let mut per_hasher = std::collections::BTreeMap::<String, u32>::new();
    for record in reader.records() {
        let record = record.unwrap();
        // A few users per hasher prove the format; argon2 and scrypt are slow in debug builds.
        let seen = per_hasher.entry(record[4].to_owned()).or_insert(0);
        *seen += 1;
        if *seen > 3 {
            continue;
        }
        let (clerk_id, with, identifier, password) =
            (&record[0], &record[1], &record[2], &record[3]);
        let user = match with {
            "email" => {
                db.store
                    .find_user_by_email(&identifier.to_lowercase())
                    .await
            }
            "username" => {
                db.store
                    .find_user_by_field("username", &identifier.to_lowercase())
                    .await
            }
            _ => db.store.find_user_by_field("phoneNumber", identifier).await,
        }
        .unwrap()
        .unwrap_or_else(|| panic!("{clerk_id} not found by {with}"));
        assert_eq!(user.id, clerk_id);
        let account = db
            .store
            .find_credential_account(&user.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(account.account_id, user.id);
        let stored = account.password.unwrap();
        let ok = verify(&stored, password, &VerifyContext::default()).unwrap();
        assert!(ok, "{clerk_id} ({}) does not verify", &record[4]);
        assert!(!verify(&stored, "wrong password", &VerifyContext::default()).unwrap());
        checked += 1;
    }
    assert!(checked > 0);
    assert_eq!(
        per_hasher.values().map(|n| u64::from(*n)).sum::<u64>(),
        export.stats.known_passwords
    );
    per_hasher.into_keys().collect()
}

async fn a_rerun_changes_nothing(db: Db) {
    let export = export(250, true);
    let first = apply(
        &*db.store,
        &export.sources,
        &export.options(),
        secrets(),
        &|_| {},
    )
    .await
    .unwrap();
    let before = counts(&db).await;
    let second = apply(
        &*db.store,
        &export.sources,
        &export.options(),
        secrets(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(second.users_inserted, 0);
    assert_eq!(second.accounts_inserted, 0);
    assert_eq!(second.two_factors_inserted, 0);
    assert_eq!(second.users_already_present, first.users_inserted);
    assert_eq!(second.users_rejected, first.users_rejected);
    assert_eq!(counts(&db).await, before);
}
on_every_database!(a_rerun_changes_nothing);

/// The import dies after a few batches (its future dropped mid-flight, as a killed process would
/// leave it); the rerun finishes with exactly one row per entity.
async fn a_rerun_after_a_crash_completes_exactly_once(db: Db) {
    let export = export(1500, false);
    let stats = &export.stats;
    let options = export.options();
    let batches = AtomicU64::new(0);
    let crash_after = tokio::sync::Notify::new();
    let progress = |_| {
        if batches.fetch_add(1, Ordering::SeqCst) == 4 {
            crash_after.notify_one();
        }
    };
    tokio::select! {
        done = apply(&*db.store, &export.sources, &options, secrets(), &progress) => {
            panic!("the import finished before the crash: {:?}", done.map(|s| s.to_string()));
        }
        () = crash_after.notified() => {}
    }
    let (partial_users, _, _) = counts(&db).await;
    assert!(
        partial_users > 0 && (partial_users as u64) < stats.expected_users,
        "{partial_users}"
    );

    let rerun = apply(&*db.store, &export.sources, &options, secrets(), &|_| {})
        .await
        .unwrap();
    assert_eq!(
        rerun.users_inserted + rerun.users_already_present,
        stats.expected_users
    );
    assert!(rerun.users_already_present >= partial_users as u64);
    let accounts = stats.expected_credential_accounts + stats.expected_oauth_accounts;
    assert_eq!(
        counts(&db).await,
        (
            stats.expected_users as i64,
            accounts as i64,
            stats.expected_two_factors as i64
        )
    );
    let check = verify_import(&*db.store, &export.sources, &options, secrets(), &|_| {})
        .await
        .unwrap();
    assert_eq!(check.users_differing, 0, "{check}");
    assert_eq!(check.users_matching, stats.expected_users);
}
on_every_database!(a_rerun_after_a_crash_completes_exactly_once);

async fn verify_names_what_differs(db: Db) {
    let export = export(80, false);
    let options = export.options();
    apply(&*db.store, &export.sources, &options, secrets(), &|_| {})
        .await
        .unwrap();
    let check = verify_import(&*db.store, &export.sources, &options, secrets(), &|_| {})
        .await
        .unwrap();
    assert_eq!(check.users_differing, 0, "{check}");
    assert_eq!(check.exit_status(), ExitStatus::Success);

    let ids: Vec<&str> = export
        .stats
        .expectations
        .iter()
        .map(|e| e.clerk_id.as_str())
        .collect();
    assert!(db.store.delete_user(ids[0]).await.unwrap());
    let patch = UserPatch {
        name: Some("Renamed".to_owned()),
        ..UserPatch::default()
    };
    db.store
        .update_user(ids[1], &patch, tessera_core::timefmt::now_ms())
        .await
        .unwrap();
    let check = verify_import(&*db.store, &export.sources, &options, secrets(), &|_| {})
        .await
        .unwrap();
    assert_eq!(check.users_differing, 2, "{check}");
    assert_eq!(check.differences.get(&IssueKind::UserMissing), Some(&1));
    assert_eq!(check.differences.get(&IssueKind::UserDiffers), Some(&1));
    assert_eq!(check.exit_status(), ExitStatus::Rejected);
    let report = std::fs::read_to_string(export.dir.path().join("report.json")).unwrap();
    assert!(report.contains("columns differ: name"));
    assert!(
        !report.contains("Renamed"),
        "values never appear in the report"
    );
}
on_every_database!(verify_names_what_differs);

/// Without a snapshot users are dated at import time; verifying later must not call that a
/// difference.
async fn verify_after_an_import_without_snapshot_finds_nothing(db: Db) {
    let mut export = export(60, false);
    export.sources.snapshot = None;
    let options = export.options();
    apply(&*db.store, &export.sources, &options, secrets(), &|_| {})
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let check = verify_import(&*db.store, &export.sources, &options, secrets(), &|_| {})
        .await
        .unwrap();
    assert_eq!(check.users_differing, 0, "{check}");
    assert!(check.users_matching > 0);
}
on_every_database!(verify_after_an_import_without_snapshot_finds_nothing);

async fn an_email_taken_in_the_database_is_a_reported_conflict(db: Db) {
    let export = export(40, false);
    // Someone signed up natively with the address of a Clerk user before the import.
    let victim = export
        .stats
        .expectations
        .iter()
        .find(|e| e.warnings.is_empty())
        .unwrap();
    let mut planned = None;
    let mut planner = tessera_import::clerk::join::Planner::open(
        &export.sources,
        export.options().plan.clone(),
        secrets(),
        false,
    )
    .unwrap();
    while let Some(step) = planner.next_step().unwrap() {
        if let tessera_import::clerk::join::Step::User(plan) = step
            && plan.clerk_id == victim.clerk_id
        {
            planned = Some(plan.user.clone());
        }
    }
    let mut native = planned.unwrap();
    native.id = "native-user-1".to_owned();
    native.set_username(None);
    native.set_phone_number(None);
    db.store.create_user(&native, &[]).await.unwrap();

    let summary = apply(
        &*db.store,
        &export.sources,
        &export.options(),
        secrets(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.rejects.get(&IssueKind::ExistingConflict), Some(&1));
    assert_eq!(summary.users_inserted, export.stats.expected_users - 1);
    assert!(
        db.store
            .find_user_by_id(&victim.clerk_id)
            .await
            .unwrap()
            .is_none()
    );
    let native_accounts = db.store.list_accounts("native-user-1").await.unwrap();
    assert!(
        native_accounts
            .iter()
            .all(|a| a.provider_id != CREDENTIAL_PROVIDER),
        "never merged"
    );
    let report = std::fs::read_to_string(export.dir.path().join("report.json")).unwrap();
    assert!(report.contains(&victim.clerk_id) && report.contains("native-user-1"));
}
on_every_database!(an_email_taken_in_the_database_is_a_reported_conflict);

#[test]
fn a_dry_run_plans_everything_and_writes_no_database() {
    let export = export(120, true);
    let summary = dry_run(&export.sources, &export.options(), secrets(), &|_| {}).unwrap();
    assert!(summary.dry_run);
    assert_eq!(summary.users_planned, export.stats.expected_users);
    assert_eq!(summary.users_rejected, export.stats.expected_rejects);
    assert_eq!(summary.users_inserted, 0);
    assert_eq!(
        summary.two_factors_planned,
        export.stats.expected_two_factors
    );
    assert!(export.dir.path().join("report.json").exists());
    assert!(!export.dir.path().join("extras.ndjson").exists());
    let text = summary.to_string();
    assert!(text.contains("dry run"));
    assert!(
        !text.contains("user_"),
        "no ids or personal data on stdout: {text}"
    );
    assert!(!text.contains('@'), "{text}");
}
