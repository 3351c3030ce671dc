// Medians over repetitions, the issue's targets as PASS/FAIL, and the Markdown summary.

const MIB = 1024;

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function errorsOf(r) {
  return r.errors_connect + r.errors_read + r.errors_write + r.errors_status + r.errors_timeout;
}

/** summary[server][scenario] = medians of the repetitions (each figure's median on its own). */
export function summarise(results) {
  const out = {};
  for (const [server, scenarios] of Object.entries(results.runs)) {
    out[server] = {};
    for (const [name, reps] of Object.entries(scenarios)) {
      const s = {
        reps: reps.length,
        rps: median(reps.map((r) => r.rps)),
        p50_ms: median(reps.map((r) => r.p50_ms)),
        p99_ms: median(reps.map((r) => r.p99_ms)),
        requests: reps.reduce((a, r) => a + r.requests, 0),
        errors: reps.reduce((a, r) => a + errorsOf(r), 0),
        rps_each: reps.map((r) => round(r.rps, 1)),
        p99_each: reps.map((r) => round(r.p99_ms, 2)),
      };
      if (reps.every((r) => Number.isFinite(r.limit_per_s))) {
        s.limit_per_s = median(reps.map((r) => r.limit_per_s));
        s.share_of_limit = median(reps.map((r) => r.rps / r.limit_per_s));
        s.limit_each = reps.map((r) => round(r.limit_per_s, 1));
      }
      if (reps.some((r) => r.background_sign_in)) {
        s.background_sign_in_rps = median(reps.map((r) => r.background_sign_in?.rps));
        s.background_errors = reps.reduce((a, r) => a + (r.background_sign_in ? errorsOf(r.background_sign_in) : 0), 0);
      }
      out[server][name] = s;
    }
  }
  return out;
}

