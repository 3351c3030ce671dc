//! Better Auth's rate limiter (reference §6.1): a fixed window per `<ip>|<path>` key, with Better
//! Auth's special rules per path. Storage is a small trait so that SQL and Redis backends can
//! follow the in-memory one.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, TryLockError};

/// One rule: at most `max` requests per `window` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub window: u64,
    pub max: u64,
}

/// Better Auth's rule for its sign-in and sign-up routes, and the two-factor plugin's.
pub const STRICT: Rule = Rule { window: 10, max: 3 };

/// The core rule for a path relative to the base path, as Better Auth 1.7.25 picks it (plugins'
/// rules come first: [`rule_for_route`]).
pub fn rule_for(path: &str, default: Rule) -> Rule {
    const MAIL: Rule = Rule { window: 60, max: 3 };
    if ["/sign-in", "/sign-up", "/change-password", "/change-email"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        return STRICT;
    }
    if [
        "/request-password-reset",
        "/send-verification-email",
        "/forget-password",
        "/email-otp/send-verification-otp",
        "/email-otp/request-password-reset",
    ]
    .iter()
    .any(|p| path.starts_with(p))
    {
        return MAIL;
    }
    default
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Refused; retry after this many seconds.
    Deny {
        retry_after: u64,
    },
}

/// Counts requests per key. Implementations must be safe under concurrent calls for one key.
pub trait RateLimitStore: Send + Sync + 'static {
    fn hit(&self, key: &str, rule: Rule, now_ms: i64) -> Decision;
}

/// The window state Better Auth keeps per key (its `rateLimit` table has the same two numbers).
#[derive(Debug, Clone, Copy)]
struct Window {
    count: u64,
    started_ms: i64,
}

