//! The user's policy file through `Policy::parse`, then `Policy::grant` for a manifest.
//!
//! Input: a policy's text, optionally followed by [`SEPARATOR`](crate::SEPARATOR) and a
//! manifest to grant (a fixed manifest that asks for everything when that part is missing or
//! refused).
//!
//! Asserted: no panic; every section a parsed policy holds, written back by `grant_section`,
//! reads back as the same capabilities; the file `set_module_grant` writes for the manifest's
//! capabilities (when it does not refuse) grants exactly those and leaves every other section
//! as it was; and both grants keep the invariants in `grant`.

use std::sync::OnceLock;

use visor_manifest::policy::{grant_section, set_module_grant};
use visor_manifest::{Manifest, Policy};

/// A manifest that asks for one of everything, including the camera's and the shell's topics.
const GREEDY: &str = r##"
name = "greedy"
version = "1.0.0"
kind = "app"
entry = { component = "greedy.wasm" }
[capabilities]
publish = ["tags/faces", "camera/frames", "shell/open", "#"]
subscribe = ["vision/+", "pose/head", "+/state", "news/#"]
call = ["vision", "camera"]
devices = ["camera", "input", "pose", "display-layer"]
network = ["api.example.com", "10.1.0.0/16", "::1"]
dirs = [{ host = "data", guest = "/data", mode = "rw" }, { host = "media", guest = "/media" }]
shell = true
"##;

/// A name `grant_section` writes as a bare key, as it is given module names only.
const MODULE: &str = "fuzzed";

pub fn run(data: &[u8]) {
    let parts = crate::sections(data, 2);
    let Some(text) = crate::text(&parts, 0) else { return };
    let Ok(policy) = Policy::parse(text, "fuzz") else { return };

    for caps in policy.modules.values().chain([&policy.defaults]) {
        let back = Policy::parse(&grant_section(MODULE, caps), "written")
            .unwrap_or_else(|e| panic!("grant_section wrote a section that does not parse: {e}"));
        assert_eq!(back.modules.get(MODULE), Some(caps), "a written section reads back as other capabilities");
    }

    static GREEDY_MANIFEST: OnceLock<Manifest> = OnceLock::new();
    let fuzzed = crate::text(&parts, 1).and_then(|m| Manifest::parse(m, "fuzz").ok());
    if let Some(m) = &fuzzed {
        crate::manifest::check(m);
    }
    let manifest =
        fuzzed.as_ref().unwrap_or_else(|| GREEDY_MANIFEST.get_or_init(|| Manifest::parse(GREEDY, "greedy").expect("GREEDY parses")));
    crate::grant::check(&policy, manifest);

    // Refusing is allowed (the file may shape `modules` so that a section cannot be appended);
    // writing something other than asked is not.
    let Ok(written) = set_module_grant(text, "fuzz", &manifest.name, &manifest.capabilities) else { return };
    let reread = Policy::parse(&written, "written").unwrap_or_else(|e| panic!("set_module_grant wrote a policy that does not parse: {e}"));
    assert_eq!(reread.modules.get(&manifest.name), Some(&manifest.capabilities), "set_module_grant granted other capabilities");
    for (name, caps) in policy.modules.iter().filter(|(name, _)| **name != manifest.name) {
        assert_eq!(reread.modules.get(name), Some(caps), "set_module_grant changed module {name}'s grant");
    }
    assert_eq!((&reread.defaults, &reread.install), (&policy.defaults, &policy.install), "set_module_grant changed the rest of the policy");
    crate::grant::check(&reread, manifest);
}
