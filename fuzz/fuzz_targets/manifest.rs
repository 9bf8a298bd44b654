//! Feeds bytes, as UTF-8 `visor.toml` text, to `visor_manifest::Manifest::parse`.
//!
//! Asserts it never panics, that a refusal names a problem, and that an accepted manifest keeps
//! its limits within `Limits::MAX`, its entry inside its folder, its patterns round-tripping, and
//! gets nothing from the empty policy. The checks: `visor_fuzzing::manifest`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| visor_fuzzing::manifest::run(data));
