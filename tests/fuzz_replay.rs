//! The fuzz targets' committed inputs, replayed through the same checks libFuzzer runs
//! (`visor_fuzzing`), as ordinary tests: every seed in `fuzz/corpus/TARGET/` and every input kept
//! from a past finding in `fuzz/regressions/TARGET/` must pass on every run of the suite, without
//! the sanitizer's cold build. Fuzzing itself — new inputs, under AddressSanitizer — is
//! `scripts/fuzz.sh` (`VISOR_FUZZ=1 scripts/test.sh` runs it after the suite).

mod common;

use std::path::{Path, PathBuf};

use visor_fuzzing::TARGETS;

/// The files directly inside `dir` (none when it is missing), sorted.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.map(|e| e.unwrap().path()).filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep")).collect();
    files.sort();
    files
}

/// Runs `target`'s check on each of its corpus and regression inputs; returns how many ran.
fn replay(target: &str) -> usize {
    let (_, check) = TARGETS.iter().find(|(name, _)| *name == target).unwrap_or_else(|| panic!("no check for the fuzz target {target}"));
    let fuzz = common::repo().join("fuzz");
    let files: Vec<PathBuf> = ["corpus", "regressions"].iter().flat_map(|kind| inputs(&fuzz.join(kind).join(target))).collect();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        // The check's own panic message (printed by the hook) says what broke; this one names
        // the input that broke it.
        let passed = std::panic::catch_unwind(|| check(&data)).is_ok();
        assert!(passed, "{target}: fuzz/{} fails its check", file.strip_prefix(&fuzz).unwrap().display());
    }
    files.len()
}

#[test]
fn every_fuzz_target_has_a_check_and_seeds() {
    let targets = common::repo().join("fuzz/fuzz_targets");
    let mut names: Vec<String> = inputs(&targets).iter().map(|p| p.file_stem().unwrap().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut checked: Vec<String> = TARGETS.iter().map(|(name, _)| name.to_string()).collect();
    checked.sort();
    assert_eq!(names, checked, "fuzz/fuzz_targets/ and visor_fuzzing::TARGETS must name the same targets");
    for name in &names {
        assert!(!inputs(&common::repo().join("fuzz/corpus").join(name)).is_empty(), "fuzz/corpus/{name}/ holds no seed");
    }
}

#[test]
fn parser_inputs_pass_their_checks() {
    for (target, _) in TARGETS.iter().filter(|(name, _)| *name != "host_calls") {
        assert!(replay(target) > 0, "{target}: nothing replayed");
    }
}

#[test]
fn host_call_inputs_pass_their_checks() {
    visor_fuzzing::host_calls::use_probe(common::component("probe"));
    assert!(replay("host_calls") > 0);
}
