//! The simulator window (`visor run` without `--headless`) on a virtual X server: each test
//! starts its own Xvfb, runs the built `visor` binary in it with the test profile
//! (`tests/profiles/window-test.toml`: an additive display, so the picture is the probe app's
//! red slab over black, stable from frame to frame) and checks what it shows against the
//! references in `tests/golden/`:
//!
//! - `window.png`: the `--screenshot-at` screenshot (the composited frame, as F2 writes it);
//! - `window-stereo.png`, `window-mono.png`: the window's own pixels read back from the X
//!   server after F1 (overlay off) and F3 (left eye only), so the present pass and its
//!   letterboxing are checked too;
//! - `window-resized.png`: the window resized to 640x480, the frame letterboxed in it.
//!
//! Besides: mouse-look and WASD move what is shown, and closing the window the way a window
//! manager asks (`WM_DELETE_WINDOW`) stops the apps and exits with 0.
//!
//! Keys are pressed with `xdotool`. Xvfb and xdotool come from `scripts/setup.sh`; without them
//! these tests fail and say so. After an intended visual change, re-render the references with
//! `VISOR_BLESS=1 cargo test --release --test window` and review them; on a mismatch the actual
//! image and a diff land in `target/golden/`.

mod common;

use common::golden;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use image::RgbaImage;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt, EventMask, ImageFormat};

/// The test profile's frame: two 320x240 eyes side by side; the window opens at this size.
const FRAME: (u32, u32) = (640, 240);
/// How long the binary may take to start (compiling the probe, the first frames on lavapipe).
const START_TIMEOUT: Duration = Duration::from_secs(120);

fn setup_hint(tool: &str) -> String {
    format!("`{tool}` is not installed: run `bash scripts/setup.sh --deps-only` (CI installs it); the window tests need it")
}

