use std::sync::Arc;

use visor_types::CameraFrame;

use super::{bus, endpoint, pattern, topic};
use crate::bus::{BusError, FrameHandle, Payload, PixelFormat, QueueOptions};

/// A `width` × `height` RGBA frame whose pixel (x, y) holds bytes [x, y, 0, 255].
fn gradient(width: u32, height: u32) -> FrameHandle {
    let pixels: Vec<u8> = (0..height).flat_map(|y| (0..width).flat_map(move |x| [x as u8, y as u8, 0, 255])).collect();
    let frame = CameraFrame { width, height, pixels: pixels.into(), timestamp_ns: 7, sequence: 3 };
    FrameHandle::from_camera(&frame).unwrap()
}

#[test]
fn a_frame_fans_out_to_four_subscribers_without_copying_pixels() {
    let (bus, _) = bus();
    let camera = endpoint(&bus, 1, "camera", &["camera/#"], &[]);
    let subscribers: Vec<_> = (0..4)
        .map(|i| {
            let app = endpoint(&bus, 10 + i, &format!("app{i}"), &[], &["camera/#"]);
            let sub = app.subscribe(pattern("camera/+/frames"), QueueOptions::latest(2)).unwrap();
            (app, sub)
        })
        .collect();
    let frame = FrameHandle::new(1920, 1080, 1920 * 4, PixelFormat::Rgba8, vec![0u8; 1920 * 1080 * 4].into(), 1, 1).unwrap();
    let report = camera.publish(&topic("camera/front/frames"), Payload::Frame(frame.clone())).unwrap();
    assert_eq!(report.delivered, 4);
    let received: Vec<_> = subscribers.iter().map(|(_, sub)| sub.try_recv().unwrap()).collect();
    for message in &received {
        let shared = message.payload.as_frame().unwrap();
        assert!(shared.ptr_eq(&frame), "the subscriber holds the publisher's buffer");
        assert!(Arc::ptr_eq(shared.pixels(), frame.pixels()));
    }
    // The publisher's handle and the four delivered ones are one shared description, which
    // holds the only reference to the pixels: nothing was copied, not even the handle.
    assert_eq!(Arc::strong_count(frame.pixels()), 1);
}

#[test]
fn read_region_copies_exactly_the_region() {
    let frame = gradient(8, 6);
    let region = frame.read_region(2, 3, 3, 2).unwrap();
    let expected: Vec<u8> = [3u8, 4].iter().flat_map(|&y| (2u8..5).flat_map(move |x| [x, y, 0, 255])).collect();
    assert_eq!(region, expected);
    assert_eq!(frame.read_region(0, 0, 8, 6).unwrap(), frame.pixels().to_vec());
    assert!(frame.read_region(8, 6, 0, 0).unwrap().is_empty());
    let mut dst = [0u8; 4];
    frame.copy_region_to(7, 5, 1, 1, &mut dst).unwrap();
    assert_eq!(dst, [7, 5, 0, 255]);
    let short = frame.copy_region_to(0, 0, 2, 1, &mut dst).unwrap_err();
    assert!(matches!(short, BusError::RegionBuffer { needed: 8, len: 4, .. }), "{short}");
}

#[test]
fn read_region_refuses_regions_outside_the_frame() {
    let frame = gradient(8, 6);
    for (x, y, w, h) in [(0, 0, 9, 1), (7, 0, 2, 1), (0, 6, 1, 1), (0, 5, 1, 2), (u32::MAX, 0, 2, 1), (0, 0, 1, u32::MAX)] {
        let error = frame.read_region(x, y, w, h).unwrap_err();
        assert_eq!(error, BusError::RegionOutOfBounds { x, y, w, h, width: 8, height: 6 });
    }
    let message = frame.read_region(4, 4, 8, 8).unwrap_err().to_string();
    assert_eq!(message, "region at (4, 4) of 8x8 pixels reaches outside the 8x6 frame; ask for a region inside it");
}

#[test]
fn frames_must_hold_the_pixels_they_claim() {
    let short: Arc<[u8]> = vec![0u8; 10].into();
    let error = FrameHandle::new(2, 2, 8, PixelFormat::Rgba8, short.clone(), 0, 0).unwrap_err();
    assert!(error.to_string().contains("needs 16 bytes of pixels, got 10"), "{error}");
    let error = FrameHandle::new(4, 1, 8, PixelFormat::Rgba8, short, 0, 0).unwrap_err();
    assert!(error.to_string().contains("stride of 8 bytes is shorter than a row"), "{error}");
    // A padded stride: rows 12 bytes apart, 2 pixels each; the last row may stop short.
    let padded: Arc<[u8]> = (0u8..20).collect::<Vec<_>>().into();
    let frame = FrameHandle::new(2, 2, 12, PixelFormat::Rgba8, padded, 0, 0).unwrap();
    assert_eq!(frame.read_region(1, 1, 1, 1).unwrap(), [16, 17, 18, 19]);
}

#[test]
fn payloads_decode_from_json_bytes_text_and_empty() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Face {
        x: f32,
        y: f32,
    }
    let face = Face { x: 1.0, y: 2.5 };
    assert_eq!(Payload::json(&face).unwrap().decode::<Face>().unwrap(), face);
    assert_eq!(Payload::bytes(&br#"{"x":1.0,"y":2.5}"#[..]).decode::<Face>().unwrap(), face);
    assert_eq!(Payload::text(r#"{"x":1.0,"y":2.5}"#).decode::<Face>().unwrap(), face);
    assert_eq!(Payload::Empty.decode::<Option<Face>>().unwrap(), None);
    let error = Payload::text("nope").decode::<Face>().unwrap_err();
    assert!(error.to_string().contains("could not be read as"), "{error}");
    let error = Payload::Frame(gradient(1, 1)).decode::<Face>().unwrap_err();
    assert!(error.to_string().contains("as_frame()"), "{error}");
}

#[test]
fn depth_frames_round_trip_and_read_as_their_layout() {
    let frame = visor_types::DepthFrame {
        width: 3,
        height: 2,
        millimetres: vec![0, 1000, 65535, 1, 2, 3].into(),
        confidence: vec![0, 200, 255, 9, 8, 7].into(),
        timestamp_ns: 5,
        sequence: 6,
    };
    let handle = FrameHandle::from_depth(&frame).unwrap();
    assert_eq!(handle.format(), PixelFormat::DepthConfidence);
    // A guest reads 4 bytes a pixel: millimetres little-endian, confidence, 0.
    assert_eq!(handle.read_region(1, 0, 1, 1).unwrap(), vec![0xe8, 0x03, 200, 0]);
    let back = handle.to_depth().unwrap();
    assert_eq!((&*back.millimetres, &*back.confidence, back.sequence), (&*frame.millimetres, &*frame.confidence, 6));

    let z16 = FrameHandle::from_z16(3, 2, &frame.millimetres, 5, 6).unwrap();
    assert_eq!(z16.region_len(3, 2), 12);
    let back = z16.to_depth().unwrap();
    assert_eq!(&*back.millimetres, &*frame.millimetres);
    assert_eq!(&*back.confidence, &[0, 255, 255, 255, 255, 255]);
    assert!(gradient(2, 2).to_depth().is_none());
    let short = visor_types::DepthFrame { confidence: vec![0].into(), ..frame };
    assert!(FrameHandle::from_depth(&short).is_err());
}
