//! Replays every committed fuzz input through its target, without the fuzzer: each file of
//! `fuzz/corpus/<target>/` (the seeds, and what fuzzing runs chose to keep) and of
//! `fuzz/regressions/<target>/` (inputs that once crashed). A failing invariant panics with the
//! file's name.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The files directly inside `dir` (none if it does not exist), in name order.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn replay(folder: &str, require_seeds: bool) {
    let mut failures = Vec::new();
    for &(name, target) in fuzz_targets::TARGETS {
        let dir = fuzz_dir().join(folder).join(name);
        let inputs = files(&dir);
        if require_seeds {
            assert!(!inputs.is_empty(), "no seed corpus in {}", dir.display());
        }
        for path in inputs {
            let Ok(data) = fs::read(&path) else {
                failures.push(format!("{}: unreadable", path.display()));
                continue;
            };
            if panic::catch_unwind(|| target(&data)).is_err() {
                failures.push(path.display().to_string());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "inputs that break their target:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_corpus_file_passes() {
    replay("corpus", true);
}

#[test]
fn every_regression_passes() {
    replay("regressions", false);
}

#[test]
fn every_target_has_a_fuzzer_binary() {
    for &(name, _) in fuzz_targets::TARGETS {
        let path = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let source = fs::read_to_string(&path).unwrap_or_default();
        assert!(
            source.contains(&format!("fuzz_targets::{name}::run")),
            "{} does not call fuzz_targets::{name}::run",
            path.display()
        );
    }
}
