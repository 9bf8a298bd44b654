//! From an RGBA8 camera frame to the model's input tensor, and back.
//!
//! The frame is letterboxed: scaled to fit the model's input whole, keeping its aspect ratio,
//! with the rest padded black — squashing a 4:3 frame into a square would make every face look
//! thinner than the model was trained on. Downscaling averages a small grid of bilinear taps per
//! output pixel (one per two source pixels spanned), so a 640-wide frame shrunk to 128 does not
//! alias. [`Letterbox`] maps model
//! coordinates back to the frame's own normalized coordinates.

use tract_onnx::prelude::Tensor;

use crate::VisionError;
use crate::config::{InputLayout, InputSpec};

/// A borrowed RGBA8 image (sRGB values, as cameras deliver them).
#[derive(Clone, Copy, Debug)]
pub struct ImageView<'a> {
    pub width: u32,
    pub height: u32,
    /// Bytes from one row's start to the next (≥ width × 4).
    pub stride: u32,
    pub rgba: &'a [u8],
}

impl<'a> ImageView<'a> {
    /// A view of tightly packed rows, checked to hold the pixels it claims.
    pub fn packed(width: u32, height: u32, rgba: &'a [u8]) -> Result<ImageView<'a>, VisionError> {
        let view = ImageView { width, height, stride: width.saturating_mul(4), rgba };
        view.check()?;
        Ok(view)
    }

    pub fn check(&self) -> Result<(), VisionError> {
        let need = (self.stride as usize) * (self.height as usize).saturating_sub(1) + self.width as usize * 4;
        if self.width == 0 || self.height == 0 || self.stride < self.width * 4 || self.rgba.len() < need {
            return Err(VisionError::BadImage { width: self.width, height: self.height, stride: self.stride, len: self.rgba.len() });
        }
        Ok(())
    }

    fn rgb(&self, x: u32, y: u32) -> [f32; 3] {
        let i = y as usize * self.stride as usize + x as usize * 4;
        [self.rgba[i] as f32, self.rgba[i + 1] as f32, self.rgba[i + 2] as f32]
    }
}

/// Where the frame sits inside the model input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Letterbox {
    /// Model pixels per frame pixel.
    pub scale: f32,
    pub pad_x: f32,
    pub pad_y: f32,
    pub frame_width: f32,
    pub frame_height: f32,
}

impl Letterbox {
    pub fn fit(frame: (u32, u32), input: (u32, u32)) -> Letterbox {
        let (fw, fh) = (frame.0 as f32, frame.1 as f32);
        let (iw, ih) = (input.0 as f32, input.1 as f32);
        let scale = (iw / fw).min(ih / fh);
        Letterbox { scale, pad_x: (iw - fw * scale) / 2.0, pad_y: (ih - fh * scale) / 2.0, frame_width: fw, frame_height: fh }
    }

    /// A point in model pixels → the frame's normalized coordinates (0..1 across each side).
    pub fn to_frame(self, x: f32, y: f32) -> [f32; 2] {
        [(x - self.pad_x) / self.scale / self.frame_width, (y - self.pad_y) / self.scale / self.frame_height]
    }

    /// A length in model pixels → normalized frame width and height.
    pub fn size_to_frame(self, w: f32, h: f32) -> [f32; 2] {
        [w / self.scale / self.frame_width, h / self.scale / self.frame_height]
    }
}

/// One output pixel's source taps along one axis: (source index, weight), the weights summing
/// to one. `None` where the output pixel lies in the letterbox padding.
fn axis_taps(outputs: usize, pad: f32, scale: f32, source: u32, offsets: &[f32]) -> Vec<Option<Vec<(usize, f32)>>> {
    let share = 1.0 / offsets.len() as f32;
    (0..outputs)
        .map(|o| {
            let centre = (o as f32 + 0.5 - pad) / scale;
            if centre < 0.0 || centre >= source as f32 {
                return None;
            }
            // Each offset is one bilinear tap: two source pixels, weighed by distance.
            let mut taps: Vec<(usize, f32)> = Vec::with_capacity(offsets.len() * 2);
            for d in offsets {
                let at = (centre + d - 0.5).clamp(0.0, (source - 1) as f32);
                let (i0, f) = (at.floor() as usize, at - at.floor());
                let i1 = (i0 + 1).min(source as usize - 1);
                taps.push((i0, (1.0 - f) * share));
                taps.push((i1, f * share));
            }
            Some(taps)
        })
        .collect()
}

