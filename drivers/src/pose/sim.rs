//! The simulator's head: [`SimControls`] take the window's mouse-look and WASD + QE keys,
//! [`SimulatorPose`] turns them into a pose at any time.
//!
//! Position is integrated exactly rather than stepped: the velocity only changes when a key or
//! the heading changes, so the state is an anchor (where the head was at the last change, and
//! when) plus the held keys, and the position at `t` is the anchor plus velocity times the time
//! since. `predict` for a future display time therefore extrapolates the current motion, and
//! nothing depends on how often anyone asks. Every change re-anchors at the clock's `now`.
//!
//! Conventions (the shell's, see `visor_types::pose`): y is up, the head looks down -z at rest,
//! orientation is yaw about +y then pitch about the head's +x. Movement is in the head's yaw
//! frame only, so looking down while walking does not fly you into the floor; Q and E move
//! straight down and up.

use std::f32::consts::{FRAC_PI_2, PI, TAU};
use std::sync::{Arc, Mutex, MutexGuard};

use glam::{Quat, Vec3};
use visor_types::Pose;
use visor_types::clock::SharedClock;

use super::PoseSource;

/// Walking speed, metres per second.
pub const SPEED: f32 = 1.5;
/// Pitch stops one degree short of straight up or down, where yaw would become ambiguous.
const MAX_PITCH: f32 = FRAC_PI_2 - PI / 180.0;

/// A movement key of the simulator window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Move {
    Forward,
    Back,
    Left,
    Right,
    Up,
    Down,
}

impl Move {
    const ALL: [Move; 6] = [Move::Forward, Move::Back, Move::Left, Move::Right, Move::Up, Move::Down];

    /// The direction in the head's yaw frame (no pitch).
    fn direction(self) -> Vec3 {
        match self {
            Move::Forward => Vec3::NEG_Z,
            Move::Back => Vec3::Z,
            Move::Left => Vec3::NEG_X,
            Move::Right => Vec3::X,
            Move::Up => Vec3::Y,
            Move::Down => Vec3::NEG_Y,
        }
    }
}

/// The head's motion since its last change.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Motion {
    /// Radians, positive turns left; kept within ±π.
    yaw: f32,
    /// Radians, positive looks up; within ±[`MAX_PITCH`].
    pitch: f32,
    /// Where the head was at `anchor_ns`.
    anchor: Vec3,
    anchor_ns: u64,
    held: [bool; 6],
}

impl Motion {
    fn at_rest(now_ns: u64) -> Motion {
        Motion { yaw: 0.0, pitch: 0.0, anchor: Vec3::ZERO, anchor_ns: now_ns, held: [false; 6] }
    }

    fn orientation(&self) -> Quat {
        Quat::from_rotation_y(self.yaw) * Quat::from_rotation_x(self.pitch)
    }

    /// Metres per second in the world: the held keys' directions turned by the yaw, at
    /// [`SPEED`] whichever keys are held (opposite keys cancel).
    fn velocity(&self) -> Vec3 {
        let local: Vec3 = Move::ALL.iter().filter(|m| self.held[**m as usize]).map(|m| m.direction()).sum();
        Quat::from_rotation_y(self.yaw) * local.normalize_or_zero() * SPEED
    }

    fn position_at(&self, t_ns: u64) -> Vec3 {
        // Signed: a display time a little before the last change is still a fair question.
        let seconds = (t_ns as i128 - self.anchor_ns as i128) as f64 * 1e-9;
        self.anchor + self.velocity() * seconds as f32
    }

    /// Moves the anchor to `now_ns`, so what changes next applies from then on.
    fn rebase(&mut self, now_ns: u64) {
        self.anchor = self.position_at(now_ns);
        self.anchor_ns = now_ns;
    }

    fn pose_at(&self, t_ns: u64) -> Pose {
        Pose { timestamp_ns: t_ns, position: self.position_at(t_ns), orientation: self.orientation() }
    }
}

