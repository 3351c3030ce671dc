//! What one indexed SQLite read costs on the way Tessera's get-session does it, and on the
//! alternatives. Tessera's get-session is one such read; this isolates that part of its cost.
//!
//! Modes, each measured with 32 tasks on a multi-threaded runtime (one worker per core), on a WAL
//! database with synchronous NORMAL, 4 connections:
//! - `pool-test-on`: a sqlx pool as sqlx builds it by default. Every `acquire` first pings the
//!   connection's worker thread, and every release pings it again (sqlx-core 0.8.6
//!   `return_to_pool`, unconditionally).
//! - `pool-test-off`: `test_before_acquire(false)`, as Tessera's SQLite pools are built since
//!   "SQLite pools skip the per-acquire liveness ping". The release ping remains.
//! - `sqlx-unpooled`: four sqlx connections handed out by a semaphore, never pinged. Only
//!   sqlx-sqlite's own hop to each connection's worker thread remains.
//! - `rusqlite-inline`: one rusqlite connection per runtime worker thread, queried in place on that
//!   thread, with no hop at all.
//!
//! Usage: `sqlite-pool-cost [SECONDS=5] [TASKS=32]`. The modes run in turn, twice, so that a change
//! of machine load shows up as disagreement. Each prints one JSON object: queries/s, process CPU µs
//! per query, and context switches per query (summed over all threads).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Row};
use tokio::sync::Semaphore;

const SQL: &str = "SELECT token, userId, expiresAt FROM session WHERE token = ?";
const CONNECTIONS: u32 = 4;

#[derive(Clone, Copy)]
enum Mode {
    PoolTestOn,
    PoolTestOff,
    SqlxUnpooled,
    RusqliteInline,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::PoolTestOn => "pool-test-on",
            Mode::PoolTestOff => "pool-test-off",
            Mode::SqlxUnpooled => "sqlx-unpooled",
            Mode::RusqliteInline => "rusqlite-inline",
        }
    }
}

/// Whatever a mode queries through; built fresh for each measurement.
enum Reader {
    Pool(SqlitePool),
    Unpooled {
        permits: Semaphore,
        idle: Mutex<Vec<SqliteConnection>>,
    },
    Inline(PathBuf),
}

thread_local! {
    static INLINE: RefCell<Option<rusqlite::Connection>> = const { RefCell::new(None) };
}

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

async fn run(dir: &Path, duration: Duration, tasks: usize) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let path = dir.join("cost.db");
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .map_err(|e| e.to_string())?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let setup = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .map_err(|e| e.to_string())?;
    for sql in [
        "CREATE TABLE session (token TEXT PRIMARY KEY, userId TEXT NOT NULL, expiresAt TEXT NOT NULL)",
        "INSERT INTO session VALUES ('the-token', 'the-user', '2099-01-01T00:00:00.000Z')",
    ] {
        sqlx::query(sql)
            .execute(&setup)
            .await
            .map_err(|e| e.to_string())?;
    }

    let modes = [
        Mode::PoolTestOn,
        Mode::PoolTestOff,
        Mode::SqlxUnpooled,
        Mode::RusqliteInline,
    ];
    for mode in modes.iter().chain(modes.iter()).copied() {
        let reader = Arc::new(open(mode, &options, &path).await?);
        // Warm every connection and its statement cache before counting.
        measure(&reader, Duration::from_secs(1), tasks).await?;
        let before = Usage::now()?;
        let queries = measure(&reader, duration, tasks).await?;
        let after = Usage::now()?;
        close(reader).await;
        // Let the closed connections' threads exit before the next mode counts threads.
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Counts and tick totals stay far below 2^52, where f64 would start to round.
        let n = queries as f64;
        println!(
            "{{\"mode\":\"{}\",\"tasks\":{tasks},\"queries_per_s\":{:.0},\
             \"cpu_us_per_query\":{:.1},\"context_switches_per_query\":{:.2}}}",
            mode.name(),
            n / duration.as_secs_f64(),
            after.cpu_ticks.saturating_sub(before.cpu_ticks) as f64 * 1e6 / ticks_per_second() / n,
            after.switches.saturating_sub(before.switches) as f64 / n,
        );
    }
    setup.close().await;
    Ok(())
}

async fn open(mode: Mode, options: &SqliteConnectOptions, path: &Path) -> Result<Reader, String> {
    let pool = |test: bool| {
        SqlitePoolOptions::new()
            .max_connections(CONNECTIONS)
            .test_before_acquire(test)
            .connect_with(options.clone())
    };
    Ok(match mode {
        Mode::PoolTestOn => Reader::Pool(pool(true).await.map_err(|e| e.to_string())?),
        Mode::PoolTestOff => Reader::Pool(pool(false).await.map_err(|e| e.to_string())?),
        Mode::SqlxUnpooled => {
            let mut idle = Vec::new();
            for _ in 0..CONNECTIONS {
                idle.push(options.connect().await.map_err(|e| e.to_string())?);
            }
            Reader::Unpooled {
                permits: Semaphore::new(idle.len()),
                idle: Mutex::new(idle),
            }
        }
        Mode::RusqliteInline => Reader::Inline(path.to_owned()),
    })
}

async fn close(reader: Arc<Reader>) {
    let Ok(reader) = Arc::try_unwrap(reader) else {
        return;
    };
    match reader {
        Reader::Pool(pool) => pool.close().await,
        Reader::Unpooled { idle, .. } => {
            let conns = idle.into_inner().unwrap_or_default();
            for conn in conns {
                let _ = sqlx::Connection::close(conn).await;
            }
        }
        // The per-thread connections stay open for the next inline run; they cost nothing idle.
        Reader::Inline(_) => {}
    }
}

async fn query_once(reader: &Reader) -> Result<usize, String> {
    match reader {
        Reader::Pool(pool) => {
            let rows = sqlx::query(SQL)
                .bind("the-token")
                .fetch_all(pool)
                .await
                .map_err(|e| e.to_string())?;
            Ok(rows
                .iter()
                .filter(|r| r.try_get::<String, _>(1).is_ok())
                .count())
        }
        Reader::Unpooled { permits, idle } => {
            let _permit = permits.acquire().await.map_err(|e| e.to_string())?;
            let conn = idle
                .lock()
                .map_err(|_| "connection list poisoned")?
                .pop()
                .ok_or("a permit without a connection")?;
            let mut conn = conn;
            let result = sqlx::query(SQL)
                .bind("the-token")
                .fetch_all(&mut conn)
                .await
                .map_err(|e| e.to_string());
            idle.lock()
                .map_err(|_| "connection list poisoned")?
                .push(conn);
            let rows = result?;
            Ok(rows
                .iter()
                .filter(|r| r.try_get::<String, _>(1).is_ok())
                .count())
        }
        Reader::Inline(path) => INLINE.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                *slot = Some(conn);
            }
            let conn = slot.as_ref().ok_or("no connection")?;
            let mut stmt = conn.prepare_cached(SQL).map_err(|e| e.to_string())?;
            let rows = stmt
                .query_map(["the-token"], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                })
                .map_err(|e| e.to_string())?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            Ok(rows.len())
        }),
    }
}

async fn measure(reader: &Arc<Reader>, duration: Duration, tasks: usize) -> Result<u64, String> {
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let reader = Arc::clone(reader);
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    if query_once(&reader).await? != 1 {
                        return Err("the row is missing".to_owned());
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                    // The inline mode never awaits; yield so that every task gets its turn.
                    tokio::task::yield_now().await;
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
