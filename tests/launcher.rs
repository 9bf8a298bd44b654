//! The launcher, end to end, as a user drives it: a real shell renders the launcher app; the
//! test points and types at its pixels (projected from the panel's layout), and a real
//! `docker-registry` on loopback serves a signed module. Typing its reference into the URL bar
//! fetches and verifies it, the consent dialog lists what it asks for, one capability is
//! unticked, Install installs it, writes only what was ticked into the policy, starts it and
//! brings it to the front; the tabs focus and stop apps; an installed module opens by name.
//! What the shell publishes on `shell/state` is read by a privileged test endpoint, and the
//! launcher's first screen is a golden image.

mod common;
#[path = "common/oci.rs"]
mod oci;

use std::str::FromStr;
use std::time::{Duration, Instant};

use glam::{Mat4, Vec3};
use visor::shell::{self, KeyInput, PointerInput, PointerKind, Shell};
use visor_runtime::bus::{BusCapabilities, ModuleRef, Payload, QueueOptions, Subscription, Topic, TopicPattern};
use visor_runtime::policy::Policy;
use visor_runtime::registry::Registry;
use visor_shell_api::{self as api, ModuleState, ShellState};
use visor_types::DeviceProfile;
use visor_types::clock::MonotonicClock;

/// The launcher's panel (apps/launcher: `PANEL_W`, `PANEL_H`, `DISTANCE`, and the canvas size
/// in `ui.rs`): 0.96 x 0.6 m, 0.9 m ahead and 5 cm below the head at start, 512x320 pixels.
const PANEL: (f32, f32) = (0.96, 0.6);
const CANVAS: (f32, f32) = (512.0, 320.0);
const PANEL_AT: Vec3 = Vec3::new(0.0, -0.05, -0.9);

/// Widgets, as canvas pixels inside them (apps/launcher/src/ui.rs).
const URL_BAR: (f32, f32) = (256.0, 44.0);
const FIRST_CHECK: (f32, f32) = (100.0, 148.0);
const INSTALL: (f32, f32) = (342.0, 272.0);
/// Inside the Install button, clear of its label.
const INSTALL_FILL: (f32, f32) = (305.0, 265.0);
const FIRST_TAB: (f32, f32) = (30.0, 16.0);
/// The second tab's close box, when the first tab is "launcher".
const SECOND_TAB_CLOSE: (f32, f32) = (148.0, 16.0);

/// One eye, 640x400, 90 degrees across (one metre at one metre away is 320 pixels), additive:
/// black behind the apps, so the pictures hold the launcher alone.
fn profile() -> DeviceProfile {
    let text = r#"
        name = "launcher-test"
        drivers = []
        [display]
        kind = "additive"
        eyes = 1
        eye_width = 640
        eye_height = 400
        refresh_hz = 60
        fov_deg = { left = -45, right = 45, up = 32.005383, down = -32.005383 }
        ipd_mm = 64
        [camera]
        source = "synthetic"
        width = 64
        height = 48
        fps = 30
    "#;
    DeviceProfile::from_toml(text, "launcher test profile").expect("the test profile is valid")
}

struct Desk {
    shell: Shell,
    state: Subscription,
    last: ShellState,
    frame: u64,
}

impl Desk {
    fn new(store: &std::path::Path) -> Desk {
        let registry = Registry::open(store).unwrap();
        let policy = Policy::load(&store.join("policy.toml")).unwrap();
        let mut shell = Shell::new(profile(), &common::repo(), MonotonicClock::shared(), policy).unwrap();
        shell.serve_store(registry).unwrap();
        let caps = BusCapabilities {
            publish: vec![],
            subscribe: vec![TopicPattern::from_str(api::STATE).unwrap()],
            messages_per_second: 0,
            shell: true,
            serve: Vec::new(),
            call: Vec::new(),
        };
        let state = shell
            .modules
            .bus()
            .endpoint(ModuleRef::new(900, "test"), caps)
            .subscribe(TopicPattern::from_str(api::STATE).unwrap(), QueueOptions::latest(16))
            .unwrap();
        shell.launch(&common::component("launcher"), &[]).unwrap();
        shell.publish(0, shell.clock.now_ns());
        shell.wait_for_apps(Duration::from_secs(60));
        let mut desk = Desk { shell, state, last: ShellState::default(), frame: 0 };
        desk.until("the launcher's first state", |s| s.apps.iter().any(|a| a.name == "launcher" && a.state == ModuleState::Running));
        desk
    }

