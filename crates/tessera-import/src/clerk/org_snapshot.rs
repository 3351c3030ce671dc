//! The saved organization listing, a side file of the users snapshot: `users.json` →
//! `users.organizations.ndjson` ([`organizations_path`]). A users snapshot without it still
//! loads (organizations are then simply not known).
//!
//! One JSON object per line, each with one key naming what it holds, the Clerk object kept as
//! Clerk sent it:
//! ```text
//! {"role":{…}}                  the instance's roles (GET /v1/organization_roles), first
//! {"organization":{…}}          an organization, then its own
//! {"membership":{…}}            memberships and
//! {"invitation":{…}}            pending invitations, until the next organization
//! ```
//! An organization's memberships follow it, so a reader holds one organization's memberships at a
//! time ([`OrgSnapshotReader`]), never the whole listing.

use super::org_bapi::{Invitation, Membership, Organization, Role};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The organizations side file of a users snapshot.
pub fn organizations_path(snapshot: &Path) -> PathBuf {
    let stem = snapshot
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "clerk-snapshot".to_owned());
    snapshot.with_file_name(format!("{stem}.organizations.ndjson"))
}

/// What one line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Role,
    Organization,
    Membership,
    Invitation,
}

impl LineKind {
    pub fn key(self) -> &'static str {
        match self {
            LineKind::Role => "role",
            LineKind::Organization => "organization",
            LineKind::Membership => "membership",
            LineKind::Invitation => "invitation",
        }
    }

    /// The kind of a line, read from its first key without parsing the object.
    pub fn of(line: &[u8]) -> Option<LineKind> {
        let rest = line
            .trim_ascii_start()
            .strip_prefix(b"{")?
            .trim_ascii_start();
        [
            LineKind::Role,
            LineKind::Organization,
            LineKind::Membership,
            LineKind::Invitation,
        ]
        .into_iter()
        .find(|kind| {
            rest.strip_prefix(b"\"")
                .and_then(|r| r.strip_prefix(kind.key().as_bytes()))
                .is_some_and(|r| r.starts_with(b"\""))
        })
    }
}

/// Writes the side file, one line per Clerk object, byte for byte as the API sent it.
pub struct OrgSnapshotWriter {
    out: BufWriter<File>,
}

impl OrgSnapshotWriter {
    pub fn create(path: &Path) -> io::Result<OrgSnapshotWriter> {
        Ok(OrgSnapshotWriter {
            out: BufWriter::new(File::create(path)?),
        })
    }

    /// One line `{"<kind>":<object>}`; `object` must be one JSON value (no newline is added
    /// inside: serde_json's compact output and Clerk's answers re-serialized have none).
    pub fn write_raw(&mut self, kind: LineKind, object: &RawValue) -> io::Result<()> {
        let compact: Box<RawValue>;
        let text = if object.get().contains('\n') {
            let value: serde_json::Value = serde_json::from_str(object.get())?;
            compact = serde_json::value::to_raw_value(&value)?;
            compact.get()
        } else {
            object.get()
        };
        writeln!(self.out, "{{\"{}\":{}}}", kind.key(), text)
    }

