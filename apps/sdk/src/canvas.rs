//! A tiny RGBA canvas with 8x8 bitmap text (glyphs from the public-domain `font8x8` tables), for
//! apps that draw their own labels into a texture.

use font8x8::legacy::BASIC_LEGACY;

/// RGBA pixels, row by row from the top, ready for `gfx::update_texture`.
///
/// ```
/// use visor_sdk::canvas::Canvas;
/// let mut canvas = Canvas::new(64, 16);
/// canvas.clear([0, 0, 0, 255]);
/// canvas.text(0, 0, "Hi", 1, [255, 255, 255, 255]);
/// assert_eq!(Canvas::text_width("Hi", 2), 32);
/// // Some of the "H" is white; the far corner stays black.
/// assert!(canvas.pixels()[..64 * 8 * 4].chunks(4).any(|px| px == [255, 255, 255, 255]));
/// assert_eq!(&canvas.pixels()[canvas.pixels().len() - 4..], &[0, 0, 0, 255]);
/// ```
pub struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    pub fn new(width: u32, height: u32) -> Self {
        Canvas { width, height, pixels: vec![0; (width * height * 4) as usize] }
    }

    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    pub fn clear(&mut self, rgba: [u8; 4]) {
        for px in self.pixels.chunks_exact_mut(4) {
            px.copy_from_slice(&rgba);
        }
    }

    /// Draw ASCII `text` with its top-left at (x, y), each font pixel `scale` canvas pixels.
    pub fn text(&mut self, x: u32, y: u32, text: &str, scale: u32, rgba: [u8; 4]) {
        let mut pen = x;
        for ch in text.chars() {
            let glyph = BASIC_LEGACY.get(ch as usize).copied().unwrap_or(BASIC_LEGACY[b'?' as usize]);
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8u32 {
                    if bits & (1 << col) != 0 {
                        self.fill(pen + col * scale, y + row as u32 * scale, scale, rgba);
                    }
                }
            }
            pen += 8 * scale;
        }
    }

    /// How wide `text` draws at `scale`, in canvas pixels.
    pub fn text_width(text: &str, scale: u32) -> u32 {
        text.chars().count() as u32 * 8 * scale
    }

    /// Fill a rectangle (clipped to the canvas).
    pub fn rect(&mut self, x: u32, y: u32, width: u32, height: u32, rgba: [u8; 4]) {
        for py in y..y.saturating_add(height).min(self.height) {
            for px in x..x.saturating_add(width).min(self.width) {
                let i = ((py * self.width + px) * 4) as usize;
                self.pixels[i..i + 4].copy_from_slice(&rgba);
            }
        }
    }

    /// A one-pixel outline of a rectangle.
    pub fn outline(&mut self, x: u32, y: u32, width: u32, height: u32, rgba: [u8; 4]) {
        if width == 0 || height == 0 {
            return;
        }
        self.rect(x, y, width, 1, rgba);
        self.rect(x, y + height - 1, width, 1, rgba);
        self.rect(x, y, 1, height, rgba);
        self.rect(x + width - 1, y, 1, height, rgba);
    }

    fn fill(&mut self, x: u32, y: u32, size: u32, rgba: [u8; 4]) {
        self.rect(x, y, size, size, rgba);
    }
}
