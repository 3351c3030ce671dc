//! list-members' `total`, kept for a second. Counting an organization's members reads every entry
//! of its index (4.5 ms for 100,000 members on SQLite), which at 32 connections on two cores would
//! put every page behind a count. So a count is reused for [`FRESH_FOR`]: a change made through
//! this server (a member added, removed or given a new role) drops its organization's counts at
//! once, and a change made elsewhere (another instance, Better Auth on the same database, an
//! import) shows within [`FRESH_FOR`]. When a count goes stale, the first request recounts while
//! the others keep answering the old one, so a busy organization is never counted twice at once.
//!
//! Bounded: at most [`MAX_ORGANIZATIONS`] organizations and [`MAX_FILTERS`] filters each.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const FRESH_FOR: Duration = Duration::from_secs(1);
pub const MAX_ORGANIZATIONS: usize = 10_000;
pub const MAX_FILTERS: usize = 32;

struct Count {
    total: u64,
    counted_at: Instant,
    recounting: bool,
}

#[derive(Default)]
pub struct MemberCounts {
    organizations: Mutex<HashMap<String, HashMap<String, Count>>>,
}

/// What a caller should do for a total.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Answer this.
    Fresh(u64),
    /// Answer this, and count again for everyone ([`MemberCounts::store`]).
    Recount(u64),
    /// Nothing known: count.
    Missing,
}

impl MemberCounts {
    pub fn lookup(&self, organization_id: &str, filter: &str, now: Instant) -> Lookup {
        let Ok(mut organizations) = self.organizations.lock() else {
            return Lookup::Missing;
        };
        let Some(count) = organizations
            .get_mut(organization_id)
            .and_then(|filters| filters.get_mut(filter))
        else {
            return Lookup::Missing;
        };
        if now.duration_since(count.counted_at) < FRESH_FOR || count.recounting {
            return Lookup::Fresh(count.total);
        }
        count.recounting = true;
        Lookup::Recount(count.total)
    }

    pub fn store(&self, organization_id: &str, filter: &str, total: u64, now: Instant) {
        let Ok(mut organizations) = self.organizations.lock() else {
            return;
        };
        if !organizations.contains_key(organization_id) && organizations.len() >= MAX_ORGANIZATIONS
        {
            organizations.retain(|_, filters| {
                filters.retain(|_, c| now.duration_since(c.counted_at) < FRESH_FOR);
                !filters.is_empty()
            });
            if organizations.len() >= MAX_ORGANIZATIONS {
                organizations.clear();
            }
        }
        let filters = organizations.entry(organization_id.to_owned()).or_default();
        if !filters.contains_key(filter) && filters.len() >= MAX_FILTERS {
            filters.clear();
        }
        filters.insert(
            filter.to_owned(),
            Count {
                total,
                counted_at: now,
                recounting: false,
            },
        );
    }

    /// The organization's members changed here: its counts are no longer true.
    pub fn forget(&self, organization_id: &str) {
        if let Ok(mut organizations) = self.organizations.lock() {
            organizations.remove(organization_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_reused_until_stale_then_recounted_by_one_caller() {
        let counts = MemberCounts::default();
        let t0 = Instant::now();
        assert_eq!(counts.lookup("org", "", t0), Lookup::Missing);
        counts.store("org", "", 7, t0);
        assert_eq!(counts.lookup("org", "", t0), Lookup::Fresh(7));
        assert_eq!(counts.lookup("org", "role=admin", t0), Lookup::Missing);
        let later = t0 + FRESH_FOR;
        assert_eq!(counts.lookup("org", "", later), Lookup::Recount(7));
        assert_eq!(
            counts.lookup("org", "", later),
            Lookup::Fresh(7),
            "one recount at a time"
        );
        counts.store("org", "", 8, later);
        assert_eq!(counts.lookup("org", "", later), Lookup::Fresh(8));
    }

    #[test]
    fn a_change_here_forgets_the_organizations_counts() {
        let counts = MemberCounts::default();
        let now = Instant::now();
        counts.store("org", "", 7, now);
        counts.store("org", "role=admin", 1, now);
        counts.store("other", "", 3, now);
        counts.forget("org");
        assert_eq!(counts.lookup("org", "", now), Lookup::Missing);
        assert_eq!(counts.lookup("org", "role=admin", now), Lookup::Missing);
        assert_eq!(counts.lookup("other", "", now), Lookup::Fresh(3));
    }

    #[test]
    fn it_holds_a_bounded_number_of_organizations_and_filters() {
        let counts = MemberCounts::default();
        let now = Instant::now();
        for n in 0..=MAX_ORGANIZATIONS {
            counts.store(&format!("org-{n}"), "", 1, now);
        }
        for n in 0..=MAX_FILTERS {
            counts.store("org-x", &format!("filter-{n}"), 1, now);
        }
        let organizations = counts
            .organizations
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        assert!(organizations.len() <= MAX_ORGANIZATIONS);
        assert!(organizations.values().all(|f| f.len() <= MAX_FILTERS));
    }
}
