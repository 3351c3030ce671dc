//! What one indexed SQLite read costs through sqlx, with and without the pool's
//! `test_before_acquire` (on by default): with it, every `acquire` first sends a ping to the
//! connection's worker thread and waits for the answer, a second thread round trip per query.
//! Tessera's get-session is one such read; this isolates that part of its cost.
//!
//! The pool is built like Tessera's SQLite read pool (WAL, synchronous NORMAL, 4 connections),
//! 32 tasks query one row by its primary key (`fetch_all`, as Tessera's store does) on a
//! multi-threaded runtime with one worker per core.
//!
//! Usage: `sqlite-pool-cost [SECONDS=5] [TASKS=32]`. Prints one JSON object per setting: queries/s,
//! process CPU µs per query and context switches per query (summed over all threads).

use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let seconds = args
        .next()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(5)
        .clamp(1, 600);
    let tasks = args
        .next()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(32)
        .clamp(1, 1024);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sqlite-pool-cost: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let dir = std::env::temp_dir().join(format!("tessera-sqlite-pool-cost-{}", std::process::id()));
    let result = runtime.block_on(run(&dir, Duration::from_secs(seconds), tasks));
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sqlite-pool-cost: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(dir: &std::path::Path, duration: Duration, tasks: usize) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let url = format!("sqlite://{}", dir.join("cost.db").display());
    let options = SqliteConnectOptions::from_str(&url)
        .map_err(|e| e.to_string())?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let setup = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("CREATE TABLE session (token TEXT PRIMARY KEY, userId TEXT NOT NULL, expiresAt TEXT NOT NULL)")
        .execute(&setup)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("INSERT INTO session VALUES ('the-token', 'the-user', '2099-01-01T00:00:00.000Z')")
        .execute(&setup)
        .await
        .map_err(|e| e.to_string())?;

    // Alternated, so that a change of machine load during the run shows up as disagreement.
    for test_before_acquire in [true, false, true, false] {
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(test_before_acquire)
            .connect_with(options.clone())
            .await
            .map_err(|e| e.to_string())?;
        // Warm every connection and its statement cache before counting.
        measure(&pool, Duration::from_secs(1), tasks).await?;
        let before = Usage::now()?;
        let queries = measure(&pool, duration, tasks).await?;
        let after = Usage::now()?;
        pool.close().await;
        // Counts and tick totals stay far below 2^52, where f64 would start to round.
        let n = queries as f64;
        println!(
            "{{\"test_before_acquire\":{test_before_acquire},\"tasks\":{tasks},\"queries_per_s\":{:.0},\
             \"cpu_us_per_query\":{:.1},\"context_switches_per_query\":{:.2}}}",
            n / duration.as_secs_f64(),
            (after.cpu_ticks - before.cpu_ticks) as f64 * 1e6 / ticks_per_second() / n,
            (after.switches - before.switches) as f64 / n,
        );
    }
    setup.close().await;
    Ok(())
}

async fn measure(pool: &sqlx::SqlitePool, duration: Duration, tasks: usize) -> Result<u64, String> {
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let pool = pool.clone();
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let rows =
                        sqlx::query("SELECT token, userId, expiresAt FROM session WHERE token = ?")
                            .bind("the-token")
                            .fetch_all(&pool)
                            .await
                            .map_err(|e| e.to_string())?;
                    if rows.len() != 1 {
                        return Err("the row is missing".to_owned());
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    for handle in handles {
        handle.await.map_err(|e| e.to_string())??;
    }
    Ok(count.load(Ordering::Relaxed))
}

/// Process CPU time (all threads, clock ticks) and context switches (all live threads).
struct Usage {
    cpu_ticks: u64,
    switches: u64,
}

impl Usage {
    fn now() -> Result<Usage, String> {
        let stat = std::fs::read_to_string("/proc/self/stat").map_err(|e| e.to_string())?;
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field =
            |n: usize| -> u64 { fields.get(n - 3).and_then(|s| s.parse().ok()).unwrap_or(0) };
        let cpu_ticks = field(14) + field(15);
        let mut switches = 0;
        for task in std::fs::read_dir("/proc/self/task").map_err(|e| e.to_string())? {
            let path = task.map_err(|e| e.to_string())?.path().join("status");
            let Ok(status) = std::fs::read_to_string(path) else {
                continue;
            };
            for line in status.lines() {
                if let Some(v) = line
                    .strip_prefix("voluntary_ctxt_switches:")
                    .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
                {
                    switches += v.trim().parse::<u64>().unwrap_or(0);
                }
            }
        }
        Ok(Usage {
            cpu_ticks,
            switches,
        })
    }
}

/// `sysconf(_SC_CLK_TCK)` is 100 on every Linux this runs on; reading it would need libc.
fn ticks_per_second() -> f64 {
    100.0
}
