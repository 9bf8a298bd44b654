//! The glasses path without glasses: streams synthesized from known motions (and labelled as
//! such) through the clock map and the fusion, measured against the true orientation; and the
//! replay device behind [`GlassesPose`]'s thread, unplugged, replugged, taken off and put on,
//! its display mode switched and restored (also after a "crash").

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use glam::{EulerRot, Quat, Vec3};
use visor_types::clock::{MonotonicClock, SharedClock};

use super::synth::{Motion, Synth};
use super::*;
use crate::pose::imu::filter::{AttitudeFilter, BIAS_TIME_CONSTANT_S};
use crate::pose::{ImuSample, PoseSource};

const WAIT: Duration = Duration::from_secs(10);

/// Runs `synth`'s stream through the clock map and the filter, as the reading thread does
/// (arrivals on the stream's host clock), calling `check(t_true, estimate)` after each sample.
fn fuse(synth: &Synth, mut check: impl FnMut(f64, &AttitudeFilter)) -> AttitudeFilter {
    let stream = synth.stream();
    let mut map = ClockMap::default();
    let mut filter = AttitudeFilter::default();
    for event in &stream.events {
        if let StreamEvent::Imu { host_us, t_us, gyro, accel } = *event {
            let timestamp_ns = map.map(t_us, host_us * 1000);
            filter.update(&ImuSample { timestamp_ns, gyro: Vec3::from_array(gyro), accel: Vec3::from_array(accel) });
            // The device time says when it was taken; the arrival order may differ.
            let t_true = (t_us - synth::DEVICE_START_US) as f64 * 1e-6 / (1.0 + synth::DEVICE_PPM * 1e-6);
            check(t_true, &filter);
        }
    }
    filter
}

/// Degrees between two orientations, precise near zero (`angle_between` goes through f32 `acos`).
fn degrees(a: Quat, b: Quat) -> f32 {
    let d = a.inverse() * b;
    (2.0 * d.xyz().length().atan2(d.w.abs())).to_degrees()
}

#[test]
fn held_still_for_a_minute_the_view_does_not_drift_and_the_bias_is_learned() {
    let synth = Synth::new(Motion::Still, 60.0);
    let filter = fuse(&synth, |_, _| {});
    let estimate = filter.estimate().unwrap();
    let bias = filter.gyro_bias().expect("a still minute teaches the bias");
    assert!((bias - synth.gyro_bias).abs().max_element() < 5e-4, "learned {bias:?} vs {:?}", synth.gyro_bias);
    let drift = degrees(estimate.orientation, Quat::IDENTITY);
    // Unlearned, the 0.01 rad/s yaw bias alone would have turned the view 34° by now.
    assert!(drift < 0.5, "drift after 61 s still: {drift}°");
    assert!(estimate.angular_velocity.length() < 0.02, "and it is not predicted to turn: {:?}", estimate.angular_velocity);
}

#[test]
fn a_bias_that_changes_is_followed() {
    // The bias a warm sensor settles at, after a cold start learned another.
    let mut cold = Synth::new(Motion::Still, 3.0);
    cold.still_s = 0.0;
    let mut filter = AttitudeFilter::default();
    for t in cold.sample_times() {
        filter.update(&ImuSample { timestamp_ns: (t * 1e9) as u64, gyro: cold.gyro_bias, accel: Vec3::Y * 9.806_65 });
    }
    let warm = Vec3::new(0.0, 0.02, 0.0);
    let start = 3.0;
    for i in 0..(6.0 * BIAS_TIME_CONSTANT_S * 1000.0) as u64 {
        let t = start + i as f64 * 1e-3;
        filter.update(&ImuSample { timestamp_ns: (t * 1e9) as u64, gyro: warm, accel: Vec3::Y * 9.806_65 });
    }
    let bias = filter.gyro_bias().unwrap();
    assert!((bias - warm).length() < 1e-3, "after six time constants: {bias:?}");
}

