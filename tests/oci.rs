//! Modules from the internet, end to end against a real registry: Debian's `docker-registry`
//! on a free loopback port with its own storage. Publish signs and pushes; install pulls,
//! checks digests and the signature against the keyring and the policy, asks for consent, and
//! installs into the store — and refuses tampered, unsigned, wrongly signed, unknown and revoked
//! packages, installing nothing.

mod common;
#[path = "common/oci.rs"]
mod oci;

use oci::{fails, module_dir, nothing_installed, ok, publisher, registry, scratch, visor};
use visor_oci::{Keyring, ModuleRef, Package, Signature};

#[test]
fn publish_then_install_runs_the_module_signed_by_a_trusted_key() {
    let server = registry();
    let work = scratch("flow");
    let hud = common::component("hud");
    let (alice, alice_pub) = publisher(&work, "alice");
    let reference = server.reference("visor/hud:1.0.0");
    let module = module_dir(&work, &hud, "1.0.0");

    let published = ok(visor(&alice, &["module", "publish", module.to_str().unwrap(), &reference]));
    assert!(published.contains("published hud@1.0.0") && published.contains("signed by alice"), "{published}");

    let store = work.join("consumer");
    assert!(ok(visor(&store, &["keys", "trust", alice_pub.to_str().unwrap()])).contains("trusted alice"));
    let installed = ok(visor(&store, &["module", "install", &reference, "--yes"]));
    assert!(installed.contains(&format!("installed hud@1.0.0 from {reference}")), "{installed}");
    assert!(installed.contains("publisher: trusted publisher alice"), "{installed}");
    assert!(installed.contains("device:display-layer") && installed.contains("granted: devices: display-layer"), "{installed}");
    assert!(installed.contains("install timing") && installed.contains("pull_ms") && installed.contains("compile_ms"), "{installed}");

    assert!(ok(visor(&store, &["module", "list"])).contains("trusted publisher alice"));
    let info = ok(visor(&store, &["module", "info", "hud"]));
    assert!(info.contains(&format!("installed from: {reference}")) && info.contains("audit: trusted publisher alice"), "{info}");
    assert!(!info.contains("denied:"), "consent granted what it asked: {info}");

    let out = work.join("out");
    let run = ok(visor(&store, &["run", "--headless", "--unpaced", "--frames", "3", "--out", out.to_str().unwrap()]));
    assert!(run.contains("outcome=Hit"), "compiled at install, so the start hits the cache: {run}");
    let log = std::fs::read_to_string(out.join("timing.jsonl")).unwrap();
    assert!(log.lines().count() == 3 && log.contains("\"hud\""), "the installed module ran: {log}");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn a_tampered_blob_in_the_registry_is_refused() {
    let server = registry();
    let work = scratch("tampered");
    let (alice, alice_pub) = publisher(&work, "alice");
    let reference = server.reference("visor/hud:1.0.0");
    let module = module_dir(&work, &common::component("hud"), "1.0.0");
    ok(visor(&alice, &["module", "publish", module.to_str().unwrap(), &reference]));

    // Flip one byte of the component where the registry stores it; same size, other content.
    let digest = Package::from_dir(&module).unwrap().statement().component_sha256;
    let blob = server.blob_path(&digest);
    let mut bytes = std::fs::read(&blob).unwrap_or_else(|e| panic!("the registry's copy at {}: {e}", blob.display()));
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();

    let store = work.join("consumer");
    ok(visor(&store, &["keys", "trust", alice_pub.to_str().unwrap()]));
    let refused = fails(visor(&store, &["module", "install", &reference, "--yes"]));
    assert!(refused.contains("was tampered with") && refused.contains("component layer"), "{refused}");
    assert!(refused.contains(&digest), "names the expected digest: {refused}");
    assert!(nothing_installed(&store));
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn a_signature_by_the_wrong_key_is_refused() {
    let server = registry();
    let work = scratch("wrong-key");
    let (_alice, alice_pub) = publisher(&work, "alice");
    let reference = server.reference("visor/hud:1.0.0");
    let module = module_dir(&work, &common::component("hud"), "1.0.0");

    // Mallory signs with her own key but names alice's key as the signer.
    let mallory = Keyring::open(&work.join("mallory-keys"));
    mallory.create("mallory").unwrap();
    let (_, mallory_key) = mallory.signing_key(None).unwrap();
    let package = Package::from_dir(&module).unwrap();
    let mut forged = Signature::sign(&package.statement(), &mallory_key, "alice");
    let alice_line = std::fs::read_to_string(&alice_pub).unwrap();
    forged.key = alice_line.split_whitespace().nth(1).unwrap().to_string();
    visor_oci::publish(&package, Some(&forged), &ModuleRef::parse(&reference).unwrap()).unwrap();

    let store = work.join("consumer");
    ok(visor(&store, &["keys", "trust", alice_pub.to_str().unwrap()]));
    let refused = fails(visor(&store, &["module", "install", &reference, "--yes"]));
    assert!(refused.contains("does not verify with the key it names") && refused.contains(&forged.key), "{refused}");
    assert!(nothing_installed(&store));
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn an_unsigned_module_is_refused() {
    let server = registry();
    let work = scratch("unsigned");
    let reference = server.reference("visor/hud:1.0.0");
    let module = module_dir(&work, &common::component("hud"), "1.0.0");
    let published = ok(visor(&work.join("publisher"), &["module", "publish", module.to_str().unwrap(), &reference, "--unsigned"]));
    assert!(published.contains("unsigned"), "{published}");

    let store = work.join("consumer");
    let refused = fails(visor(&store, &["module", "install", &reference, "--yes", "--allow-unknown-publisher"]));
    assert!(refused.contains("is not signed") && refused.contains("--key NAME"), "{refused}");
    assert!(nothing_installed(&store));
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn an_unknown_publisher_needs_the_policy_or_the_flag() {
    let server = registry();
    let work = scratch("unknown");
    let (bob, _) = publisher(&work, "bob");
    let reference = server.reference("visor/hud:1.0.0");
    let module = module_dir(&work, &common::component("hud"), "1.0.0");
    ok(visor(&bob, &["module", "publish", module.to_str().unwrap(), &reference]));

    let store = work.join("consumer");
    let refused = fails(visor(&store, &["module", "install", &reference, "--yes"]));
    for needle in [
        "a key you have not trusted",
        "visor keys trust",
        "unknown_publishers = \"allow\" under [install]",
        "policy.toml",
        "--allow-unknown-publisher",
    ] {
        assert!(refused.contains(needle), "{needle}: {refused}");
    }
    assert!(nothing_installed(&store));

    std::fs::write(store.join("policy.toml"), "[install]\nunknown_publishers = \"allow\"\n").unwrap();
    let installed = ok(visor(&store, &["module", "install", &reference, "--yes"]));
    assert!(installed.contains("publisher: unknown publisher"), "{installed}");
    assert!(ok(visor(&store, &["module", "list"])).contains("unknown publisher (ed25519"));
    let policy = std::fs::read_to_string(store.join("policy.toml")).unwrap();
    assert!(policy.contains("unknown_publishers = \"allow\"") && policy.contains("[modules.hud]"), "{policy}");

    let flagged = work.join("consumer-flag");
    ok(visor(&flagged, &["module", "install", &reference, "--yes", "--allow-unknown-publisher"]));
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn a_revoked_key_is_refused_and_shown_on_installed_modules() {
    let server = registry();
    let work = scratch("revoked");
    let (alice, alice_pub) = publisher(&work, "alice");
    let hud = common::component("hud");
    let store = work.join("consumer");
    ok(visor(&store, &["keys", "trust", alice_pub.to_str().unwrap()]));
    for version in ["1.0.0", "1.1.0"] {
        let module = module_dir(&work, &hud, version);
        ok(visor(&alice, &["module", "publish", module.to_str().unwrap(), &server.reference(&format!("visor/hud:{version}"))]));
    }
    ok(visor(&store, &["module", "install", &server.reference("visor/hud:1.0.0"), "--yes"]));

    assert!(ok(visor(&store, &["keys", "revoke", "alice"])).contains("revoked alice"));
    assert!(ok(visor(&store, &["keys", "list"])).contains("REVOKED"));
    assert!(ok(visor(&store, &["module", "list"])).contains("REVOKED: signed by 'alice'"), "an installed module shows it");
    let refused = fails(visor(&store, &["module", "install", &server.reference("visor/hud:1.1.0"), "--yes"]));
    assert!(refused.contains("a key you revoked") && refused.contains("'alice'"), "{refused}");
    let listed = ok(visor(&store, &["module", "list"]));
    assert!(!listed.contains("1.1.0"), "{listed}");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn consent_needs_a_terminal_or_flags_and_only_grants_what_is_chosen() {
    let server = registry();
    let work = scratch("consent");
    let (alice, alice_pub) = publisher(&work, "alice");
    let reference = server.reference("visor/hud:1.0.0");
    let module = module_dir(&work, &common::component("hud"), "1.0.0");
    ok(visor(&alice, &["module", "publish", module.to_str().unwrap(), &reference]));
    let store = work.join("consumer");
    ok(visor(&store, &["keys", "trust", alice_pub.to_str().unwrap()]));

    // The test's stdin is not a terminal: nobody to ask.
    let refused = fails(visor(&store, &["module", "install", &reference]));
    assert!(refused.contains("stdin is not a terminal") && refused.contains("--yes") && refused.contains("--grant"), "{refused}");
    assert!(refused.contains("1. device:display-layer"), "the requests are listed: {refused}");
    assert!(nothing_installed(&store));

    let bad = fails(visor(&store, &["module", "install", &reference, "--grant", "device:camera"]));
    assert!(bad.contains("'device:camera' is not one of the requests") && bad.contains("device:display-layer"), "{bad}");

    let none = ok(visor(&store, &["module", "install", &reference, "--grant", "none"]));
    assert!(none.contains("granted: nothing") && none.contains("denied: device 'display-layer'"), "{none}");
    assert!(ok(visor(&store, &["module", "info", "hud"])).contains("denied: device 'display-layer'"));

    let some = ok(visor(&store, &["module", "install", &reference, "--grant", "device:display-layer"]));
    assert!(some.contains("granted: devices: display-layer"), "{some}");
    assert!(!ok(visor(&store, &["module", "info", "hud"])).contains("denied:"));
    let _ = std::fs::remove_dir_all(&work);
}

/// `visor registry login HOST --username NAME`, the password on stdin.
fn login(store: &std::path::Path, host: &str, username: &str, password: &str) -> std::process::Output {
    use std::io::Write as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_visor"))
        .arg("--store")
        .arg(store)
        .args(["registry", "login", host, "--username", username])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_registry_that_wants_a_login_gets_the_stored_one() {
    let server = visor::bench::install::LoopbackRegistry::start_with_login("alice", "correct horse")
        .unwrap_or_else(|e| panic!("these tests need a real OCI registry: {e:#}"));
    let work = scratch("login");
    let (alice, alice_pub) = publisher(&work, "alice");
    let module = module_dir(&work, &common::component("hud"), "1.0.0");
    let reference = server.reference("visor/hud:1.0.0");
    let dir = module.to_str().unwrap();

    let refused = fails(visor(&alice, &["module", "publish", dir, &reference]));
    assert!(refused.contains("wants a login: visor registry login"), "{refused}");
    assert!(ok(login(&alice, &server.addr, "alice", "correct horse")).contains(&format!("logged in to {} as alice", server.addr)));
    assert!(ok(visor(&alice, &["registry", "list"])).contains(&server.addr));
    ok(visor(&alice, &["module", "publish", dir, &reference]));

    let store = work.join("consumer");
    ok(visor(&store, &["keys", "trust", alice_pub.to_str().unwrap()]));
    let anonymous = fails(visor(&store, &["module", "install", &reference, "--yes"]));
    assert!(anonymous.contains("wants a login") && nothing_installed(&store), "{anonymous}");
    ok(login(&store, &server.addr, "alice", "wrong"));
    assert!(fails(visor(&store, &["module", "install", &reference, "--yes"])).contains("wants a login"));
    ok(login(&store, &server.addr, "alice", "correct horse"));
    assert!(ok(visor(&store, &["module", "install", &reference, "--yes"])).contains("installed hud@1.0.0"));
    assert!(ok(visor(&store, &["registry", "logout", &server.addr])).contains("logged out"));
    assert!(ok(visor(&store, &["registry", "list"])).contains("not logged in"));
    let bad = fails(login(&store, "oci://x/y", "alice", "p"));
    assert!(bad.contains("HOST or HOST:PORT"), "{bad}");
    let _ = std::fs::remove_dir_all(&work);
}

/// Grants follow a name, so a name stays with its publisher: another publisher's `hud` does
/// not take over the installed one (or its grants) unless the user says so, and no package may
/// take the name of a module built into the shell.
#[test]
fn a_name_stays_with_its_publisher_and_built_in_names_are_reserved() {
    let server = registry();
    let work = scratch("takeover");
    let (alice, alice_pub) = publisher(&work, "alice");
    let (mallory, mallory_pub) = publisher(&work, "mallory");
    let hud = common::component("hud");
    let store = work.join("consumer");
    ok(visor(&store, &["keys", "trust", alice_pub.to_str().unwrap()]));
    ok(visor(&store, &["keys", "trust", mallory_pub.to_str().unwrap()]));
    let module = module_dir(&work.join("a"), &hud, "1.0.0");
    ok(visor(&alice, &["module", "publish", module.to_str().unwrap(), &server.reference("alice/hud:1.0.0")]));
    let newer = module_dir(&work.join("m"), &hud, "2.0.0");
    ok(visor(&mallory, &["module", "publish", newer.to_str().unwrap(), &server.reference("mallory/hud:2.0.0")]));

    ok(visor(&store, &["module", "install", &server.reference("alice/hud:1.0.0"), "--yes"]));
    let refused = fails(visor(&store, &["module", "install", &server.reference("mallory/hud:2.0.0"), "--yes"]));
    assert!(
        refused.contains("'hud' is installed already") && refused.contains("alice") && refused.contains("--replace-publisher"),
        "{refused}"
    );
    assert!(!ok(visor(&store, &["module", "list"])).contains("2.0.0"), "nothing of mallory's was installed");
    let replaced = ok(visor(&store, &["module", "install", &server.reference("mallory/hud:2.0.0"), "--yes", "--replace-publisher"]));
    assert!(replaced.contains("installed hud@2.0.0") && replaced.contains("mallory"), "{replaced}");

    // A built-in's name, from a folder or a registry.
    let camera = work.join("camera");
    std::fs::create_dir_all(&camera).unwrap();
    std::fs::copy(&hud, camera.join("hud.wasm")).unwrap();
    std::fs::write(
        camera.join("visor.toml"),
        "name = \"camera\"\nversion = \"9.0.0\"\nkind = \"app\"\nentry = { component = \"hud.wasm\" }\n",
    )
    .unwrap();
    let refused = fails(visor(&store, &["module", "install", camera.to_str().unwrap()]));
    assert!(refused.contains("'camera' is the name of a module built into the shell"), "{refused}");
    ok(visor(&mallory, &["module", "publish", camera.to_str().unwrap(), &server.reference("mallory/camera:9.0.0")]));
    let refused = fails(visor(&store, &["module", "install", &server.reference("mallory/camera:9.0.0"), "--yes"]));
    assert!(refused.contains("built into the shell"), "{refused}");
    let _ = std::fs::remove_dir_all(&work);
}

/// A registry that answers every manifest request with far more than any manifest: streamed
/// without a length, or declaring a gigabyte. The pull stops at the manifest's 4 MiB cap
/// instead of holding what it is sent, says so, and installs nothing.
#[test]
fn a_registry_sending_a_giant_manifest_is_cut_off_at_the_cap() {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut out = stream;
            if !request.contains("/manifests/") {
                let _ = out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
            } else if request.contains("declared") {
                let _ = out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\nConnection: close\r\n\r\n{");
            } else {
                // No length: the body runs until the connection closes, 64 MiB later.
                let _ = out
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nConnection: close\r\n\r\n");
                let chunk = vec![b' '; 1 << 20];
                for _ in 0..64 {
                    if out.write_all(&chunk).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let work = scratch("giant-manifest");
    for tag in ["streamed", "declared"] {
        let store = work.join(tag);
        let reference = format!("oci://127.0.0.1:{port}/visor/hud:{tag}");
        let refused = fails(visor(&store, &["module", "install", &reference, "--yes"]));
        assert!(refused.contains("OCI manifest") && refused.contains("4194304"), "{tag}: {refused}");
        assert!(nothing_installed(&store));
    }
    let _ = std::fs::remove_dir_all(&work);
}
