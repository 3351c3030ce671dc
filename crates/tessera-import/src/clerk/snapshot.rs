//! A saved Backend API listing: a JSON array of Clerk user objects, as `GET /v1/users` pages
//! concatenated (the format the `api` client writes and the generator produces).
//!
//! Two ways to read it, neither holding the file in memory:
//! - [`SnapshotReader`] streams the users in file order;
//! - [`SnapshotIndex`] remembers where each user sits (id → offset), so the export can be joined to
//!   it by Clerk id whatever the order of either file, reading each user when its row comes up.
//!   The index costs about 100 bytes per user; the users themselves stay on disk.

use super::bapi::{IdOnly, User};
use super::fingerprint::{FingerprintMap, Fingerprinter};
use super::issue::{Input, Issue, IssueKind, Location};
use super::json_array::{ArrayError, ArrayReader, Element, describe};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot open the snapshot: {0}")]
    Open(io::Error),
    #[error("the snapshot is not readable: {0}")]
    Array(#[from] ArrayError),
    #[error("reading the snapshot failed: {0}")]
    Read(io::Error),
}

/// A user and where it sits in the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotUser {
    pub user: User,
    pub location: Location,
}

/// One snapshot element as a user, or why it is not one.
pub type SnapshotItem = Result<SnapshotUser, Issue>;

fn parse(bytes: &[u8], index: u64) -> SnapshotItem {
    let location = Location::index(Input::Snapshot, index);
    let parsed = serde_json::from_slice::<User>(bytes);
    parsed
        .map(|user| SnapshotUser { user, location })
        .map_err(|e| {
            let issue = Issue::new(
                IssueKind::InvalidSnapshotUser,
                format!("not a Clerk user: {}", describe(&e)),
            )
            .at(Some(location));
            match serde_json::from_slice::<IdOnly>(bytes) {
                Ok(IdOnly { id }) => issue.user(&id),
                Err(_) => issue,
            }
        })
}

/// Streams a snapshot's users in file order; a file that is not a whole array ends the stream
/// with one error.
pub struct SnapshotReader<R> {
    elements: ArrayReader<R>,
    buf: Vec<u8>,
    failed: bool,
}

impl<R: BufRead> SnapshotReader<R> {
    pub fn new(input: R) -> SnapshotReader<R> {
        SnapshotReader {
            elements: ArrayReader::new(input),
            buf: Vec::new(),
            failed: false,
        }
    }
}

impl<R: BufRead> Iterator for SnapshotReader<R> {
    type Item = Result<SnapshotItem, ArrayError>;