    fn step(&mut self) {
        let t = self.shell.clock.now_ns();
        self.shell.step(self.frame, t);
        self.frame += 1;
        if let Some(newest) = self.state.drain().filter_map(|m| m.payload.as_text().map(str::to_string)).last() {
            self.last = serde_json::from_str(&newest).expect("the shell state is JSON");
        }
    }

    /// Steps frames until the shell's state passes `ok`; returns it.
    fn until(&mut self, what: &str, ok: impl Fn(&ShellState) -> bool) -> ShellState {
        let deadline = Instant::now() + Duration::from_secs(90);
        while !ok(&self.last) {
            assert!(Instant::now() < deadline, "waited for {what}; the shell's state is {:#?}", self.last);
            self.step();
            std::thread::sleep(Duration::from_millis(10));
        }
        self.last.clone()
    }

    /// A few frames, so the launcher has taken its input and drawn what follows.
    fn settle(&mut self) {
        for _ in 0..6 {
            self.step();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The frame pixel showing canvas pixel (cx, cy) of the panel.
    fn pixel(&self, (cx, cy): (f32, f32)) -> (f32, f32) {
        let local = Vec3::new((cx / CANVAS.0 - 0.5) * PANEL.0, (0.5 - cy / CANVAS.1) * PANEL.1, 0.0);
        let eye = &shell::frame_info(&self.shell.profile, 0, 0, Mat4::IDENTITY).eyes[0];
        let clip = eye.projection * eye.view * (PANEL_AT + local).extend(1.0);
        let ndc = clip / clip.w;
        let v = eye.viewport;
        (v.x as f32 + (ndc.x * 0.5 + 0.5) * v.width as f32, v.y as f32 + (0.5 - ndc.y * 0.5) * v.height as f32)
    }

    fn click(&mut self, at: (f32, f32)) {
        let (x, y) = self.pixel(at);
        let owner = self.shell.pointer(PointerInput { x, y, kind: PointerKind::Down });
        assert_eq!(owner.as_deref(), Some("launcher"), "the launcher is what is under canvas pixel {at:?}");
        self.shell.pointer(PointerInput { x, y, kind: PointerKind::Up });
        self.settle();
    }

    fn press(&mut self, key: &str, text: Option<&str>) {
        for down in [true, false] {
            let text = if down { text.map(str::to_string) } else { None };
            self.shell.key(KeyInput { key: key.into(), text, down });
        }
    }

    fn type_line(&mut self, line: &str) {
        for ch in line.chars() {
            let ch = ch.to_string();
            self.press(&ch, Some(&ch));
        }
        self.press("Enter", None);
        self.settle();
    }

    fn color_at(&self, at: (f32, f32)) -> [u8; 4] {
        let image = self.shell.compositor.read_frame().unwrap();
        let (x, y) = self.pixel(at);
        image.get_pixel(x as u32, y as u32).0
    }
}

fn close(a: [u8; 4], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 12)
}

#[test]
fn the_launchers_first_screen() {
    let work = oci::scratch("launcher-first");
    let mut desk = Desk::new(&work.join("store"));
    desk.settle();
    let state = &desk.last;
    assert!(state.installed.is_empty() && state.consent.is_none() && state.busy.is_none(), "{state:#?}");
    common::golden::assert_golden("launcher", &desk.shell.compositor.read_frame().unwrap());
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn typing_a_reference_fetches_asks_installs_and_runs_it() {
    let server = oci::registry();
    let work = oci::scratch("launcher-flow");
    let (alice, alice_pub) = oci::publisher(&work, "alice");
    let module = oci::module_dir(&work, &common::component("hud"), "1.0.0");
    let manifest = std::fs::read_to_string(module.join("visor.toml")).unwrap();
    let manifest =
        manifest.replace("[capabilities]\n", "[capabilities]\npublish = [\"hud/status\"]\n").replace("triggers = { boot = true }\n", "");
    std::fs::write(
        module.join("visor.toml"),
        manifest.replace("devices = [\"display-layer\"]", "devices = [\"display-layer\", \"input\"]"),
    )
    .unwrap();
    let reference = server.reference("visor/hud:1.0.0");
    oci::ok(oci::visor(&alice, &["module", "publish", module.to_str().unwrap(), &reference]));
    let store = work.join("consumer");
    oci::ok(oci::visor(&store, &["keys", "trust", alice_pub.to_str().unwrap()]));

    let mut desk = Desk::new(&store);
    desk.click(URL_BAR);
    desk.type_line(&reference);
    let asked = desk.until("the consent request", |s| s.consent.is_some());
    let consent = asked.consent.unwrap();
    assert_eq!(
        (consent.module.as_str(), &consent.version, consent.source.as_str()),
        ("hud", &api::Version::new(1, 0, 0), reference.as_str())
    );
    assert!(consent.publisher.contains("trusted publisher alice"), "{}", consent.publisher);
    let names: Vec<&str> = consent.asks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["publish:hud/status", "device:display-layer", "device:input"]);
    assert!(consent.limits.starts_with("up to 1000 msg/s, 32 MiB bus queues"), "the dialog shows the rate asked for: {}", consent.limits);
    desk.settle();
    // For a look by eye when this fails.
    let _ = desk.shell.compositor.read_frame().unwrap().save(std::env::temp_dir().join("launcher-consent.png"));
    assert!(
        close(desk.color_at(INSTALL_FILL), [40, 150, 80]),
        "the dialog's Install button is on screen: {:?}",
        desk.color_at(INSTALL_FILL)
    );
    // While the shell asks, the chrome band no app can draw in shows the trusted marker.
    let top_left = desk.shell.compositor.read_frame().unwrap().get_pixel(0, 0).0;
    assert!(close(top_left, [0, 229, 243]), "the trusted marker is lit: {top_left:?}");

    // Untick "publish hud/status", then install.
    desk.click(FIRST_CHECK);
    desk.click(INSTALL);
    let done = desk.until("hud installed and running", |s| s.apps.iter().any(|a| a.name == "hud" && a.state == ModuleState::Running));
    let notice = done.notice.unwrap();
    assert!(notice.ok && notice.text.contains("installed and started hud@1.0.0"), "{notice:?}");
    assert!(done.consent.is_none() && done.installed.iter().any(|m| m.name == "hud" && m.running && m.publisher.contains("alice")));
    assert!(done.apps.iter().any(|a| a.name == "hud" && a.focused), "the new app has the focus: {:?}", done.apps);
    desk.settle();
    let top_left = desk.shell.compositor.read_frame().unwrap().get_pixel(0, 0).0;
    assert!(close(top_left, [39, 39, 48]), "with nothing asked, the band is plain again: {top_left:?}");
    let policy = Policy::load(&store.join("policy.toml")).unwrap();
    let granted = &policy.modules["hud"];
    assert!(granted.publish.is_empty(), "the unticked capability was not granted: {granted:?}");
    assert_eq!(granted.devices.len(), 2, "{granted:?}");

    // Tabs: the first focuses the launcher; the second's x stops hud.
    desk.click(FIRST_TAB);
    desk.until("the launcher focused", |s| s.apps.iter().any(|a| a.name == "launcher" && a.focused));
    desk.click(SECOND_TAB_CLOSE);
    let stopped = desk.until("hud stopped", |s| !s.apps.iter().any(|a| a.name == "hud"));
    assert!(stopped.installed.iter().any(|m| m.name == "hud" && !m.running));

    // An installed module opens by name; a name that is nothing says so.
    desk.click(URL_BAR);
    desk.press("Escape", None);
    desk.type_line("hud");
    desk.until("hud running again", |s| s.apps.iter().any(|a| a.name == "hud" && a.state == ModuleState::Running));
    desk.click(URL_BAR);
    desk.press("Escape", None);
    desk.type_line("nothing-here");
    let refused = desk.until("the error", |s| s.notice.as_ref().is_some_and(|n| !n.ok));
    assert!(refused.notice.unwrap().text.contains("'nothing-here' is not installed"));
    let _ = std::fs::remove_dir_all(&work);
}

/// The first row of the installed list (apps/launcher/src/ui.rs: `LIST_TOP` 82, `ROW` 22).
const FIRST_INSTALLED: (f32, f32) = (256.0, 93.0);

#[test]
fn a_newer_installed_version_is_offered_and_upgrades_the_running_app_in_place() {
    let work = oci::scratch("launcher-upgrade");
    let store = work.join("store");
    oci::ok(oci::visor(&store, &["module", "install", oci::module_dir(&work, &common::component("hud"), "1.0.0").to_str().unwrap()]));
    oci::ok(oci::visor(&store, &["module", "grant", "hud"]));
    let mut desk = Desk::new(&store);
    desk.click(FIRST_INSTALLED);
    let running = desk.until("hud 1.0.0 running", |s| s.apps.iter().any(|a| a.name == "hud" && a.state == ModuleState::Running));
    assert!(running.installed.iter().all(|m| m.upgrade_from.is_none()), "nothing newer yet: {:?}", running.installed);
    let module = desk.shell.modules.find("hud").unwrap();

    // 2.0.0 is installed beside it: the row offers the upgrade, and a click makes it.
    oci::ok(oci::visor(&store, &["module", "install", oci::module_dir(&work, &common::component("hud"), "2.0.0").to_str().unwrap()]));
    let offered = desk.until("the upgrade offered", |s| s.installed.iter().any(|m| m.name == "hud" && m.upgrade_from.is_some()));
    let row = offered.installed.iter().find(|m| m.name == "hud").unwrap();
    assert_eq!((&row.version, row.upgrade_from.as_ref()), (&api::Version::new(2, 0, 0), Some(&api::Version::new(1, 0, 0))));
    // The launcher takes the shell's state on its own thread, in its own frames: the test saw
    // the offer first, and a click that reaches the launcher before the offer does opens the
    // running hud (brings it to the front), as it would for a user. Then click again.
    let on_2 = |s: &ShellState| {
        s.apps.iter().any(|a| a.name == "hud" && a.version == api::Version::new(2, 0, 0) && a.state == ModuleState::Running)
    };
    let mut upgraded = None;
    for _ in 0..5 {
        desk.settle();
        let before = desk.last.serial;
        desk.click(FIRST_INSTALLED);
        let answered = desk.until("hud 2.0.0 running, or hud brought to the front", |s| {
            on_2(s) || (s.serial > before && s.notice.as_ref().is_some_and(|n| n.text.contains("is in front")))
        });
        if on_2(&answered) {
            upgraded = Some(answered);
            break;
        }
    }
    let upgraded = upgraded.expect("a click on the offered row upgrades hud (five tries)");
    let notice = upgraded.notice.unwrap();
    assert!(notice.ok && notice.text.contains("upgrading hud from 1.0.0 to 2.0.0"), "{notice:?}");
    assert_eq!(desk.shell.modules.find("hud"), Some(module), "the same module, upgraded in place");
    assert!(upgraded.installed.iter().all(|m| m.upgrade_from.is_none()), "{:?}", upgraded.installed);
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn modules_without_the_shell_capability_cannot_command_the_shell() {
    let work = oci::scratch("launcher-deny");
    let mut desk = Desk::new(&work.join("store"));
    let wide = BusCapabilities {
        publish: vec![TopicPattern::from_str("#").unwrap()],
        subscribe: vec![TopicPattern::from_str("#").unwrap()],
        messages_per_second: 100,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    };
    let intruder = desk.shell.modules.bus().endpoint(ModuleRef::new(901, "intruder"), wide);
    let error = intruder.publish(&Topic::new(api::STOP).unwrap(), Payload::text("launcher")).unwrap_err();
    assert!(error.to_string().contains("shell capability"), "{error}");
    let sees = intruder.subscribe(TopicPattern::from_str("#").unwrap(), QueueOptions::latest(64)).unwrap();
    desk.settle();
    assert!(
        sees.drain().all(|m| !m.topic.as_str().starts_with("shell/")),
        "no shell/ message reaches a '#' subscriber without the capability"
    );
    assert!(desk.last.apps.iter().any(|a| a.name == "launcher" && a.state == ModuleState::Running));
    let _ = std::fs::remove_dir_all(&work);
}
