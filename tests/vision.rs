//! Camera → vision → app, on real pixels: the astronaut clip (a recorded session of a camera
//! panning over a real photograph) played by the camera driver, faces found by the vision
//! module on the bus where the hand labels say, and the face-tags app's outline and label
//! composited around and beside the face.

mod common;

use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::Deserialize;
use visor::shell::Shell;
use visor_runtime::AppStatus;
use visor_runtime::bus::{BusCapabilities, ModuleRef, Overflow, QueueOptions, TopicPattern};
use visor_runtime::policy::Policy;
use visor_types::DeviceProfile;
use visor_types::clock::MonotonicClock;
use visor_vision::{BBox, Detections};

#[derive(Deserialize)]
struct Annotations {
    faces: Vec<Annotation>,
}

#[derive(Deserialize)]
struct Annotation {
    face: BBox,
}

fn annotations() -> Vec<BBox> {
    let path = common::repo().join("assets/camera/astronaut/annotations.json");
    let a: Annotations = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    a.faces.into_iter().map(|a| a.face).collect()
}

/// One 320x240 eye with the clip's 90-degree lens, so the passthrough shows the clip 1:1.
fn astronaut_profile() -> DeviceProfile {
    let text = r#"
        name = "astronaut-test"
        [display]
        kind = "passthrough"
        eyes = 1
        eye_width = 320
        eye_height = 240
        refresh_hz = 30
        fov_deg = { left = -45, right = 45, up = 36.8699, down = -36.8699 }
        ipd_mm = 64
        [camera]
        source = "replay"
        folder = "assets/camera/astronaut"
        fps = 30
        "#;
    DeviceProfile::from_toml(text, "astronaut test profile").expect("valid profile")
}

fn shell() -> Shell {
    let policy = Policy::parse("", "empty policy").unwrap();
    Shell::new(astronaut_profile(), &common::repo(), MonotonicClock::shared(), policy).expect("a shell")
}

#[test]
fn the_vision_module_publishes_the_astronauts_face_from_the_camera_driver() {
    let mut shell = shell();
    let caps = BusCapabilities {
        publish: vec![],
        subscribe: vec![TopicPattern::from_str("vision/#").unwrap()],
        messages_per_second: 0,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    };
    let tester = shell.modules.bus().endpoint(ModuleRef::new(990, "tester"), caps);
    let faces = tester
        .subscribe(TopicPattern::from_str("vision/faces").unwrap(), QueueOptions { capacity: 64, policy: Overflow::DropOldest })
        .unwrap();
    let vision = shell.modules.find("vision").expect("the built-in vision module is loaded");
    shell.modules.start(vision).unwrap();

    let labels = annotations();
    let mut seen = 0;
    let mut located = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen < 12 || !located {
        assert!(Instant::now() < deadline, "only {seen} detections in 60 s; vision is {:?}", shell.modules.info(vision).unwrap().status);
        let Ok(message) = faces.recv_timeout(Duration::from_millis(200)) else { continue };
        assert_eq!(&*message.sender.name, "vision");
        let d: Detections = message.payload.decode().unwrap();
        assert_eq!((d.frame_width, d.frame_height), (320, 240));
        assert_eq!(d.faces.len(), 1, "one face in frame {}: {:?}", d.frame_sequence, d.faces);
        let face = &d.faces[0];
        // Which clip frame this was is the driver's business; the face must match one label well.
        let best = labels.iter().map(|l| face.bbox.iou(l)).fold(0.0, f32::max);
        assert!(best > 0.6, "frame {}: box {:?} matches no label (best IoU {best:.2})", d.frame_sequence, face.bbox);
        // Positions start once vision has heard the camera's lens on `camera/info` (sent once a
        // second), and from then on every face has one.
        match face.position {
            Some([_, _, z]) => {
                located = true;
                assert!((0.15..1.0).contains(&z), "a face filling a third of a 90-degree view is tens of centimetres away, not {z} m");
            }
            None => assert!(!located, "frame {}: a position was known and is gone", d.frame_sequence),
        }
        assert!(message.sent_ns >= d.frame_timestamp_ns, "published after capture");
        seen += 1;
    }
    assert_eq!(shell.modules.info(vision).unwrap().status, AppStatus::Running);
}

