//! naga's reflection of a WGSL module: the layout of a struct (its size and each member's
//! offset) and the value of a scalar `const`, so tests can tie every uniform struct and shared
//! constant in `shaders/` to its Rust mirror — a field added on one side, or a constant changed,
//! fails a test instead of corrupting a frame. [`mirror_layout!`](crate::mirror_layout) gives the
//! Rust side in the same shape.

use naga::{Expression, Literal, Module, TypeInner};

use crate::ShaderError;

/// A struct's size and members as laid out in memory: what the GPU reads from a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructLayout {
    /// The size in bytes (naga's `span`, padding included).
    pub size: usize,
    /// Each named member's byte offset, in declaration order.
    pub members: Vec<(String, usize)>,
}

/// A parsed WGSL module to ask questions of.
pub struct Reflection {
    module: Module,
}

impl Reflection {
    /// Parses `wgsl` (no validation: the layout is the front end's).
    pub fn parse(wgsl: &str) -> Result<Reflection, ShaderError> {
        let module = naga::front::wgsl::parse_str(wgsl).map_err(|e| ShaderError::Parse(e.emit_to_string(wgsl)))?;
        Ok(Reflection { module })
    }

    /// The layout of the struct named `name`, if the module declares one.
    pub fn struct_layout(&self, name: &str) -> Option<StructLayout> {
        self.module.types.iter().find_map(|(_, ty)| match &ty.inner {
            TypeInner::Struct { members, span } if ty.name.as_deref() == Some(name) => Some(StructLayout {
                size: *span as usize,
                members: members.iter().filter_map(|m| Some((m.name.clone()?, m.offset as usize))).collect(),
            }),
            _ => None,
        })
    }

    /// The value of the `const NAME` with a `u32` (or integer) literal for its value.
    pub fn u32_const(&self, name: &str) -> Option<u32> {
        match self.const_literal(name)? {
            Literal::U32(v) => Some(v),
            Literal::I32(v) => u32::try_from(v).ok(),
            Literal::AbstractInt(v) => u32::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value of the `const NAME` with a float literal for its value.
    pub fn f32_const(&self, name: &str) -> Option<f32> {
        match self.const_literal(name)? {
            Literal::F32(v) => Some(v),
            Literal::AbstractFloat(v) => Some(v as f32),
            _ => None,
        }
    }

    fn const_literal(&self, name: &str) -> Option<Literal> {
        let (_, constant) = self.module.constants.iter().find(|(_, c)| c.name.as_deref() == Some(name))?;
        match self.module.global_expressions[constant.init] {
            Expression::Literal(literal) => Some(literal),
            _ => None,
        }
    }
}

/// The layout of a `#[repr(C)]` Rust struct in [`StructLayout`]'s shape, for the members named
/// (padding fields left out): `mirror_layout!(Params { origin, size, layer_count })`.
#[macro_export]
macro_rules! mirror_layout {
    ($ty:ty { $($field:ident),* $(,)? }) => {
        $crate::reflect::StructLayout {
            size: ::std::mem::size_of::<$ty>(),
            members: vec![$((stringify!($field).to_owned(), ::std::mem::offset_of!($ty, $field))),*],
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C)]
    struct Mirror {
        origin: [u32; 2],
        weight: f32,
        _pad: u32,
        color: [f32; 4],
    }

    const WGSL: &str = "const COUNT: u32 = 16u;\nconst SCALE: f32 = 0.5;\n\
                        struct Params { origin: vec2<u32>, weight: f32, color: vec4<f32> }\n";

    #[test]
    fn a_struct_and_its_mirror_have_one_layout() {
        let reflection = Reflection::parse(WGSL).unwrap();
        let wgsl = reflection.struct_layout("Params").unwrap();
        assert_eq!(wgsl.size, 32, "vec4 aligns to 16");
        assert_eq!(wgsl, mirror_layout!(Mirror { origin, weight, color }));
        assert_eq!(reflection.struct_layout("Missing"), None);
    }

    #[test]
    fn constants_are_read_by_name() {
        let reflection = Reflection::parse(WGSL).unwrap();
        assert_eq!(reflection.u32_const("COUNT"), Some(16));
        assert_eq!(reflection.f32_const("SCALE"), Some(0.5));
        assert_eq!(reflection.u32_const("SCALE"), None);
    }
}
