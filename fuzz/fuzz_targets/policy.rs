//! Feeds a policy file's text (optionally followed by `%%` and a manifest) to
//! `visor_manifest::Policy::parse` and `Policy::grant`.
//!
//! Asserts no panic, that written-back sections read back the same (`grant_section`,
//! `set_module_grant`), and that grants never exceed the request, the policy, or a device's topics.
//! The checks: `visor_fuzzing::policy` and `visor_fuzzing::grant`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| visor_fuzzing::policy::run(data));
