//! Times one Better Auth scrypt (N = 16384, r = 16, p = 1, dkLen = 64) through Tessera's own code
//! (`tessera_core::crypto::password`), which is what sign-up (one hash) and sign-in (one verify)
//! spend per request. From it follows the machine's hashing limit: cores / time of one.
//!
//! Usage: `scrypt-time [ITERATIONS] [THREADS]` (defaults 10 and the number of cores). Prints one
//! JSON object: the median single-threaded hash and verify times, and the aggregate rate with
//! THREADS hashing at once (which shows whether memory bandwidth lets the cores scale).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use tessera_core::crypto::password::{self, NativeFormat, VerifyContext};

const PASSWORD: &str = "correct horse battery staple";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let iterations = args
        .next()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(10)
        .max(1);
    let threads = args
        .next()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(cores)
        .max(1);
    match run(iterations, threads, cores) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("scrypt-time: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(iterations: usize, threads: usize, cores: usize) -> Result<String, String> {
    let stored = hash_once()?;
    // One untimed round so page faults of the 32 MiB scratch buffer's first use are not counted.
    verify_once(&stored)?;
    let mut hash_times = Vec::with_capacity(iterations);
    let mut verify_times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        hash_once()?;
        hash_times.push(start.elapsed());
        let start = Instant::now();
        verify_once(&stored)?;
        verify_times.push(start.elapsed());
    }
    let hash_ms = millis(median(&mut hash_times));
    let verify_ms = millis(median(&mut verify_times));

    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || -> Result<(), String> {
                for _ in 0..iterations {
                    hash_once()?;
                }
                Ok(())
            })
        })
        .collect();
    for handle in handles {
        handle.join().map_err(|_| "a hashing thread died")??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    // usize → f64 is exact for any count that fits in memory.
    let parallel_rate = (threads * iterations) as f64 / elapsed;

    Ok(format!(
        "{{\"cores\":{cores},\"iterations\":{iterations},\"hash_ms_median\":{hash_ms:.2},\
         \"verify_ms_median\":{verify_ms:.2},\"limit_per_s\":{limit:.2},\
         \"parallel_threads\":{threads},\"parallel_hashes_per_s\":{parallel_rate:.2}}}",
        limit = cores as f64 * 1000.0 / hash_ms,
    ))
}

fn hash_once() -> Result<String, String> {
    password::hash(PASSWORD, NativeFormat::BetterAuthScrypt).map_err(|e| e.to_string())
}

fn verify_once(stored: &str) -> Result<(), String> {
    match password::verify(stored, PASSWORD, &VerifyContext::default()) {
        Ok(true) => Ok(()),
        Ok(false) => Err("a hash did not verify against its own password".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