fn window_ms(rule: Rule) -> i64 {
    i64::try_from(rule.window.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Pure decision shared by every backend: count within the window, reset after it.
fn decide(previous: Option<Window>, rule: Rule, now_ms: i64) -> (Decision, Window) {
    let window_ms = window_ms(rule);
    match previous {
        Some(w) if now_ms.saturating_sub(w.started_ms) < window_ms => {
            if w.count >= rule.max {
                let remaining_ms = w
                    .started_ms
                    .saturating_add(window_ms)
                    .saturating_sub(now_ms);
                let retry_after = u64::try_from((remaining_ms + 999) / 1000)
                    .unwrap_or(1)
                    .max(1);
                (Decision::Deny { retry_after }, w)
            } else {
                (
                    Decision::Allow,
                    Window {
                        count: w.count + 1,
                        started_ms: w.started_ms,
                    },
                )
            }
        }
        _ => (
            Decision::Allow,
            Window {
                count: 1,
                started_ms: now_ms,
            },
        ),
    }
}

/// One process's counters, bounded three ways: each entry lives for its own rule's window, the
/// map holds at most `capacity` entries (the oldest go first), and keys are short (a route
/// pattern, never a raw path, and at most [`MAX_KEY_BYTES`]). The map is split into shards by key
/// hash; a request locks only its key's shard, and expired entries are swept a few at a time: in
/// the request's own shard, and in one other shard in turn if it is free at that moment (so
/// shards that no request lands in are swept too). No sweep ever stops every request at once.
pub struct MemoryRateLimit {
    shards: Box<[Mutex<Shard>]>,
    shard_of: RandomState,
    shard_capacity: usize,
    next_to_sweep: AtomicUsize,
}

const SHARDS: usize = 32;
/// How many queued entries one request may sweep; more than the one it can add, so the sweep
/// keeps up with any arrival rate.
const SWEEP_PER_HIT: usize = 4;

#[derive(Default)]
struct Shard {
    entries: HashMap<Arc<str>, Entry>,
    /// Every key once, roughly in the order its window began: a key whose window restarted is
    /// moved to the back when it reaches the front (a second chance), so the front is the oldest.
    order: VecDeque<Arc<str>>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    window: Window,
    expires_ms: i64,
    /// When the key took its place in `order`.
    queued_ms: i64,
}

impl Default for MemoryRateLimit {
    fn default() -> Self {
        MemoryRateLimit::with_capacity(tessera_core::config::DEFAULT_RATE_LIMIT_MAX_ENTRIES)
    }
}

impl MemoryRateLimit {
    /// At most `capacity` entries (rounded up to a multiple of the shard count).
    pub fn with_capacity(capacity: usize) -> MemoryRateLimit {
        MemoryRateLimit::with_shards(capacity, SHARDS)
    }

    fn with_shards(capacity: usize, shards: usize) -> MemoryRateLimit {
        let shards = shards.max(1);
        MemoryRateLimit {
            shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect(),
            shard_of: RandomState::new(),
            shard_capacity: capacity.div_ceil(shards).max(1),
            next_to_sweep: AtomicUsize::new(0),
        }
    }

    /// How many counters are held now.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).entries.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `None` never happens: the index is taken modulo the number of shards.
    fn shard(&self, key: &str) -> Option<&Mutex<Shard>> {
        let count = u64::try_from(self.shards.len()).ok()?;
        let index = usize::try_from(self.shard_of.hash_one(key) % count).ok()?;
        self.shards.get(index)
    }
}

impl MemoryRateLimit {
    /// Sweeps the next shard in turn, unless a request holds it: this never waits.
    fn sweep_another(&self, now_ms: i64) {
        let turn = self.next_to_sweep.fetch_add(1, Ordering::Relaxed);
        let Some(shard) = self.shards.get(turn % self.shards.len().max(1)) else {
            return;
        };
        let mut guard = match shard.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        guard.sweep(now_ms, SWEEP_PER_HIT);
    }
}

/// The counters stay usable after a panic elsewhere: they are plain numbers, never half-written.
fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shard {
    /// Drops expired entries from the front and gives restarted ones their second chance, at most
    /// `budget` steps.
    fn sweep(&mut self, now_ms: i64, budget: usize) {
        for _ in 0..budget {
            let Some(front) = self.order.front() else {
                return;
            };
            match self.entries.get_mut(front) {
                Some(e) if now_ms >= e.expires_ms => {
                    self.entries.remove(front);
                    self.order.pop_front();
                }
                Some(e) if e.window.started_ms > e.queued_ms => {
                    e.queued_ms = e.window.started_ms;
                    self.order.rotate_left(1);
                }
                Some(_) => return,
                None => {
                    self.order.pop_front();
                }
            }
        }
    }

    /// Makes room for one more entry by dropping the oldest.
    fn evict_oldest(&mut self) {
        // Each restarted entry is moved back at most once, so this ends within two passes.
        for _ in 0..self.order.len().saturating_mul(2).max(1) {
            let Some(front) = self.order.pop_front() else {
                return;
            };
            match self.entries.get_mut(&front) {
                Some(e) if e.window.started_ms > e.queued_ms => {
                    e.queued_ms = e.window.started_ms;
                    self.order.push_back(front);
                }
                Some(_) => {
                    self.entries.remove(&front);
                    return;
                }
                None => {}
            }
        }
    }
}

impl RateLimitStore for MemoryRateLimit {
    fn hit(&self, key: &str, rule: Rule, now_ms: i64) -> Decision {
        let key = truncate_key(key);
        let Some(shard) = self.shard(key) else {
            return Decision::Allow;
        };
        self.sweep_another(now_ms);
        let mut shard = lock(shard);
        shard.sweep(now_ms, SWEEP_PER_HIT);
        let previous = shard
            .entries
            .get(key)
            .filter(|e| now_ms < e.expires_ms)
            .map(|e| e.window);
        let (decision, window) = decide(previous, rule, now_ms);
        let expires_ms = window.started_ms.saturating_add(window_ms(rule));
        if let Some(entry) = shard.entries.get_mut(key) {
            entry.window = window;
            entry.expires_ms = expires_ms;
            return decision;
        }
        if shard.entries.len() >= self.shard_capacity {
            shard.evict_oldest();
        }
        let key: Arc<str> = Arc::from(key);
        shard.order.push_back(Arc::clone(&key));
        shard.entries.insert(
            key,
            Entry {
                window,
                expires_ms,
                queued_ms: window.started_ms,
            },
        );
        decision
    }
}

/// The longest key kept; longer keys are cut (at a character boundary).
pub const MAX_KEY_BYTES: usize = 256;

fn truncate_key(key: &str) -> &str {
    if key.len() <= MAX_KEY_BYTES {
        return key;
    }
    let mut end = MAX_KEY_BYTES;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    key.get(..end).unwrap_or_default()
}

/// The route every request that matched no route counts against, so that unknown paths (one per
/// request, if a client likes) share one counter per client.
pub const NO_ROUTE: &str = "(no route)";
/// Better Auth's key part when no client address can be resolved: one shared bucket per route.
pub const NO_TRUSTED_IP: &str = "no-trusted-ip";

/// The route a request counts against, relative to the base path: the route's pattern
/// (`/reset-password/{token}`, one key for every token), or [`NO_ROUTE`].
pub fn route<'a>(matched: Option<&'a str>, base_path: &str) -> &'a str {
    match matched {
        Some(pattern) => pattern.strip_prefix(base_path).unwrap_or(pattern),
        None => NO_ROUTE,
    }
}

