//! Apps that misbehave — trap, send invalid WGSL, pass bad sizes, ids and pointers, or are not
//! wasm at all — get an error value or are stopped alone; the host and the other apps go on.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, assert_rgb, column, compositor, solid_camera, still};
use visor::shell::Shell;
use visor_runtime::policy::Policy;
use visor_runtime::{AppError, AppStatus, RestartPolicy};
use visor_types::clock::MonotonicClock;

fn shell(profile: &visor_types::DeviceProfile) -> Shell {
    Shell::new(profile.clone(), &common::repo(), MonotonicClock::shared(), Policy::default()).unwrap()
}

/// Steps the shell until `done` holds (or a minute passes); returns the next frame number.
fn step_until(shell: &mut Shell, mut frame: u64, what: &str, done: impl Fn(&Shell) -> bool) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(shell) {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        shell.step(frame, shell.clock.now_ns());
        frame += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    frame
}

/// An app that traps in `frame` is stopped and its layer goes; the other app keeps drawing at
/// its own rate and the compositor keeps producing frames.
#[test]
fn a_trap_in_frame_stops_only_that_app() {
    let profile = common::profile(1);
    let mut shell = shell(&profile);
    shell.modules.set_restart_policy(RestartPolicy::never());
    let probe = common::component("probe");
    let healthy = shell.launch(&probe, &[("PROBE_X", "-0.9,-0.5"), ("PROBE_COLOR", "0,1,0,1")]).unwrap();
    let trapping = shell.launch(&probe, &[("PROBE_X", "0.5,0.9"), ("PROBE_COLOR", "1,0,0,1"), ("PROBE_TRAP_AT", "3")]).unwrap();
    shell.publish(0, shell.clock.now_ns());

    let failed = |s: &Shell| matches!(s.modules.info(trapping).unwrap().status, AppStatus::Failed(_));
    let mut frame = step_until(&mut shell, 0, "the trapping app fails", failed);
    let AppStatus::Failed(why) = shell.modules.info(trapping).unwrap().status else { unreachable!() };
    assert!(why.contains("trapped in frame 3") && why.contains("unreachable"), "the report says what happened: {why}");
    // The probe keeps line tables: the report names the guest's function and source line.
    assert!(why.contains("probe/src/lib.rs:") && why.contains("frame"), "the report names the guest's source line: {why}");

    let before = shell.modules.app(healthy).unwrap().frames();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(300) {
        let report = shell.step(frame, shell.clock.now_ns());
        frame += 1;
        assert_eq!(report.stats.layers, 1, "only the healthy app's layer is composited");
    }
    let app = shell.modules.app(healthy).unwrap();
    assert!(app.frames() > before + 3, "the healthy app kept drawing");
    assert_eq!(app.status(), AppStatus::Running);
    let image = shell.compositor.read_frame().unwrap();
    assert_rgb(&image, column(&profile, 0, -0.4), 60, [0, 255, 0], 1, "the healthy app's slab");
    let gone = image.get_pixel(column(&profile, 0, 0.4), 60).0;
    assert!(!(gone[0] > 200 && gone[1] < 40 && gone[2] < 40), "the trapped app's slab is gone: {gone:?}");
}

