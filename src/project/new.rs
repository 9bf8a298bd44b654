//! `visor new NAME [--lang rust|python|js]`: a new app project in `./NAME`, from templates
//! compiled into this binary (so an installed `visor` makes them anywhere): `visor.toml`, the
//! source of an app that draws a square and answers the pointer, the WIT world it builds
//! against, the language's SDK beside it (Rust: `sdk/`, the same files as Visor's own
//! `apps/sdk`; Python: the `visor/` package from `apps/sdk-python`; JavaScript: `visor.js` from
//! `apps/sdk-js`), a README and a `.gitignore`. The project builds on its own, outside any
//! Visor checkout.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::ValueEnum;
use visor_guest_build::scripted::{self, Script};

/// The languages `visor new` writes projects in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

/// A template file: its path in the project and its text, `{{name}}` (the app's name) and
/// `{{crate}}` (the name as a file name: `-` as `_`) filled in.
const RUST: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../templates/rust/Cargo.toml.tmpl")),
    ("src/lib.rs", include_str!("../../templates/rust/src/lib.rs")),
    ("visor.toml", include_str!("../../templates/rust/visor.toml")),
    ("README.md", include_str!("../../templates/rust/README.md")),
    (".gitignore", include_str!("../../templates/rust/gitignore")),
];

/// Copied as they are: the WIT world and the Rust SDK that binds it.
const RUST_SDK: &[(&str, &str)] = &[
    ("wit/visor.wit", include_str!("../../apps/wit/visor.wit")),
    ("sdk/Cargo.toml", include_str!("../../apps/sdk/Cargo.toml")),
    ("sdk/src/lib.rs", include_str!("../../apps/sdk/src/lib.rs")),
    ("sdk/src/canvas.rs", include_str!("../../apps/sdk/src/canvas.rs")),
    ("sdk/src/math.rs", include_str!("../../apps/sdk/src/math.rs")),
    ("sdk/src/mesh.rs", include_str!("../../apps/sdk/src/mesh.rs")),
    ("sdk/src/panel.rs", include_str!("../../apps/sdk/src/panel.rs")),
    ("sdk/src/bus.rs", include_str!("../../apps/sdk/src/bus.rs")),
    // The packed form the SDK's `bus::poll` reads (a crate of its own, shared with the host).
    ("sdk/bus-wire/Cargo.toml", include_str!("../../bus-wire/Cargo.toml")),
    ("sdk/bus-wire/src/lib.rs", include_str!("../../bus-wire/src/lib.rs")),
];

const PYTHON: &[(&str, &str)] = &[
    ("app.py", include_str!("../../templates/python/app.py")),
    ("visor.toml", include_str!("../../templates/python/visor.toml")),
    ("README.md", include_str!("../../templates/python/README.md")),
    (".gitignore", include_str!("../../templates/python/gitignore")),
];

const PYTHON_SDK: &[(&str, &str)] = &[
    ("wit/visor.wit", include_str!("../../apps/wit/visor.wit")),
    ("visor/__init__.py", include_str!("../../apps/sdk-python/visor/__init__.py")),
    ("visor/app.py", include_str!("../../apps/sdk-python/visor/app.py")),
    ("visor/canvas.py", include_str!("../../apps/sdk-python/visor/canvas.py")),
    ("visor/log.py", include_str!("../../apps/sdk-python/visor/log.py")),
    ("visor/mat4.py", include_str!("../../apps/sdk-python/visor/mat4.py")),
    ("visor/mesh.py", include_str!("../../apps/sdk-python/visor/mesh.py")),
    ("visor/panel.py", include_str!("../../apps/sdk-python/visor/panel.py")),
];

const JS: &[(&str, &str)] = &[
    ("app.js", include_str!("../../templates/js/app.js")),
    ("visor.toml", include_str!("../../templates/js/visor.toml")),
    ("README.md", include_str!("../../templates/js/README.md")),
    (".gitignore", include_str!("../../templates/js/gitignore")),
];

const JS_SDK: &[(&str, &str)] =
    &[("wit/visor.wit", include_str!("../../apps/wit/visor.wit")), ("visor.js", include_str!("../../apps/sdk-js/visor.js"))];

/// Whether `name` can name an app: what a manifest accepts (lowercase letters, digits and
/// `-`, starting with a letter, at most 64 characters), which is also a crate name.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    anyhow::ensure!(ok, "'{name}' cannot name an app: use lowercase letters, digits and '-', starting with a letter (e.g. my-app)");
    Ok(())
}

/// Writes a new project named `name` into `parent/name`; returns its folder.
pub fn create(parent: &Path, name: &str, lang: Lang) -> anyhow::Result<PathBuf> {
    check_name(name)?;
    let dir = parent.join(name);
    if dir.exists() && std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        anyhow::bail!("{} already exists and is not empty: pick another name, or remove it first", dir.display());
    }
    let crate_file = name.replace('-', "_");
    let (templates, verbatim) = match lang {
        Lang::Rust => (RUST, RUST_SDK),
        Lang::Python => (PYTHON, PYTHON_SDK),
        Lang::Js => (JS, JS_SDK),
    };
    let fill = |text: &str| text.replace("{{name}}", name).replace("{{crate}}", &crate_file);
    let files = templates.iter().map(|(path, text)| (*path, fill(text))).chain(verbatim.iter().map(|(p, t)| (*p, t.to_string())));
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(dir)
}

