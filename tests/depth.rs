//! The depth module on the bus, on a real stereo capture: the `stereo-depth` profile replays the
//! Middlebury 2014 Motorcycle pair as a stereo camera, the `depth` module matches it into
//! `camera/depth`, and
//! - its depth, turned back into disparity, is scored against the pair's ground truth (the
//!   Middlebury "bad 2.0" rate);
//! - an app's quad at 3 m (between the motorcycle, about 2 m away, and the wall behind it, about
//!   4 m) composited with that depth shows the camera where the truth puts the motorcycle
//!   nearer and the quad where it puts the wall farther, in both eyes;
//! - the depth device guards it: a module granted the camera but not depth never sees it.

#![allow(clippy::print_stdout, reason = "the bad-2.0 rate and pixel counts are the tests' report")]

mod common;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use common::{Harness, repo};
use glam::Vec2;
use visor_depth::score::score;
use visor_depth::{Disparity, StereoRig};
use visor_runtime::bus::{BusCapabilities, FrameHandle, ModuleRef, Overflow, QueueOptions, TopicPattern};
use visor_runtime::modules::ModuleHost;
use visor_runtime::{AppEngine, FrameFeed};
use visor_types::clock::MonotonicClock;
use visor_types::math::{NEAR_PLANE, depth_at};
use visor_types::{CameraFrame, DepthFrame, DeviceProfile, FrameInfo, Passthrough};

/// The matcher reached 0.099 on this pair when this was written (see BENCHMARKS.md); the issue
/// asks for no worse than 0.15.
const BAD_2_AT_MOST: f32 = 0.15;
const QUAD_M: f32 = 3.0;

fn profile() -> DeviceProfile {
    DeviceProfile::load(&repo().join("device-profiles/stereo-depth.toml")).unwrap()
}

fn session() -> visor_drivers::Session {
    visor_drivers::Session::open(&repo().join("assets/camera/motorcycle")).unwrap()
}

/// The camera and depth modules of the `stereo-depth` profile on a bus of their own; returns
/// the host and the first depth frame they publish (matching takes a second or two).
fn depth_from_the_module() -> (ModuleHost, DepthFrame) {
    depth_of(&profile())
}

/// The camera and depth modules of `profile`, and the first depth frame they publish.
fn depth_of(profile: &DeviceProfile) -> (ModuleHost, DepthFrame) {
    let clock = MonotonicClock::shared();
    let engine = AppEngine::new().unwrap();
    let bus = visor_runtime::bus::Bus::new(clock.clone());
    let feed = FrameFeed::new(visor::shell::frame_info(profile, 0, 0, glam::Mat4::IDENTITY));
    let mut host = ModuleHost::new(bus, engine, feed, clock.clone(), Default::default(), 60.0);
    let still = Arc::new(visor_drivers::pose::SimulatorPose::new(clock.clone()));
    visor::builtin::register(&mut host, profile, &repo(), clock, still);
    visor::builtin::load(&mut host, &repo(), &visor::builtin::drivers_of(profile)).unwrap();
    let caps = BusCapabilities { subscribe: vec![TopicPattern::from_str("camera/depth").unwrap()], ..Default::default() };
    let reader = host.bus().endpoint(ModuleRef::new(900, "reader"), caps);
    let depth = reader
        .subscribe(TopicPattern::from_str("camera/depth").unwrap(), QueueOptions { capacity: 1, policy: Overflow::DropOldest })
        .unwrap();
    let message = depth.recv_timeout(Duration::from_secs(120)).expect("a depth frame from the depth module");
    let frame = message.payload.as_frame().and_then(FrameHandle::to_depth).expect("camera/depth carries depth frames");
    (host, frame)
}

fn rig(session: &visor_drivers::Session) -> StereoRig {
    StereoRig::from_geometry(session.intrinsics, session.stereo.unwrap())
}

#[test]
fn the_depth_module_measures_the_motorcycle_within_two_pixels() {
    let (_host, depth) = depth_from_the_module();
    let session = session();
    let truth = Disparity::open_units(session.frames[0].disparity.as_deref().unwrap()).unwrap();
    let found = Disparity::from_millimetres(depth.width, depth.height, &depth.millimetres, &depth.confidence, &rig(&session));
    let s = score(&found, &truth, 2.0);
    println!(
        "camera/depth against the truth: bad 2.0 = {:.2} % ({:.1} % answered, {:.2} % of those bad)",
        s.bad_dense * 100.0,
        s.answered * 100.0,
        s.bad_answered * 100.0
    );
    assert!(s.bad_dense <= BAD_2_AT_MOST, "{s:?}");
}

