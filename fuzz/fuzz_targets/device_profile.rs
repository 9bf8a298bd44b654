//! Feeds device-profile TOML to `visor_types::DeviceProfile::from_toml`.
//!
//! Asserts no panic, that a refusal names a problem, and that an accepted profile has a sane
//! display, finite eye views and mount, and lens and optics that evaluate. The checks:
//! `visor_fuzzing::device_profile`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| visor_fuzzing::device_profile::run(data));
