//! Telling the operator what happened: a report file listing every reject and warning by Clerk id
//! (JSON or CSV, written as the import goes, so a million warnings never sit in memory), and a
//! summary of counts for the terminal. The summary holds no personal data, only numbers and kinds.

use super::access::WaysInCounts;
use super::issue::{Issue, IssueKind, Severity};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The process exit code the CLI should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    /// Everything was imported (warnings allowed).
    Success,
    /// Some users were rejected; the rest was imported.
    Rejected,
    /// Usage error or refusal: nothing was imported.
    Refused,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Rejected => 1,
            ExitStatus::Refused => 2,
        }
    }
}

/// Counts of one run. Everything here is safe to print.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub dry_run: bool,
    /// Users that passed planning (to be written, or already there).
    pub users_planned: u64,
    pub users_inserted: u64,
    /// Already in the database with the same id (a rerun): left untouched.
    pub users_already_present: u64,
    pub users_rejected: u64,
    pub credential_accounts_planned: u64,
    pub oauth_accounts_planned: u64,
    pub two_factors_planned: u64,
    pub accounts_inserted: u64,
    pub two_factors_inserted: u64,
    pub rejects: BTreeMap<IssueKind, u64>,
    pub warnings: BTreeMap<IssueKind, u64>,
    /// Organizations, their members, invitations and roles.
    pub organizations: OrgSummary,
    /// How the planned users sign in under this config (when the caller gave it).
    pub ways_in: WaysInCounts,
    pub elapsed_ms: u64,
}

/// The organization part of a run's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrgSummary {
    /// Organizations were part of the run (their file was there and not `--no-organizations`).
    pub considered: bool,
    /// They were there but the organization plugin is off: nothing of them was written.
    pub plugin_off: bool,
    /// With the plugin off: how many organizations the file holds, all left out.
    pub organizations_not_imported: u64,
    /// Organizations planned (to be written, or already there).
    pub organizations_planned: u64,
    pub organizations_inserted: u64,
    pub organizations_already_present: u64,
    /// Not imported: the database holds another organization with its slug.
    pub organizations_skipped: u64,
    pub members_planned: u64,
    pub members_inserted: u64,
    /// Memberships of users not imported (and repeated memberships).
    pub members_skipped: u64,
    pub invitations_planned: u64,
    pub invitations_inserted: u64,
    /// Pending invitations of organizations without an owner, or without an email.
    pub invitations_skipped: u64,
    pub roles_planned: u64,
    pub roles_inserted: u64,
}

impl Summary {
    pub fn count(&mut self, issue: &Issue) {
        let counts = match issue.severity {
            Severity::Reject => {
                self.users_rejected += 1;
                &mut self.rejects
            }
            Severity::Warning | Severity::Difference => &mut self.warnings,
        };
        *counts.entry(issue.kind).or_insert(0) += 1;
    }

    pub fn exit_status(&self) -> ExitStatus {
        if self.users_rejected > 0 {
            ExitStatus::Rejected
        } else {
            ExitStatus::Success
        }
    }