/// The truth as depth, to judge the composite by.
fn truth_depth(session: &visor_drivers::Session) -> DepthFrame {
    let truth = Disparity::open_units(session.frames[0].disparity.as_deref().unwrap()).unwrap();
    truth.to_depth(&rig(session)).into_frame(0, 0)
}

#[test]
fn the_world_hides_an_app_where_the_truth_says_it_is_nearer_in_both_eyes() {
    let (_host, depth) = depth_from_the_module();
    let profile = profile();
    let session = session();
    let mut h = Harness::new(profile.clone());
    // A magenta quad 6 m wide and 0.8 m tall, 3 m ahead.
    let (mut app, _) = h.load("probe", &[("PROBE_Z", "-3,-3"), ("PROBE_X", "-3,3"), ("PROBE_COLOR", "1,0,1,1")]);
    let layer = h.frame(&mut app, 0);
    let frame: FrameInfo = common::still(&profile);
    let passthrough = Passthrough {
        intrinsics: session.intrinsics,
        size: (session.width, session.height),
        head_from_camera: profile.camera.mount.head_from_camera(),
        reproject: true,
        plane_m: profile.camera.passthrough.plane_m,
    };
    let picture = image::open(&session.frames[0].path).unwrap().into_rgba8();
    let camera =
        CameraFrame { width: picture.width(), height: picture.height(), pixels: picture.into_raw().into(), timestamp_ns: 0, sequence: 0 };
    let mut c = common::compositor(&profile);
    c.set_passthrough(Some(passthrough));
    c.set_world_depth(Some(depth));
    c.render(Some(&camera), &[layer], &frame);
    let image = c.read_frame().unwrap();

    let truth = truth_depth(&session);
    let (w, h) = (profile.display.eye_width, profile.display.eye_height);
    let quad = depth_at(QUAD_M, NEAR_PLANE);
    for eye in 0..2usize {
        let vp = frame.eyes[eye].view_projection();
        // The quad's rows, a margin inside its edges.
        let row = |y: f32| ((1.0 - vp.project_point3(glam::Vec3::new(0.0, y, -QUAD_M)).y) / 2.0 * h as f32) as u32;
        let (top, bottom) = (row(0.4) + 3, row(-0.4) - 3);
        // Per pixel: the truth's real surface, clearly nearer (true) or farther (false) than the
        // quad; None within 10 % of it, where unknown, or within two pixels of a change.
        let side = |x: i64, y: i64| -> Option<bool> {
            let (x, y) = (x.clamp(0, w as i64 - 1) as f32, y.clamp(0, h as i64 - 1) as f32);
            let hit = passthrough.lookup(frame.head, vp, Vec2::new(x, y), Vec2::new(w as f32, h as f32), Some(&truth))?;
            (hit.depth > 0.0 && (hit.depth / quad - 1.0).abs() > 0.1).then_some(hit.depth > quad)
        };
        let (mut checked, mut wrong, mut nearer) = (0usize, 0usize, 0usize);
        for y in top..bottom {
            for x in 0..w {
                let (xi, yi) = (i64::from(x), i64::from(y));
                let Some(real_nearer) = side(xi, yi) else { continue };
                if [(-2, 0), (2, 0), (0, -2), (0, 2)].iter().any(|(dx, dy)| side(xi + dx, yi + dy) != Some(real_nearer)) {
                    continue;
                }
                let p = image.get_pixel(x + eye as u32 * w, y).0;
                let shows_quad = p[0] > 240 && p[1] < 15 && p[2] > 240;
                checked += 1;
                nearer += usize::from(real_nearer);
                wrong += usize::from(shows_quad == real_nearer);
            }
        }
        let path = std::env::temp_dir().join(format!("visor-depth-occlusion-{}.png", std::process::id()));
        image.save(&path).unwrap();
        println!("eye {eye}: {wrong} of {checked} pixels on the wrong side ({nearer} with the motorcycle in front)");
        assert!(
            nearer > checked / 10 && nearer < checked * 9 / 10,
            "eye {eye}: the motorcycle and the wall are both behind the quad's rows"
        );
        // Matched depth is wrong on some pixels (the bad-2.0 rate above); 97 % must agree.
        assert!(wrong * 100 <= checked * 3, "eye {eye}: {wrong} of {checked} wrong; see {}", path.display());
    }
}