#[test]
fn a_constant_rate_turn_is_tracked_within_half_a_degree() {
    let synth = Synth::new(Motion::Turn { rate: 1.0 }, 8.0);
    let mut worst = 0f32;
    fuse(&synth, |t, filter| {
        worst = worst.max(degrees(filter.estimate().unwrap().orientation, synth.truth(t)));
    });
    assert!(worst < 0.5, "worst error over 8 s of turning at 1 rad/s (458° in all): {worst}°");
}

#[test]
fn a_nod_is_tracked_within_a_degree() {
    let synth = Synth::new(Motion::Nod { amplitude: 0.35, hz: 1.0 }, 8.0);
    let mut worst = 0f32;
    fuse(&synth, |t, filter| {
        worst = worst.max(degrees(filter.estimate().unwrap().orientation, synth.truth(t)));
    });
    assert!(worst < 1.0, "worst error over 8 nods of ±20°: {worst}°");
}

#[test]
fn looking_around_is_tracked_and_predicted() {
    let synth = Synth::new(Motion::LookAround, 10.0);
    let (mut worst, mut worst_ahead, mut worst_held) = (0f32, 0f32, 0f32);
    const AHEAD_S: f64 = 0.02;
    fuse(&synth, |t, filter| {
        let estimate = filter.estimate().unwrap();
        worst = worst.max(degrees(estimate.orientation, synth.truth(t)));
        // The motion starts at full speed out of stillness: no predictor sees that step coming.
        if (t - synth.still_s).abs() < 0.05 {
            return;
        }
        // Mapped times run the smallest transport delay behind the truth: predict from there.
        let ahead = estimate.predict(estimate.timestamp_ns + (AHEAD_S * 1e9) as u64);
        worst_ahead = worst_ahead.max(degrees(ahead.orientation, synth.truth(t + AHEAD_S)));
        worst_held = worst_held.max(degrees(estimate.orientation, synth.truth(t + AHEAD_S)));
    });
    assert!(worst < 1.0, "worst error looking around: {worst}°");
    assert!(worst_ahead < worst_held / 3.0, "20 ms of prediction beats holding still: {worst_ahead}° vs {worst_held}°");
}

#[test]
fn streams_read_back_as_written_and_bad_lines_are_named() {
    let mut synth = Synth::new(Motion::Nod { amplitude: 0.2, hz: 1.0 }, 0.2);
    synth.extras = vec![(0.5, GlassesEvent::Key(1)), (0.7, GlassesEvent::Worn(false))];
    let stream = synth.stream();
    let text = stream.to_jsonl();
    let back = ImuStream::parse(&text, "synth").unwrap();
    assert_eq!(back, stream);
    assert!(back.header.synthesized.as_deref().unwrap().contains("nodding"), "labelled: {:?}", back.header.synthesized);
    assert!(text.lines().nth(1).unwrap().starts_with(r#"{"kind":"imu","host_us":"#), "{}", text.lines().nth(1).unwrap());
    assert!((back.imu_rate_hz() - 1000.0).abs() < 20.0, "{}", back.imu_rate_hz());

    let broken = text.replacen(r#""kind":"key""#, r#""kind":"sneeze""#, 1);
    let err = ImuStream::parse(&broken, "broken.imu.jsonl").unwrap_err().to_string();
    assert!(err.contains("broken.imu.jsonl line ") && err.contains("sneeze"), "{err}");
    let err = ImuStream::parse("{}", "empty").unwrap_err().to_string();
    assert!(err.contains("line 1") && err.contains("header"), "{err}");
}

/// The stream shipped in `assets/imu/` is the generator's output, byte for byte
/// (`VISOR_BLESS=1` rewrites it after a deliberate change).
#[test]
fn the_shipped_stream_is_reproducible() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/imu/look-around.imu.jsonl");
    let expected = shipped_stream().to_jsonl();
    if std::env::var_os("VISOR_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (VISOR_BLESS=1 writes it)", path.display()));
    assert!(shipped == expected, "{} differs from the generator; VISOR_BLESS=1 rewrites it", path.display());
    let stream = ImuStream::read(&path).unwrap();
    assert!(stream.header.synthesized.is_some(), "a synthesized stream says so");
}

/// What `assets/imu/look-around.imu.jsonl` holds: a second still, then 7 s of looking around at
/// 500 Hz, a key pressed, the glasses taken off and put back on.
pub fn shipped_stream() -> ImuStream {
    let mut synth = Synth::new(Motion::LookAround, 7.0);
    synth.rate_hz = 500.0;
    synth.extras = vec![(2.0, GlassesEvent::Key(0)), (5.0, GlassesEvent::Worn(false)), (5.5, GlassesEvent::Worn(true))];
    synth.stream()
}

fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what} did not happen within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn replay(synth: &Synth, clock: SharedClock) -> ReplayFinder {
    ReplayFinder::new(synth.stream(), "a test synthesis", clock, Pacing::RealTime)
}

