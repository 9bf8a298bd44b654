//! Where the composited frame lands in the window: both eyes side by side or the left eye
//! alone, scaled to fit the window with its aspect kept (bars fill the rest), and the way back
//! from a window pixel to a pixel of the compositor's output frame for pointing at apps.
//!
//! Pure arithmetic on sizes, so the present pass and the mouse agree by construction.

/// A rectangle in pixels: origin at the top left, y down.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Rect {
    fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.width && y < self.y + self.height
    }
}

/// How the output frame (`eyes` eyes of `eye_width` x `eye_height` side by side) is shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub eye_width: u32,
    pub eye_height: u32,
    pub eyes: u32,
    /// Both eyes (true) or the left eye alone.
    pub stereo: bool,
}

impl View {
    /// The part of the output frame on show, in output pixels.
    pub fn source(&self) -> Rect {
        let eyes = if self.stereo { self.eyes } else { 1 };
        Rect { x: 0.0, y: 0.0, width: (self.eye_width * eyes) as f32, height: self.eye_height as f32 }
    }

    /// The same, as texture coordinates of the output frame: (u0, v0, u1, v1).
    pub fn source_uv(&self) -> [f32; 4] {
        let s = self.source();
        let (w, h) = ((self.eye_width * self.eyes) as f32, self.eye_height as f32);
        [s.x / w, s.y / h, (s.x + s.width) / w, (s.y + s.height) / h]
    }

    /// Where the source lands in a `width` x `height` window: as large as fits, centred, its
    /// aspect kept. Whole pixels, so the picture's edges do not shimmer as the window resizes.
    pub fn letterbox(&self, width: u32, height: u32) -> Rect {
        let s = self.source();
        let scale = (width as f32 / s.width).min(height as f32 / s.height);
        let (w, h) = ((s.width * scale).round().max(1.0), (s.height * scale).round().max(1.0));
        Rect { x: ((width as f32 - w) / 2.0).floor(), y: ((height as f32 - h) / 2.0).floor(), width: w, height: h }
    }

    /// The output-frame pixel under window pixel (`x`, `y`), or `None` over the bars.
    pub fn frame_point(&self, window: (u32, u32), x: f32, y: f32) -> Option<(f32, f32)> {
        let dst = self.letterbox(window.0, window.1);
        dst.contains(x, y).then(|| self.frame_point_clamped(window, x, y))
    }

    /// As [`View::frame_point`], pinned to the frame's edge outside it: where a drag that left
    /// the picture lets go.
    pub fn frame_point_clamped(&self, window: (u32, u32), x: f32, y: f32) -> (f32, f32) {
        let (dst, src) = (self.letterbox(window.0, window.1), self.source());
        let u = ((x - dst.x) / dst.width).clamp(0.0, 1.0);
        let v = ((y - dst.y) / dst.height).clamp(0.0, 1.0);
        let max_x = src.x + src.width - 1.0;
        let max_y = src.y + src.height - 1.0;
        ((src.x + u * src.width).min(max_x), (src.y + v * src.height).min(max_y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEREO: View = View { eye_width: 640, eye_height: 480, eyes: 2, stereo: true };
    const MONO: View = View { stereo: false, ..STEREO };

    #[test]
    fn an_exact_fit_fills_the_window() {
        assert_eq!(STEREO.letterbox(1280, 480), Rect { x: 0.0, y: 0.0, width: 1280.0, height: 480.0 });
    }

    #[test]
    fn a_tall_window_gets_bars_above_and_below() {
        // 1280x480 into 1280x720: full width, 120 px bars.
        assert_eq!(STEREO.letterbox(1280, 720), Rect { x: 0.0, y: 120.0, width: 1280.0, height: 480.0 });
    }

    #[test]
    fn a_wide_window_gets_bars_left_and_right() {
        // One 4:3 eye into 1280x480: 640 wide, centred.
        assert_eq!(MONO.letterbox(1280, 480), Rect { x: 320.0, y: 0.0, width: 640.0, height: 480.0 });
        assert_eq!(MONO.source_uv(), [0.0, 0.0, 0.5, 1.0]);
        assert_eq!(STEREO.source_uv(), [0.0, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn the_mouse_maps_back_to_frame_pixels() {
        // Stereo at half size: window pixel (320, 120) is output pixel (640, 240), the right
        // eye's left edge.
        assert_eq!(STEREO.frame_point((640, 240), 320.0, 120.0), Some((640.0, 240.0)));
        // Mono in a wide window: the left bar is outside, the picture's centre is the eye's.
        assert_eq!(MONO.frame_point((1280, 480), 100.0, 240.0), None);
        assert_eq!(MONO.frame_point((1280, 480), 640.0, 240.0), Some((320.0, 240.0)));
        // Clamped: past the right edge pins to the last column of the left eye.
        assert_eq!(MONO.frame_point_clamped((1280, 480), 1270.0, 10.0), (639.0, 10.0));
    }

    #[test]
    fn a_one_pixel_window_still_has_a_picture() {
        let r = STEREO.letterbox(1, 1);
        assert!(r.width >= 1.0 && r.height >= 1.0, "{r:?}");
    }
}
