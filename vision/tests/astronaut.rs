//! The bundled BlazeFace model on real pixels: every frame of the astronaut clip has its face
//! found where the hand label says, and a clip without people has none.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use visor_vision::{BBox, Detector, DetectorConfig, ImageView};

#[derive(Deserialize)]
struct Annotations {
    faces: Vec<Annotation>,
}

#[derive(Deserialize)]
struct Annotation {
    file: String,
    face: BBox,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn detector() -> Detector {
    Detector::load(DetectorConfig::default(), &repo()).expect("the bundled model loads")
}

fn load(path: &Path) -> image::RgbaImage {
    image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgba8()
}

#[test]
fn finds_the_astronauts_face_in_every_frame_of_the_clip() {
    let detector = detector();
    let clip = repo().join("assets/camera/astronaut");
    let text = std::fs::read_to_string(clip.join("annotations.json")).unwrap();
    let annotations: Annotations = serde_json::from_str(&text).unwrap();
    assert_eq!(annotations.faces.len(), 12);
    for a in &annotations.faces {
        let frame = load(&clip.join(&a.file));
        let view = ImageView::packed(frame.width(), frame.height(), frame.as_raw()).unwrap();
        let faces = detector.detect(view).unwrap();
        assert_eq!(faces.len(), 1, "{}: expected one face, got {faces:?}", a.file);
        let found = &faces[0];
        let iou = found.bbox.iou(&a.face);
        assert!(iou > 0.6, "{}: box {:?} vs label {:?} (IoU {iou:.2})", a.file, found.bbox, a.face);
        assert!(found.score > 0.8, "{}: score {}", a.file, found.score);
        // Both eyes and the nose fall inside the labelled box, eyes above the nose.
        let [right_eye, left_eye, nose] = [found.landmarks[0], found.landmarks[1], found.landmarks[2]];
        for [x, y] in [right_eye, left_eye, nose] {
            assert!(
                x > a.face.x && x < a.face.x + a.face.w && y > a.face.y && y < a.face.y + a.face.h,
                "{}: landmark {x},{y} outside {:?}",
                a.file,
                a.face
            );
        }
        assert!(right_eye[1] < nose[1] && left_eye[1] < nose[1], "{}: eyes below the nose", a.file);
    }
}

#[test]
fn a_clip_without_people_has_no_faces() {
    let detector = detector();
    let desk = repo().join("assets/camera/desk");
    let mut files: Vec<_> =
        std::fs::read_dir(&desk).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "jpg")).collect();
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let frame = load(&path);
        let faces = detector.detect(ImageView::packed(frame.width(), frame.height(), frame.as_raw()).unwrap()).unwrap();
        assert!(faces.is_empty(), "{}: {faces:?}", path.display());
    }
}

#[test]
fn a_missing_model_names_the_file_and_the_setting() {
    let config = DetectorConfig { model: "assets/models/nope.onnx".into(), ..DetectorConfig::default() };
    let err = Detector::load(config, &repo()).err().expect("must fail").to_string();
    assert!(err.contains("nope.onnx") && err.contains("`model`"), "{err}");
}

#[test]
fn a_file_that_is_not_a_model_is_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.onnx");
    std::fs::write(&junk, b"this is not protobuf \xff\xfe").unwrap();
    let config = DetectorConfig { model: junk.clone(), ..DetectorConfig::default() };
    let err = Detector::load(config, &repo()).err().expect("must fail").to_string();
    assert!(err.contains("junk.onnx"), "{err}");
}