/// The supervisor restarts a crashing app with growing backoff and gives up after K crashes
/// within the window, recording each reason.
#[test]
fn the_supervisor_restarts_with_backoff_then_gives_up() {
    let profile = common::profile(1);
    let mut shell = shell(&profile);
    let policy = RestartPolicy {
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(80),
        max_crashes: 3,
        window: Duration::from_secs(60),
    };
    shell.modules.set_restart_policy(policy);
    let probe = common::component("probe");
    let id = shell.launch(&probe, &[("PROBE_TRAP_AT", "2")]).unwrap();
    let mut saw_restarting = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut frame = 0;
    loop {
        assert!(Instant::now() < deadline, "the supervisor never gave up");
        shell.step(frame, shell.clock.now_ns());
        frame += 1;
        match shell.modules.info(id).unwrap().status {
            AppStatus::Restarting { after, .. } => {
                saw_restarting = true;
                assert!(after <= Duration::from_millis(80), "backoff is capped: {after:?}");
            }
            AppStatus::Failed(why) => {
                assert!(why.contains("gave up after 3 crash(es)"), "{why}");
                break;
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(saw_restarting, "it was restarted before the supervisor gave up");
    let crashes = shell.modules.info(id).unwrap().crashes;
    assert_eq!(crashes.len(), 3);
    assert!(crashes.iter().all(|c| c.reason.contains("trapped in frame 2")), "{crashes:?}");
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
    // App shaders compile off the render thread: the first frame sends it to the compiler.
    c.render(Some(&solid_camera([0, 0, 0])), std::slice::from_ref(&layer), &still(&profile));
    c.finish_shader_compiles();
    c.render(Some(&solid_camera([0, 0, 0])), &[layer], &still(&profile));
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
    assert_eq!(refused.len(), 15, "{refused:#?}");
    assert!(logs.contains("max_upload_bytes_per_frame"), "the upload budget names itself");
    assert!(logs.contains("app 'probe' asked for 4294967295 vertices"), "limit errors name the app and the value");
    assert!(logs.contains("its limits allow 65536 (max_vertices)"), "and the limit");
    let layer = h.frame(&mut app, 0);
    assert_eq!(layer.draws.len(), 1);
}

/// A list or string outside the guest's memory cannot be answered with an error value
/// (wasmtime checks it before the host sees the call): for every host call that takes one, the
/// app traps, alone, and the host goes on.
#[test]
fn wild_pointers_to_every_host_call_trap_the_app_not_the_host() {
    let profile = common::profile(1);
    let mut h = Harness::new(profile.clone());
    let calls = [
        "update-texture",
        "create-texture",
        "update-vertex-buffer",
        "update-index-buffer",
        "create-shader-pipeline",
        "publish-topic",
        "publish-bytes",
        "subscribe",
        "log",
    ];
    for call in calls {
        let (mut app, logs) = h.load("probe", &[("VISOR_PROBE", "bad-pointer"), ("PROBE_CALL", call)]);
        h.clock.set_ns(0);
        let info = visor::shell::frame_info(&profile, 0, 0, glam::Mat4::IDENTITY);
        let err = app.frame(&info, Vec::new()).expect_err(call);
        let AppError::Trap { message, .. } = &err else { panic!("{call}: expected a trap, got {err}") };
        assert!(message.contains("out of bounds"), "{call}: {message}");
        assert!(!logs.contains("accepted an out-of-bounds pointer"), "{call}");
    }
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

/// A component whose exports are not the app world's is refused once, at load, with what it has
/// and what Visor expects — not restarted as if it had crashed.
#[test]
fn a_component_that_does_not_fit_the_app_world_is_refused_once() {
    let profile = common::profile(1);
    let mut shell = shell(&profile);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("misfit.wasm");
    // A component exporting `frame` with the wrong signature and no `init`.
    let wat = r#"(component
        (core module $m (func (export "frame") (param i32)))
        (core instance $i (instantiate $m))
        (func $frame (param "count" u32) (canon lift (core func $i "frame")))
        (export "frame" (func $frame)))"#;
    std::fs::write(&path, wat).unwrap();
    let id = shell.launch(&path, &[]).unwrap();
    let failed = |s: &Shell| matches!(s.modules.info(id).unwrap().status, visor_runtime::AppStatus::Failed(_));
    let frame = step_until(&mut shell, 0, "the misfit is refused", failed);
    let AppStatus::Failed(why) = shell.modules.info(id).unwrap().status else { unreachable!() };
    assert!(why.contains("does not fit Visor's app world"), "{why}");
    assert!(why.contains("it exports: frame: func(count)"), "what the component has: {why}");
    assert!(why.contains("Visor expects") && why.contains("init: func()"), "what Visor expects: {why}");
    // No restarts: the status stays failed and one crash is on record.
    step_until(&mut shell, frame, "a few more frames", |_| true);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(shell.modules.info(id).unwrap().crashes.len(), 1, "refused once, not retried");
}
