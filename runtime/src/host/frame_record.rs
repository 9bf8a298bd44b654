//! [`FrameRecord`]: the `frame-info` handed to every app's `frame`, written into the guest's
//! memory in one pass.
//!
//! `frame-info` is mostly matrices: the head pose and each eye's view and projection, 80
//! floats for a stereo display. wasmtime's generic lowering (what `bindgen!` derives) stores
//! them one `f32` at a time, and finds the guest's memory again and works out the field's
//! offset for every one; a profile of an idle app's frame put 60 % of the call there. Here the
//! record and its eye list are written through a single view of memory, each matrix as one
//! 64-byte copy.
//!
//! Only the byte writing is done here. The type-level half (`ComponentType`: the canonical ABI
//! size and alignment, the type check against the guest's `frame` export) is bindgen's own
//! `frame-info`, and [`Layout`] reads every offset from wasmtime's description of the ABI. The
//! input events (a list of variants carrying strings, usually empty) go through wasmtime's
//! generic lowering, as does the whole record where it is passed as flat values.
//!
//! The lowering methods are wasmtime's `#[doc(hidden)]` half of its traits, the one its derive
//! macros implement; a wasmtime release that changes them fails to build here, not at run time.

use std::mem::MaybeUninit;
use std::sync::OnceLock;

use wasmtime::component::__internal::{CanonicalAbiInfo, InstanceType, InterfaceType, LowerContext, bad_type_info};
use wasmtime::component::{ComponentType, Lower};

use super::bindings::visor::app::types as wit;

/// One frame's `frame-info`, lowered into the guest as described above.
pub(crate) struct FrameRecord(pub(crate) wit::FrameInfo);

/// Where each field sits, in the record and in one `eye-view`.
#[derive(Debug, PartialEq, Eq)]
struct Layout {
    display_time_ns: usize,
    frame_number: usize,
    head: usize,
    eyes: usize,
    events: usize,
    view: usize,
    projection: usize,
    viewport: usize,
}

impl Layout {
    const SIZE: usize = <wit::FrameInfo as ComponentType>::SIZE32;
    const EYE_SIZE: usize = <wit::EyeView as ComponentType>::SIZE32;
    const EYE_ALIGN: u32 = <wit::EyeView as ComponentType>::ALIGN32;
    const MAT4_SIZE: usize = <wit::Mat4 as ComponentType>::SIZE32;

    fn get() -> &'static Layout {
        static LAYOUT: OnceLock<Layout> = OnceLock::new();
        LAYOUT.get_or_init(|| {
            let mut record = 0;
            let mut field = |abi: &CanonicalAbiInfo| abi.next_field32_size(&mut record);
            let display_time_ns = field(&<u64 as ComponentType>::ABI);
            let frame_number = field(&<u64 as ComponentType>::ABI);
            let head = field(&<wit::Mat4 as ComponentType>::ABI);
            let eyes = field(&<Vec<wit::EyeView> as ComponentType>::ABI);
            let events = field(&<Vec<wit::InputEvent> as ComponentType>::ABI);
            let mut eye = 0;
            let mut field = |abi: &CanonicalAbiInfo| abi.next_field32_size(&mut eye);
            let view = field(&<wit::Mat4 as ComponentType>::ABI);
            let projection = field(&<wit::Mat4 as ComponentType>::ABI);
            let viewport = field(&<wit::Viewport as ComponentType>::ABI);
            Layout { display_time_ns, frame_number, head, eyes, events, view, projection, viewport }
        })
    }
}

impl FrameRecord {
    /// Writes the record at `at`: its eye list in memory the guest allocates for it, its
    /// events through the generic lowering (`events_ty` is their list type).
    fn store<T>(&self, cx: &mut LowerContext<'_, T>, events_ty: InterfaceType, at: usize) -> wasmtime::Result<()> {
        let layout = Layout::get();
        let info = &self.0;
        // Guest allocations in the order the generic lowering makes them: eyes, then events.
        let eyes_len = info.eyes.len().checked_mul(Layout::EYE_SIZE).ok_or_else(out_of_bounds)?;
        let eyes_at = cx.realloc(0, 0, Layout::EYE_ALIGN, eyes_len)?;
        info.events.linear_lower_to_memory(cx, events_ty, at + layout.events)?;

        let memory = cx.as_slice_mut();
        let record = slice(memory, at, Layout::SIZE)?;
        record[layout.display_time_ns..][..8].copy_from_slice(&info.display_time_ns.to_le_bytes());
        record[layout.frame_number..][..8].copy_from_slice(&info.frame_number.to_le_bytes());
        record[layout.head..][..Layout::MAT4_SIZE].copy_from_slice(&mat4(&info.head));
        let pair = |n: usize| u32::try_from(n).map(u32::to_le_bytes).map_err(|_| out_of_bounds());
        record[layout.eyes..][..4].copy_from_slice(&pair(eyes_at)?);
        record[layout.eyes + 4..][..4].copy_from_slice(&pair(info.eyes.len())?);

        let eyes = slice(memory, eyes_at, eyes_len)?;
        for (eye, dst) in info.eyes.iter().zip(eyes.chunks_exact_mut(Layout::EYE_SIZE)) {
            dst[layout.view..][..Layout::MAT4_SIZE].copy_from_slice(&mat4(&eye.view));
            dst[layout.projection..][..Layout::MAT4_SIZE].copy_from_slice(&mat4(&eye.projection));
            let v = &eye.viewport;
            for (i, value) in [v.x, v.y, v.width, v.height].into_iter().enumerate() {
                dst[layout.viewport + 4 * i..][..4].copy_from_slice(&value.to_le_bytes());
            }
        }
        Ok(())
    }
}