fn options(state: &Path) -> GlassesOptions {
    GlassesOptions { side_by_side: true, state_dir: Some(state.to_path_buf()), expect_model: Some(GlassesModel::RokidAir) }
}

#[test]
fn unplugged_the_head_holds_and_replugged_it_tracks_again() {
    let state = tempfile::tempdir().unwrap();
    let clock = MonotonicClock::shared();
    let finder = replay(&Synth::new(Motion::Turn { rate: 1.0 }, 30.0), clock.clone());
    let plug = finder.plug();
    plug.unplug();
    let pose = GlassesPose::start(Box::new(finder), clock.clone(), options(state.path()), Duration::from_millis(20));
    let feed = pose.feed();
    let reason = pose.wait_for_device(WAIT).unwrap_err();
    assert!(reason.contains("no supported glasses found") && reason.contains("udev"), "{reason}");
    assert_eq!(pose.latest().orientation, Quat::IDENTITY, "no pair: a still head");
    assert!(!feed.status().connected && feed.status().problem.is_some());

    plug.plug_in();
    until("the pair being found", || feed.status().connected);
    let status = feed.status();
    assert_eq!(
        (status.model, status.name.as_deref(), status.serial.as_deref()),
        (Some(GlassesModel::RokidAir), Some("Rokid Air"), Some("SYNTHESIZED"))
    );
    assert_eq!(status.display_mode, Some(DisplayMode::Stereo), "side-by-side while Visor runs");
    until("the head turning", || pose.latest().orientation.to_euler(EulerRot::YXZ).0 > 0.3);
    until("the IMU rate being measured", || feed.status().imu_rate_hz > 500.0);

    plug.unplug();
    until("the pair being lost", || !feed.status().connected);
    std::thread::sleep(Duration::from_millis(30));
    let held = pose.latest();
    let later = pose.predict(held.timestamp_ns + 50_000_000);
    assert!(later.orientation.angle_between(held.orientation) < 0.02, "a lost pair is not extrapolated");
    let (news, _) = feed.since(0);
    assert!(news.iter().any(|n| matches!(n, GlassesNews::Lost { .. })), "{news:?}");

    plug.plug_in();
    until("the pair coming back", || feed.status().connected && plug.opens() == 2);
    until("tracking again", || pose.wait_for_device(Duration::ZERO).is_ok());
    drop(pose);
    assert_eq!(plug.display_mode(), Some(DisplayMode::SameOnBoth), "back in 2D once Visor is gone");
    assert!(ModeKeeper::new(Some(state.path().into())).all_left_behind().is_empty(), "nothing left to restore");
}