struct Shared {
    clock: SharedClock,
    motion: Mutex<Motion>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Motion> {
        // Every write is a whole `Motion`, so a poisoned lock still holds a consistent one.
        self.motion.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Re-anchors at now and applies `change`.
    fn change(&self, change: impl FnOnce(&mut Motion)) {
        let now = self.clock.now_ns();
        let mut motion = self.lock();
        motion.rebase(now);
        change(&mut motion);
    }
}

/// The simulator window's hold on the head: cheap to clone, shared with its [`SimulatorPose`].
#[derive(Clone)]
pub struct SimControls {
    shared: Arc<Shared>,
}

impl SimControls {
    /// Mouse-look: turn by `yaw` (positive = left, about +y) and `pitch` (positive = up) radians; pitch clamps at ±89°.
    pub fn look(&self, yaw: f32, pitch: f32) {
        if !(yaw.is_finite() && pitch.is_finite()) {
            tracing::debug!(yaw, pitch, "ignoring a non-finite mouse-look");
            return;
        }
        self.shared.change(|m| {
            m.yaw = (m.yaw + yaw + PI).rem_euclid(TAU) - PI;
            m.pitch = (m.pitch + pitch).clamp(-MAX_PITCH, MAX_PITCH);
        });
    }

    /// A movement key went down or up (WASD + QE); movement is 1.5 m/s in the head's yaw frame (pitch does not fly you into the floor).
    pub fn set_key(&self, key: Move, down: bool) {
        self.shared.change(|m| m.held[key as usize] = down);
    }

    /// Back to the origin, looking down -z. Keys still held keep moving the head from there.
    pub fn reset(&self) {
        self.shared.change(|m| *m = Motion { held: m.held, ..Motion::at_rest(m.anchor_ns) });
    }
}

/// The head the simulator window steers; a still head at the origin until someone does.
pub struct SimulatorPose {
    shared: Arc<Shared>,
}

impl SimulatorPose {
    pub fn new(clock: SharedClock) -> SimulatorPose {
        let motion = Mutex::new(Motion::at_rest(clock.now_ns()));
        SimulatorPose { shared: Arc::new(Shared { clock, motion }) }
    }

    /// A handle for the window to steer this head with.
    pub fn controls(&self) -> SimControls {
        SimControls { shared: self.shared.clone() }
    }
}

impl PoseSource for SimulatorPose {
    /// Where the head will be at `t_ns` if the keys stay as they are.
    fn predict(&self, t_ns: u64) -> Pose {
        self.shared.lock().pose_at(t_ns)
    }

    /// The head now: the controls are "measured" the instant they are read.
    fn latest(&self) -> Pose {
        let now = self.shared.clock.now_ns();
        self.shared.lock().pose_at(now)
    }

    fn describe(&self) -> String {
        "simulator controls".to_string()
    }
}

#[cfg(test)]
mod tests {
    use glam::EulerRot;
    use visor_types::clock::ManualClock;

    use super::*;

    const SECOND: u64 = 1_000_000_000;

    fn simulator() -> (SimulatorPose, SimControls, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::default());
        let pose = SimulatorPose::new(clock.clone());
        let controls = pose.controls();
        (pose, controls, clock)
    }

    fn close(a: Vec3, b: Vec3) -> bool {
        (a - b).length() < 1e-4
    }

    /// Where the head looks, in the world.
    fn gaze(pose: &Pose) -> Vec3 {
        pose.orientation * Vec3::NEG_Z
    }

    #[test]
    fn at_rest_the_head_is_at_the_origin_looking_down_minus_z() {
        let (pose, _, clock) = simulator();
        clock.set_ns(7 * SECOND);
        assert_eq!(pose.latest(), Pose::identity(7 * SECOND));
        assert_eq!(pose.predict(9 * SECOND), Pose::identity(9 * SECOND));
        assert_eq!(pose.describe(), "simulator controls");
    }

