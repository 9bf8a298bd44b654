//! `visor new NAME [--lang rust]`: a new app project in `./NAME`, from templates compiled into
//! this binary (so an installed `visor` makes them anywhere): `visor.toml`, the source of an
//! app that draws a square and answers the pointer, the WIT world it builds against, the Rust
//! SDK beside it (`sdk/`, the same files as Visor's own `apps/sdk`), a README and a
//! `.gitignore`. The project builds on its own, outside any Visor checkout.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The languages `visor new` writes projects in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
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
];

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

/// `visor new`: the project and the next steps.
pub fn new_cmd(name: &str, lang: Lang) -> anyhow::Result<String> {
    let dir = create(&std::env::current_dir().context("the current folder")?, name, lang)?;
    Ok(format!(
        "created {} ({lang:?})\n  cd {name}\n  visor dev      # run it; each save reloads it in place\n  visor build    # package it into target/visor/\n",
        dir.display()
    ))
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
    }
}
