//! The census transform: each pixel described by which of its 9x7 neighbours are darker than it,
//! so matching compares structure rather than brightness (the two lenses need not agree on
//! exposure). 62 bits, held as two `u32` words so the GPU's WGSL, which has no `u64`, computes
//! the very same words.

use crate::Gray;

pub(crate) const HALF_W: i32 = 4;
pub(crate) const HALF_H: i32 = 3;
/// Hamming distances run 0..=MAX_COST.
pub(crate) const MAX_COST: u8 = 62;

/// Bit `i` of the 62 (row-major over the window, the centre skipped) is set where that neighbour
/// is darker than the centre; bits 0..32 go in the first word, 32..62 in the second. Pixels
/// beyond the border repeat the edge.
pub(crate) fn census(img: &Gray) -> Vec<[u32; 2]> {
    let (w, h) = (img.width as i32, img.height as i32);
    let mut out = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        for x in 0..w {
            let centre = img.at(x, y);
            let mut words = [0u32; 2];
            let mut bit = 0;
            for dy in -HALF_H..=HALF_H {
                for dx in -HALF_W..=HALF_W {
                    if dx == 0 && dy == 0 {
                        continue;
                    }
                    if img.at(x + dx, y + dy) < centre {
                        words[bit / 32] |= 1 << (bit % 32);
                    }
                    bit += 1;
                }
            }
            out.push(words);
        }
    }
    out
}

pub(crate) fn hamming(a: [u32; 2], b: [u32; 2]) -> u8 {
    ((a[0] ^ b[0]).count_ones() + (a[1] ^ b[1]).count_ones()) as u8
}
