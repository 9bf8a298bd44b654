//! The shape of a frame (image size and disparity range: what the buffers are sized for) and
//! the uniforms the shaders read, each mirrored field for field by the struct at the top of its
//! WGSL file (the test below holds the two in step).

use bytemuck::{Pod, Zeroable};

/// What the buffers are sized for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub width: u32,
    pub height: u32,
    pub max_disparity: u32,
}

impl Shape {
    pub fn pixels(&self) -> u64 {
        self.width as u64 * self.height as u64
    }

    /// Bytes of `S`.
    pub fn sum_bytes(&self) -> u64 {
        self.pixels() * self.max_disparity as u64 * 2
    }

    /// Bytes of `C`.
    pub fn cost_bytes(&self) -> u64 {
        self.pixels() * self.max_disparity as u64
    }

    /// Lines of pixels along path direction `(dx, dy)`: rows, columns or diagonals, one
    /// invocation each.
    pub fn lines(&self, dx: i32, dy: i32) -> u32 {
        match (dx, dy) {
            (_, 0) => self.height,
            (0, _) => self.width,
            _ => self.width + self.height - 1,
        }
    }

    /// Words one grey image takes, padded to whole words.
    pub fn grey_words(&self) -> u32 {
        self.pixels().div_ceil(4) as u32
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(crate) struct CensusUniform {
    pub width: u32,
    pub height: u32,
    pub right_grey: u32,
    pub right_census: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(crate) struct CostUniform {
    pub width: u32,
    pub height: u32,
    pub max_disparity: u32,
    pub right_census: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(crate) struct PathUniform {
    pub width: u32,
    pub height: u32,
    pub max_disparity: u32,
    pub p1: u32,
    pub p2: u32,
    pub dx: i32,
    pub dy: i32,
    pub lines: u32,
    pub first: u32,
    pub pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(crate) struct SelectUniform {
    pub width: u32,
    pub height: u32,
    pub max_disparity: u32,
    pub pad: u32,
}

#[cfg(test)]
mod tests {
    use std::mem::{offset_of, size_of};

    use super::*;
    use crate::gpu::pipelines::{CENSUS, COST, SELECT, SGM};

    /// `(name, offset)` of each member of the one uniform struct in `source`, and its size.
    fn wgsl_uniform(source: &str) -> (Vec<(String, u32)>, u32) {
        let module = naga::front::wgsl::parse_str(source).unwrap();
        let (_, global) = module.global_variables.iter().find(|(_, g)| g.space == naga::AddressSpace::Uniform).expect("a uniform");
        match &module.types[global.ty].inner {
            naga::TypeInner::Struct { members, span } => {
                (members.iter().map(|m| (m.name.clone().unwrap_or_default(), m.offset)).collect(), *span)
            }
            other => panic!("the uniform is a {other:?}"),
        }
    }

    /// Every WGSL member at the same offset as the Rust field of its name; the Rust struct may
    /// only add trailing padding.
    macro_rules! same_layout {
        ($source:expr, $rust:ty, [$($field:ident),*]) => {{
            let (members, span) = wgsl_uniform($source);
            let rust: Vec<(String, u32)> = vec![$((stringify!($field).to_string(), offset_of!($rust, $field) as u32)),*];
            let shared: Vec<_> = rust.iter().filter(|(name, _)| name != "pad").cloned().collect();
            let wgsl: Vec<_> = members.into_iter().filter(|(name, _)| name != "pad").collect();
            assert_eq!(wgsl, shared, "{} against its shader's uniform", stringify!($rust));
            assert!(size_of::<$rust>() as u32 >= span, "{} is smaller than its shader's uniform", stringify!($rust));
        }};
    }

    #[test]
    fn uniforms_match_their_shaders() {
        same_layout!(CENSUS, CensusUniform, [width, height, right_grey, right_census]);
        same_layout!(COST, CostUniform, [width, height, max_disparity, right_census]);
        same_layout!(SGM, PathUniform, [width, height, max_disparity, p1, p2, dx, dy, lines, first, pad]);
        same_layout!(SELECT, SelectUniform, [width, height, max_disparity, pad]);
    }
}
