//! Feeds a recorded session (`session.toml`, `poses.jsonl`, a frame file, `%%`-separated) to
//! `visor_drivers::session::Session::open` (through a scratch folder) and `PoseTrack::from_jsonl`.
//!
//! Asserts no panic, that a refusal names a problem, and that accepted sessions and tracks are
//! ordered, sized and sample unit orientations at any time. The checks: `visor_fuzzing::session`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| visor_fuzzing::session::run(data));