/// A virtual X server on a display number of its own choosing (`-displayfd`), stopped on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            // -noreset: an X server resets when its last client leaves, and refuses connections
            // while it does; the readiness probe below is such a client, so without it visor's
            // own connection could land in the reset and fail.
            .args(["-displayfd", "1", "-screen", "0", "1280x720x24", "-nolisten", "tcp", "-noreset"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting Xvfb: {e}; {}", setup_hint("Xvfb")));
        // Xvfb writes the display number once it listens; connect once to be sure it answers.
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line).expect("reading Xvfb's display");
        let number: u32 = line.trim().parse().unwrap_or_else(|_| panic!("Xvfb wrote no display number: {line:?}"));
        let xvfb = Xvfb { child, display: format!(":{number}") };
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Err(e) = x11rb::connect(Some(&xvfb.display)) {
            assert!(Instant::now() < deadline, "Xvfb on {} does not accept connections: {e}", xvfb.display);
            std::thread::sleep(Duration::from_millis(50));
        }
        xvfb
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM first, so Xvfb removes its lock file and socket for the next one.
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `visor`, killed on drop if still running; its log goes to a file for messages.
struct Visor {
    child: Child,
    log: PathBuf,
}

impl Visor {
    fn start(x: &Xvfb, dir: &Path, extra: &[&str]) -> Visor {
        let log = dir.join("visor.log");
        let runtime = dir.join("xdg");
        std::fs::create_dir_all(&runtime).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_visor"))
            .args(["run", "--profile"])
            .arg(common::repo().join("tests/profiles/window-test.toml"))
            .arg("--store")
            .arg(dir.join("store"))
            .arg("--screenshot-dir")
            .arg(dir)
            .args(extra)
            .arg(common::component("probe"))
            .env("DISPLAY", &x.display)
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("running visor");
        Visor { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "visor did not exit within {timeout:?}; its log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Visor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn xdotool(x: &Xvfb, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", &x.display)
        .output()
        .unwrap_or_else(|e| panic!("running xdotool: {e}; {}", setup_hint("xdotool")));
    assert!(out.status.success() || args[0] == "search", "xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The simulator's window, once it is shown (it stays hidden until the apps have drawn).
fn find_window(x: &Xvfb, visor: &mut Visor) -> String {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let found = xdotool(x, &["search", "--onlyvisible", "--name", "^Visor"]);
        if let Some(id) = found.lines().next() {
            return id.trim().to_string();
        }
        if let Some(status) = visor.child.try_wait().unwrap() {
            panic!("visor exited ({status}) before showing its window; its log:\n{}", visor.log());
        }
        assert!(Instant::now() < deadline, "no visor window within {START_TIMEOUT:?}; its log:\n{}", visor.log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The window's pixels as the X server has them.
fn capture(x: &Xvfb, window: &str) -> RgbaImage {
    let (conn, _) = x11rb::connect(Some(&x.display)).expect("connecting to Xvfb");
    let window: u32 = window.parse().expect("a window id");
    let geometry = conn.get_geometry(window).unwrap().reply().unwrap();
    let (w, h) = (geometry.width, geometry.height);
    let reply = conn.get_image(ImageFormat::Z_PIXMAP, window, 0, 0, w, h, u32::MAX).unwrap().reply().unwrap();
    assert_eq!(reply.depth, 24, "Xvfb was started at depth 24");
    assert_eq!(reply.data.len(), usize::from(w) * usize::from(h) * 4, "32 bits per pixel");
    let order = conn.setup().image_byte_order;
    assert_eq!(order, x11rb::protocol::xproto::ImageOrder::LSB_FIRST, "pixels as B, G, R, X bytes");
    let pixels = reply.data.chunks_exact(4).flat_map(|p| [p[2], p[1], p[0], 255]).collect();
    RgbaImage::from_raw(u32::from(w), u32::from(h), pixels).unwrap()
}

/// Asks the window to close as a window manager does when the user clicks its close button.
fn close_window(x: &Xvfb, window: &str) {
    let (conn, _) = x11rb::connect(Some(&x.display)).expect("connecting to Xvfb");
    let window: u32 = window.parse().expect("a window id");
    let atom = |name: &str| conn.intern_atom(false, name.as_bytes()).unwrap().reply().unwrap().atom;
    let (protocols, delete) = (atom("WM_PROTOCOLS"), atom("WM_DELETE_WINDOW"));
    let event = ClientMessageEvent::new(32, window, protocols, [delete, 0, 0, 0, 0]);
    // Checked: a round trip, so the request is in before the connection closes (a request
    // only flushed can be dropped with the connection).
    conn.send_event(false, window, EventMask::NO_EVENT, event).unwrap().check().expect("sending WM_DELETE_WINDOW");
}

/// The red slab's pixels in the left half of `image`: how many, and their mean column.
fn red_in_left_half(image: &RgbaImage) -> (usize, f32) {
    let half = image.width() / 2;
    let red: Vec<u32> =
        image.enumerate_pixels().filter(|(x, _, p)| *x < half && p.0[0] > 200 && p.0[1] < 60 && p.0[2] < 60).map(|(x, _, _)| x).collect();
    let mean = red.iter().map(|&x| x as f32).sum::<f32>() / red.len().max(1) as f32;
    (red.len(), mean)
}

/// Captures the window until `ok` holds for what it shows, failing after a few seconds.
fn eventually(x: &Xvfb, window: &str, what: &str, ok: impl Fn(&RgbaImage) -> bool) -> RgbaImage {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let image = capture(x, window);
        if ok(&image) {
            return image;
        }
        if Instant::now() > deadline {
            let path = common::repo().join("target/golden").join(format!("window-{}.png", what.replace(' ', "-")));
            let _ = std::fs::create_dir_all(path.parent().unwrap());
            let _ = image.save(&path);
            panic!("the window never showed {what}; its last picture: {}", path.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The window's pixels match `NAME` within a few seconds (a key takes a frame or two to show).
/// Blessing waits a moment and takes what the window shows then.
fn assert_window_golden(x: &Xvfb, window: &str, name: &str) {
    if golden::blessing() {
        std::thread::sleep(Duration::from_secs(2));
        golden::assert_golden_within(name, &capture(x, window), golden::WINDOW);
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let actual = capture(x, window);
        match golden::compare(name, &actual, golden::WINDOW) {
            Ok(()) => return,
            Err(mismatch) if Instant::now() > deadline => golden::fail(name, &actual, &mismatch),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("visor-window-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn screenshots(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("visor-")))
        .collect();
    found.sort();
    found
}

#[test]
fn the_window_opens_and_its_screenshot_matches_the_golden() {
    common::guests();
    let x = Xvfb::start();
    let dir = scratch("golden");
    let mut visor = Visor::start(&x, &dir, &["--screenshot-at", "30", "--exit-after-frames", "32"]);
    let status = visor.wait(START_TIMEOUT);
    assert!(status.success(), "visor exited with {status}; its log:\n{}", visor.log());
    let shot = dir.join("visor-000030.png");
    let image = image::open(&shot).unwrap_or_else(|e| panic!("{}: {e}; visor's log:\n{}", shot.display(), visor.log())).to_rgba8();
    assert_eq!(image.dimensions(), FRAME, "both eyes side by side, without the overlay");
    golden::assert_golden_within("window", &image, golden::WINDOW);

    // One run path: the same profile and app headless make the same frame 30, pixel for pixel
    // within the offscreen tolerance (the window's display differs only in where frames go).
    let out = dir.join("headless");
    let headless = Command::new(env!("CARGO_BIN_EXE_visor"))
        .args(["run", "--headless", "--frames", "31", "--profile"])
        .arg(common::repo().join("tests/profiles/window-test.toml"))
        .arg("--store")
        .arg(dir.join("store"))
        .arg("--out")
        .arg(&out)
        .arg(common::component("probe"))
        .output()
        .expect("running visor headless");
    assert!(headless.status.success(), "headless run failed: {}", String::from_utf8_lossy(&headless.stderr));
    let frame = image::open(out.join("frame-000030.png")).expect("headless frame 30").to_rgba8();
    golden::assert_same("window-vs-headless", &image, &frame, golden::OFFSCREEN);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_hide_the_overlay_switch_to_one_eye_take_a_screenshot_and_quit() {
    common::guests();
    let x = Xvfb::start();
    let dir = scratch("keys");
    let mut visor = Visor::start(&x, &dir, &[]);
    let window = find_window(&x, &mut visor);
    // No window manager on Xvfb: give the window the keyboard ourselves.
    xdotool(&x, &["windowfocus", "--sync", &window]);

    xdotool(&x, &["key", "F1"]);
    assert_window_golden(&x, &window, "window-stereo");
    xdotool(&x, &["key", "F3"]);
    assert_window_golden(&x, &window, "window-mono");

    xdotool(&x, &["key", "F2"]);
    // The PNG may be half written when it first appears: wait until it reads whole.
    let deadline = Instant::now() + Duration::from_secs(20);
    let image = loop {
        if let Some(image) = screenshots(&dir).first().and_then(|shot| image::open(shot).ok()) {
            break image.to_rgba8();
        }
        assert!(Instant::now() < deadline, "F2 wrote no screenshot into {}; visor's log:\n{}", dir.display(), visor.log());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(image.dimensions(), FRAME, "F2 writes the composited frame (both eyes) even in the one-eye view");

    xdotool(&x, &["key", "Escape"]);
    let status = visor.wait(Duration::from_secs(30));
    assert!(status.success(), "Esc should exit cleanly, got {status}; log:\n{}", visor.log());
    assert!(visor.log().contains("simulator closed"), "{}", visor.log());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_a_display_it_says_what_to_do() {
    let output = Command::new(env!("CARGO_BIN_EXE_visor"))
        .args(["run", "--profile", "desktop-sim"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("running visor");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for hint in ["DISPLAY", "WAYLAND_DISPLAY", "--headless", "xvfb-run"] {
        assert!(stderr.contains(hint), "the error should mention {hint}: {stderr}");
    }
}

#[test]
fn resizing_letterboxes_and_closing_the_window_exits_cleanly() {
    common::guests();
    let x = Xvfb::start();
    let dir = scratch("resize");
    let mut visor = Visor::start(&x, &dir, &[]);
    let window = find_window(&x, &mut visor);
    xdotool(&x, &["windowfocus", "--sync", &window]);
    xdotool(&x, &["key", "F1"]);
    // A wide size first, shown for a moment, then the one compared.
    xdotool(&x, &["windowsize", "--sync", &window, "900", "300"]);
    eventually(&x, &window, "the frame at 900x300", |i| i.dimensions() == (900, 300) && red_in_left_half(i).0 > 1000);
    xdotool(&x, &["windowsize", "--sync", &window, "640", "480"]);
    assert_window_golden(&x, &window, "window-resized");

    close_window(&x, &window);
    let status = visor.wait(Duration::from_secs(30));
    assert!(status.success(), "closing the window should exit cleanly, got {status}; log:\n{}", visor.log());
    assert!(visor.log().contains("simulator closed"), "{}", visor.log());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mouse_look_and_wasd_move_the_head() {
    common::guests();
    let x = Xvfb::start();
    let dir = scratch("look");
    let mut visor = Visor::start(&x, &dir, &[]);
    let window = find_window(&x, &mut visor);
    xdotool(&x, &["windowfocus", "--sync", &window]);
    xdotool(&x, &["key", "F1"]);
    let start = eventually(&x, &window, "the slab without the overlay", |i| red_in_left_half(i).0 > 1000);
    let (area, column) = red_in_left_half(&start);

    // Drag right with the right button: the head turns right, the world (the slab) slides left.
    xdotool(&x, &["mousemove", "--window", &window, "300", "120"]);
    xdotool(&x, &["mousedown", "3"]);
    for _ in 0..10 {
        xdotool(&x, &["mousemove_relative", "--", "10", "0"]);
    }
    xdotool(&x, &["mouseup", "3"]);
    eventually(&x, &window, "the slab moved left", |i| red_in_left_half(i).1 < column - 20.0);

    // R while looking (right button held): back to the start. The head keys are the shell's
    // only while looking; otherwise they are letters for the focused app.
    xdotool(&x, &["mousedown", "3"]);
    xdotool(&x, &["key", "r"]);
    eventually(&x, &window, "the slab back in place", |i| (red_in_left_half(i).1 - column).abs() < 2.0);

    // W held while looking: walking towards the slab makes it larger.
    xdotool(&x, &["keydown", "w"]);
    std::thread::sleep(Duration::from_millis(400));
    xdotool(&x, &["keyup", "w"]);
    xdotool(&x, &["mouseup", "3"]);
    eventually(&x, &window, "the slab nearer", |i| red_in_left_half(i).0 as f32 > area as f32 * 1.3);
    // Let the last frames of the walk reach the window before measuring where it ended.
    std::thread::sleep(Duration::from_millis(500));
    let nearer = red_in_left_half(&capture(&x, &window)).0;

    // W without the right button moves nothing.
    xdotool(&x, &["keydown", "w"]);
    std::thread::sleep(Duration::from_millis(400));
    xdotool(&x, &["keyup", "w"]);
    std::thread::sleep(Duration::from_millis(200));
    let after = red_in_left_half(&capture(&x, &window)).0;
    assert!((after as f32 - nearer as f32).abs() < nearer as f32 * 0.05, "W alone moved the head: {nearer} -> {after} px");

    xdotool(&x, &["key", "Escape"]);
    let status = visor.wait(Duration::from_secs(30));
    assert!(status.success(), "Esc should exit cleanly, got {status}; log:\n{}", visor.log());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `visor outputs` lists the display's monitors; `--output NAME` opens the window full screen
/// on one of them, and a name that is not there is refused with the names that are.
#[test]
fn outputs_are_listed_and_an_unknown_output_is_named_with_the_ones_there_are() {
    common::guests();
    let x = Xvfb::start();
    let listed = Command::new(env!("CARGO_BIN_EXE_visor"))
        .arg("outputs")
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("running visor outputs");
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.status.success(), "visor outputs failed: {}", String::from_utf8_lossy(&listed.stderr));
    let first = text.lines().next().unwrap_or_else(|| panic!("no monitor listed: {text:?}"));
    assert!(first.contains("1280x720 at 0,0"), "the virtual screen, with its size: {text}");
    let name = first.split('\t').next().unwrap().to_owned();

    let dir = scratch("outputs");
    let mut unknown = Visor::start(&x, &dir, &["--output", "NO-SUCH-OUTPUT", "--exit-after-frames", "2"]);
    let status = unknown.wait(START_TIMEOUT);
    let log = unknown.log();
    assert!(!status.success(), "an unknown output is an error: {log}");
    assert!(log.contains("NO-SUCH-OUTPUT") && log.contains(&name) && log.contains("visor outputs"), "{log}");

    let mut full = Visor::start(&x, &dir, &["--output", &name, "--exit-after-frames", "5"]);
    let status = full.wait(START_TIMEOUT);
    assert!(status.success(), "full screen on {name}: {status}; its log:\n{}", full.log());
    assert!(full.log().contains("full screen on the chosen output"), "{}", full.log());
    let _ = std::fs::remove_dir_all(&dir);
}
