//! Ethereum's state tests through Tandem's executor, judged case by case against a checked-in
//! list of known failures.
//!
//! Two suites from the shared fixtures (`../shared/fixtures`, see tandem-testkit: without them
//! the tests skip with a message, and fail under `CI=true`):
//!
//! - `ethereum-state-tests/GeneralStateTests` (ethereum/tests), known failures in
//!   `statetests-known-failures.txt`;
//! - `eest-state-tests` (execution-spec-tests fillings), known failures in
//!   `eest-known-failures.txt`.
//!
//! `Cancun`, `Prague` and `Osaka` post states are judged, each under its fork's rules
//! (`tandem_evm::statetest::FORKS`); a test with none of them is counted as skipped.
//! `eest_prague_floor` also holds the Prague pass count to its measured floor. A list holds one case id per line, `<file>::<test>::d<i>g<j>v<k>` (the
//! file relative to the suite's folder, then the test name and the data/gas/value indexes),
//! with the reason after `#`. The test fails on any failure not in the list, and on any listed
//! case that did not fail (it passes now, or no longer exists): delete its line.
//!
//! `TANDEM_STATETEST_PATH` narrows the GeneralStateTests run to one file or folder inside the
//! suite (only the list's entries under it are checked). `TANDEM_STATETEST_WRITE=1` rewrites the
//! list being checked from this run's failures, keeping the reasons of cases already listed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use tandem_evm::spec::Hardfork;
use tandem_evm::statetest::{CaseFailure, Runner, Summary};

#[test]
fn general_state_tests() {
    let Some(dir) = tandem_testkit::fixture("ethereum-state-tests/GeneralStateTests") else {
        return;
    };
    let narrowed = std::env::var_os("TANDEM_STATETEST_PATH").map(PathBuf::from);
    judge(&dir, narrowed.as_deref(), "statetests-known-failures.txt");
}

#[test]
fn eest_state_tests() {
    let Some(dir) = tandem_testkit::fixture("eest-state-tests") else {
        return;
    };
    judge(&dir, None, "eest-known-failures.txt");
}

/// Prague cases of execution-spec-tests that passed when measured (2026-12-06), out of 1,006.
/// The pass count may not drop below it, and the rate must stay at least 99 %.
const PRAGUE_FLOOR: usize = 1006;

#[test]
fn eest_prague_floor() {
    let Some(dir) = tandem_testkit::fixture("eest-state-tests/prague") else {
        return;
    };
    let summary = run_parallel(&dir);
    let (passed, failed) = summary.of_fork(Hardfork::Prague);
    eprintln!("Prague: {passed} passed, {failed} failed");
    assert!(
        passed >= PRAGUE_FLOOR,
        "Prague pass count {passed} fell below the floor {PRAGUE_FLOOR}"
    );
    assert!(
        passed * 100 >= (passed + failed) * 99,
        "Prague pass rate below 99 %: {passed} of {}",
        passed + failed
    );
}