    pub fn warnings_total(&self) -> u64 {
        self.warnings.values().sum()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let title = if self.dry_run {
            "Import plan (dry run, nothing written)"
        } else {
            "Import"
        };
        writeln!(f, "{title}:")?;
        writeln!(f, "  users to import      {:>10}", self.users_planned)?;
        if !self.dry_run {
            writeln!(f, "    inserted           {:>10}", self.users_inserted)?;
            writeln!(
                f,
                "    already present    {:>10}",
                self.users_already_present
            )?;
        }
        writeln!(f, "  users rejected       {:>10}", self.users_rejected)?;
        writeln!(
            f,
            "  password accounts    {:>10}",
            self.credential_accounts_planned
        )?;
        writeln!(
            f,
            "  OAuth accounts       {:>10}",
            self.oauth_accounts_planned
        )?;
        writeln!(f, "  TOTP second factors  {:>10}", self.two_factors_planned)?;
        if self.ways_in.considered {
            write!(f, "{}", self.ways_in)?;
        }
        if !self.dry_run {
            writeln!(
                f,
                "  rows inserted: {} accounts, {} two-factor",
                self.accounts_inserted, self.two_factors_inserted
            )?;
        }
        let o = &self.organizations;
        if o.plugin_off {
            writeln!(
                f,
                "  organizations        {:>10} not imported: the organization plugin is off",
                o.organizations_not_imported
            )?;
        } else if o.considered {
            writeln!(f, "  organizations        {:>10}", o.organizations_planned)?;
            writeln!(
                f,
                "    members            {:>10} ({} skipped)",
                o.members_planned, o.members_skipped
            )?;
            writeln!(
                f,
                "    invitations        {:>10} ({} skipped)",
                o.invitations_planned, o.invitations_skipped
            )?;
            writeln!(f, "    custom roles       {:>10}", o.roles_planned)?;
            if !self.dry_run {
                writeln!(
                    f,
                    "  organization rows inserted: {} organizations ({} already present, {} skipped), \
                     {} members, {} invitations, {} roles",
                    o.organizations_inserted,
                    o.organizations_already_present,
                    o.organizations_skipped,
                    o.members_inserted,
                    o.invitations_inserted,
                    o.roles_inserted
                )?;
            }
        }
        for (title, counts) in [("Rejects", &self.rejects), ("Warnings", &self.warnings)] {
            if !counts.is_empty() {
                writeln!(f, "{title} by kind:")?;
                for (kind, n) in counts {
                    writeln!(f, "  {:<34} {:>10}", kind.name(), n)?;
                }
            }
        }
        write!(f, "Took {:.1} s.", self.elapsed_ms as f64 / 1000.0)
    }
}

/// The report file's format, chosen by its extension: `.csv`, anything else JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Csv,
}

impl ReportFormat {
    pub fn for_path(path: &Path) -> ReportFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("csv") => ReportFormat::Csv,
            _ => ReportFormat::Json,
        }
    }
}

const CSV_HEADER: [&str; 7] = [
    "severity", "kind", "clerk_id", "input", "line", "index", "detail",
];

enum Sink {
    /// `{"issues":[…],"summary":{…}}`, the array streamed.
    Json {
        out: BufWriter<File>,
        first: bool,
    },
    Csv(Box<csv::Writer<File>>),
}

/// Streams issues to a report file (or nowhere) and tallies them into the summary.
pub struct ReportWriter {
    sink: Option<Sink>,
}

impl ReportWriter {
    pub fn create(path: Option<&Path>) -> io::Result<ReportWriter> {
        let sink = match path {
            None => None,
            Some(path) => Some(match ReportFormat::for_path(path) {
                ReportFormat::Json => {
                    let mut out = BufWriter::new(File::create(path)?);
                    out.write_all(b"{\"issues\":[")?;
                    Sink::Json { out, first: true }
                }
                ReportFormat::Csv => {
                    let mut out = csv::Writer::from_path(path)?;
                    out.write_record(CSV_HEADER)?;
                    Sink::Csv(Box::new(out))
                }
            }),
        };
        Ok(ReportWriter { sink })
    }

    pub fn write(&mut self, issue: &Issue) -> io::Result<()> {
        match &mut self.sink {
            None => Ok(()),
            Some(Sink::Json { out, first }) => {
                if !*first {
                    out.write_all(b",")?;
                }
                *first = false;
                out.write_all(b"\n")?;
                serde_json::to_writer(&mut *out, issue)?;
                Ok(())
            }
            Some(Sink::Csv(out)) => {
                let location = issue.location;
                let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
                let input = location.map_or("", |l| l.input.name());
                let severity = match issue.severity {
                    Severity::Reject => "reject",
                    Severity::Warning => "warning",
                    Severity::Difference => "difference",
                };
                out.write_record([
                    severity,
                    issue.kind.name(),
                    issue.clerk_id.as_deref().unwrap_or(""),
                    input,
                    &number(location.and_then(|l| l.line)),
                    &number(location.and_then(|l| l.index)),
                    &issue.detail,
                ])?;
                Ok(())
            }
        }
    }