function round(x, digits) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** One entry per figure of the issue: Tessera's value, Better Auth's, the target, and the verdict. */
export function verdicts(results) {
  const s = results.summary;
  const t = s.tessera ?? {};
  const ba = s["better-auth"] ?? {};
  const empty = s["empty-axum"] ?? {};
  const limit = results.scrypt?.limit_per_s ?? null;
  const rssT = results.rss.tessera ?? {};
  const rssB = results.rss["better-auth"] ?? {};
  const v = [];
  const add = (figure, target, tessera, betterAuth, pass, note = "") =>
    v.push({ figure, target, tessera, better_auth: betterAuth, pass, note });
  const get = (o, scenario, key) => o[scenario]?.[key] ?? null;

  const gsT = get(t, "get-session-sqlite-32", "rps");
  const gsB = get(ba, "get-session-sqlite-32", "rps");
  const ratio = gsT !== null && gsB ? gsT / gsB : null;
  add("get-session, SQLite, 32 conns: req/s", "≥ 25× Better Auth", fmt(gsT, 0), fmt(gsB, 0), ratio !== null ? ratio >= 25 : null, ratio !== null ? `${ratio.toFixed(1)}×` : "");

  const p99T = get(t, "get-session-sqlite-32", "p99_ms");
  const p99B = get(ba, "get-session-sqlite-32", "p99_ms");
  const p99E = get(empty, "get-session-sqlite-32", "p99_ms");
  add("get-session, SQLite, 32 conns: p99 (ms)", `≤ 2× empty axum (${fmt(p99E, 2)} → ≤ ${fmt(p99E === null ? null : 2 * p99E, 2)})`, fmt(p99T, 2), fmt(p99B, 2), p99T !== null && p99E !== null ? p99T <= 2 * p99E : null, `empty axum ${fmt(get(empty, "get-session-sqlite-32", "rps"), 0)} req/s`);

  const pgT = get(t, "get-session-postgres-32", "rps");
  const pgB = get(ba, "get-session-postgres-32", "rps");
  add("get-session, PostgreSQL, 32 conns: req/s", "(measured, no target)", fmt(pgT, 0), fmt(pgB, 0), null, pgT !== null && pgB ? `${(pgT / pgB).toFixed(1)}×; p99 ${fmt(get(t, "get-session-postgres-32", "p99_ms"), 2)} vs ${fmt(get(ba, "get-session-postgres-32", "p99_ms"), 2)} ms` : "");

  for (const [name, label] of [["sign-in-32", "sign-in/email"], ["sign-up-32", "sign-up/email"]]) {
    const rT = get(t, name, "rps");
    const rB = get(ba, name, "rps");
    // Each repetition against the limit timed just before it; else the run's opening timing.
    const share = get(t, name, "share_of_limit") ?? (rT !== null && limit ? rT / limit : null);
    const lim = get(t, name, "limit_per_s") ?? limit;
    const shareB = get(ba, name, "share_of_limit");
    add(`${label}, 32 conns: req/s`, `≥ 90% of hashing limit (${fmt(lim, 1)}/s → ≥ ${fmt(lim === null ? null : 0.9 * lim, 1)})`, fmt(rT, 1), fmt(rB, 1), share !== null ? share >= 0.9 : null, share !== null ? `${(100 * share).toFixed(0)}% of limit (limits per rep: ${(get(t, name, "limit_each") ?? []).join(", ")}); Better Auth ${shareB !== null ? (100 * shareB).toFixed(0) : "?"}%; p99 ${fmt(get(t, name, "p99_ms"), 0)} ms` : "");
  }

  const peakT = peakDuring200(rssT);
  const peakB = peakDuring200(rssB);
  add("RSS with 200 sign-ins at once (MiB, peak during the run)", "< 300 MiB", fmt(mib(peakT), 1), fmt(mib(peakB), 1), peakT !== null ? peakT < 300 * MIB : null, `sign-in-200: Tessera ${fmt(get(t, "sign-in-200", "rps"), 1)} req/s, Better Auth ${fmt(get(ba, "sign-in-200", "rps"), 1)} req/s`);

  const unloaded = get(t, "get-session-sqlite-4", "rps");
  const loaded = get(t, "mixed-get-session-4", "rps");
  const loadedP99 = get(t, "mixed-get-session-4", "p99_ms");
  const share = unloaded && loaded !== null ? loaded / unloaded : null;
  const unloadedB = get(ba, "get-session-sqlite-4", "rps");
  const loadedB = get(ba, "mixed-get-session-4", "rps");
  add("mixed: get-session (4 conns) under 32 sign-ins: req/s", "≥ ¼ of unloaded", `${fmt(loaded, 0)} of ${fmt(unloaded, 0)}`, `${fmt(loadedB, 0)} of ${fmt(unloadedB, 0)}`, share !== null ? share >= 0.25 : null, share !== null ? `${(100 * share).toFixed(0)}% kept (Better Auth ${unloadedB && loadedB !== null ? ((100 * loadedB) / unloadedB).toFixed(0) : "?"}%)` : "");
  add("mixed: get-session (4 conns) under 32 sign-ins: p99 (ms)", "< 50 ms", fmt(loadedP99, 2), fmt(get(ba, "mixed-get-session-4", "p99_ms"), 2), loadedP99 !== null ? loadedP99 < 50 : null, `background sign-in: Tessera ${fmt(get(t, "mixed-get-session-4", "background_sign_in_rps"), 1)} req/s, Better Auth ${fmt(get(ba, "mixed-get-session-4", "background_sign_in_rps"), 1)} req/s`);

  add("idle RSS (MiB, 3 s after start)", "< 30 MiB", fmt(mib(rssT.idle_kib), 1), fmt(mib(rssB.idle_kib), 1), rssT.idle_kib !== undefined ? rssT.idle_kib < 30 * MIB : null, `after the whole load, idle: Tessera ${fmt(mib(rssT.after_load_kib), 1)} MiB, Better Auth ${fmt(mib(rssB.after_load_kib), 1)} MiB`);
  return v;
}

/** VmHWM if it rose during the 200-sign-in run (then it is that run's exact peak), else the
 * highest VmRSS sampled during it. */
function peakDuring200(r) {
  if (Number.isFinite(r.hwm_kib) && Number.isFinite(r.hwm_before_200_kib) && r.hwm_kib > r.hwm_before_200_kib) {
    return r.hwm_kib;
  }
  return maxOf(r.peak_200_kib);
}

function maxOf(...xs) {
  const v = xs.filter((x) => Number.isFinite(x));
  return v.length ? Math.max(...v) : null;
}