    fn next(&mut self) -> Option<Self::Item> {
        // The array reader repeats its error on every call; without this, `collect()` over a
        // truncated file never ended (found by fuzzing).
        if self.failed {
            return None;
        }
        match self.elements.next_element(&mut self.buf) {
            Ok(Some(element)) => Some(Ok(parse(&self.buf, element.index))),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    offset: u64,
    len: u32,
    index: u64,
    taken: bool,
}

/// Where each user of a snapshot file sits, by Clerk id.
pub struct SnapshotIndex {
    file: File,
    fingerprints: Fingerprinter,
    slots: FingerprintMap<Slot>,
    /// Elements that could not be indexed (no id), and repeated ids.
    issues: Vec<Issue>,
    buf: Vec<u8>,
}

impl SnapshotIndex {
    /// Reads the whole file once, keeping only ids and positions. A truncated or non-array file is
    /// an error: a partial snapshot would silently turn users into "not in snapshot".
    pub fn build(path: &Path) -> Result<SnapshotIndex, SnapshotError> {
        let file = File::open(path).map_err(SnapshotError::Open)?;
        let reader =
            BufReader::with_capacity(1 << 20, file.try_clone().map_err(SnapshotError::Open)?);
        let mut elements = ArrayReader::new(reader);
        let fingerprints = Fingerprinter::new();
        let mut slots = FingerprintMap::<Slot>::default();
        let mut issues = Vec::new();
        let mut buf = Vec::new();
        while let Some(Element { index, offset, len }) = elements.next_element(&mut buf)? {
            let location = Some(Location::index(Input::Snapshot, index));
            let parsed = match leading_id(&buf) {
                Some(id) => Ok(id.to_owned()),
                None => serde_json::from_slice::<IdOnly>(&buf).map(|i| i.id),
            };
            let id = match parsed {
                Ok(id) if !id.trim().is_empty() => id,
                Ok(_) => {
                    issues.push(
                        Issue::new(IssueKind::InvalidSnapshotUser, "the user has an empty id")
                            .at(location),
                    );
                    continue;
                }
                Err(e) => {
                    issues.push(
                        Issue::new(
                            IssueKind::InvalidSnapshotUser,
                            format!("no readable id: {}", describe(&e)),
                        )
                        .at(location),
                    );
                    continue;
                }
            };
            let Ok(len) = u32::try_from(len) else {
                issues.push(
                    Issue::new(
                        IssueKind::InvalidSnapshotUser,
                        "the user object exceeds 4 GiB",
                    )
                    .user(&id)
                    .at(location),
                );
                continue;
            };
            let key = fingerprints.of(&id);
            if slots.contains_key(&key) {
                issues.push(
                    Issue::new(
                        IssueKind::DuplicateInSnapshot,
                        "the id appears more than once in the snapshot; the first is used",
                    )
                    .user(&id)
                    .at(location),
                );
                continue;
            }
            slots.insert(
                key,
                Slot {
                    offset,
                    len,
                    index,
                    taken: false,
                },
            );
        }
        Ok(SnapshotIndex {
            file,
            fingerprints,
            slots,
            issues,
            buf: Vec::new(),
        })
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.slots.contains_key(&self.fingerprints.of(id))
    }

    /// The indexing issues, handed over once.
    pub fn take_issues(&mut self) -> Vec<Issue> {
        std::mem::take(&mut self.issues)
    }

    /// Reads the user with this id, once: later calls (and [`Self::untaken`]) skip it.
    pub fn take(&mut self, id: &str) -> Result<Option<SnapshotItem>, SnapshotError> {
        let Some(slot) = self.slots.get_mut(&self.fingerprints.of(id)) else {
            return Ok(None);
        };
        if slot.taken {
            return Ok(None);
        }
        slot.taken = true;
        let slot = *slot;
        self.read(slot).map(Some)
    }

    fn read(&mut self, slot: Slot) -> Result<SnapshotItem, SnapshotError> {
        self.buf.resize(slot.len as usize, 0);
        read_at(&mut self.file, slot.offset, &mut self.buf).map_err(SnapshotError::Read)?;
        Ok(parse(&self.buf, slot.index))
    }

    /// The users never taken, in file order: those in the API but not in the export. Marks them
    /// all taken; read each with [`Self::read_untaken`].
    pub fn untaken(&mut self) -> Vec<Untaken> {
        let mut slots: Vec<Untaken> = self
            .slots
            .values_mut()
            .filter(|s| !s.taken)
            .map(|s| {
                s.taken = true;
                Untaken(*s)
            })
            .collect();
        slots.sort_unstable_by_key(|u| u.0.offset);
        slots
    }

    pub fn read_untaken(&mut self, untaken: Untaken) -> Result<SnapshotItem, SnapshotError> {
        self.read(untaken.0)
    }
}

/// One `pread` per user where there is one (a million users: a million system calls fewer than
/// seek + read).
#[cfg(unix)]
fn read_at(file: &mut File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_at(file: &mut File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// The id of an element that starts `{"id":"…"`, as Clerk's API and our writers put it, found
/// without parsing the whole user; anything else (escapes, another key first) is left to serde.
fn leading_id(element: &[u8]) -> Option<&str> {
    let rest = element.strip_prefix(b"{")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"\"id\"")?.trim_ascii_start();
    let rest = rest.strip_prefix(b":")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"\"")?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    if rest.get(end) != Some(&b'"') {
        return None;
    }
    std::str::from_utf8(rest.get(..end)?).ok()
}

/// Where a user nobody took sits in the file.
#[derive(Debug, Clone, Copy)]
pub struct Untaken(Slot);

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    const SNAPSHOT: &str = r#"[
      {"id":"user_a","first_name":"A"},
      {"id":"user_b","created_at":"not a number"},
      {"first_name":"no id"},
      {"id":"user_c"},
      {"id":"user_a","first_name":"A again"}
    ]"#;

