//! What `Policy::grant` promises whatever the policy and the manifest: deny by default, never
//! more than was asked, never a topic the grant does not cover, and never a device's topics
//! without the device.

use visor_manifest::manifest::{Capabilities, Device, Manifest};
use visor_manifest::{Grant, Policy};

/// Grants `manifest` under `policy` and checks the result.
pub fn check(policy: &Policy, manifest: &Manifest) -> Grant {
    let grant = policy.grant(manifest);
    let (asked, e) = (&manifest.capabilities, &grant.effective);
    let none = Capabilities::default();
    let sources = [policy.modules.get(&manifest.name).unwrap_or(&none), &policy.defaults];

    for (what, effective, requested, granted) in [
        ("publish", &e.publish, &asked.publish, sources.map(|s| &s.publish)),
        ("subscribe", &e.subscribe, &asked.subscribe, sources.map(|s| &s.subscribe)),
    ] {
        for pattern in effective {
            assert!(requested.contains(pattern), "{what} '{pattern}' is granted but was not asked for");
            assert!(
                granted.iter().any(|list| list.iter().any(|g| g.covers(pattern))),
                "{what} '{pattern}' is granted but no grant covers it"
            );
        }
    }
    assert!(e.call.iter().all(|c| asked.call.contains(c)), "call granted beyond the request: {:?}", e.call);
    assert!(e.devices.iter().all(|d| asked.devices.contains(d)), "devices granted beyond the request: {:?}", e.devices);
    assert!(e.network.iter().all(|n| asked.network.contains(n)), "network granted beyond the request: {:?}", e.network);
    for dir in &e.dirs {
        let same = |d: &&visor_manifest::manifest::DirGrant| d.host == dir.host && d.guest == dir.guest;
        let requested = asked.dirs.iter().find(same).unwrap_or_else(|| panic!("dir {dir:?} granted but not asked for"));
        assert!(dir.mode <= requested.mode, "dir {dir:?} granted with more than the asked {:?}", requested.mode);
        assert!(sources.iter().flat_map(|s| &s.dirs).any(|g| same(&g) && dir.mode <= g.mode), "dir {dir:?} granted beyond the policy");
    }
    assert!(!e.shell || (asked.shell && sources.iter().any(|s| s.shell)), "the shell capability granted without being asked and granted");

    // A device's data travels under its own root: no topic reaching it without the device.
    for (device, root) in [(Device::Camera, "camera"), (Device::Pose, "pose")] {
        if e.devices.contains(&device) {
            continue;
        }
        for pattern in e.publish.iter().chain(&e.subscribe) {
            let first = pattern.as_str().split('/').next().unwrap_or_default();
            assert!(![root, "+", "#"].contains(&first), "'{pattern}' reaches {root}/ without the {device:?} device");
        }
    }

    // Deny by default: the empty policy grants nothing at all.
    let nothing = Policy::default().grant(manifest);
    assert_eq!(nothing.effective, Capabilities::default(), "the empty policy granted something");
    grant
}