function mib(kib) {
  return Number.isFinite(kib) ? kib / MIB : null;
}

function fmt(x, digits) {
  return x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);
}

export function renderSummary(results) {
  const m = results.machine;
  const lines = [];
  lines.push(`# HTTP benchmark run ${results.started_at}`);
  lines.push("");
  lines.push(`Machine: ${m.nproc} cores (${m.cpu_model}), ${m.ram_gib} GiB RAM, kernel ${m.kernel}, Node ${m.node}, ${m.wrk}.`);
  lines.push(`Load average (1/5/15 min) before: ${results.load_before.map((x) => x.toFixed(2)).join(" / ")}; after: ${results.load_after.map((x) => x.toFixed(2)).join(" / ")}.`);
  lines.push(`Options: ${JSON.stringify(results.options)}; wrk threads: ${results.wrk_threads} (wrk shares the cores with the server).`);
  if (results.scrypt) {
    const sc = results.scrypt;
    lines.push(`Tessera scrypt (N=16384, r=16, p=1, dkLen=64): hash ${sc.hash_ms_median} ms, verify ${sc.verify_ms_median} ms (median of ${sc.iterations}); hashing limit = ${sc.cores} cores / ${sc.hash_ms_median} ms = ${sc.limit_per_s}/s; ${sc.parallel_threads} threads at once: ${sc.parallel_hashes_per_s}/s.`);
  }
  if (results.node_scrypt) {
    const ns = results.node_scrypt;
    lines.push(`Node ${ns.node} (OpenSSL, what Better Auth uses): hash ${ns.hash_ms_median} ms (median of ${ns.iterations}); ${ns.parallel} at once: ${ns.parallel_hashes_per_s}/s.`);
  }
  if (results.foreign.length) {
    lines.push(`Other work seen running during: ${results.foreign.map((f) => `${f.when} (${Object.keys(f.processes).join(",")})`).join("; ")}.`);
  } else {
    lines.push("No compiler or linker was seen running at any scenario boundary.");
  }
  lines.push("");
  lines.push("| figure | target | Tessera | Better Auth | verdict | note |");
  lines.push("|---|---|---|---|---|---|");
  for (const v of results.verdicts) {
    const verdict = v.pass === null ? "—" : v.pass ? "PASS" : "FAIL";
    lines.push(`| ${v.figure} | ${v.target} | ${v.tessera} | ${v.better_auth} | ${verdict} | ${v.note} |`);
  }
  lines.push("");
  lines.push("## Every scenario (medians of the repetitions)");
  lines.push("");
  lines.push("| server | scenario | reps | req/s (median) | req/s each | p50 ms | p99 ms (median) | p99 each | requests | errors |");
  lines.push("|---|---|---|---|---|---|---|---|---|---|");
  for (const [server, scenarios] of Object.entries(results.summary)) {
    for (const [name, s] of Object.entries(scenarios)) {
      lines.push(`| ${server} | ${name} | ${s.reps} | ${fmt(s.rps, 1)} | ${s.rps_each.join(", ")} | ${fmt(s.p50_ms, 2)} | ${fmt(s.p99_ms, 2)} | ${s.p99_each.join(", ")} | ${s.requests} | ${s.errors}${s.background_errors !== undefined ? ` (+${s.background_errors} bg)` : ""} |`);
    }
  }
  lines.push("");
  lines.push("| server | idle RSS MiB | peak RSS under 200 sign-ins MiB (sampled / VmHWM before → after) | idle RSS after load MiB | peak VmRSS per phase MiB (sampled every 50 ms) |");
  lines.push("|---|---|---|---|---|");
  for (const [server, r] of Object.entries(results.rss)) {
    const phases = Object.entries(r.peak_by_phase_kib ?? {}).map(([p, k]) => `${p} ${fmt(mib(k), 1)}`).join(", ");
    lines.push(`| ${server} | ${fmt(mib(r.idle_kib), 1)} | ${fmt(mib(r.peak_200_kib), 1)} / ${fmt(mib(r.hwm_before_200_kib), 1)} → ${fmt(mib(r.hwm_kib), 1)} | ${fmt(mib(r.after_load_kib), 1)} | ${phases} |`);
  }
  lines.push("");
  return lines.join("\n");
}
