//! The memory gauge against a guest whose memory is known to the page: a component written
//! here in WAT with two core instances, each with a linear memory of its own, whose `frame`
//! grows the first memory by 1 MiB in frames 0 and 1. The gauge must show exactly the sum of
//! both memories from instantiation on, every growth, no refused growth, and — through the
//! runner — only the live instance's figure, across an upgrade and after a stop.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use visor_runtime::host::bus::GuestBus;
use visor_runtime::{AppEngine, AppInstance, AppRunner, AppSpec, FrameFeed, LogRing, MemoryGauge, RestartPolicy, RunContext};
use visor_types::clock::{ManualClock, MonotonicClock, SharedClock};
use visor_types::{AppId, EyeView, FrameInfo, Viewport};

const PAGE: u64 = 64 << 10;
/// Pages of the app's own memory at instantiation.
const MAIN_PAGES: u64 = 17;
/// Pages `frame` grows it by, in each of frames 0 and 1.
const GROW_PAGES: u64 = 16;
const WAIT: Duration = Duration::from_secs(30);

/// An app-world component: `init` succeeds, `frame` grows memory in its first two frames and
/// succeeds. A second core instance only holds a memory of `pad_pages`.
fn component_wat(pad_pages: u64) -> String {
    let types = r#"
        (type $vec3-t (record (field "x" f32) (field "y" f32) (field "z" f32)))
        (export $vec3 "vec3" (type $vec3-t))
        (type $vec4-t (record (field "x" f32) (field "y" f32) (field "z" f32) (field "w" f32)))
        (export $vec4 "vec4" (type $vec4-t))
        (type $mat4-t (record (field "c0" $vec4) (field "c1" $vec4) (field "c2" $vec4) (field "c3" $vec4)))
        (export $mat4 "mat4" (type $mat4-t))
        (type $viewport-t (record (field "x" u32) (field "y" u32) (field "width" u32) (field "height" u32)))
        (export $viewport "viewport" (type $viewport-t))
        (type $eye-view-t (record (field "view" $mat4) (field "projection" $mat4) (field "viewport" $viewport)))
        (export $eye-view "eye-view" (type $eye-view-t))
        (type $pointer-t (record
            (field "time-ns" u64) (field "eye" u32) (field "x" f32) (field "y" f32)
            (field "origin" $vec3) (field "direction" $vec3) (field "hit" (option $vec3))))
        (export $pointer "pointer" (type $pointer-t))
        (type $key-t (record (field "time-ns" u64) (field "key" string) (field "text" (option string))))
        (export $key "key" (type $key-t))
        (type $input-event-t (variant
            (case "pointer-move" $pointer) (case "pointer-down" $pointer) (case "pointer-up" $pointer)
            (case "pointer-leave") (case "key-down" $key) (case "key-up" $key)
            (case "focus-gained") (case "focus-lost")))
        (export $input-event "input-event" (type $input-event-t))
        (type $frame-info-t (record
            (field "display-time-ns" u64) (field "frame-number" u64) (field "head" $mat4)
            (field "eyes" (list $eye-view)) (field "events" (list $input-event))))
        (export $frame-info "frame-info" (type $frame-info-t))
    "#;
    // `frame-info` flattens to more than 16 values, so the host passes it by pointer (into
    // memory from `realloc`); `result<_, string>` comes back through a return area at 16,
    // left zeroed: `ok`.
    let core = format!(
        r#"
        (core module $app
            (memory (export "memory") {MAIN_PAGES})
            (global $bump (mut i32) (i32.const 1024))
            (func (export "realloc") (param i32 i32 i32 i32) (result i32)
                (local $at i32)
                (local.set $at (i32.and
                    (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                    (i32.sub (i32.const 0) (local.get 2))))
                (global.set $bump (i32.add (local.get $at) (local.get 3)))
                (local.get $at))
            (func (export "init") (result i32) (i32.const 16))
            (func (export "frame") (param $info i32) (result i32)
                (if (i64.lt_u (i64.load offset=8 (local.get $info)) (i64.const 2))
                    (then (drop (memory.grow (i32.const {GROW_PAGES})))))
                (global.set $bump (i32.const 1024))
                (i32.const 16)))
        (core module $pad (memory (export "memory") {pad_pages}))
        (core instance $app (instantiate $app))
        (core instance $pad (instantiate $pad))
        (alias core export $app "memory" (core memory $memory))
        (alias core export $app "realloc" (core func $realloc))
        (alias core export $app "init" (core func $init))
        (alias core export $app "frame" (core func $frame))
        "#
    );
    let funcs = r#"
        (type $init-t (func (result (result (error string)))))
        (type $frame-t (func (param "info" $frame-info) (result (result (error string)))))
        (func (export "init") (type $init-t) (canon lift (core func $init) (memory $memory) (realloc $realloc)))
        (func (export "frame") (type $frame-t) (canon lift (core func $frame) (memory $memory) (realloc $realloc)))
    "#;
    format!("(component {core} {types} {funcs})")
}

/// Writes the component for `pad_pages` into `dir` and returns its spec.
fn spec(dir: &Path, pad_pages: u64, version: &str) -> AppSpec {
    let path: PathBuf = dir.join(format!("metered-{pad_pages}.wat"));
    std::fs::write(&path, component_wat(pad_pages)).unwrap();
    let mut spec = AppSpec::new("metered", path, 60.0);
    spec.version = semver::Version::parse(version).unwrap();
    spec
}

fn frame_info() -> FrameInfo {
    let eye = EyeView { view: glam::Mat4::IDENTITY, projection: glam::Mat4::IDENTITY, viewport: Viewport::default() };
    FrameInfo { display_time_ns: 0, frame_number: 0, head: glam::Mat4::IDENTITY, eyes: vec![eye; 2] }
}

fn load(engine: &AppEngine, spec: &AppSpec, gauge: MemoryGauge) -> AppInstance {
    let clock: SharedClock = Arc::new(ManualClock::default());
    AppInstance::load_metered(engine, spec, AppId(1), GuestBus::new(None), Arc::new(LogRing::default()), clock, gauge)
        .unwrap_or_else(|e| panic!("loading the metered component: {e}"))
}

/// Start, growth, a refused growth and the end of the store, on one allocation strategy.
fn gauge_follows_the_store(pooling: bool) {
    let dir = tempfile::tempdir().unwrap();
    let engine = AppEngine::with_pooling(pooling).unwrap();
    let gauge = MemoryGauge::new();
    let mut app = load(&engine, &spec(dir.path(), 3, "1.0.0"), gauge.clone());
    let initial = (MAIN_PAGES + 3) * PAGE;
    assert_eq!(gauge.memory_bytes(), initial, "both memories at instantiation (pooling: {pooling})");
    assert_eq!(app.memory_bytes(), initial);
    assert_eq!(gauge.table_elements(), 0, "the component has no tables");

    for (frame, grown) in [(0, 1), (1, 2), (2, 2), (3, 2)] {
        app.frame(&frame_info(), Vec::new()).unwrap();
        assert_eq!(gauge.memory_bytes(), initial + grown * GROW_PAGES * PAGE, "after frame {frame} (pooling: {pooling})");
    }
    drop(app);
    assert_eq!(gauge.memory_bytes(), 0, "the store is gone, and its memories with it");
}

#[test]
fn the_gauge_counts_every_memory_and_growth_with_the_pooling_allocator() {
    gauge_follows_the_store(true);
}

#[test]
fn the_gauge_counts_every_memory_and_growth_allocating_on_demand() {
    gauge_follows_the_store(false);
}

#[test]
fn a_growth_past_the_limit_is_refused_and_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let engine = AppEngine::new().unwrap();
    let mut spec = spec(dir.path(), 3, "1.0.0");
    // 2 MiB is 32 pages: 17 + 16 is one page too many.
    spec.limits.max_memory_mib = 2;
    let gauge = MemoryGauge::new();
    let mut app = load(&engine, &spec, gauge.clone());
    app.frame(&frame_info(), Vec::new()).unwrap();
    assert_eq!(gauge.memory_bytes(), (MAIN_PAGES + 3) * PAGE);
}