    /// Ends the file; the JSON form also records the summary.
    pub fn finish(self, summary: &Summary) -> io::Result<()> {
        match self.sink {
            None => Ok(()),
            Some(Sink::Json { mut out, .. }) => {
                out.write_all(b"\n],\"summary\":")?;
                serde_json::to_writer(&mut out, &SummaryJson::from(summary))?;
                out.write_all(b"}\n")?;
                out.flush()
            }
            Some(Sink::Csv(mut out)) => out.flush(),
        }
    }
}

/// The summary with kinds as names, for the JSON report.
#[derive(Serialize)]
struct SummaryJson<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    exit_status: ExitStatus,
}

impl<'a> From<&'a Summary> for SummaryJson<'a> {
    fn from(summary: &'a Summary) -> SummaryJson<'a> {
        SummaryJson {
            summary,
            exit_status: summary.exit_status(),
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
    use crate::clerk::issue::{Input, Location};

    fn issues() -> Vec<Issue> {
        vec![
            Issue::new(
                IssueKind::EmailConflict,
                "the email address is already used by user_a; not merged",
            )
            .user("user_b")
            .at(Some(Location::line(Input::Export, 7))),
            Issue::new(
                IssueKind::PlaceholderEmail,
                "no email, \"quoted\", with comma",
            )
            .user("user_c")
            .at(Some(Location::index(Input::Snapshot, 3))),
            Issue::new(IssueKind::MalformedRow, "the record has 5 of 13 columns"),
        ]
    }

    fn summary_of(issues: &[Issue]) -> Summary {
        let mut summary = Summary {
            users_planned: 10,
            ..Summary::default()
        };
        for issue in issues {
            summary.count(issue);
        }
        summary
    }

    #[test]
    fn counts_rejects_and_warnings_by_kind_and_sets_the_exit_status() {
        let summary = summary_of(&issues());
        assert_eq!(summary.users_rejected, 2);
        assert_eq!(summary.rejects.get(&IssueKind::EmailConflict), Some(&1));
        assert_eq!(summary.warnings.get(&IssueKind::PlaceholderEmail), Some(&1));
        assert_eq!(summary.exit_status(), ExitStatus::Rejected);
        assert_eq!(
            summary_of(&issues()[1..2]).exit_status(),
            ExitStatus::Success
        );
        assert_eq!(ExitStatus::Refused.code(), 2);
    }

    #[test]
    fn the_printed_summary_has_counts_and_kinds_only() {
        let text = summary_of(&issues()).to_string();
        assert!(text.contains("email_conflict"));
        assert!(text.contains("placeholder_email"));
        assert!(!text.contains("user_b"), "{text}");
        assert!(!text.contains("already used"), "{text}");
    }

    #[test]
    fn the_json_report_lists_every_issue_and_the_summary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut report = ReportWriter::create(Some(&path)).unwrap();
        for issue in issues() {
            report.write(&issue).unwrap();
        }
        report.finish(&summary_of(&issues())).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let listed = json["issues"].as_array().unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[0]["kind"], "email_conflict");
        assert_eq!(listed[0]["clerk_id"], "user_b");
        assert_eq!(listed[0]["severity"], "reject");
        assert_eq!(listed[0]["location"]["line"], 7);
        assert_eq!(json["summary"]["rejects"]["email_conflict"], 1);
        assert_eq!(json["summary"]["exit_status"], "rejected");
    }

    #[test]
    fn the_csv_report_quotes_what_needs_quoting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.csv");
        let mut report = ReportWriter::create(Some(&path)).unwrap();
        for issue in issues() {
            report.write(&issue).unwrap();
        }
        report.finish(&summary_of(&issues())).unwrap();
        let mut reader = csv::Reader::from_path(&path).unwrap();
        assert_eq!(reader.headers().unwrap(), CSV_HEADER.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][1], "email_conflict");
        assert_eq!(&rows[0][4], "7");
        assert_eq!(&rows[1][3], "snapshot");
        assert_eq!(&rows[1][5], "3");
        assert_eq!(&rows[1][6], "no email, \"quoted\", with comma");
        assert_eq!(&rows[2][2], "");
    }

    #[test]
    fn no_path_means_no_file() {
        let mut report = ReportWriter::create(None).unwrap();
        report.write(&issues()[0]).unwrap();
        report.finish(&Summary::default()).unwrap();
    }
}
