//! An app's WGSL through `visor_shader::validate_app_shader`, the check the runtime runs on
//! every shader an app sends (it prepends the prelude and validates with naga).
//!
//! Asserted: no panic, whatever the text (a guest chooses it, and nothing a guest does may
//! panic the host); an accepted shader's source, which is what the compositor compiles, parses
//! and validates again and still has both entry points. Inputs over [`MAX_LEN`] are skipped to
//! keep executions fast.

use visor_shader::{FRAGMENT_ENTRY, VERTEX_ENTRY, validate_app_shader, validate_wgsl};

/// The longest shader body fed to naga, in bytes.
pub const MAX_LEN: usize = 64 << 10;

pub fn run(data: &[u8]) {
    if data.len() > MAX_LEN {
        return;
    }
    let Ok(body) = std::str::from_utf8(data) else { return };
    match validate_app_shader(body) {
        Ok(shader) => {
            let module = validate_wgsl(&shader.source)
                .unwrap_or_else(|e| panic!("an accepted shader's source does not validate again: {e}\n{}", shader.source));
            for name in [VERTEX_ENTRY, FRAGMENT_ENTRY] {
                assert!(module.entry_points.iter().any(|ep| ep.name == name), "the accepted source lost `{name}`");
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