    #[test]
    fn a_held_key_moves_at_walking_speed_and_predict_extrapolates_it() {
        let (pose, controls, clock) = simulator();
        controls.set_key(Move::Forward, true);
        clock.set_ns(2 * SECOND);
        let now = pose.latest();
        assert_eq!(now.timestamp_ns, 2 * SECOND);
        assert!(close(now.position, Vec3::new(0.0, 0.0, -3.0)), "{now:?}");
        let ahead = pose.predict(2 * SECOND + SECOND / 10);
        assert!(close(ahead.position, Vec3::new(0.0, 0.0, -3.15)), "a display time 100 ms ahead: {ahead:?}");

        controls.set_key(Move::Forward, false);
        clock.set_ns(5 * SECOND);
        assert!(close(pose.latest().position, Vec3::new(0.0, 0.0, -3.0)), "released keys stop the head where it was");
    }

    #[test]
    fn turning_left_turns_the_walk_and_pitch_does_not_leave_the_floor() {
        let (pose, controls, clock) = simulator();
        controls.look(FRAC_PI_2, -0.5);
        assert!(close(gaze(&pose.latest()), Vec3::new(-(0.5f32.cos()), -(0.5f32.sin()), 0.0)), "a quarter turn left looks down -x");
        controls.set_key(Move::Forward, true);
        clock.set_ns(SECOND);
        assert!(close(pose.latest().position, Vec3::new(-1.5, 0.0, 0.0)), "{:?}", pose.latest());
    }

    #[test]
    fn diagonals_are_no_faster_and_opposites_cancel() {
        let (pose, controls, clock) = simulator();
        controls.set_key(Move::Forward, true);
        controls.set_key(Move::Right, true);
        controls.set_key(Move::Up, true);
        controls.set_key(Move::Down, true);
        clock.set_ns(SECOND);
        let position = pose.latest().position;
        assert!((position.length() - SPEED).abs() < 1e-4, "{position}");
        assert!(close(position, Vec3::new(1.0, 0.0, -1.0).normalize() * SPEED), "{position}");
    }

    #[test]
    fn changes_mid_walk_keep_the_distance_already_walked() {
        let (pose, controls, clock) = simulator();
        controls.set_key(Move::Forward, true);
        clock.set_ns(SECOND);
        controls.look(PI, 0.0);
        clock.set_ns(2 * SECOND);
        // One second towards -z, then one back towards +z (now facing it).
        assert!(close(pose.latest().position, Vec3::ZERO), "{:?}", pose.latest());
    }

    #[test]
    fn pitch_clamps_short_of_straight_up_and_yaw_wraps() {
        let (pose, controls, _) = simulator();
        controls.look(3.0 * TAU + 0.25, 10.0);
        let (yaw, pitch, roll) = pose.latest().orientation.to_euler(EulerRot::YXZ);
        assert!((yaw - 0.25).abs() < 1e-4, "{yaw}");
        assert!((pitch - MAX_PITCH).abs() < 1e-4 && pitch.to_degrees() < 89.01, "{pitch}");
        assert!(roll.abs() < 1e-5);
        controls.look(0.0, -20.0);
        assert!((pose.latest().orientation.to_euler(EulerRot::YXZ).1 + MAX_PITCH).abs() < 1e-4);
        controls.look(f32::NAN, 0.0);
        assert!(pose.latest().orientation.is_finite(), "a NaN from the window is ignored");
    }

    #[test]
    fn reset_returns_to_the_origin_but_held_keys_keep_walking() {
        let (pose, controls, clock) = simulator();
        controls.look(1.0, 0.3);
        controls.set_key(Move::Back, true);
        clock.set_ns(SECOND);
        controls.reset();
        assert_eq!(pose.latest(), Pose::identity(SECOND));
        clock.set_ns(2 * SECOND);
        assert!(close(pose.latest().position, Vec3::new(0.0, 0.0, 1.5)), "{:?}", pose.latest());
    }
}