#[test]
fn the_runner_shows_the_live_instance_across_an_upgrade_and_nothing_once_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let context = RunContext {
        engine: AppEngine::new().unwrap(),
        feed: FrameFeed::new(frame_info()),
        clock: MonotonicClock::shared(),
        bus: None,
        restart: RestartPolicy::never(),
    };
    let grown = 2 * GROW_PAGES * PAGE;
    let mut runner = AppRunner::spawn(spec(dir.path(), 3, "1.0.0"), AppId(7), context);
    let first = (MAIN_PAGES + 3) * PAGE + grown;
    assert!(
        runner.wait_until(WAIT, |r| r.frames() >= 3 && r.memory_bytes() == first),
        "memory {} after {} frames, expected {first}: {:?}",
        runner.memory_bytes(),
        runner.frames(),
        runner.status()
    );

    runner.upgrade(spec(dir.path(), 5, "2.0.0"));
    let second = (MAIN_PAGES + 5) * PAGE + grown;
    let upgraded = |r: &AppRunner| r.version() == semver::Version::new(2, 0, 0) && r.memory_bytes() == second;
    assert!(
        runner.wait_until(WAIT, upgraded),
        "memory {} on {}, expected {second} (the old instance's {first} gone): {:?}",
        runner.memory_bytes(),
        runner.version(),
        runner.status()
    );

    runner.stop();
    assert_eq!(runner.memory_bytes(), 0);
}
