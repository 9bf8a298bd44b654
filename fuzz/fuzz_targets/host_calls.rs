//! Feeds bytes to a guest as its choice of host calls: the probe's `chaos` scenario, with the
//! input as `PROBE_CHAOS`, run by `visor_runtime::AppInstance` for three frames.
//!
//! Asserts the app loads, that every frame ends in a layer or an error for the guest alone, never
//! a host panic or sanitizer report, and that the instance's memory and bus budget stay within
//! their limits and the budget is empty once it ends. The checks: `visor_fuzzing::host_calls`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| visor_fuzzing::host_calls::run(data));