/// A matrix's 16 floats, column by column, little-endian as the canonical ABI stores them.
fn mat4(m: &wit::Mat4) -> [u8; 64] {
    let mut bytes = [0u8; 64];
    let floats = [&m.c0, &m.c1, &m.c2, &m.c3].into_iter().flat_map(|c| [c.x, c.y, c.z, c.w]);
    for (dst, f) in bytes.chunks_exact_mut(4).zip(floats) {
        dst.copy_from_slice(&f.to_le_bytes());
    }
    bytes
}

fn slice(memory: &mut [u8], at: usize, len: usize) -> wasmtime::Result<&mut [u8]> {
    memory.get_mut(at..).and_then(|m| m.get_mut(..len)).ok_or_else(out_of_bounds)
}

fn out_of_bounds() -> wasmtime::Error {
    wasmtime::Error::msg("the frame info does not fit in the guest's memory")
}

// SAFETY: the ABI, the flat representation and the type check are bindgen's `frame-info`'s,
// derived from the WIT; `Lower` below writes exactly that record. (The workspace denies unsafe
// code; implementing wasmtime's traits by hand is the only way to lower a record other than
// one field at a time, so these two impls are allowed.)
#[allow(unsafe_code)]
unsafe impl ComponentType for FrameRecord {
    type Lower = <wit::FrameInfo as ComponentType>::Lower;

    const ABI: CanonicalAbiInfo = <wit::FrameInfo as ComponentType>::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <wit::FrameInfo as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: every write goes through bounds-checked slices of the guest's memory, at offsets
// from wasmtime's ABI description (`Layout`), into the record's own place and memory the
// guest's `realloc` returned.
#[allow(unsafe_code)]
unsafe impl Lower for FrameRecord {
    fn linear_lower_to_flat<T>(
        &self,
        cx: &mut LowerContext<'_, T>,
        ty: InterfaceType,
        dst: &mut MaybeUninit<Self::Lower>,
    ) -> wasmtime::Result<()> {
        self.0.linear_lower_to_flat(cx, ty, dst)
    }

    fn linear_lower_to_memory<T>(&self, cx: &mut LowerContext<'_, T>, ty: InterfaceType, offset: usize) -> wasmtime::Result<()> {
        let events_ty = match ty {
            InterfaceType::Record(i) => cx.types[i].fields[4].ty,
            _ => bad_type_info(),
        };
        self.store(cx, events_ty, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record as the canonical ABI lays it out for a 32-bit guest: two `u64`s, a 64-byte
    /// matrix and two pointer pairs, 96 bytes aligned to 8; an eye is two matrices and a
    /// viewport of four `u32`s, 144 bytes aligned to 4.
    #[test]
    fn the_layout_is_the_canonical_abis() {
        let expected =
            Layout { display_time_ns: 0, frame_number: 8, head: 16, eyes: 80, events: 88, view: 0, projection: 64, viewport: 128 };
        assert_eq!(*Layout::get(), expected);
        assert_eq!((Layout::SIZE, Layout::EYE_SIZE, Layout::EYE_ALIGN, Layout::MAT4_SIZE), (96, 144, 4, 64));
    }

    #[test]
    fn a_matrix_is_its_columns_in_order() {
        let v = |x: f32| wit::Vec4 { x, y: x + 1.0, z: x + 2.0, w: x + 3.0 };
        let m = wit::Mat4 { c0: v(0.0), c1: v(4.0), c2: v(8.0), c3: v(12.0) };
        let floats: Vec<f32> = mat4(&m).chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        assert_eq!(floats, (0..16).map(|i| i as f32).collect::<Vec<_>>());
    }
}