    pub fn write<T: serde::Serialize>(&mut self, kind: LineKind, object: &T) -> io::Result<()> {
        let raw = serde_json::value::to_raw_value(object)?;
        self.write_raw(kind, &raw)
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// An organization with its memberships and invitations: one organization's working set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgEntry {
    pub organization: Organization,
    pub memberships: Vec<Membership>,
    pub invitations: Vec<Invitation>,
    /// 1-based line of the organization in the file.
    pub line: u64,
}

/// A line that could not be read, by line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: u64,
    pub reason: String,
    /// The Clerk id when it could be read.
    pub clerk_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OrgSnapshotError {
    #[error("cannot read the organizations snapshot: {0}")]
    Io(#[from] io::Error),
}

#[derive(Deserialize)]
struct RoleLine {
    role: Role,
}
#[derive(Deserialize)]
struct OrgLine {
    organization: Organization,
}
#[derive(Deserialize)]
struct MembershipLine {
    membership: Membership,
}
#[derive(Deserialize)]
struct InvitationLine {
    invitation: Invitation,
}

#[derive(Deserialize)]
struct AnyId {
    id: String,
}

fn id_of(line: &[u8]) -> Option<String> {
    let value: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(line).ok()?;
    let inner = value.into_iter().next()?.1;
    serde_json::from_value::<AnyId>(inner).ok().map(|i| i.id)
}

/// What the reader hands out.
#[derive(Debug, Clone, PartialEq)]
pub enum OrgItem {
    Role(Role),
    Organization(Box<OrgEntry>),
    Bad(BadLine),
}

/// Streams the side file: roles, then each organization with its memberships and invitations.
pub struct OrgSnapshotReader<R> {
    input: R,
    line: u64,
    buf: Vec<u8>,
    /// An organization whose line was read while finishing the previous one.
    next: Option<(Organization, u64)>,
    bad: Vec<BadLine>,
    roles: Vec<Role>,
    /// Only organizations are parsed (the first pass, for slugs and order): memberships and
    /// invitations are skipped by their first key.
    headers_only: bool,
}

impl OrgSnapshotReader<BufReader<File>> {
    pub fn open(path: &Path) -> Result<Self, OrgSnapshotError> {
        Ok(OrgSnapshotReader::new(BufReader::with_capacity(
            1 << 16,
            File::open(path)?,
        )))
    }
}

impl<R: BufRead> OrgSnapshotReader<R> {
    pub fn new(input: R) -> OrgSnapshotReader<R> {
        OrgSnapshotReader {
            input,
            line: 0,
            buf: Vec::new(),
            next: None,
            bad: Vec::new(),
            roles: Vec::new(),
            headers_only: false,
        }
    }

    /// Reads organizations only, with no memberships or invitations.
    #[must_use]
    pub fn headers_only(mut self) -> Self {
        self.headers_only = true;
        self
    }

    fn bad(&mut self, reason: String) {
        let clerk_id = id_of(&self.buf);
        self.bad.push(BadLine {
            line: self.line,
            reason,
            clerk_id,
        });
    }

    /// The bad line just recorded (the queue is empty whenever a line is read at the top).
    fn take_bad(&mut self) -> Option<OrgItem> {
        (!self.bad.is_empty()).then(|| OrgItem::Bad(self.bad.remove(0)))
    }

    /// The next item; `None` at the end of the file.
    pub fn next_item(&mut self) -> Result<Option<OrgItem>, OrgSnapshotError> {
        if !self.bad.is_empty() {
            return Ok(Some(OrgItem::Bad(self.bad.remove(0))));
        }
        if !self.roles.is_empty() {
            return Ok(Some(OrgItem::Role(self.roles.remove(0))));
        }
        let (organization, line) = match self.next.take() {
            Some(found) => found,
            None => loop {
                let Some(kind) = self.read_line()? else {
                    return Ok(None);
                };
                match kind {
                    Some(LineKind::Role) => match serde_json::from_slice::<RoleLine>(&self.buf) {
                        Ok(RoleLine { role }) => return Ok(Some(OrgItem::Role(role))),
                        Err(e) => {
                            self.bad(format!("not a Clerk role: {e}"));
                            return Ok(self.take_bad());
                        }
                    },
                    Some(LineKind::Organization) => {
                        match serde_json::from_slice::<OrgLine>(&self.buf) {
                            Ok(OrgLine { organization }) => break (organization, self.line),
                            Err(e) => {
                                self.bad(format!("not a Clerk organization: {e}"));
                                return Ok(self.take_bad());
                            }
                        }
                    }
                    Some(LineKind::Membership | LineKind::Invitation) => {
                        if !self.headers_only {
                            self.bad(
                                "a membership or invitation before any organization".to_owned(),
                            );
                            return Ok(self.take_bad());
                        }
                    }
                    None => {
                        self.bad("not a role, organization, membership or invitation".to_owned());
                        return Ok(self.take_bad());
                    }
                }
            },
        };
        let mut entry = OrgEntry {
            organization,
            memberships: Vec::new(),
            invitations: Vec::new(),
            line,
        };
        while let Some(kind) = self.read_line()? {
            match kind {
                Some(LineKind::Organization) => {
                    match serde_json::from_slice::<OrgLine>(&self.buf) {
                        Ok(OrgLine { organization }) => self.next = Some((organization, self.line)),
                        Err(e) => self.bad(format!("not a Clerk organization: {e}")),
                    }
                    break;
                }
                Some(_) if self.headers_only => {}
                Some(LineKind::Membership) => {
                    match serde_json::from_slice::<MembershipLine>(&self.buf) {
                        Ok(m) => entry.memberships.push(m.membership),
                        Err(e) => self.bad(format!("not a Clerk membership: {e}")),
                    }
                }
                Some(LineKind::Invitation) => {
                    match serde_json::from_slice::<InvitationLine>(&self.buf) {
                        Ok(i) => entry.invitations.push(i.invitation),
                        Err(e) => self.bad(format!("not a Clerk invitation: {e}")),
                    }
                }
                Some(LineKind::Role) => match serde_json::from_slice::<RoleLine>(&self.buf) {
                    Ok(RoleLine { role }) => self.roles.push(role),
                    Err(e) => self.bad(format!("not a Clerk role: {e}")),
                },
                None => self.bad("not a role, organization, membership or invitation".to_owned()),
            }
        }
        Ok(Some(OrgItem::Organization(Box::new(entry))))
    }

    /// Reads the next non-empty line into `buf`: `None` at the end, else its kind (if known).
    fn read_line(&mut self) -> Result<Option<Option<LineKind>>, OrgSnapshotError> {
        loop {
            self.buf.clear();
            let n = self.input.read_until(b'\n', &mut self.buf)?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if self.buf.trim_ascii().is_empty() {
                continue;
            }
            return Ok(Some(LineKind::of(&self.buf)));
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

    const FILE: &str = r#"{"role":{"key":"org:billing","permissions":[{"key":"org:invoices:read"}]}}
{"organization":{"id":"org_1","name":"One","created_at":2}}
{"membership":{"id":"orgmem_1","role":"org:admin","public_user_data":{"user_id":"user_1"}}}
{"membership":{"id":"orgmem_2","role":1}}
{"invitation":{"id":"orginv_1","email_address":"a@x.dev","status":"pending"}}

{"organization":{"id":"org_2","name":"Two","created_at":1}}
{"membership":{"id":"orgmem_3","role":"org:member","public_user_data":{"user_id":"user_2"}}}
"#;

    fn items(headers_only: bool) -> Vec<OrgItem> {
        let mut reader = OrgSnapshotReader::new(FILE.as_bytes());
        if headers_only {
            reader = reader.headers_only();
        }
        let mut items = Vec::new();
        while let Some(item) = reader.next_item().unwrap() {
            items.push(item);
        }
        items
    }

    #[test]
    fn groups_memberships_and_invitations_under_their_organization() {
        let items = items(false);
        assert!(matches!(&items[0], OrgItem::Role(r) if r.key == "org:billing"));
        let OrgItem::Organization(one) = &items[1] else {
            panic!("{items:?}")
        };
        assert_eq!(one.organization.id, "org_1");
        assert_eq!(one.line, 2);
        assert_eq!(one.memberships.len(), 1);
        assert_eq!(one.invitations.len(), 1);
        let OrgItem::Bad(bad) = &items[2] else {
            panic!("{items:?}")
        };
        assert_eq!(bad.line, 4);
        assert_eq!(bad.clerk_id.as_deref(), Some("orgmem_2"));
        let OrgItem::Organization(two) = &items[3] else {
            panic!("{items:?}")
        };
        assert_eq!((two.organization.id.as_str(), two.line), ("org_2", 7));
        assert_eq!(two.memberships[0].user_id(), Some("user_2"));
        assert_eq!(items.len(), 4);
    }

    #[test]
    fn the_first_pass_reads_organizations_only() {
        let items = items(true);
        let orgs: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                OrgItem::Organization(o) => Some((o.organization.id.clone(), o.memberships.len())),
                _ => None,
            })
            .collect();
        assert_eq!(orgs, [("org_1".to_owned(), 0), ("org_2".to_owned(), 0)]);
    }

    #[test]
    fn writes_what_it_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = organizations_path(&dir.path().join("users.json"));
        assert!(path.ends_with("users.organizations.ndjson"));
        let mut w = OrgSnapshotWriter::create(&path).unwrap();
        let org = Organization {
            id: "org_9".into(),
            ..Organization::default()
        };
        w.write(LineKind::Organization, &org).unwrap();
        let raw = RawValue::from_string("{\n\"id\": \"orgmem_9\"\n}".to_owned()).unwrap();
        w.write_raw(LineKind::Membership, &raw).unwrap();
        w.finish().unwrap();
        let mut reader = OrgSnapshotReader::open(&path).unwrap();
        let Some(OrgItem::Organization(entry)) = reader.next_item().unwrap() else {
            panic!()
        };
        assert_eq!(entry.organization, org);
        assert_eq!(entry.memberships[0].id, "orgmem_9");
        assert!(reader.next_item().unwrap().is_none());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod more_tests {
    use super::*;

    #[test]
    fn a_file_of_garbage_is_one_bad_line_each_without_deep_recursion() {
        let garbage = "not json\n".repeat(200_000);
        let mut reader = OrgSnapshotReader::new(garbage.as_bytes());
        let mut bad = 0;
        while let Some(item) = reader.next_item().unwrap() {
            assert!(matches!(item, OrgItem::Bad(_)));
            bad += 1;
        }
        assert_eq!(bad, 200_000);
    }
}