/// Pixels of the tag's colour (outline #ffcc00 and label text), not found in the clip itself.
fn is_tag(p: &image::Rgba<u8>) -> bool {
    p[0] > 225 && (180..=230).contains(&p[1]) && p[2] < 70
}

#[test]
fn face_tags_outlines_the_face_and_labels_it_beside() {
    let mut shell = shell();
    let app = shell.launch(&common::component("face_tags"), &[]).expect("face-tags launches with its manifest");
    assert!(
        shell.modules.find("vision").is_some_and(|v| shell.modules.info(v).unwrap().status != AppStatus::Stopped),
        "starting face-tags started vision, which it depends on"
    );
    shell.wait_for_apps(Duration::from_secs(30));

    // The union of where the face is over the clip, in pixels of the 320x240 eye.
    let labels = annotations();
    let x0 = labels.iter().map(|b| b.x).fold(1.0, f32::min) * 320.0;
    let x1 = labels.iter().map(|b| b.x + b.w).fold(0.0, f32::max) * 320.0;
    let y0 = labels.iter().map(|b| b.y).fold(1.0, f32::min) * 240.0;
    let y1 = labels.iter().map(|b| b.y + b.h).fold(0.0, f32::max) * 240.0;
    let face_w = x1 - x0;
    let mut best = (0, 0, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut frame = 0;
    while Instant::now() < deadline {
        shell.step(frame, shell.clock.now_ns());
        frame += 1;
        let image = shell.compositor.read_frame().unwrap();
        let (mut around, mut beside, mut elsewhere) = (0, 0, 0);
        for (x, y, _) in image.enumerate_pixels().filter(|(_, _, p)| is_tag(p)) {
            let (x, y) = (x as f32, y as f32);
            let in_rows = y >= y0 - 0.15 * face_w && y <= y1 + 0.15 * face_w;
            if in_rows && x >= x0 - 0.15 * face_w && x <= x1 + 0.15 * face_w {
                around += 1;
            } else if in_rows && x > x1 && x <= x1 + 1.6 * face_w {
                beside += 1;
            } else {
                elsewhere += 1;
            }
        }
        best = best.max((around, beside, elsewhere));
        if around > 150 && beside > 30 {
            assert!(elsewhere < 20, "tag pixels far from the face: {elsewhere}");
            assert!(shell.modules.info(app).unwrap().status == AppStatus::Running);
            let _ = image.save(std::env::temp_dir().join("face-tags-passed.png"));
            return;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    let image = shell.compositor.read_frame().unwrap();
    let path = std::env::temp_dir().join("face-tags-actual.png");
    image.save(&path).unwrap();
    panic!(
        "no tag around and beside the face after {frame} frames (best: {best:?} tag pixels around/beside/elsewhere); last frame in {}",
        path.display()
    );
}

/// The stereo `faces` profile places the picture per eye (the clip is a photograph on a plane
/// at the face's distance): in each eye, the centre of the tag's outline shows the same point of
/// the picture, and that point is the centre of a face the vision module detected, within a few
/// pixels.
#[test]
#[allow(clippy::print_stdout, reason = "the measured offsets are the test's report")]
fn face_tags_sit_on_the_face_in_both_eyes_of_the_stereo_faces_profile() {
    let profile = DeviceProfile::load(&common::repo().join("device-profiles/faces.toml")).unwrap();
    let policy = Policy::parse("", "empty policy").unwrap();
    let mut shell = Shell::new(profile.clone(), &common::repo(), MonotonicClock::shared(), policy).expect("a shell");
    let caps = BusCapabilities { subscribe: vec![TopicPattern::from_str("vision/faces").unwrap()], ..Default::default() };
    let tap = shell.modules.bus().endpoint(ModuleRef::new(990, "tap"), caps);
    let faces = tap.subscribe(TopicPattern::from_str("vision/faces").unwrap(), QueueOptions::latest(64)).unwrap();
    shell.launch(&common::component("face_tags"), &[]).expect("face-tags launches");
    shell.wait_for_apps(Duration::from_secs(30));
    let (w, h) = (profile.display.eye_width, profile.display.eye_height);
    let passthrough = visor_types::Passthrough {
        intrinsics: visor_types::CameraIntrinsics { fx: 160.0, fy: 160.0, cx: 160.0, cy: 120.0 },
        size: (320, 240),
        head_from_camera: glam::Mat4::IDENTITY,
        reproject: true,
        plane_m: profile.camera.passthrough.plane_m,
    };
    // Centres (camera pixels) of the faces detected lately: the tag shows one of them.
    let mut detected: std::collections::VecDeque<glam::Vec2> = Default::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut frame = 0;
    let mut last = String::new();
    while Instant::now() < deadline {
        for m in faces.drain() {
            let Ok(d) = m.payload.decode::<Detections>() else { continue };
            if let Some(f) = d.faces.first().filter(|f| f.position.is_some()) {
                detected.push_front(glam::Vec2::new((f.bbox.x + f.bbox.w / 2.0) * 320.0, (f.bbox.y + f.bbox.h / 2.0) * 240.0));
                detected.truncate(30);
            }
        }
        shell.step(frame, shell.clock.now_ns());
        frame += 1;
        let image = shell.compositor.read_frame().unwrap();
        let shown = shell.displayed().clone();
        // Per eye, the picture point (camera pixels) under the outline's centre.
        let points: Vec<Option<glam::Vec2>> = (0..2usize)
            .map(|eye| {
                let centre = outline_centre(&image, eye as u32 * w, w, h)?;
                let vp = shown.eyes[eye].view_projection();
                passthrough.lookup(shown.head, vp, centre - 0.5, glam::Vec2::new(w as f32, h as f32), None).map(|hit| hit.camera_px)
            })
            .collect();
        if let [Some(left), Some(right)] = points[..] {
            // Eye pixels are half a camera pixel here (both see 90 degrees; the eye is twice as wide).
            let apart = left.distance(right) * 2.0;
            let off = detected.iter().map(|c| c.distance((left + right) / 2.0) * 2.0).fold(f32::MAX, f32::min);
            last = format!("the eyes' points {apart:.1} eye px apart, {off:.1} eye px from a detected face's centre");
            if apart <= 4.0 && off <= 4.0 {
                println!("face tags in stereo: {last}");
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    let path = std::env::temp_dir().join("face-tags-stereo.png");
    shell.compositor.read_frame().unwrap().save(&path).unwrap();
    panic!("the tag never sat on the face in both eyes (last: {last}); see {}", path.display());
}

/// The centre of the face tag's outline (linear (1, 0.8, 0), sRGB (255, 231, 0); the label's
/// text is (255, 204, 0)) in the eye whose viewport starts at column `x0`: its top and bottom
/// rows, and its left and right bars.
fn outline_centre(image: &image::RgbaImage, x0: u32, w: u32, h: u32) -> Option<glam::Vec2> {
    let outline = |p: &image::Rgba<u8>| p[0] > 245 && (222..=240).contains(&p[1]) && p[2] < 30;
    let tag: Vec<(u32, u32)> =
        (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).filter(|&(x, y)| outline(image.get_pixel(x0 + x, y))).collect();
    if tag.len() < 100 {
        return None;
    }
    let (top, bottom) = (tag.iter().map(|t| t.1).min()?, tag.iter().map(|t| t.1).max()?);
    let mut per_column = vec![0u32; w as usize];
    for &(x, _) in &tag {
        per_column[x as usize] += 1;
    }
    let bars: Vec<usize> = (0..w as usize).filter(|&x| per_column[x] * 2 > bottom - top).collect();
    let (left, right) = (*bars.first()?, *bars.last()?);
    (right > left).then(|| glam::Vec2::new((left + right + 1) as f32 / 2.0, (top + bottom + 1) as f32 / 2.0))
}