/// The template square's colour, on one line of each language's source.
pub const TEMPLATE_COLOR: [f32; 4] = [0.15, 0.55, 0.95, 1.0];

impl Lang {
    /// The template's source file, where its colour line is.
    pub fn template_source(self) -> &'static str {
        match self {
            Lang::Rust => "src/lib.rs",
            Lang::Python => "app.py",
            Lang::Js => "app.js",
        }
    }

    /// The template's colour line set to `rgba`, as written in [`Lang::template_source`]
    /// (what `visor bench dev` and the tests edit to see a reload).
    pub fn template_color_line(self, [r, g, b, a]: [f32; 4]) -> String {
        match self {
            Lang::Rust => format!("const COLOR: [f32; 4] = [{r:?}, {g:?}, {b:?}, {a:?}];"),
            Lang::Python => format!("COLOR = ({r:?}, {g:?}, {b:?}, {a:?})"),
            Lang::Js => format!("const COLOR = [{r:?}, {g:?}, {b:?}, {a:?}];"),
        }
    }

    /// The componentizer that builds the language, for the scripting ones.
    pub fn script(self) -> Option<Script> {
        match self {
            Lang::Rust => None,
            Lang::Python => Some(Script::Python),
            Lang::Js => Some(Script::JavaScript),
        }
    }
}

/// `visor new`: the project and the next steps (installing the language's tools first when
/// they are missing).
pub fn new_cmd(name: &str, lang: Lang) -> anyhow::Result<String> {
    let dir = create(&std::env::current_dir().context("the current folder")?, name, lang)?;
    let install = match lang.script() {
        Some(script) if scripted::find(script).is_err() => format!("  visor toolchain install {}\n", script.key()),
        _ => String::new(),
    };
    Ok(format!(
        "created {} ({})\n{install}  cd {name}\n  visor dev      # run it; each save reloads it in place\n  visor build    # package it into target/visor/\n",
        dir.display(),
        lang.to_possible_value().map_or_else(|| format!("{lang:?}"), |v| v.get_name().to_owned())
    ))
}

/// `visor toolchain install [LANG…]`: the pinned componentizers for `langs` (Python and
/// JavaScript when empty; Rust's toolchain is rustup's or Debian's, not Visor's to install).
pub fn install_toolchains(langs: &[Lang]) -> anyhow::Result<String> {
    let scripts: Vec<Script> =
        if langs.is_empty() { Script::ALL.to_vec() } else { langs.iter().filter_map(|lang| lang.script()).collect() };
    let mut said = String::new();
    if langs.contains(&Lang::Rust) {
        said.push_str("rust: Visor builds with rustup's wasm32-wasip2 target (`rustup target add wasm32-wasip2`) or Debian's rustc-web (scripts/setup.sh)\n");
    }
    for script in scripts {
        let step = crate::progress::step(format!("installing {}", script.package()));
        let tool = scripted::install(script)?;
        step.done();
        said.push_str(&format!("{}: {}\n", script.key(), tool.display()));
    }
    Ok(said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_templates_filled() {
        assert!(check_name("my-app2").is_ok());
        for bad in ["My-App", "2app", "app-", "a b", ""] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        let parent = tempfile::tempdir().unwrap();
        let dir = create(parent.path(), "hello-ar", Lang::Rust).unwrap();
        let manifest = std::fs::read_to_string(dir.join("visor.toml")).unwrap();
        assert!(manifest.contains("name = \"hello-ar\"") && manifest.contains("component = \"hello_ar.wasm\""), "{manifest}");
        assert!(!std::fs::read_to_string(dir.join("src/lib.rs")).unwrap().contains("{{"));
        assert!(dir.join("wit/visor.wit").is_file() && dir.join("sdk/src/panel.rs").is_file() && dir.join(".gitignore").is_file());
        let again = create(parent.path(), "hello-ar", Lang::Rust).unwrap_err();
        assert!(again.to_string().contains("already exists"), "{again}");
        for (lang, source) in [(Lang::Python, "app.py"), (Lang::Js, "app.js")] {
            let dir = create(parent.path(), &format!("{lang:?}-app").to_lowercase(), lang).unwrap();
            assert!(!std::fs::read_to_string(dir.join(source)).unwrap().contains("{{"), "{lang:?}");
            assert!(dir.join("wit/visor.wit").is_file() && dir.join("README.md").is_file(), "{lang:?}");
        }
        for lang in [Lang::Rust, Lang::Python, Lang::Js] {
            let text = match lang {
                Lang::Rust => RUST[1].1,
                Lang::Python => PYTHON[0].1,
                Lang::Js => JS[0].1,
            };
            assert!(text.contains(&lang.template_color_line(TEMPLATE_COLOR)), "{lang:?}'s template lost its colour line");
        }
    }
}
