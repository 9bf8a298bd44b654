//! Feeds an app's WGSL (up to 64 KiB of UTF-8) to `visor_shader::validate_app_shader`, which
//! prepends the prelude and validates with naga.
//!
//! Asserts it returns `Ok` or `Err` and never panics, and that an accepted shader's source (what
//! the compositor compiles) validates again with both entry points. The checks: `visor_fuzzing::wgsl`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| visor_fuzzing::wgsl::run(data));
