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