/// Builds the model input for `image`.
///
/// The filter (a grid of bilinear taps per output pixel, averaged) is separable, so it runs as
/// two passes: every source row the output needs is filtered across once, then the rows are
/// blended down — a few multiply-adds per output value instead of the whole grid's reads.
pub fn to_tensor(image: ImageView<'_>, spec: &InputSpec) -> Result<(Tensor, Letterbox), VisionError> {
    image.check()?;
    let (iw, ih) = (spec.width as usize, spec.height as usize);
    let letterbox = Letterbox::fit((image.width, image.height), (spec.width, spec.height));
    // Bilinear taps per output pixel along each axis: each tap already blends a 2x2
    // neighbourhood, so about one tap per two source pixels spanned covers the footprint.
    let taps = (0.5 / letterbox.scale).ceil().clamp(1.0, 4.0) as usize;
    let step = 1.0 / letterbox.scale / taps as f32;
    let offsets: Vec<f32> = (0..taps).map(|t| (t as f32 + 0.5 - taps as f32 / 2.0) * step).collect();
    let columns = axis_taps(iw, letterbox.pad_x, letterbox.scale, image.width, &offsets);
    let rows = axis_taps(ih, letterbox.pad_y, letterbox.scale, image.height, &offsets);

    // Across: each needed source row, filtered to the output's width (RGB per output column).
    let mut across: Vec<Option<Vec<[f32; 3]>>> = vec![None; image.height as usize];
    for &(row, _) in rows.iter().flatten().flatten() {
        if across[row].is_some() {
            continue;
        }
        let line = columns
            .iter()
            .map(|taps| {
                let mut sum = [0.0f32; 3];
                for &(column, weight) in taps.iter().flatten() {
                    let p = image.rgb(column as u32, row as u32);
                    (0..3).for_each(|k| sum[k] += p[k] * weight);
                }
                sum
            })
            .collect();
        across[row] = Some(line);
    }

    let [lo, hi] = spec.range;
    let gain = (hi - lo) / 255.0;
    let mut data = vec![lo; iw * ih * 3];
    for (y, row_taps) in rows.iter().enumerate() {
        let Some(row_taps) = row_taps else { continue };
        for (x, column_taps) in columns.iter().enumerate() {
            if column_taps.is_none() {
                continue;
            }
            let mut sum = [0.0f32; 3];
            for &(row, weight) in row_taps {
                let p = across[row].as_ref().map_or([0.0; 3], |line| line[x]);
                (0..3).for_each(|k| sum[k] += p[k] * weight);
            }
            for (k, channel) in sum.iter().enumerate() {
                let index = match spec.layout {
                    InputLayout::Nhwc => (y * iw + x) * 3 + k,
                    InputLayout::Nchw => k * iw * ih + y * iw + x,
                };
                data[index] = lo + channel * gain;
            }
        }
    }
    let shape: &[usize] = match spec.layout {
        InputLayout::Nhwc => &[1, ih, iw, 3],
        InputLayout::Nchw => &[1, 3, ih, iw],
    };
    let tensor = Tensor::from_shape(shape, &data).map_err(|e| VisionError::Inference(format!("{e:#}")))?;
    Ok((tensor, letterbox))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letterbox_round_trips_the_frame_corners() {
        let lb = Letterbox::fit((640, 480), (128, 128));
        assert_eq!((lb.scale, lb.pad_x, lb.pad_y), (0.2, 0.0, 16.0));
        assert_eq!(lb.to_frame(0.0, 16.0), [0.0, 0.0]);
        let [x, y] = lb.to_frame(128.0, 112.0);
        assert!((x - 1.0).abs() < 1e-6 && (y - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_white_frame_fills_the_picture_and_pads_black() {
        let rgba = vec![255u8; 64 * 32 * 4];
        let spec = InputSpec { width: 16, height: 16, layout: InputLayout::Nhwc, range: [-1.0, 1.0] };
        let (tensor, _) = to_tensor(ImageView::packed(64, 32, &rgba).unwrap(), &spec).unwrap();
        let v = tensor.to_plain_array_view::<f32>().unwrap();
        assert_eq!(v[[0, 0, 0, 0]], -1.0, "top padding row is black");
        assert!((v[[0, 8, 8, 1]] - 1.0).abs() < 1e-5, "picture is white");
    }

    /// The filter written directly: every bilinear tap of the grid, read and averaged.
    fn direct(image: ImageView<'_>, spec: &InputSpec) -> Vec<f32> {
        let lb = Letterbox::fit((image.width, image.height), (spec.width, spec.height));
        let taps = (0.5 / lb.scale).ceil().clamp(1.0, 4.0) as usize;
        let step = 1.0 / lb.scale / taps as f32;
        let offsets: Vec<f32> = (0..taps).map(|t| (t as f32 + 0.5 - taps as f32 / 2.0) * step).collect();
        let sample = |x: f32, y: f32| -> [f32; 3] {
            let x = (x - 0.5).clamp(0.0, (image.width - 1) as f32);
            let y = (y - 0.5).clamp(0.0, (image.height - 1) as f32);
            let (x0, y0) = (x.floor() as u32, y.floor() as u32);
            let (x1, y1) = ((x0 + 1).min(image.width - 1), (y0 + 1).min(image.height - 1));
            let (fx, fy) = (x - x0 as f32, y - y0 as f32);
            let (a, b, c, d) = (image.rgb(x0, y0), image.rgb(x1, y0), image.rgb(x0, y1), image.rgb(x1, y1));
            std::array::from_fn(|k| (a[k] * (1.0 - fx) + b[k] * fx) * (1.0 - fy) + (c[k] * (1.0 - fx) + d[k] * fx) * fy)
        };
        let (iw, ih) = (spec.width as usize, spec.height as usize);
        let mut out = vec![spec.range[0]; iw * ih * 3];
        for y in 0..ih {
            for x in 0..iw {
                let (fx, fy) = ((x as f32 + 0.5 - lb.pad_x) / lb.scale, (y as f32 + 0.5 - lb.pad_y) / lb.scale);
                if fx < 0.0 || fy < 0.0 || fx >= image.width as f32 || fy >= image.height as f32 {
                    continue;
                }
                let mut sum = [0.0f32; 3];
                for dy in &offsets {
                    for dx in &offsets {
                        let s = sample(fx + dx, fy + dy);
                        (0..3).for_each(|k| sum[k] += s[k]);
                    }
                }
                for k in 0..3 {
                    let n = (taps * taps) as f32;
                    out[(y * iw + x) * 3 + k] = spec.range[0] + sum[k] / n * (spec.range[1] - spec.range[0]) / 255.0;
                }
            }
        }
        out
    }

    #[test]
    fn the_two_pass_filter_equals_the_grid_of_taps() {
        for (w, h) in [(320, 240), (640, 480), (100, 300), (57, 31), (1280, 720)] {
            let rgba: Vec<u8> = (0..w * h * 4).map(|i| ((i * 7919) % 251) as u8).collect();
            let spec = InputSpec { width: 128, height: 128, layout: InputLayout::Nhwc, range: [-1.0, 1.0] };
            let image = ImageView::packed(w, h, &rgba).unwrap();
            let (tensor, _) = to_tensor(image, &spec).unwrap();
            let fast = tensor.to_plain_array_view::<f32>().unwrap().iter().copied().collect::<Vec<_>>();
            let slow = direct(image, &spec);
            let worst = fast.iter().zip(&slow).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(worst < 1e-4, "{w}x{h}: off by {worst}");
        }
    }

    #[test]
    fn a_short_buffer_is_an_error_not_a_panic() {
        let err = ImageView::packed(10, 10, &[0u8; 12]).unwrap_err();
        assert!(err.to_string().contains("10x10"), "{err}");
    }
}
