//! Feeds `visor-oci`'s untrusted inputs: a module reference (and key line), `visor.toml`, a
//! signature layer and a component, `%%`-separated, to `ModuleRef::parse`, `PublicKey::parse_line`,
//! `Signature::from_json`/`verify`, `Package::from_dir` (scratch folder), `check_signature` and `admit`.
//!
//! Asserts no panic, round trips, and that only a signature for exactly this package is accepted
//! and an unknown publisher is refused by default. The checks: `visor_fuzzing::oci_package`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| visor_fuzzing::oci_package::run(data));
