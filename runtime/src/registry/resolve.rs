//! Dependency resolution over a list of installed modules, as pure functions (the registry
//! passes in what is on disk; tests pass in what they like).
//!
//! Resolution is a depth-first walk from the requested module: each dependency is chosen, then
//! walked, then the module itself is appended, so the result is in start order. A module met
//! again while still on the walk's stack closes a cycle.

use std::cmp::Reverse;

use semver::{Version, VersionReq};

use super::error::RegistryError;
use super::installed::InstalledModule;
use crate::manifest::Dependency;

/// `name` (the highest version matching `req`, or the newest) and its transitive dependencies,
/// dependencies first.
pub(super) fn resolve<'a>(
    installed: &'a [InstalledModule],
    name: &str,
    req: Option<&VersionReq>,
) -> Result<Vec<&'a InstalledModule>, RegistryError> {
    let root = installed
        .iter()
        .filter(|m| m.name() == name && req.is_none_or(|r| r.matches(m.version())))
        .max_by(|a, b| a.version().cmp(b.version()))
        .ok_or_else(|| RegistryError::NotInstalled {
            name: name.to_string(),
            wanted: match req {
                Some(r) => format!("{name} {r}"),
                None => name.to_string(),
            },
            installed: versions_of(installed, name).cloned().collect(),
        })?;
    let mut walk = Walk { installed, order: Vec::new(), stack: Vec::new() };
    walk.visit(root)?;
    Ok(walk.order)
}

struct Walk<'a> {
    installed: &'a [InstalledModule],
    order: Vec<&'a InstalledModule>,
    stack: Vec<&'a InstalledModule>,
}

impl<'a> Walk<'a> {
    fn visit(&mut self, module: &'a InstalledModule) -> Result<(), RegistryError> {
        let same = |m: &&InstalledModule| m.name() == module.name() && m.version() == module.version();
        if self.order.iter().any(same) {
            return Ok(());
        }
        if let Some(at) = self.stack.iter().position(same) {
            let mut cycle: Vec<String> = self.stack[at..].iter().map(|m| m.id()).collect();
            cycle.push(module.id());
            return Err(RegistryError::Cycle { cycle });
        }
        self.stack.push(module);
        for dep in &module.manifest.depends {
            let chosen = choose(self.installed, &self.order, module, dep)?;
            self.visit(chosen)?;
        }
        self.stack.pop();
        self.order.push(module);
        Ok(())
    }
}

/// The module that satisfies `dep` for `dependent`: one already chosen if any fits, else the
/// best installed one.
fn choose<'a>(
    installed: &'a [InstalledModule],
    chosen: &[&'a InstalledModule],
    dependent: &InstalledModule,
    dep: &Dependency,
) -> Result<&'a InstalledModule, RegistryError> {
    let candidate = |m: &InstalledModule| m.name() != dependent.name() && provided(m, dep).is_some();
    if let Some(m) = chosen.iter().copied().filter(|m| candidate(m)).max_by_key(|m| rank(m, dep)) {
        return Ok(m);
    }
    installed.iter().filter(|m| candidate(m)).max_by_key(|m| rank(m, dep)).ok_or_else(|| RegistryError::MissingDependency {
        module: dependent.id(),
        dependency: describe(dep),
        installed: what_is_installed(installed, dep),
    })
}

/// The version at which `module` satisfies `dep`: its own version for a module dependency,
/// the exported interface's for an interface dependency.
fn provided<'a>(module: &'a InstalledModule, dep: &Dependency) -> Option<&'a Version> {
    match dep {
        Dependency::Module { name, version } => (module.name() == name && version.matches(module.version())).then(|| module.version()),
        Dependency::Interface { name, version } => {
            module.manifest.exports.interfaces.iter().filter(|(iface, v)| iface == name && version.matches(v)).map(|(_, v)| v).max()
        }
    }
}

/// Higher is better: the highest provided version, then the newest module, then (for a stable
/// choice between equals) the alphabetically first name.
fn rank<'a>(module: &'a InstalledModule, dep: &Dependency) -> (Option<&'a Version>, &'a Version, Reverse<&'a str>) {
    (provided(module, dep), module.version(), Reverse(module.name()))
}

/// `vision ^0.3` or `interface visor:vision/detections ^1`.
pub(super) fn describe(dep: &Dependency) -> String {
    match dep {
        Dependency::Module { name, version } => format!("{name} {version}"),
        Dependency::Interface { name, version } => format!("interface {name} {version}"),
    }
}

fn versions_of<'a>(installed: &'a [InstalledModule], name: &'a str) -> impl Iterator<Item = &'a Version> {
    installed.iter().filter(move |m| m.name() == name).map(InstalledModule::version)
}

/// For a missing-dependency message: what is installed under that name or interface.
fn what_is_installed(installed: &[InstalledModule], dep: &Dependency) -> String {
    let found: Vec<String> = match dep {
        Dependency::Module { name, .. } => versions_of(installed, name).map(|v| format!("{name} {v}")).collect(),
        Dependency::Interface { name, .. } => installed
            .iter()
            .flat_map(|m| {
                m.manifest.exports.interfaces.iter().filter(|(i, _)| i == name).map(move |(i, v)| format!("{} exports {i}@{v}", m.id()))
            })
            .collect(),
    };
    if found.is_empty() { "none".to_string() } else { found.join(", ") }
}

