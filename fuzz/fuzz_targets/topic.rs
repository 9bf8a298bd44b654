//! Feeds a topic pattern and a topic (the input's first line and the rest) to
//! `visor_manifest::{TopicPattern, Topic}`.
//!
//! Asserts no panic in parsing, `matches` or `covers`; that a topic's own text is a pattern
//! matching it; that `covers` is reflexive, agrees with `matches`, and never claims more than
//! `matches` allows. The checks: `visor_fuzzing::topic`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| visor_fuzzing::topic::run(data));