#[test]
fn keys_and_the_proximity_sensor_reach_the_feed_in_order() {
    let state = tempfile::tempdir().unwrap();
    let clock = MonotonicClock::shared();
    let mut synth = Synth::new(Motion::Still, 1.0);
    synth.still_s = 0.0;
    synth.extras = vec![
        (0.1, GlassesEvent::Key(0)),
        (0.2, GlassesEvent::Worn(false)),
        (0.3, GlassesEvent::Worn(true)),
        (0.4, GlassesEvent::AmbientLight(40)),
    ];
    let pose = GlassesPose::start(Box::new(replay(&synth, clock.clone())), clock, options(state.path()), Duration::from_millis(20));
    let feed = pose.feed();
    until("the light level", || feed.status().ambient_light == Some(40));
    let (news, seen) = feed.since(0);
    let kinds: Vec<String> = news
        .iter()
        .map(|n| match n {
            GlassesNews::Key { key, .. } => format!("key {key}"),
            GlassesNews::Worn { worn, .. } => format!("worn {worn}"),
            GlassesNews::Light { level, .. } => format!("light {level}"),
            GlassesNews::Connected { name, .. } => format!("connected {name}"),
            GlassesNews::Lost { .. } => "lost".into(),
        })
        .collect();
    assert_eq!(kinds[..5], ["connected Rokid Air", "key 0", "worn false", "worn true", "light 40"], "{kinds:?}");
    assert_eq!(feed.status().worn, Some(true));
    let times: Vec<u64> = news
        .iter()
        .filter_map(|n| match n {
            GlassesNews::Worn { at_ns, .. } => Some(*at_ns),
            _ => None,
        })
        .collect();
    assert!((times[1] - times[0]) as f64 > 0.08e9, "paced as recorded: {times:?}");
    let (later, _) = feed.since(seen);
    assert!(later.iter().all(|n| !matches!(n, GlassesNews::Connected { .. })), "a reader's place is kept");
}

#[test]
fn a_mode_left_by_a_crashed_run_is_restored_by_the_next() {
    let state = tempfile::tempdir().unwrap();
    let clock = MonotonicClock::shared();
    let synth = Synth::new(Motion::Still, 5.0);
    let mut finder = replay(&synth, clock.clone());
    let plug = finder.plug();
    // A run that switched the pair to 3D and died before switching it back.
    let keeper = ModeKeeper::new(Some(state.path().into()));
    let mut device = finder.find().unwrap();
    assert_eq!(keeper.begin(&mut *device).unwrap(), Some(DisplayMode::SameOnBoth));
    drop(device);
    assert_eq!(plug.display_mode(), Some(DisplayMode::Stereo));
    assert_eq!(keeper.all_left_behind(), [("Rokid Air".to_string(), "SYNTHESIZED".to_string(), DisplayMode::SameOnBoth)]);

    // The next run finds the pair in 3D, and still knows to leave it in 2D.
    let pose = GlassesPose::start(Box::new(finder), clock, options(state.path()), Duration::from_millis(20));
    pose.wait_for_device(WAIT).unwrap();
    drop(pose);
    assert_eq!(plug.display_mode(), Some(DisplayMode::SameOnBoth));
    assert!(keeper.all_left_behind().is_empty());
}

#[test]
fn the_pose_faces_the_display_and_is_predicted_to_when_it_lights() {
    let state = tempfile::tempdir().unwrap();
    let clock = MonotonicClock::shared();
    let synth = Synth::new(Motion::Turn { rate: 1.0 }, 30.0);
    let pose =
        Arc::new(GlassesPose::start(Box::new(replay(&synth, clock.clone())), clock, options(state.path()), Duration::from_millis(20)));
    pose.wait_for_device(WAIT).unwrap();
    until("the turn", || pose.estimate().is_some_and(|e| e.angular_velocity.y > 0.9));
    let estimate = pose.estimate().unwrap();
    let (mount, delay_ns) = pose.feed().geometry();
    assert_eq!(delay_ns, 15_000_000, "the Rokid Air's display delay");
    let asked = estimate.timestamp_ns + 10_000_000;
    let predicted = pose.predict(asked);
    assert_eq!(predicted.timestamp_ns, asked);
    // Between reading the estimate and predicting, newer samples may have landed: compare
    // against the estimate extrapolated to the lit time, with a few samples' slack.
    let expected = estimate.predict(asked + delay_ns).orientation * mount.inverse();
    assert!(predicted.orientation.angle_between(expected) < 0.02, "{predicted:?} vs {expected:?}");
    let level_display = pose.latest().orientation * Vec3::Y;
    assert!((level_display.angle_between(Vec3::Y) - 0.022).abs() < 0.01, "the display sits 0.022 rad from the IMU");

    // Recentred: straight ahead is wherever the head faces now.
    pose.feed().request_recentre();
    let ahead = pose.latest().orientation * Vec3::NEG_Z;
    assert!(ahead.x.abs() < 0.05, "facing -z after a recentre: {ahead:?}");
}