/// Refuses a removal of `removing` that would leave a remaining module with a dependency that
/// only a removed module satisfied.
pub(super) fn check_removal(installed: &[InstalledModule], removing: &[&InstalledModule]) -> Result<(), RegistryError> {
    let is_removed = |m: &InstalledModule| removing.iter().any(|r| r.dir == m.dir);
    for dependent in installed.iter().filter(|m| !is_removed(m)) {
        for dep in &dependent.manifest.depends {
            let serves = |m: &InstalledModule| m.name() != dependent.name() && provided(m, dep).is_some();
            let Some(lost) = removing.iter().find(|m| serves(m)) else { continue };
            if !installed.iter().any(|m| !is_removed(m) && serves(m)) {
                return Err(RegistryError::DependedOn { module: lost.id(), dependent: dependent.id(), dependency: describe(dep) });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::UNIX_EPOCH;

    use proptest::prelude::*;

    use super::*;
    use crate::manifest::Manifest;

    fn module(name: &str, version: &str, depends: &[(usize, &str)], names: &[String]) -> InstalledModule {
        let deps: Vec<String> = depends.iter().map(|(i, req)| format!("{{ module = \"{}\", version = \"{req}\" }}", names[*i])).collect();
        let text = format!(
            "name = \"{name}\"\nversion = \"{version}\"\nkind = \"library\"\nentry = {{ native = \"{name}\" }}\ndepends = [{}]\n",
            deps.join(", ")
        );
        InstalledModule {
            manifest: Manifest::parse(&text, name).unwrap(),
            dir: PathBuf::from(format!("/modules/{name}/{version}")),
            manifest_sha256: String::new(),
            component: None,
            installed_at: UNIX_EPOCH,
            source: PathBuf::new(),
            audit: Default::default(),
        }
    }

    /// Up to six names, each with one to three versions `0.<minor>.0`, depending only on names
    /// with a lower index (so the graph has no cycles) with ranges that may or may not match.
    fn store() -> impl Strategy<Value = Vec<InstalledModule>> {
        let versions = prop::collection::btree_set(0u64..4, 1..=3);
        let deps = prop::collection::vec((0usize..6, prop::sample::select(vec!["*", "^0.0", "^0.1", "^0.2", ">=0.1.0"])), 0..3);
        prop::collection::vec((versions, deps), 1..=6).prop_map(|spec| {
            let names: Vec<String> = (0..spec.len()).map(|i| format!("m{i}")).collect();
            let mut out = Vec::new();
            for (i, (versions, deps)) in spec.iter().enumerate() {
                let deps: Vec<(usize, &str)> = deps.iter().filter(|(d, _)| *d < i).map(|(d, r)| (*d, *r)).collect();
                for minor in versions {
                    out.push(module(&names[i], &format!("0.{minor}.0"), &deps, &names));
                }
            }
            out
        })
    }

    proptest! {
        #[test]
        fn resolution_orders_dependencies_first_and_satisfies_each(installed in store()) {
            let top = installed.last().unwrap().name().to_string();
            match resolve(&installed, &top, None) {
                Ok(order) => {
                    prop_assert_eq!(order.last().unwrap().name(), top.as_str());
                    for (i, m) in order.iter().enumerate() {
                        prop_assert!(!order[..i].iter().any(|o| o.id() == m.id()), "{} twice", m.id());
                        for dep in &m.manifest.depends {
                            prop_assert!(order[..i].iter().any(|o| provided(o, dep).is_some()),
                                "{} needs {} but nothing before it provides it", m.id(), describe(dep));
                        }
                    }
                }
                Err(RegistryError::MissingDependency { .. }) => {}
                Err(e) => prop_assert!(false, "a cycle-free store gave {e}"),
            }
        }

        #[test]
        fn a_removal_that_passes_the_check_leaves_every_dependency_satisfiable(
            installed in store(), pick in any::<prop::sample::Index>()
        ) {
            let target = &installed[pick.index(installed.len())];
            if check_removal(&installed, &[target]).is_ok() {
                let left: Vec<&InstalledModule> = installed.iter().filter(|m| m.dir != target.dir).collect();
                for m in &left {
                    for dep in &m.manifest.depends {
                        let before = installed.iter().any(|o| o.name() != m.name() && provided(o, dep).is_some());
                        let after = left.iter().any(|o| o.name() != m.name() && provided(o, dep).is_some());
                        prop_assert!(after || !before, "removing {} broke {} ({})", target.id(), m.id(), describe(dep));
                    }
                }
            }
        }
    }

    #[test]
    fn an_already_chosen_version_is_preferred_over_a_newer_one() {
        let names: Vec<String> = ["lib", "mid", "app"].map(String::from).to_vec();
        let installed = vec![
            module("lib", "1.5.0", &[], &names),
            module("lib", "2.0.0", &[], &names),
            module("mid", "1.0.0", &[(0, ">=1")], &names),
            module("app", "1.0.0", &[(0, "^1"), (1, "*")], &names),
        ];
        let order: Vec<String> = resolve(&installed, "app", None).unwrap().iter().map(|m| m.id()).collect();
        assert_eq!(order, ["lib@1.5.0", "mid@1.0.0", "app@1.0.0"]);
    }
}