/// The counter's key, `<ip>|<route>` as Better Auth writes it.
pub fn key(client: Option<&str>, route: &str) -> String {
    let mut key = format!("{}|{route}", client.unwrap_or(NO_TRUSTED_IP));
    let kept = truncate_key(&key).len();
    key.truncate(kept);
    key
}

/// The rule for a route, as Better Auth picks it: an enabled plugin's rule for it, else the core
/// one; a request that matched no route has no special rule.
pub fn rule_for_route(route: &str, default: Rule, plugins: &crate::plugins::Registry) -> Rule {
    if route == NO_ROUTE {
        return default;
    }
    plugins
        .rate_limit_rule(route)
        .unwrap_or_else(|| rule_for(route, default))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: Rule = Rule {
        window: 10,
        max: 100,
    };

    #[test]
    fn better_auths_special_rules() {
        assert_eq!(
            rule_for("/sign-in/email", DEFAULT),
            Rule { window: 10, max: 3 }
        );
        assert_eq!(
            rule_for("/sign-up/email", DEFAULT),
            Rule { window: 10, max: 3 }
        );
        assert_eq!(
            rule_for("/request-password-reset", DEFAULT),
            Rule { window: 60, max: 3 }
        );
        assert_eq!(
            rule_for("/send-verification-email", DEFAULT),
            Rule { window: 60, max: 3 }
        );
        assert_eq!(
            rule_for("/change-email", DEFAULT),
            Rule { window: 10, max: 3 }
        );
        // Better Auth 1.7.25 has no special rule for deletion or the links' GETs.
        assert_eq!(rule_for("/delete-user", DEFAULT), DEFAULT);
        assert_eq!(rule_for("/verify-email", DEFAULT), DEFAULT);
        assert_eq!(rule_for("/get-session", DEFAULT), DEFAULT);
    }

    #[test]
    fn the_fourth_sign_in_in_ten_seconds_is_refused_until_the_window_passes() {
        let limiter = MemoryRateLimit::default();
        let rule = Rule { window: 10, max: 3 };
        for t in [0, 1000, 2000] {
            assert_eq!(
                limiter.hit("1.2.3.4|/sign-in/email", rule, t),
                Decision::Allow
            );
        }
        assert_eq!(
            limiter.hit("1.2.3.4|/sign-in/email", rule, 2500),
            Decision::Deny { retry_after: 8 }
        );
        assert_eq!(
            limiter.hit("5.6.7.8|/sign-in/email", rule, 2500),
            Decision::Allow,
            "other clients unaffected"
        );
        assert_eq!(
            limiter.hit("1.2.3.4|/sign-in/email", rule, 10_000),
            Decision::Allow
        );
    }

    const STRICT: Rule = Rule { window: 10, max: 3 };
    const MAIL: Rule = Rule { window: 60, max: 3 };

    /// Spends the whole allowance of `key` at `now`.
    fn exhaust(limiter: &MemoryRateLimit, key: &str, rule: Rule, now: i64) {
        for _ in 0..rule.max {
            assert_eq!(limiter.hit(key, rule, now), Decision::Allow);
        }
        assert!(matches!(limiter.hit(key, rule, now), Decision::Deny { .. }));
    }

    #[test]
    fn an_entry_lives_for_its_own_rules_window() {
        let limiter = MemoryRateLimit::with_shards(100, 1);
        exhaust(&limiter, "a|/sign-in/email", STRICT, 0);
        exhaust(&limiter, "a|/request-password-reset", MAIL, 0);
        assert_eq!(limiter.len(), 2);
        // Ten seconds on, the next request sweeps the strict entry and leaves the mail one.
        limiter.hit("b|/ok", DEFAULT, 10_000);
        assert_eq!(limiter.len(), 2);
        assert_eq!(
            limiter.hit("a|/sign-in/email", STRICT, 10_000),
            Decision::Allow
        );
        assert_eq!(
            limiter.hit("a|/request-password-reset", MAIL, 10_000),
            Decision::Deny { retry_after: 50 },
            "the mail rule's minute is not over"
        );
        assert_eq!(
            limiter.hit("a|/request-password-reset", MAIL, 60_000),
            Decision::Allow
        );
    }

    #[test]
    fn expired_entries_are_swept_by_later_requests() {
        let limiter = MemoryRateLimit::with_capacity(1_000_000);
        for n in 0..10_000 {
            limiter.hit(&format!("old{n}|/ok"), DEFAULT, 0);
        }
        assert_eq!(limiter.len(), 10_000);
        // Each later request sweeps a few in its shard, more than it adds.
        for n in 0..10_000 {
            limiter.hit(&format!("new{n}|/ok"), DEFAULT, 20_000);
        }
        assert_eq!(limiter.len(), 10_000, "only the new entries are left");
    }

    #[test]
    fn past_the_cap_the_oldest_entry_is_dropped() {
        let limiter = MemoryRateLimit::with_shards(4, 1);
        exhaust(&limiter, "first|/sign-in/email", STRICT, 0);
        for n in 1..=4 {
            limiter.hit(&format!("{n}|/ok"), DEFAULT, n);
            assert!(limiter.len() <= 4);
        }
        assert_eq!(limiter.len(), 4);
        assert_eq!(
            limiter.hit("first|/sign-in/email", STRICT, 5),
            Decision::Allow,
            "the oldest counter was the one dropped"
        );
        let mut sharded = MemoryRateLimit::with_capacity(SHARDS * 4);
        for n in 0..(SHARDS * 40) {
            sharded.hit(&format!("{n}|/ok"), DEFAULT, 0);
        }
        assert_eq!(sharded.len(), SHARDS * 4);
        sharded = MemoryRateLimit::with_capacity(1);
        sharded.hit("a", DEFAULT, 0);
        sharded.hit("b", DEFAULT, 0);
        assert!(sharded.len() <= SHARDS, "a tiny cap is one entry per shard");
    }

    #[test]
    fn a_counter_whose_window_restarted_is_not_the_oldest() {
        let limiter = MemoryRateLimit::with_shards(4, 1);
        let busy = "busy|/sign-in/email";
        limiter.hit("long|/request-password-reset", MAIL, 0);
        limiter.hit(busy, STRICT, 0);
        limiter.hit("f1|/ok", MAIL, 0);
        limiter.hit("f2|/ok", MAIL, 0);
        // The busy counter's window restarts in place, behind the minute-long one at the front.
        for _ in 0..3 {
            assert_eq!(limiter.hit(busy, STRICT, 11_000), Decision::Allow);
        }
        limiter.hit("f3|/ok", MAIL, 11_000);
        limiter.hit("f4|/ok", MAIL, 11_000);
        assert_eq!(limiter.len(), 4);
        assert!(
            matches!(limiter.hit(busy, STRICT, 11_000), Decision::Deny { .. }),
            "the busy counter kept its count; older ones went instead"
        );
    }

    #[test]
    fn keys_name_the_route_not_the_path_and_stay_short() {
        assert_eq!(
            route(Some("/api/auth/reset-password/{token}"), "/api/auth"),
            "/reset-password/{token}"
        );
        assert_eq!(route(None, "/api/auth"), NO_ROUTE);
        assert_eq!(
            key(Some("203.0.113.7"), "/sign-in/email"),
            "203.0.113.7|/sign-in/email"
        );
        assert_eq!(key(None, "/sign-in/email"), "no-trusted-ip|/sign-in/email");
        let none = crate::plugins::Registry::default();
        assert_eq!(rule_for_route("/sign-in/email", DEFAULT, &none), STRICT);
        assert_eq!(rule_for_route(NO_ROUTE, DEFAULT, &none), DEFAULT);
        let long = "é".repeat(1000);
        let k = key(Some("1.2.3.4"), &long);
        assert!(
            k.len() <= MAX_KEY_BYTES && k.len() > MAX_KEY_BYTES - 2,
            "{}",
            k.len()
        );
        let limiter = MemoryRateLimit::default();
        exhaust(&limiter, &long, DEFAULT, 0);
        assert_eq!(limiter.len(), 1);
    }
}
