//! Input routing through a real shell: probe apps draw slabs at known depths, the compositor
//! hit-tests the composited depth under the pointer, and each probe logs the input it
//! receives. The nearest surface's owner gets the pointer, no one else does; keys follow the
//! focus; an app not granted the `input` device gets nothing, and neither does the app behind.

mod common;

use std::time::Duration;

use visor::shell::{KeyInput, PointerInput, PointerKind, Shell, dev_manifest};
use visor_runtime::AppStatus;
use visor_runtime::manifest::Device;
use visor_runtime::modules::ModuleId;
use visor_runtime::policy::Policy;
use visor_types::clock::MonotonicClock;

struct Scene {
    shell: Shell,
    near: ModuleId,
    far: ModuleId,
    deaf: ModuleId,
    frame: u64,
}

impl Scene {
    /// 160x120 mono, 90 degrees across. `near`: x in [-0.5, 0.1] at 1 m (pixels 40..88);
    /// `far`: x in [-0.1, 0.9] at 2 m (pixels 76..116, rows 44..76); `deaf`, not granted
    /// input: x in [-0.3, -0.2] at 0.5 m (pixels 32..48, every row).
    fn new() -> Scene {
        let policy = Policy::parse("", "empty policy").unwrap();
        let mut shell = Shell::new(common::profile(1), &common::repo(), MonotonicClock::shared(), policy).unwrap();
        let probe = common::component("probe");
        let near = shell.launch(&probe, &[("PROBE_Z", "-1,-1"), ("PROBE_X", "-0.5,0.1")]).unwrap();
        let far = shell.launch(&probe, &[("PROBE_Z", "-2,-2"), ("PROBE_X", "-0.1,0.9")]).unwrap();

        let mut manifest = dev_manifest(&probe).unwrap();
        manifest.name = "deaf".into();
        manifest.capabilities.devices.retain(|d| *d != Device::Input);
        shell.modules.policy_mut().allow_all(&manifest);
        let deaf = shell.modules.load(manifest, probe.parent().unwrap()).unwrap();
        let env = [("PROBE_Z", "-0.5,-0.5"), ("PROBE_X", "-0.3,-0.2")].map(|(k, v)| (k.to_string(), v.to_string()));
        shell.modules.set_env(deaf, env.to_vec()).unwrap();
        shell.modules.start(deaf).unwrap();

        shell.publish(0, shell.clock.now_ns());
        shell.wait_for_apps(Duration::from_secs(60));
        let mut scene = Scene { shell, near, far, deaf, frame: 0 };
        scene.steps(3);
        scene
    }

    fn steps(&mut self, n: u64) {
        for _ in 0..n {
            let t = self.shell.clock.now_ns();
            self.shell.step(self.frame, t);
            self.frame += 1;
        }
    }

    fn click(&mut self, x: f32, y: f32) -> Option<String> {
        let owner = self.shell.pointer(PointerInput { x, y, kind: PointerKind::Down });
        self.shell.pointer(PointerInput { x, y, kind: PointerKind::Up });
        owner
    }

    /// Waits (stepping frames) until `app` has logged `needle`.
    fn heard(&mut self, app: ModuleId, needle: &str) -> bool {
        for _ in 0..200 {
            if self.logged(app, needle) {
                return true;
            }
            self.steps(1);
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    fn logged(&self, app: ModuleId, needle: &str) -> bool {
        self.shell.modules.app(app).is_some_and(|a| a.logs().contains(needle))
    }

    /// The world z of the last pointer-down `app` logged.
    fn hit_z(&self, app: ModuleId) -> f32 {
        let lines = self.shell.modules.app(app).unwrap().logs().lines();
        let line = lines.iter().rev().find(|l| l.message.contains("input pointer-down")).expect("a pointer-down");
        let hit = line.message.split("hit=").nth(1).unwrap();
        hit.split(',').nth(2).unwrap().trim().parse().unwrap()
    }
}

#[test]
fn the_nearest_surface_gets_the_pointer_and_no_one_else_does() {
    let mut s = Scene::new();
    // Where near (1 m) overlaps far (2 m): near's.
    assert_eq!(s.click(82.0, 60.0).as_deref(), Some("probe"));
    assert!(s.heard(s.near, "input pointer-down"), "the nearest app hears the press");
    assert!(s.heard(s.near, "input pointer-up"));
    let z = s.hit_z(s.near);
    assert!((z + 1.0).abs() < 0.03, "the hit point lies on its own surface at z = -1, got {z}");

    // Where only far is: far's, at 2 m.
    assert_eq!(s.click(105.0, 60.0).as_deref(), Some("probe-2"));
    assert!(s.heard(s.far, "input pointer-down"));
    let z = s.hit_z(s.far);
    assert!((z + 2.0).abs() < 0.05, "far's hit lies at z = -2, got {z}");

    // Where nothing is drawn: nobody.
    assert_eq!(s.click(10.0, 10.0), None);

    // The deaf app is nearest here (0.5 m) but not granted input: it hears nothing, and near,
    // behind it, must not hear a press aimed at another app.
    let presses = |s: &Scene, app| {
        s.shell.modules.app(app).unwrap().logs().lines().iter().filter(|l| l.message.contains("input pointer-down")).count()
    };
    let before = presses(&s, s.near);
    assert_eq!(s.click(44.0, 60.0).as_deref(), Some("deaf"));
    s.steps(10);
    std::thread::sleep(Duration::from_millis(100));
    s.steps(2);
    assert_eq!(presses(&s, s.near), before, "the app behind received a press aimed at another");
    assert!(!s.logged(s.deaf, "input "), "an app without the input grant received input");
    assert_eq!(presses(&s, s.far), 1);
}

#[test]
fn keys_follow_the_focus() {
    let mut s = Scene::new();
    // A press focuses its app.
    s.click(82.0, 60.0);
    assert!(s.heard(s.near, "input focus-gained"));
    s.shell.key(KeyInput { key: "a".into(), text: Some("a".into()), down: true });
    s.shell.key(KeyInput { key: "a".into(), text: None, down: false });
    assert!(s.heard(s.near, "input key-down a text=a"));
    assert!(s.heard(s.near, "input key-up a"));

    // Tab-style cycling moves it on; the old app is told.
    let next = s.shell.cycle_focus();
    assert_eq!(next.as_deref(), Some("probe-2"), "focus cycles in the order apps started");
    assert!(s.heard(s.near, "input focus-lost"));
    assert!(s.heard(s.far, "input focus-gained"));
    s.shell.key(KeyInput { key: "Enter".into(), text: None, down: true });
    assert!(s.heard(s.far, "input key-down Enter"));
    assert!(!s.logged(s.near, "input key-down Enter"), "a key went to an app without focus");

    // Pausing the focused app, then resuming it.
    assert_eq!(s.shell.toggle_pause_focused(), Some(("probe-2".to_string(), true)));
    let far = s.shell.modules.app(s.far).unwrap();
    assert!(far.wait_until(Duration::from_secs(10), |a| a.status() == AppStatus::Paused), "paused");
    assert_eq!(s.shell.toggle_pause_focused(), Some(("probe-2".to_string(), false)));
    let _ = s.deaf;
}
