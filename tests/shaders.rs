//! Every WGSL file in `shaders/` passes naga's validation: standalone files as they are, and
//! the app-stage files (`shaders/app/`) the way the compositor compiles them, after the
//! prelude.

use std::path::Path;

use visor_shader::{PRELUDE, validate_wgsl, with_prelude};

fn wgsl_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wgsl"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shader_validates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut checked = 0;
    for path in wgsl_files(&root).into_iter().chain(wgsl_files(&root.join("depth"))) {
        let source = std::fs::read_to_string(&path).unwrap();
        validate_wgsl(&source).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        checked += 1;
    }
    validate_wgsl(PRELUDE).unwrap_or_else(|e| panic!("shaders/app/prelude.wgsl: {e}"));
    for path in wgsl_files(&root.join("app")) {
        if path.file_name().is_some_and(|n| n == "prelude.wgsl") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        validate_wgsl(&with_prelude(&source)).unwrap_or_else(|e| panic!("{} (after the prelude): {e}", path.display()));
        checked += 1;
    }
    assert!(checked >= 2, "found the compositor's shaders");
}
