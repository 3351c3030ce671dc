//! What an import under this config would lose, by kind, from a planning pass's [`Summary`]:
//! the CLI refuses to write while a loss is not accepted with `--allow-loss` (issue #14). Only
//! losses a config change prevents are here; what Better Auth cannot hold at all (passkeys,
//! backup codes, extra emails) is a warning whatever the config.

use super::access::{thousands, users};
use super::issue::IssueKind;
use super::report::Summary;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// Usernames dropped: the username plugin is off.
    Usernames,
    /// Phone numbers dropped: the phone-number plugin is off.
    Phones,
    /// TOTP secrets dropped: the two-factor plugin is off.
    Totp,
    /// Banned users left out: without the admin plugin the ban cannot be kept.
    Bans,
    /// Organizations left out: the organization plugin is off.
    Organizations,
    /// Users who could sign in at Clerk and have no way in under this config.
    NoWayIn,
}

impl LossKind {
    pub const ALL: [LossKind; 6] = [
        LossKind::Usernames,
        LossKind::Phones,
        LossKind::Totp,
        LossKind::Bans,
        LossKind::Organizations,
        LossKind::NoWayIn,
    ];

    /// The name `--allow-loss` takes.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Usernames => "usernames",
            LossKind::Phones => "phones",
            LossKind::Totp => "totp",
            LossKind::Bans => "bans",
            LossKind::Organizations => "organizations",
            LossKind::NoWayIn => "no-way-in",
        }
    }
}

impl fmt::Display for LossKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LossKind {
    type Err = String;

    fn from_str(s: &str) -> Result<LossKind, String> {
        let s = s.trim();
        LossKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = LossKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown loss kind `{s}`; the kinds are {}",
                    names.join(", ")
                )
            })
    }
}

/// One kind of loss: how much, and the config that keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loss {
    pub kind: LossKind,
    /// Users, or organizations for [`LossKind::Organizations`].
    pub count: u64,
    /// "12,004 users have a username; enable plugin username".
    pub said: String,
    /// For [`LossKind::NoWayIn`], one line per cause with what to enable.
    pub causes: Vec<String>,
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.said)?;
        for cause in &self.causes {
            write!(f, "\n      {cause}")?;
        }
        Ok(())
    }
}

fn have(n: u64) -> String {
    let verb = if n == 1 { "has" } else { "have" };
    format!("{} {verb}", users(n))
}

/// Every loss the planned import holds, in [`LossKind::ALL`]'s order; empty when nothing is lost.
pub fn losses(summary: &Summary) -> Vec<Loss> {
    let warned = |kind: IssueKind| summary.warnings.get(&kind).copied().unwrap_or(0);
    let rejected = |kind: IssueKind| summary.rejects.get(&kind).copied().unwrap_or(0);
    let mut found = Vec::new();
    let mut push = |kind, count: u64, said: String, causes: Vec<String>| {
        if count > 0 {
            found.push(Loss {
                kind,
                count,
                said,
                causes,
            });
        }
    };
    let n = warned(IssueKind::UsernamePluginDisabled);
    push(
        LossKind::Usernames,
        n,
        format!("{} a username; enable plugin username", have(n)),
        Vec::new(),
    );
    let n = warned(IssueKind::PhonePluginDisabled);
    push(
        LossKind::Phones,
        n,
        format!("{} a phone number; enable plugin phone-number", have(n)),
        Vec::new(),
    );
    let n = warned(IssueKind::TwoFactorPluginDisabled);
    push(
        LossKind::Totp,
        n,
        format!("{} a TOTP second factor; enable plugin two-factor", have(n)),
        Vec::new(),
    );
    let n = rejected(IssueKind::BannedWithoutAdmin);
    let are = if n == 1 { "is" } else { "are" };
    push(
        LossKind::Bans,
        n,
        format!(
            "{} {are} banned in Clerk and would be left out; enable plugin admin",
            users(n)
        ),
        Vec::new(),
    );
    let n = summary.organizations.organizations_not_imported;
    let organizations = if n == 1 {
        "1 organization".to_owned()
    } else {
        format!("{} organizations", thousands(n))
    };
    push(
        LossKind::Organizations,
        n,
        format!("{organizations} would not be imported; enable plugin organization"),
        Vec::new(),
    );
    let n = summary.ways_in.without_way_in();
    push(
        LossKind::NoWayIn,
        n,
        format!("{} no way to sign in under this config:", have(n)),
        summary.ways_in.advice(),
    );
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_back_from_its_name() {
        for kind in LossKind::ALL {
            assert_eq!(kind.name().parse::<LossKind>(), Ok(kind));
        }
        let err = "passkeys".parse::<LossKind>().unwrap_err();
        assert!(err.contains("no-way-in"), "{err}");
    }

    #[test]
    fn each_loss_says_its_count_and_the_config_that_keeps_it() {
        let mut summary = Summary::default();
        summary
            .warnings
            .insert(IssueKind::UsernamePluginDisabled, 12_004);
        summary.warnings.insert(IssueKind::PhonePluginDisabled, 1);
        summary.rejects.insert(IssueKind::BannedWithoutAdmin, 3);
        summary.organizations.organizations_not_imported = 2;
        let found = losses(&summary);
        let said: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "usernames: 12,004 users have a username; enable plugin username",
                "phones: 1 user has a phone number; enable plugin phone-number",
                "bans: 3 users are banned in Clerk and would be left out; enable plugin admin",
                "organizations: 2 organizations would not be imported; enable plugin organization",
            ]
        );
        assert!(losses(&Summary::default()).is_empty());
    }
}
