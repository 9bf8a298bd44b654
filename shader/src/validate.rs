//! naga's parse and validation, and the app-shader contract checked on the module it returns:
//! both entry points present, no resource bindings beyond the prelude's. An app shader that
//! passes has its loops bounded (`bound`) and is handed on as the WGSL naga writes back.
//!
//! Everything here runs on text an app sent, so every failure is a [`ShaderError`] value for
//! that app; nothing panics.

use naga::valid::{Capabilities, ValidationFlags, Validator};
use visor_types::layer::ContentId;
use visor_types::shader::AppShader;

use crate::bound::bound_loops;
use crate::{FRAGMENT_ENTRY, PRELUDE, ShaderError, VERTEX_ENTRY, with_prelude};

/// Parses and validates WGSL with naga, returning the module on success.
pub fn validate_wgsl(source: &str) -> Result<naga::Module, ShaderError> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| ShaderError::Parse(e.emit_to_string(source)))?;
    Validator::new(ValidationFlags::all(), Capabilities::empty())
        .validate(&module)
        .map_err(|e| ShaderError::Invalid(e.emit_to_string(source)))?;
    Ok(module)
}

/// Checks an app's WGSL against the app-shader contract.
pub fn validate_app_shader(body: &str) -> Result<AppShader, ShaderError> {
    let source = with_prelude(body);
    let module = validate_wgsl(&source)?;
    for (stage, naga_stage, name) in
        [("vertex", naga::ShaderStage::Vertex, VERTEX_ENTRY), ("fragment", naga::ShaderStage::Fragment, FRAGMENT_ENTRY)]
    {
        if !module.entry_points.iter().any(|ep| ep.stage == naga_stage && ep.name == name) {
            return Err(ShaderError::MissingEntry { stage, name });
        }
    }
    let bound = module.global_variables.iter().filter(|(_, g)| g.binding.is_some()).count();
    if bound != prelude_binding_count() {
        return Err(ShaderError::ExtraBindings);
    }
    Ok(AppShader { id: ContentId::next(), source: bounded_wgsl(module)? })
}

/// `module` with every loop bounded, as WGSL. A failure here is Visor's own fault, not the
/// app's (its shader already validated), and is reported as such.
fn bounded_wgsl(mut module: naga::Module) -> Result<String, ShaderError> {
    let internal = |what: &str, e: &dyn std::fmt::Display| ShaderError::Internal(format!("{what} the loop-bounded shader: {e}"));
    // Written back even with no loop to bound, so the compositor always compiles what was
    // validated here.
    bound_loops(&mut module);
    let info = Validator::new(ValidationFlags::all(), Capabilities::empty()).validate(&module).map_err(|e| internal("validating", &e))?;
    naga::back::wgsl::write_string(&module, &info, naga::back::wgsl::WriterFlags::empty()).map_err(|e| internal("writing", &e))
}

fn prelude_binding_count() -> usize {
    // The prelude's own declarations; counted from the source so it cannot go stale.
    PRELUDE.lines().filter(|l| l.trim_start().starts_with("@group(")).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BUILTIN;

    const MINIMAL: &str = "
        @vertex fn vs_main(v: VertexIn) -> VertexOut { return visor_transform(v); }
        @fragment fn fs_main(in: VertexOut) -> @location(0) vec4<f32> { return in.color; }";

    #[test]
    fn builtin_pipelines_validate() {
        validate_wgsl(&with_prelude(BUILTIN)).unwrap();
    }

    #[test]
    fn every_builtin_pipeline_has_its_entry_points() {
        let module = validate_wgsl(&with_prelude(BUILTIN)).unwrap();
        let has = |stage, name: &str| module.entry_points.iter().any(|ep| ep.stage == stage && ep.name == name);
        assert!(has(naga::ShaderStage::Vertex, VERTEX_ENTRY));
        for which in visor_types::layer::BuiltinPipeline::ALL {
            let name = crate::builtin_fragment_entry(which);
            assert!(has(naga::ShaderStage::Fragment, name), "{which:?}: builtin.wgsl has no `@fragment fn {name}`");
        }
    }

    #[test]
    fn a_minimal_app_shader_passes() {
        validate_app_shader(MINIMAL).unwrap();
    }

    #[test]
    fn syntax_errors_carry_nagas_message_with_the_apps_line_numbers() {
        let err = validate_app_shader("\n\nfn vs_main( {").unwrap_err();
        let ShaderError::Parse(message) = err else { panic!("expected a parse error, got {err:?}") };
        assert!(message.contains(":3:"), "line 3 of the app's source is named: {message}");
    }

    #[test]
    fn type_errors_are_refused() {
        let body = MINIMAL.replace("return in.color;", "return 1.0;");
        // naga reports type errors while lowering (a parse error) or while validating.
        assert!(matches!(validate_app_shader(&body), Err(ShaderError::Parse(_) | ShaderError::Invalid(_))));
    }

    #[test]
    fn missing_entry_points_are_named() {
        let body = "@vertex fn vs_main(v: VertexIn) -> VertexOut { return visor_transform(v); }";
        let err = validate_app_shader(body).unwrap_err();
        assert_eq!(err, ShaderError::MissingEntry { stage: "fragment", name: "fs_main" });
    }

    #[test]
    fn own_bindings_are_refused() {
        let body = format!("{MINIMAL}\n@group(3) @binding(0) var<uniform> extra: vec4<f32>;");
        assert_eq!(validate_app_shader(&body).unwrap_err(), ShaderError::ExtraBindings);
    }

    #[test]
    fn every_loop_is_bounded_and_the_result_still_validates() {
        let body = "
            fn helper(n: u32) -> f32 {
                var s = 0.0;
                for (var i = 0u; i < n; i++) { s += f32(i); }
                return s;
            }
            @vertex fn vs_main(v: VertexIn) -> VertexOut { return visor_transform(v); }
            @fragment fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
                var x = in.color.r;
                loop {
                    x = fract(x * 1.618 + 0.137);
                    while x > 2.0 { x -= 1.0; }
                    if x < -1.0 { break; }
                }
                return vec4<f32>(x, helper(3u), 0.0, 1.0);
            }";
        let shader = validate_app_shader(body).unwrap();
        let module = validate_wgsl(&shader.source).expect("the bounded shader is valid WGSL");
        assert!(shader.source.contains("var<private> visor_loop_budget: u32;"), "{}", shader.source);
        let guards = shader.source.matches(&format!("visor_loop_budget >= {}u", crate::LOOP_BUDGET)).count()
            + shader.source.matches(&format!(">= {}u)", crate::LOOP_BUDGET)).count();
        assert!(guards >= 3, "the for, the loop and the while are each guarded:\n{}", shader.source);
        // Bounding the written-back module again finds the same loops — these three and the
        // prelude's clip-plane loop — and the guards' own `if`s are not loops.
        let mut again = module;
        assert_eq!(crate::bound_loops(&mut again), 4);
    }

    #[test]
    fn a_shader_without_loops_passes_unchanged_in_meaning() {
        let shader = validate_app_shader(MINIMAL).unwrap();
        let module = validate_wgsl(&shader.source).unwrap();
        assert!(module.entry_points.iter().any(|ep| ep.name == FRAGMENT_ENTRY));
    }
}
