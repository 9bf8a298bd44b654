//! Apps that misbehave — trap, send invalid WGSL, pass bad sizes, ids and pointers, or are not
//! wasm at all — get an error value or are stopped alone; the host and the other apps go on.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, assert_rgb, column, compositor, solid_camera};
use visor::shell::Shell;
use visor_runtime::{AppError, AppStatus};
use visor_types::clock::MonotonicClock;

/// An app that traps in `frame` is stopped and its layer goes; the other app keeps drawing at
/// its own rate and the compositor keeps producing frames.
#[test]
fn a_trap_in_frame_stops_only_that_app() {
    let profile = common::profile(1);
    let h = Harness::new(profile.clone());
    let mut shell = Shell::new(profile.clone(), &common::repo(), MonotonicClock::shared()).unwrap();
    let healthy = shell.launch(h.spec("probe", &[("PROBE_X", "-0.9,-0.5"), ("PROBE_COLOR", "0,1,0,1")]));
    shell.launch(h.spec("probe", &[("PROBE_X", "0.5,0.9"), ("PROBE_COLOR", "1,0,0,1"), ("PROBE_TRAP_AT", "3")]));
    shell.publish(0, shell.clock.now_ns());

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut frame = 0;
    let why = loop {
        assert!(Instant::now() < deadline, "the trapping app never failed");
        shell.step(frame, shell.clock.now_ns());
        frame += 1;
        if let AppStatus::Failed(why) = shell.apps()[1].status() {
            break why;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(why.contains("trapped in frame 3") && why.contains("unreachable"), "the report says what happened: {why}");
    assert_eq!(shell.apps()[0].id(), healthy);

    let before = shell.apps()[0].frames();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(300) {
        let report = shell.step(frame, shell.clock.now_ns());
        frame += 1;
        assert_eq!(report.stats.layers, 1, "only the healthy app's layer is composited");
    }
    assert!(shell.apps()[0].frames() > before + 3, "the healthy app kept drawing");
    assert_eq!(shell.apps()[0].status(), AppStatus::Running);
    let image = shell.compositor.read_frame().unwrap();
    assert_rgb(&image, column(&profile, 0, -0.4), 60, [0, 255, 0], 1, "the healthy app's slab");
    let gone = image.get_pixel(column(&profile, 0, 0.4), 60).0;
    assert!(!(gone[0] > 200 && gone[1] < 40 && gone[2] < 40), "the trapped app's slab is gone: {gone:?}");
}

/// Invalid WGSL comes back to the app as an error value carrying naga's message; the app's
/// valid shader then renders.
#[test]
fn invalid_wgsl_is_refused_with_nagas_message() {
    let profile = common::profile(1);
    let mut h = Harness::new(profile.clone());
    let (mut app, logs) = h.load("probe", &[("VISOR_PROBE", "custom-shader"), ("PROBE_COLOR", "1,0,0,1")]);
    let refusal = logs.lines().into_iter().find(|l| l.message.contains("invalid WGSL")).expect("the refusal is logged");
    assert!(refusal.message.contains("ShaderInvalid") && refusal.message.contains("WGSL does not parse"), "{}", refusal.message);
    assert!(refusal.message.contains("expected"), "naga's own words are passed on: {}", refusal.message);

    let layer = h.frame(&mut app, 0);
    let mut c = compositor(&profile);
    c.render(Some(&solid_camera([0, 0, 0])), &[layer]);
    let image = c.read_frame().unwrap();
    // The app's shader swaps red and blue: a red slab comes out blue.
    assert_rgb(&image, 80, 60, [0, 0, 255], 1, "the app's own shader ran");
}

/// Every gfx call with out-of-range sizes, offsets and ids returns the right error value (the
/// probe checks each one and fails `init` otherwise); the app then draws normally.
#[test]
fn out_of_range_arguments_are_error_values() {
    let profile = common::profile(1);
    let mut h = Harness::new(profile.clone());
    let (mut app, logs) = h.load("probe", &[("VISOR_PROBE", "out-of-range")]);
    let refused: Vec<_> = logs.lines().into_iter().filter(|l| l.message.starts_with("refused as expected")).collect();
    assert_eq!(refused.len(), 14, "{refused:#?}");
    assert!(logs.contains("app 'probe' asked for 4294967295 vertices"), "limit errors name the app and the value");
    assert!(logs.contains("its limits allow 65536 (max_vertices)"), "and the limit");
    let layer = h.frame(&mut app, 0);
    assert_eq!(layer.draws.len(), 1);
}

/// A list pointer outside the guest's memory cannot be answered with an error value (wasmtime
/// checks it before the host sees the call): the app traps, alone, and the host goes on.
#[test]
fn a_wild_pointer_traps_the_app_not_the_host() {
    let profile = common::profile(1);
    let mut h = Harness::new(profile.clone());
    let (mut app, _) = h.load("probe", &[("VISOR_PROBE", "bad-pointer")]);
    h.clock.set_ns(0);
    let info = visor::shell::frame_info(&profile, 0, 0);
    let err = app.frame(&info).expect_err("the call must not succeed");
    let AppError::Trap { message, .. } = &err else { panic!("expected a trap, got {err}") };
    assert!(message.contains("out of bounds"), "{message}");

    let (mut other, _) = h.load("probe", &[]);
    assert_eq!(h.frame(&mut other, 0).draws.len(), 1, "the host still runs apps");
}

#[test]
fn a_file_that_is_not_a_component_is_refused_clearly() {
    let path = std::env::temp_dir().join(format!("visor-not-wasm-{}.wasm", std::process::id()));
    std::fs::write(&path, b"\0asm but not really").unwrap();
    let mut h = Harness::new(common::profile(1));
    let spec = visor_runtime::AppSpec::new("junk", &path, 60.0);
    let err = h.try_load(spec).err().expect("junk must not load");
    let _ = std::fs::remove_file(&path);
    assert!(matches!(err, AppError::Compile { .. }), "{err}");
    assert!(err.to_string().contains("is not a WebAssembly component"), "{err}");
}
