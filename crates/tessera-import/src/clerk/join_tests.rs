#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::*;
use crate::clerk::generate::{GenerateOptions, GenerateStats, generate_to_dir};
use std::collections::BTreeMap;
use tessera_core::plugins::Plugins;
use tessera_core::plugins::accessors::*;

const SECRET: &str = "a-test-secret-that-is-long-enough-0123456789";

fn generated(users: u64, faults: bool) -> (tempfile::TempDir, Sources, GenerateStats) {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        users,
        edge_cases: true,
        faults,
        bcrypt_cost: 4,
        bcrypt_pool: 2,
        ..GenerateOptions::bench(users)
    };
    let (paths, stats) = generate_to_dir(&options, dir.path()).unwrap();
    let sources = Sources {
        export: paths.csv,
        snapshot: Some(paths.snapshot),
    };
    (dir, sources, stats)
}

fn run(sources: &Sources) -> (Vec<UserPlan>, Vec<Issue>) {
    let planner = Planner::open(
        sources,
        PlanOptions::new(Plugins::ALL),
        Secrets::single(SECRET),
        false,
    )
    .unwrap();
    let mut users = Vec::new();
    let mut issues = Vec::new();
    for step in planner {
        match step.unwrap() {
            Step::User(plan) => users.push(*plan),
            Step::Issue(issue) => issues.push(*issue),
        }
    }
    (users, issues)
}

#[test]
fn imports_what_the_generator_says_and_rejects_every_fault() {
    let (_dir, sources, stats) = generated(400, true);
    let (users, issues) = run(&sources);
    assert_eq!(users.len() as u64, stats.expected_users);
    let rejects: Vec<&Issue> = issues.iter().filter(|i| i.is_reject()).collect();
    assert_eq!(rejects.len() as u64, stats.expected_rejects, "{rejects:#?}");
    let count = |f: &dyn Fn(&UserPlan) -> usize| users.iter().map(f).sum::<usize>() as u64;
    let credentials = count(&|u| {
        u.accounts
            .iter()
            .filter(|a| a.provider_id == "credential")
            .count()
    });
    let oauth = count(&|u| {
        u.accounts
            .iter()
            .filter(|a| a.provider_id != "credential")
            .count()
    });
    assert_eq!(credentials, stats.expected_credential_accounts);
    assert_eq!(oauth, stats.expected_oauth_accounts);
    assert_eq!(
        count(&|u| usize::from(u.two_factor.is_some())),
        stats.expected_two_factors
    );
    assert_eq!(
        count(&|u| usize::from(u.user.banned() == Some(true))),
        stats.expected_banned
    );

    let by_id: BTreeMap<&str, &UserPlan> = users.iter().map(|u| (u.clerk_id.as_str(), u)).collect();
    for expected in &stats.expectations {
        match expected.reject {
            Some(kind) => assert!(
                rejects
                    .iter()
                    .any(|r| r.kind == kind && r.clerk_id.as_deref() == Some(&expected.clerk_id)),
                "{kind} for {}",
                expected.clerk_id
            ),
            None => {
                let plan = by_id
                    .get(expected.clerk_id.as_str())
                    .unwrap_or_else(|| panic!("{} not imported", expected.clerk_id));
                for kind in &expected.warnings {
                    assert!(
                        plan.warnings.iter().any(|w| w.kind == *kind),
                        "{kind} for {}: {:?}",
                        expected.clerk_id,
                        plan.warnings
                    );
                }
            }
        }
    }
}

#[test]
fn every_user_appears_once_whatever_the_order_of_the_files() {
    let (_dir, sources, stats) = generated(300, false);
    let (users, _) = run(&sources);
    let mut ids: Vec<&str> = users.iter().map(|u| u.clerk_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, stats.expected_users);
}

#[test]
fn without_a_snapshot_the_export_alone_is_planned() {
    let (_dir, mut sources, stats) = generated(100, false);
    sources.snapshot = None;
    let (users, issues) = run(&sources);
    assert!(issues.iter().all(|i| !i.is_reject()));
    // The snapshot-only fixture is unknown without a snapshot.
    assert_eq!(users.len() as u64, stats.expected_users - 1);
    assert!(
        users
            .iter()
            .all(|u| u.accounts.iter().all(|a| a.provider_id == "credential"))
    );
}

#[test]
fn a_snapshot_of_another_instance_is_refused() {
    let (_dir, sources, _) = generated(100, false);
    let (_other_dir, other, _) = {
        let dir = tempfile::tempdir().unwrap();
        let options = GenerateOptions {
            seed: 99,
            bcrypt_cost: 4,
            bcrypt_pool: 1,
            ..GenerateOptions::bench(100)
        };
        let (paths, stats) = generate_to_dir(&options, dir.path()).unwrap();
        (dir, paths, stats)
    };
    let mixed = Sources {
        export: sources.export.clone(),
        snapshot: Some(other.snapshot),
    };
    let refused = Planner::open(
        &mixed,
        PlanOptions::new(Plugins::ALL),
        Secrets::single(SECRET),
        false,
    );
    assert!(matches!(refused, Err(JoinError::Mismatch(_))));
    let forced = Planner::open(
        &mixed,
        PlanOptions::new(Plugins::ALL),
        Secrets::single(SECRET),
        true,
    );
    assert!(forced.is_ok());
}

#[test]
fn a_wrong_header_is_an_error_not_a_reject_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.csv");
    std::fs::write(&path, "email,password\na@x.dev,secret\n").unwrap();
    let sources = Sources {
        export: path,
        snapshot: None,
    };
    let opened = Planner::open(
        &sources,
        PlanOptions::new(Plugins::ALL),
        Secrets::single(SECRET),
        false,
    );
    assert!(matches!(opened, Err(JoinError::Export(_))));
}

#[test]
fn the_second_holder_of_an_oauth_identity_loses_it_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("users.csv");
    std::fs::write(
        &export,
        "id,primary_email_address,verified_email_addresses\nuser_a,a@example.com,a@example.com\nuser_b,b@example.com,b@example.com\n",
    )
    .unwrap();
    let snapshot = dir.path().join("users.json");
    let account = r#"{"provider":"oauth_google","provider_user_id":"42","verification":{"status":"verified"}}"#;
    std::fs::write(
        &snapshot,
        format!(r#"[{{"id":"user_a","external_accounts":[{account}]}},{{"id":"user_b","external_accounts":[{account}]}}]"#),
    )
    .unwrap();
    let (users, _) = run(&Sources {
        export,
        snapshot: Some(snapshot),
    });
    assert_eq!(users[0].accounts.len(), 1);
    assert!(users[1].accounts.is_empty());
    assert!(
        users[1]
            .warnings
            .iter()
            .any(|w| w.kind == IssueKind::ExternalAccountConflict && w.detail.contains("user_a"))
    );
}
