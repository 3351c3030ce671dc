//! Better Auth's rate limiter (reference §6.1): a fixed window per `<ip>|<path>` key, with Better
//! Auth's special rules per path. Storage is a small trait so that SQL and Redis backends can
//! follow the in-memory one.

use std::collections::HashMap;
use std::sync::Mutex;

/// One rule: at most `max` requests per `window` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub window: u64,
    pub max: u64,
}

/// The rule for a path relative to the base path, as Better Auth 1.7.25 picks it.
pub fn rule_for(path: &str, default: Rule) -> Rule {
    const STRICT: Rule = Rule { window: 10, max: 3 };
    const MAIL: Rule = Rule { window: 60, max: 3 };
    const PHONE: Rule = Rule {
        window: 60,
        max: 10,
    };
    if path.starts_with("/two-factor/") {
        return STRICT;
    }
    if path.starts_with("/phone-number") {
        return PHONE;
    }
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

/// Pure decision shared by every backend: count within the window, reset after it.
fn decide(previous: Option<Window>, rule: Rule, now_ms: i64) -> (Decision, Window) {
    let window_ms = i64::try_from(rule.window.saturating_mul(1000)).unwrap_or(i64::MAX);
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

/// One process's counters. Entries whose window has passed are swept now and then, so memory
/// stays bounded by the keys seen within one window.
#[derive(Default)]
pub struct MemoryRateLimit {
    inner: Mutex<MemoryState>,
}

#[derive(Default)]
struct MemoryState {
    windows: HashMap<String, Window>,
    last_sweep_ms: i64,
}

const SWEEP_EVERY_MS: i64 = 60_000;
const LONGEST_WINDOW_MS: i64 = 3_600_000;

impl RateLimitStore for MemoryRateLimit {
    fn hit(&self, key: &str, rule: Rule, now_ms: i64) -> Decision {
        let Ok(mut state) = self.inner.lock() else {
            // A poisoned lock means a panic elsewhere; failing open keeps sign-in available.
            return Decision::Allow;
        };
        if now_ms - state.last_sweep_ms > SWEEP_EVERY_MS {
            state
                .windows
                .retain(|_, w| now_ms - w.started_ms < LONGEST_WINDOW_MS);
            state.last_sweep_ms = now_ms;
        }
        let previous = state.windows.get(key).copied();
        let (decision, window) = decide(previous, rule, now_ms);
        state.windows.insert(key.to_owned(), window);
        decision
    }
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
            rule_for("/two-factor/verify-totp", DEFAULT),
            Rule { window: 10, max: 3 }
        );
        assert_eq!(
            rule_for("/phone-number/send-otp", DEFAULT),
            Rule {
                window: 60,
                max: 10
            }
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
}