#[test]
fn depth_needs_the_depth_device() {
    let (host, _) = depth_from_the_module();
    let policy =
        visor_runtime::policy::Policy::parse("[modules.peek]\nsubscribe = [\"camera/#\"]\ndevices = [\"camera\"]\n", "test").unwrap();
    let manifest = visor_runtime::manifest::Manifest::parse(
        "name = \"peek\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"p.wasm\" }\n\
         [capabilities]\nsubscribe = [\"camera/frames\", \"camera/depth\"]\ndevices = [\"camera\"]\n",
        "peek",
    )
    .unwrap();
    let grant = policy.grant(&manifest);
    let caps = BusCapabilities { subscribe: grant.effective.subscribe.clone(), ..Default::default() };
    let peek = host.bus().endpoint(ModuleRef::new(901, "peek"), caps);
    assert!(peek.subscribe(TopicPattern::from_str("camera/depth").unwrap(), QueueOptions::latest(1)).is_err(), "{:?}", grant.denied);
    let frames = peek.subscribe(TopicPattern::from_str("camera/frames").unwrap(), QueueOptions::latest(1)).unwrap();
    frames.recv_timeout(Duration::from_secs(30)).expect("the picture it was granted");
}

#[test]
fn visor_depth_writes_16_bit_maps_anyone_can_score() {
    let out = tempfile::tempdir().unwrap();
    let m = repo().join("assets/camera/motorcycle");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_visor"))
        .args(["depth", "--focal", "994.9778", "--baseline", "193.001", "--doffs", "31.0858", "--out"])
        .arg(out.path())
        .arg("--truth")
        .arg(m.join("disparity-truth.png"))
        .arg(m.join("left.png"))
        .arg(m.join("right.png"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("bad 2.0: 9.8") || stdout.contains("bad 2.0: 9.9"), "{stdout}");
    for name in ["disparity.png", "depth.png"] {
        let image = image::open(out.path().join(name)).unwrap();
        assert!(matches!(image, image::DynamicImage::ImageLuma16(_)), "{name} is 16-bit grey");
        assert_eq!((image.width(), image.height()), (741, 500));
    }
    // Its depth agrees with the module's rig: the wall behind the motorcycle is 3 to 6 m away.
    let depth = image::open(out.path().join("depth.png")).unwrap().into_luma16();
    let mm = depth.get_pixel(370, 60).0[0];
    assert!((3000..6000).contains(&mm), "the wall at the top middle is {mm} mm away");

    // A missing image is named, with the fix.
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_visor"))
        .args(["depth", "--focal", "1", "--baseline", "1", "--out"])
        .arg(out.path())
        .arg(m.join("left.png"))
        .arg(m.join("nope.png"))
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success() && stderr.contains("nope.png") && stderr.contains("check the path"), "{stderr}");
}

/// A session that recorded a depth camera's 16-bit depth beside its pictures plays it through
/// the camera driver (`camera/depth/z16`), and the depth module passes it on as it was recorded.
#[test]
fn recorded_depth_goes_out_as_it_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let session = session();
    let truth = truth_depth(&session);
    image::ImageBuffer::<image::Luma<u16>, _>::from_raw(truth.width, truth.height, truth.millimetres.to_vec())
        .unwrap()
        .save(dir.path().join("depth.png"))
        .unwrap();
    std::fs::copy(&session.frames[0].path, dir.path().join("left.png")).unwrap();
    let k = session.intrinsics;
    std::fs::write(
        dir.path().join("session.toml"),
        format!(
            "format = 1\nwidth = 741\nheight = 500\nintrinsics = {{ fx = {}, fy = {}, cx = {}, cy = {} }}\n\
             [[frames]]\nfile = \"left.png\"\ndepth = \"depth.png\"\ntimestamp_ns = 0\n\
             [[frames]]\nfile = \"left.png\"\ndepth = \"depth.png\"\ntimestamp_ns = 100000000\n",
            k.fx, k.fy, k.cx, k.cy
        ),
    )
    .unwrap();
    let text = format!(
        "name = \"z16\"\n[display]\nkind = \"passthrough\"\neyes = 1\neye_width = 64\neye_height = 48\nrefresh_hz = 30\n\
         fov_deg = {{ left = -20, right = 20, up = 15, down = -15 }}\nipd_mm = 64\n\
         [camera]\nsource = \"replay\"\nfolder = {:?}\nfps = 10\n[depth]\nsource = \"camera\"\n",
        dir.path().display().to_string()
    );
    let profile = DeviceProfile::from_toml(&text, "z16 profile").unwrap();
    let (_host, depth) = depth_of(&profile);
    assert_eq!((depth.width, depth.height), (741, 500));
    assert_eq!(&*depth.millimetres, &*truth.millimetres, "the depth as recorded");
    assert!(depth.millimetres.iter().zip(depth.confidence.iter()).all(|(&mm, &c)| (mm > 0) == (c == 255)), "known pixels are trusted");
}

