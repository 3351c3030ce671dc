//! Answers that must not tell a known account from an unknown one by their timing (security
//! requirement A4). The work only a known account needs (a row, a message) already runs after the
//! answer; what still differs before it (a row found and decoded, a task spawned, that task
//! competing for the same cores) is small but measurable, so the answer is also held until a fixed
//! time has passed since the request began.

use std::time::Duration;

use tokio::time::Instant;

/// Far above what either answer takes on a loaded machine (a few milliseconds), and far below what
/// a person notices on a "check your inbox" screen.
pub const FLOOR: Duration = Duration::from_millis(100);

/// When the request began; [`Floor::reached`] waits out the rest.
pub struct Floor(Instant);

impl Floor {
    pub fn start() -> Floor {
        Floor(Instant::now())
    }

    pub async fn reached(self) {
        tokio::time::sleep_until(self.0 + FLOOR).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_quick_answer_is_held_until_the_floor_has_passed_since_the_start() {
        let floor = Floor::start();
        let began = Instant::now();
        tokio::time::sleep(Duration::from_millis(10)).await;
        floor.reached().await;
        assert!(began.elapsed() >= FLOOR);
    }

    #[tokio::test]
    async fn work_that_took_longer_than_the_floor_is_not_held_further() {
        let floor = Floor::start();
        tokio::time::sleep(FLOOR + Duration::from_millis(20)).await;
        let after_work = Instant::now();
        floor.reached().await;
        assert!(after_work.elapsed() < FLOOR, "{:?}", after_work.elapsed());
    }
}
