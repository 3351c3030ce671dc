//! A client-side token bucket, so the Backend API client stays under Clerk's per-instance limit
//! (contract §2.7: 1000 requests / 10 s in production, 100 in development) instead of bouncing
//! off 429s.

use std::time::Duration;
use tokio::time::Instant;

pub struct TokenBucket {
    capacity: f64,
    /// Tokens per second.
    refill: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// At most `requests` per `window`, allowing a burst of the whole window.
    pub fn new(requests: u32, window: Duration) -> TokenBucket {
        let capacity = f64::from(requests.max(1));
        TokenBucket {
            capacity,
            refill: capacity / window.as_secs_f64().max(0.001),
            tokens: capacity,
            last: Instant::now(),
        }
    }

    /// Waits until a request may go out, then takes its token.
    pub async fn acquire(&mut self) {
        loop {
            let now = Instant::now();
            let elapsed = now.duration_since(self.last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.refill).min(self.capacity);
            self.last = now;
            if self.tokens >= 1.0 {
                self.tokens -= 1.0;
                return;
            }
            let wait = (1.0 - self.tokens) / self.refill;
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
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

    #[tokio::test(start_paused = true)]
    async fn a_full_window_goes_at_once_and_then_requests_are_paced() {
        let mut bucket = TokenBucket::new(5, Duration::from_secs(10));
        let start = Instant::now();
        for _ in 0..5 {
            bucket.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(1));
        for _ in 0..5 {
            bucket.acquire().await;
        }
        // Five more tokens take a full window to refill (one every 2 s).
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_secs(10), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(11), "{elapsed:?}");
    }
}