/// The synthetic source says it is synthetic, and its scene is the one it describes: the wall
/// at `wall_m` around the box.
#[test]
fn synthetic_depth_is_labelled_and_is_the_scene_it_says() {
    let text = "name = \"synthetic depth\"\n[display]\nkind = \"passthrough\"\neyes = 1\neye_width = 64\neye_height = 48\n\
                refresh_hz = 30\nfov_deg = { left = -45, right = 45, up = 36.87, down = -36.87 }\nipd_mm = 64\n\
                [camera]\nsource = \"synthetic\"\nwidth = 160\nheight = 120\nfps = 30\n[depth]\nsource = \"synthetic\"\nwall_m = 4.0\n";
    let profile = DeviceProfile::from_toml(text, "synthetic depth profile").unwrap();
    let clock = MonotonicClock::shared();
    let bus = visor_runtime::bus::Bus::new(clock.clone());
    let feed = FrameFeed::new(visor::shell::frame_info(&profile, 0, 0, glam::Mat4::IDENTITY));
    let mut host = ModuleHost::new(bus, AppEngine::new().unwrap(), feed, clock.clone(), Default::default(), 60.0);
    let caps = BusCapabilities { subscribe: vec![TopicPattern::from_str("camera/depth/#").unwrap()], ..Default::default() };
    let reader = host.bus().endpoint(ModuleRef::new(900, "reader"), caps);
    let info = reader.subscribe(TopicPattern::from_str("camera/depth/info").unwrap(), QueueOptions::latest(4)).unwrap();
    let depth = reader.subscribe(TopicPattern::from_str("camera/depth").unwrap(), QueueOptions::latest(1)).unwrap();
    let still = Arc::new(visor_drivers::pose::SimulatorPose::new(clock.clone()));
    visor::builtin::register(&mut host, &profile, &repo(), clock, still);
    visor::builtin::load(&mut host, &repo(), &visor::builtin::drivers_of(&profile)).unwrap();
    let said: serde_json::Value = info.recv_timeout(Duration::from_secs(30)).unwrap().payload.decode().unwrap();
    assert_eq!(said["measured"], false, "{said}");
    assert!(said["source"].as_str().unwrap().contains("synthetic"), "{said}");
    let frame = depth.recv_timeout(Duration::from_secs(30)).unwrap().payload.as_frame().and_then(FrameHandle::to_depth).unwrap();
    assert_eq!((frame.width, frame.height), (160, 120));
    assert_eq!(frame.millimetres[0], 4000, "the wall in the corner");
    assert!(frame.millimetres.iter().all(|&mm| mm == 4000 || mm == 2000), "a wall and a box halfway to it");
    assert!(frame.millimetres.contains(&2000), "the box is in view");
}

/// A stereo camera that sends both eyes in one frame (left half, right half) is split by the
/// camera driver and matched like a pair: the Motorcycle pair side by side, through the profile's
/// `[camera] stereo`, scores as the pair does.
#[test]
fn a_side_by_side_stereo_camera_is_matched_like_a_pair() {
    let dir = tempfile::tempdir().unwrap();
    let session = session();
    let (left, right) = (
        image::open(&session.frames[0].path).unwrap().into_rgba8(),
        image::open(session.frames[0].right.as_deref().unwrap()).unwrap().into_rgba8(),
    );
    let mut both = image::RgbaImage::new(left.width() * 2, left.height());
    image::imageops::replace(&mut both, &left, 0, 0);
    image::imageops::replace(&mut both, &right, i64::from(left.width()), 0);
    both.save(dir.path().join("frame-0000.png")).unwrap();
    let (k, stereo) = (session.intrinsics, session.stereo.unwrap());
    let text = format!(
        "name = \"sbs\"\n[display]\nkind = \"passthrough\"\neyes = 1\neye_width = 64\neye_height = 48\nrefresh_hz = 30\n\
         fov_deg = {{ left = -20, right = 20, up = 15, down = -15 }}\nipd_mm = 64\n\
         [camera]\nsource = \"replay\"\nfolder = {:?}\nfps = 10\n\
         intrinsics = {{ fx = {}, fy = {}, cx = {}, cy = {} }}\n\
         stereo = {{ layout = \"side-by-side\", baseline_mm = {}, doffs_px = {} }}\n[depth]\nsource = \"stereo\"\n",
        dir.path().display().to_string(),
        k.fx,
        k.fy,
        k.cx,
        k.cy,
        stereo.baseline_mm,
        stereo.doffs_px
    );
    let profile = DeviceProfile::from_toml(&text, "side-by-side profile").unwrap();
    let (_host, depth) = depth_of(&profile);
    assert_eq!((depth.width, depth.height), (741, 500), "one eye's size");
    let truth = Disparity::open_units(session.frames[0].disparity.as_deref().unwrap()).unwrap();
    let found = Disparity::from_millimetres(depth.width, depth.height, &depth.millimetres, &depth.confidence, &rig(&session));
    let s = score(&found, &truth, 2.0);
    assert!(s.bad_dense <= BAD_2_AT_MOST, "{s:?}");
}