/// Runs the suite under `root` (or its part `narrowed`) and compares its failures with the
/// list `list` beside this file.
fn judge(root: &Path, narrowed: Option<&Path>, list: &str) {
    let list_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(list);
    let text = std::fs::read_to_string(&list_path)
        .unwrap_or_else(|e| panic!("{}: {e}", list_path.display()));
    let known = parse_list(&text);

    let run_root = narrowed
        .map(Path::to_path_buf)
        .unwrap_or(root.to_path_buf());
    let scope = rel(root, &run_root);
    let start = Instant::now();
    let summary = run_parallel(&run_root);
    let elapsed = start.elapsed();
    eprintln!(
        "{}: {} passed, {} failed, {} skipped (no Cancun, Prague or Osaka post) in {:.1}s",
        run_root.display(),
        summary.passed,
        summary.failed,
        summary.skipped,
        elapsed.as_secs_f64()
    );
    for (fork, (p, f)) in &summary.by_fork {
        eprintln!("  {fork}: {p} passed, {f} failed");
    }
    assert!(summary.passed > 0, "no state test ran");

    let failed: BTreeMap<String, &CaseFailure> = summary
        .failures
        .iter()
        .map(|f| (case_id(root, f), f))
        .collect();
    let in_scope = |id: &str| scope.is_empty() || id.starts_with(&scope);
    let unexpected: Vec<String> = failed
        .iter()
        .filter(|(id, _)| !known.contains_key(*id))
        .map(|(id, f)| format!("  {id}  # {}", first_line(&f.reason)))
        .collect();
    let stale: Vec<&String> = known
        .keys()
        .filter(|id| in_scope(id) && !failed.contains_key(*id))
        .collect();

    if std::env::var("TANDEM_STATETEST_WRITE").is_ok_and(|v| v == "1") {
        write_list(&list_path, &text, &known, &failed, &in_scope);
        eprintln!("wrote {} ({} cases)", list_path.display(), failed.len());
        return;
    }
    eprintln!(
        "{} known failures listed in {}, {} failed as listed",
        known.len(),
        list,
        failed.len() - unexpected.len()
    );
    let mut problems = String::new();
    if !unexpected.is_empty() {
        problems.push_str(&format!(
            "{} failure(s) not in {list}:\n{}\n",
            unexpected.len(),
            unexpected.join("\n")
        ));
    }
    if !stale.is_empty() {
        problems.push_str(&format!(
            "{} case(s) listed in {list} did not fail (fixed, or gone): delete their lines\n{}\n",
            stale.len(),
            stale
                .iter()
                .map(|s| format!("  {s}"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    assert!(problems.is_empty(), "{problems}");
}

/// Runs every `.json` file under `root` on all cores, one runner per thread.
fn run_parallel(root: &Path) -> Summary {
    let mut files = Vec::new();
    collect_json(root, &mut files);
    files.sort();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let parts: Vec<Summary> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(64 << 20)
                    .spawn_scoped(s, || {
                        let runner = Runner::default();
                        let mut part = Summary::default();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(file) = files.get(i) else { break };
                            part.merge(runner.run_file(file));
                        }
                        part
                    })
                    .expect("spawning a state-test thread")
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("state-test thread"))
            .collect()
    });
    let mut total = Summary::default();
    for p in parts {
        total.merge(p);
    }
    total
}

fn collect_json(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let entries = std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for entry in entries {
            collect_json(&entry.expect("directory entry").path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "json") {
        out.push(path.to_path_buf());
    }
}

/// `path` relative to `root`, with `/` separators ("" for the root itself).
fn rel(root: &Path, path: &Path) -> String {
    let r = path.strip_prefix(root).unwrap_or_else(|_| {
        panic!(
            "{} is not inside the suite's folder {}",
            path.display(),
            root.display()
        )
    });
    r.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn case_id(root: &Path, f: &CaseFailure) -> String {
    let (d, g, v) = f.indexes;
    format!("{}::{}::d{d}g{g}v{v}", rel(root, &f.file), f.test)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Case id → reason, from a list's text (`#` starts a comment; blank lines are ignored).
fn parse_list(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let (id, reason) = line.split_once('#').unwrap_or((line, ""));
            let id = id.trim();
            (!id.is_empty()).then(|| (id.to_string(), reason.trim().to_string()))
        })
        .collect()
}

/// Rewrites the list from this run: its header comment, then every failure, with the listed
/// reason when there is one (else the failure's message, shortened). Entries outside a
/// narrowed run's scope are kept.
fn write_list(
    path: &Path,
    old_text: &str,
    known: &BTreeMap<String, String>,
    failed: &BTreeMap<String, &CaseFailure>,
    in_scope: &dyn Fn(&str) -> bool,
) {
    let header: String = old_text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let ids: BTreeSet<&String> = failed
        .keys()
        .chain(known.keys().filter(|id| !in_scope(id)))
        .collect();
    let mut out = header;
    for id in ids {
        let reason = match (known.get(id), failed.get(id)) {
            (Some(r), _) if !r.is_empty() => r.clone(),
            (_, Some(f)) => first_line(&f.reason).chars().take(160).collect(),
            _ => String::new(),
        };
        out.push_str(&format!("{id}  # {reason}\n"));
    }
    std::fs::write(path, out).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
