//! Issue #14 on real databases: what a config would lose (from a planning pass), each user's ways
//! in by cause, and `verify` failing when a way in the user had at Clerk is not offered. SQLite
//! always, PostgreSQL when `TESSERA_TEST_POSTGRES_URL` is set.

use super::support::{self, Db, Export, export_with, secrets};
use crate::on_every_database;
use tessera_core::plugins::Plugins;
use tessera_import::clerk::access::{Access, NoWayIn};
use tessera_import::clerk::apply::{ImportOptions, apply, dry_run};
use tessera_import::clerk::generate::GenerateOptions;
use tessera_import::clerk::issue::IssueKind;
use tessera_import::clerk::loss::{LossKind, losses};
use tessera_import::clerk::verify::verify as verify_import;

/// The example's shape (every fixture, the three passwordless users among them), small and fast.
fn small_export() -> Export {
    export_with(GenerateOptions {
        users: 80,
        edge_cases: true,
        faults: false,
        bcrypt_cost: 4,
        bcrypt_pool: 3,
        ..GenerateOptions::bench(80)
    })
}

/// Password sign-in on and nothing else: no social provider, no code by email or SMS.
fn password_only() -> Access {
    Access {
        password: true,
        ..Access::default()
    }
}

/// Everything the generated users can use: every provider Clerk's accounts map to, email-otp
/// and phone-number with an outbox.
fn everything() -> Access {
    Access {
        password: true,
        social: tessera_core::providers::known_clerk_providers()
            .filter_map(|(_, id)| id.map(str::to_owned))
            .collect(),
        email_plugin: true,
        email_sender: true,
        phone_plugin: true,
        sms_sender: true,
    }
}

fn options(export: &Export, plugins: Plugins, access: Access) -> ImportOptions {
    let mut options = export.options();
    options.plan.plugins = plugins;
    options.access = Some(access);
    options
}

#[test]
fn without_plugins_each_loss_is_listed_with_its_count() {
    let export = small_export();
    let summary = dry_run(
        &export.sources,
        &options(&export, Plugins::NONE, password_only()),
        secrets(),
        &|_| {},
    )
    .unwrap();
    let found = losses(&summary);
    let kinds: Vec<LossKind> = found.iter().map(|l| l.kind).collect();
    for kind in [
        LossKind::Usernames,
        LossKind::Phones,
        LossKind::Totp,
        LossKind::Bans,
        LossKind::NoWayIn,
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {found:?}");
    }
    let count = |kind| found.iter().find(|l| l.kind == kind).unwrap().count;
    assert_eq!(
        count(LossKind::Usernames),
        summary.warnings[&IssueKind::UsernamePluginDisabled]
    );
    assert_eq!(
        count(LossKind::Bans),
        summary.rejects[&IssueKind::BannedWithoutAdmin]
    );
    let usernames = found
        .iter()
        .find(|l| l.kind == LossKind::Usernames)
        .unwrap();
    assert!(
        usernames
            .to_string()
            .ends_with("have a username; enable plugin username"),
        "{usernames}"
    );

    // With every plugin and every way in offered, nothing is lost.
    let summary = dry_run(
        &export.sources,
        &options(&export, Plugins::ALL, everything()),
        secrets(),
        &|_| {},
    )
    .unwrap();
    assert_eq!(losses(&summary), Vec::new(), "{summary}");
}

async fn ways_in_are_counted_by_cause(db: Db) {
    let export = small_export();
    let options = options(&export, Plugins::ALL, password_only());
    let planned = dry_run(&export.sources, &options, secrets(), &|_| {}).unwrap();
    let summary = apply(&*db.store, &export.sources, &options, secrets(), &|_| {})
        .await
        .unwrap();
    let ways = &summary.ways_in;
    assert!(ways.considered);
    assert_eq!(ways, &planned.ways_in, "the dry run counts as the import");
    assert_eq!(ways.social, 0);
    assert_eq!(ways.email_code, 0);
    // The three passwordless fixtures, and the fixtures whose export row lost the password
    // (dropped column, stray hasher, only in the snapshot), have only a verified email.
    let email_only = ways.no_way_in[&NoWayIn::VerifiedEmailOnly];
    assert!(email_only >= 3, "{summary}");
    assert!(
        ways.no_way_in[&NoWayIn::SocialNotConfigured] > 0,
        "{summary}"
    );
    let text = summary.to_string();
    assert!(
        text.contains(&format!(
            "{email_only} users have only a verified email: enable email-otp or magic-link"
        )),
        "{text}"
    );
    assert_eq!(
        summary.warnings[&IssueKind::NoWayIn],
        ways.without_way_in(),
        "one report line per user without a way in"
    );

    // An emailed code brings the email-only users in.
    let mut with_codes = password_only();
    with_codes.email_plugin = true;
    with_codes.email_sender = true;
    let rerun = apply(
        &*db.store,
        &export.sources,
        &options_with(&export, with_codes),
        secrets(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(rerun.users_already_present, summary.users_planned);
    assert!(
        !rerun
            .ways_in
            .no_way_in
            .contains_key(&NoWayIn::VerifiedEmailOnly)
    );
    assert!(rerun.ways_in.email_code >= email_only);
}
on_every_database!(ways_in_are_counted_by_cause);

fn options_with(export: &Export, access: Access) -> ImportOptions {
    options(export, Plugins::ALL, access)
}

async fn verify_fails_when_a_way_in_is_not_offered(db: Db) {
    let export = small_export();
    apply(
        &*db.store,
        &export.sources,
        &options_with(&export, everything()),
        secrets(),
        &|_| {},
    )
    .await
    .unwrap();

    let all_offered = verify_import(
        &*db.store,
        &export.sources,
        &options_with(&export, everything()),
        secrets(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(all_offered.users_differing, 0, "{all_offered}");

    // No social provider and no emailed code: OAuth users and the passwordless ones lose a way.
    let narrow = verify_import(
        &*db.store,
        &export.sources,
        &options_with(&export, password_only()),
        secrets(),
        &|_| {},
    )
    .await
    .unwrap();
    let lost = narrow.differences[&IssueKind::WayInNotOffered];
    assert!(lost >= 3, "{narrow}");
    assert_eq!(
        narrow.users_differing, lost,
        "only ways in differ: {narrow}"
    );
    assert_eq!(
        narrow.exit_status(),
        tessera_import::clerk::report::ExitStatus::Rejected
    );
}
on_every_database!(verify_fails_when_a_way_in_is_not_offered);