    fn index() -> (tempfile::TempDir, SnapshotIndex) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        std::fs::write(&path, SNAPSHOT).unwrap();
        let index = SnapshotIndex::build(&path).unwrap();
        (dir, index)
    }

    #[test]
    fn streams_users_and_reports_bad_ones_by_index() {
        let users: Vec<SnapshotItem> = SnapshotReader::new(SNAPSHOT.as_bytes())
            .map(|u| u.unwrap())
            .collect();
        assert_eq!(users.len(), 5);
        assert_eq!(
            users[0].as_ref().unwrap().user.first_name.as_deref(),
            Some("A")
        );
        assert_eq!(users[3].as_ref().unwrap().location.index, Some(3));
        let bad = users[1].as_ref().unwrap_err();
        assert_eq!(bad.kind, IssueKind::InvalidSnapshotUser);
        assert_eq!(bad.clerk_id.as_deref(), Some("user_b"));
        assert_eq!(bad.location.and_then(|l| l.index), Some(1));
        assert!(!bad.detail.contains("not a number"));
        assert!(users[2].as_ref().unwrap_err().clerk_id.is_none());
    }

    #[test]
    fn a_file_that_is_not_a_whole_array_ends_the_stream_with_one_error() {
        for broken in [
            "",
            "{}",
            "[",
            r#"[{"id":"user_a"}"#,
            r#"[{"id":"user_a"} x"#,
        ] {
            let items: Vec<_> = SnapshotReader::new(broken.as_bytes()).take(10).collect();
            assert!(
                items.last().is_some_and(Result::is_err),
                "{broken:?} should end in an error"
            );
            assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1, "{broken:?}");
        }
    }

    #[test]
    fn finds_users_by_id_whatever_the_order() {
        let (_dir, mut index) = index();
        assert_eq!(index.len(), 3);
        let c = index.take("user_c").unwrap().unwrap().unwrap();
        assert_eq!(c.user.id, "user_c");
        assert_eq!(c.location.index, Some(3));
        let a = index.take("user_a").unwrap().unwrap().unwrap();
        assert_eq!(a.user.first_name.as_deref(), Some("A"));
        assert!(index.take("user_a").unwrap().is_none(), "taken once");
        assert!(index.take("user_zzz").unwrap().is_none());
        let b = index.take("user_b").unwrap().unwrap();
        assert_eq!(b.unwrap_err().kind, IssueKind::InvalidSnapshotUser);
    }

    #[test]
    fn reports_ids_it_cannot_index_and_repeated_ids() {
        let (_dir, mut index) = index();
        let issues = index.take_issues();
        let kinds: Vec<IssueKind> = issues.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            vec![
                IssueKind::InvalidSnapshotUser,
                IssueKind::DuplicateInSnapshot
            ]
        );
        assert_eq!(issues[0].location.and_then(|l| l.index), Some(2));
        assert_eq!(issues[1].clerk_id.as_deref(), Some("user_a"));
    }

    #[test]
    fn the_rest_comes_in_file_order_once() {
        let (_dir, mut index) = index();
        index.take("user_a").unwrap();
        let rest: Vec<String> = index
            .untaken()
            .into_iter()
            .map(|u| match index.read_untaken(u).unwrap() {
                Ok(found) => found.user.id,
                Err(issue) => issue.clerk_id.unwrap_or_default(),
            })
            .collect();
        assert_eq!(rest, vec!["user_b", "user_c"]);
        assert!(index.untaken().is_empty());
    }

    #[test]
    fn reads_a_leading_id_without_parsing_and_leaves_the_rest_to_serde() {
        assert_eq!(leading_id(br#"{"id":"user_a","x":1}"#), Some("user_a"));
        assert_eq!(leading_id(br#"{ "id" : "user_a" }"#), Some("user_a"));
        assert_eq!(leading_id(br#"{"object":"user","id":"user_a"}"#), None);
        assert_eq!(leading_id(br#"{"id":"us\"er"}"#), None);
        assert_eq!(leading_id(br#"{"id":12}"#), None);
    }

    #[test]
    fn a_truncated_snapshot_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        std::fs::write(&path, r#"[{"id":"user_a"},{"id":"us"#).unwrap();
        assert!(matches!(
            SnapshotIndex::build(&path),
            Err(SnapshotError::Array(ArrayError::Truncated { index: 1 }))
        ));
    }
}
