//! The local module registry, end to end on temporary folders: install, list, get and remove;
//! versions side by side; dependency resolution; garbage collection; the compiled-code cache;
//! and installs killed half way (the test binary re-runs itself as the process to kill).
//!
//! Components here are the smallest valid one, `(component)`, as WAT text: wasmtime's `wat`
//! feature compiles text as readily as binary, and a `;;` comment line varies the bytes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use semver::{Version, VersionReq};
use tempfile::TempDir;
use visor_runtime::registry::{CacheOutcome, InstallPoint, Origin, Registry, RegistryError, Verified};
use wasmtime::{Config, Engine};

/// Where `module` writes module folders to install.
struct Sources {
    dir: TempDir,
}

impl Sources {
    fn new() -> Sources {
        Sources { dir: tempfile::tempdir().unwrap() }
    }

    /// A library with a component; `extra` is more TOML, `variant` changes the component bytes.
    fn module(&self, name: &str, version: &str, extra: &str, variant: &str) -> PathBuf {
        let dir = self.dir.path().join(format!("{name}-{version}-{variant}"));
        fs::create_dir_all(&dir).unwrap();
        let manifest =
            format!("name = \"{name}\"\nversion = \"{version}\"\nkind = \"library\"\nentry = {{ component = \"{name}.wasm\" }}\n{extra}\n");
        fs::write(dir.join("visor.toml"), manifest).unwrap();
        fs::write(dir.join(format!("{name}.wasm")), format!(";; {variant}\n(component)\n")).unwrap();
        dir
    }

    /// A native driver: a manifest and nothing else.
    fn driver(&self, name: &str, version: &str) -> PathBuf {
        let dir = self.dir.path().join(format!("{name}-{version}"));
        fs::create_dir_all(&dir).unwrap();
        let manifest = format!("name = \"{name}\"\nversion = \"{version}\"\nkind = \"driver\"\nentry = {{ native = \"{name}\" }}\n");
        fs::write(dir.join("visor.toml"), manifest).unwrap();
        dir
    }
}

fn registry() -> (TempDir, Registry) {
    let root = tempfile::tempdir().unwrap();
    let registry = Registry::open(root.path()).unwrap();
    (root, registry)
}

fn v(text: &str) -> Version {
    Version::parse(text).unwrap()
}

fn ids(registry: &Registry) -> Vec<String> {
    registry.list().unwrap().iter().map(|m| m.id()).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn engine(epochs: bool) -> Engine {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(epochs);
    Engine::new(&config).unwrap()
}

#[test]
fn install_list_get_remove_round_trip() {
    let src = Sources::new();
    let (root, registry) = registry();
    let installed = registry.install(&src.module("clock", "1.0.0", "", "a")).unwrap();

    assert_eq!(installed.id(), "clock@1.0.0");
    assert_eq!(installed.dir, root.path().join("modules/clock/1.0.0"));
    assert_eq!(files_in(&installed.dir), ["entry.json", "visor.toml"]);
    let component = installed.component.as_ref().expect("a component module");
    assert_eq!(component.file_name, Path::new("clock.wasm"));
    assert_eq!(component.path, root.path().join("blobs/sha256").join(&component.sha256));
    assert_eq!(fs::read_to_string(&component.path).unwrap(), ";; a\n(component)\n");
    assert!(root.path().join("blobs/sha256").join(&installed.manifest_sha256).is_file());

    assert_eq!(ids(&registry), ["clock@1.0.0"]);
    assert_eq!(registry.get("clock", None).unwrap().unwrap().id(), "clock@1.0.0");
    assert_eq!(registry.get("clock", Some(&v("1.0.0"))).unwrap().unwrap().manifest, installed.manifest);
    assert!(registry.get("clock", Some(&v("2.0.0"))).unwrap().is_none());
    assert!(registry.get("other", None).unwrap().is_none());
    assert!(registry.verify().is_empty(), "{:?}", registry.verify());

    // A second open (the next start of the shell) sees the same store.
    assert_eq!(ids(&Registry::open(root.path()).unwrap()), ["clock@1.0.0"]);

    assert_eq!(registry.remove("clock", None).unwrap(), [v("1.0.0")]);
    assert!(registry.list().unwrap().is_empty());
    assert!(files_in(&root.path().join("modules")).is_empty(), "no empty name folder left");
    assert!(files_in(&root.path().join("blobs/sha256")).is_empty(), "remove collects the blobs");
    let err = registry.remove("clock", None).unwrap_err().to_string();
    assert!(err.contains("module clock is not installed; no version of 'clock' is installed"), "{err}");
}

#[test]
fn versions_live_side_by_side() {
    let src = Sources::new();
    let (_root, registry) = registry();
    for version in ["1.1.0", "0.9.0", "1.0.0"] {
        registry.install(&src.module("vision", version, "", version)).unwrap();
    }
    registry.install(&src.module("audio", "2.0.0", "", "x")).unwrap();
    assert_eq!(ids(&registry), ["audio@2.0.0", "vision@0.9.0", "vision@1.0.0", "vision@1.1.0"]);
    assert_eq!(registry.get("vision", None).unwrap().unwrap().id(), "vision@1.1.0", "newest by default");

    assert_eq!(registry.remove("vision", Some(&v("1.0.0"))).unwrap(), [v("1.0.0")]);
    assert_eq!(ids(&registry), ["audio@2.0.0", "vision@0.9.0", "vision@1.1.0"]);
    let err = registry.remove("vision", Some(&v("1.0.0"))).unwrap_err().to_string();
    assert!(err.contains("vision@1.0.0 is not installed; installed versions of 'vision': 0.9.0, 1.1.0"), "{err}");
    assert_eq!(registry.remove("vision", None).unwrap(), [v("0.9.0"), v("1.1.0")]);
    assert_eq!(ids(&registry), ["audio@2.0.0"]);
    assert!(registry.verify().is_empty());
}

/// An installer that verified a folder (a signed pull) hands the registry what it verified:
/// a component changed in the folder between the check and the install is refused, and the
/// store is left as it was.
#[test]
fn only_the_verified_bytes_are_installed() {
    let src = Sources::new();
    let (root, registry) = registry();
    let folder = src.module("clock", "1.0.0", "", "a");
    let manifest_sha256 = sha256_hex(&fs::read(folder.join("visor.toml")).unwrap());
    let component_sha256 = sha256_hex(&fs::read(folder.join("clock.wasm")).unwrap());
    let verified = |component: &str| Origin {
        verified: Some(Verified { manifest_sha256: manifest_sha256.clone(), component_sha256: Some(component.to_string()) }),
        ..Origin::default()
    };
    // Swapped after its check.
    fs::write(folder.join("clock.wasm"), ";; evil\n(component)\n").unwrap();
    let err = registry.install_from(&folder, &verified(&component_sha256)).unwrap_err();
    assert!(matches!(err, RegistryError::ChangedSinceVerified { what: "component", .. }), "{err}");
    assert!(err.to_string().contains("is not the one that was verified"), "{err}");
    assert!(ids(&registry).is_empty() && files_in(&root.path().join("blobs/sha256")).is_empty(), "nothing was installed");
    // What was verified goes in.
    let now = sha256_hex(&fs::read(folder.join("clock.wasm")).unwrap());
    assert_eq!(registry.install_from(&folder, &verified(&now)).unwrap().id(), "clock@1.0.0");
}

#[test]
fn reinstalling_a_version_is_a_no_op_unless_its_content_changed() {
    let src = Sources::new();
    let (_root, registry) = registry();
    let first = registry.install(&src.module("clock", "1.0.0", "", "a")).unwrap();
    let again = registry.install(&src.module("clock", "1.0.0", "", "a")).unwrap();
    assert_eq!(again.installed_at, first.installed_at, "the first install stands");

    let err = registry.install(&src.module("clock", "1.0.0", "", "b")).unwrap_err();
    assert!(matches!(err, RegistryError::VersionConflict { .. }), "{err}");
    let err = err.to_string();
    assert!(err.contains("clock@1.0.0 is already installed with different content"), "{err}");
    assert!(err.contains("bump `version`"), "{err}");
    let err = registry.install(&src.module("clock", "1.0.0", "description = \"changed\"", "a")).unwrap_err();
    assert!(matches!(err, RegistryError::VersionConflict { .. }), "a changed manifest is changed content: {err}");

    let installed = registry.get("clock", None).unwrap().unwrap();
    assert_eq!(installed.component.unwrap().sha256, first.component.unwrap().sha256);
    registry.install(&src.module("clock", "1.0.1", "", "b")).unwrap();
    assert_eq!(ids(&registry), ["clock@1.0.0", "clock@1.0.1"]);
    assert!(registry.verify().is_empty());
}

#[test]
fn bad_module_folders_are_refused_with_the_reason() {
    let src = Sources::new();
    let (root, registry) = registry();

    let empty = src.dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let err = registry.install(&empty).unwrap_err().to_string();
    assert!(err.contains("is not a module folder: it has no visor.toml"), "{err}");

    let invalid = src.module("clock", "1.0.0", "colour = \"blue\"", "a");
    let err = registry.install(&invalid).unwrap_err().to_string();
    assert!(err.contains(&invalid.join("visor.toml").display().to_string()), "names the file: {err}");
    assert!(err.contains("unknown field `colour`"), "{err}");

    let no_component = src.module("clock", "1.0.0", "", "b");
    fs::remove_file(no_component.join("clock.wasm")).unwrap();
    let err = registry.install(&no_component).unwrap_err().to_string();
    assert!(err.contains("module clock@1.0.0: its manifest names the component"), "{err}");
    assert!(err.contains("build the component first"), "{err}");

    let err = registry.remove("../../etc", None).unwrap_err();
    assert!(matches!(err, RegistryError::BadName { .. }), "{err}");
    assert!(registry.list().unwrap().is_empty());
    assert!(files_in(&root.path().join("blobs/sha256")).is_empty(), "a refused install leaves no blobs");
    assert!(files_in(&root.path().join("tmp")).is_empty(), "nor anything in tmp/");
}

/// camera (driver) <- vision <- face-tags -> detector (exports the interface)
fn vision_store(src: &Sources, registry: &Registry) {
    registry.install(&src.driver("camera", "1.0.0")).unwrap();
    for version in ["0.3.0", "0.3.2", "0.4.0"] {
        let deps = "depends = [{ module = \"camera\", version = \"^1\" }]";
        registry.install(&src.module("vision", version, deps, version)).unwrap();
    }
    let exports = |iface: &str| format!("exports = {{ interfaces = [\"visor:vision/detections@{iface}\"] }}");
    registry.install(&src.module("detector", "2.0.0", &exports("1.1.0"), "a")).unwrap();
    registry.install(&src.module("old-detector", "3.0.0", &exports("1.0.0"), "a")).unwrap();
    registry.install(&src.module("new-detector", "1.0.0", &exports("2.0.0"), "a")).unwrap();
    let deps = "depends = [{ module = \"vision\", version = \"^0.3\" }, \
                { interface = \"visor:vision/detections\", version = \"^1\" }]";
    registry.install(&src.module("face-tags", "0.2.1", deps, "a")).unwrap();
}

#[test]
fn resolution_puts_dependencies_first_and_picks_the_highest_match() {
    let src = Sources::new();
    let (_root, registry) = registry();
    vision_store(&src, &registry);
    let order: Vec<String> = registry.resolve("face-tags", None).unwrap().iter().map(|m| m.id()).collect();
    // vision ^0.3 -> 0.3.2 (not 0.4.0); detections ^1 -> detector (1.1.0 beats 1.0.0; 2.0.0 is out of range).
    assert_eq!(order, ["camera@1.0.0", "vision@0.3.2", "detector@2.0.0", "face-tags@0.2.1"]);

    let order: Vec<String> =
        registry.resolve("vision", Some(&VersionReq::parse("<0.3.2").unwrap())).unwrap().iter().map(|m| m.id()).collect();
    assert_eq!(order, ["camera@1.0.0", "vision@0.3.0"]);

    let err = registry.resolve("vision", Some(&VersionReq::parse("^9").unwrap())).unwrap_err().to_string();
    assert!(err.contains("vision ^9 is not installed; installed versions of 'vision': 0.3.0, 0.3.2, 0.4.0"), "{err}");
}

#[test]
fn a_missing_dependency_names_the_module_the_dependency_and_what_is_installed() {
    let src = Sources::new();
    let (_root, registry) = registry();
    registry.install(&src.module("vision", "0.2.0", "", "a")).unwrap();
    registry.install(&src.module("face-tags", "0.2.1", "depends = [{ module = \"vision\", version = \"^0.3\" }]", "a")).unwrap();
    let err = registry.resolve("face-tags", None).unwrap_err();
    assert!(matches!(err, RegistryError::MissingDependency { .. }), "{err}");
    let err = err.to_string();
    assert!(err.contains("face-tags@0.2.1 needs vision ^0.3; installed: vision 0.2.0"), "{err}");

    let deps = "depends = [{ interface = \"visor:vision/detections\", version = \"^2\" }]";
    registry.install(&src.module("labels", "1.0.0", deps, "a")).unwrap();
    let err = registry.resolve("labels", None).unwrap_err().to_string();
    assert!(err.contains("labels@1.0.0 needs interface visor:vision/detections ^2; installed: none"), "{err}");
    let exports = "exports = { interfaces = [\"visor:vision/detections@1.4.0\"] }";
    registry.install(&src.module("detector", "1.0.0", exports, "a")).unwrap();
    let err = registry.resolve("labels", None).unwrap_err().to_string();
    assert!(err.contains("installed: detector@1.0.0 exports visor:vision/detections@1.4.0"), "{err}");
}

#[test]
fn a_dependency_cycle_is_named() {
    let src = Sources::new();
    let (_root, registry) = registry();
    registry.install(&src.module("alpha", "1.0.0", "depends = [{ module = \"beta\", version = \"*\" }]", "a")).unwrap();
    registry.install(&src.module("beta", "1.0.0", "depends = [{ module = \"gamma\", version = \"*\" }]", "a")).unwrap();
    registry.install(&src.module("gamma", "1.0.0", "depends = [{ module = \"beta\", version = \"^1\" }]", "a")).unwrap();
    let err = registry.resolve("alpha", None).unwrap_err();
    assert!(matches!(err, RegistryError::Cycle { .. }), "{err}");
    let err = err.to_string();
    assert!(err.contains("dependency cycle: beta@1.0.0 -> gamma@1.0.0 -> beta@1.0.0"), "{err}");
}

#[test]
fn removal_is_refused_while_something_depends_on_it() {
    let src = Sources::new();
    let (_root, registry) = registry();
    vision_store(&src, &registry);

    let err = registry.remove("camera", None).unwrap_err();
    assert!(matches!(err, RegistryError::DependedOn { .. }), "{err}");
    let err = err.to_string();
    assert!(err.contains("cannot remove camera@1.0.0: vision@"), "{err}");
    assert!(err.contains("(camera ^1)"), "{err}");

    // Another 0.3 stays, so one may go; removing every vision would strand face-tags.
    registry.remove("vision", Some(&v("0.3.2"))).unwrap();
    let err = registry.remove("vision", None).unwrap_err().to_string();
    assert!(err.contains("cannot remove vision@0.3.0: face-tags@0.2.1 depends on it (vision ^0.3)"), "{err}");
    assert!(err.contains("remove face-tags@0.2.1 first"), "{err}");

    // detector and old-detector both export detections ^1: either may go, not both.
    registry.remove("detector", None).unwrap();
    let err = registry.remove("old-detector", None).unwrap_err().to_string();
    assert!(err.contains("face-tags@0.2.1 depends on it (interface visor:vision/detections ^1)"), "{err}");

    registry.remove("face-tags", None).unwrap();
    registry.remove("old-detector", None).unwrap();
    registry.remove("vision", None).unwrap();
    registry.remove("camera", None).unwrap();
    assert_eq!(ids(&registry), ["new-detector@1.0.0"]);
    assert!(registry.verify().is_empty());
}

#[test]
fn gc_removes_unreferenced_blobs_only() {
    let src = Sources::new();
    let (root, registry) = registry();
    // Same component bytes (variant "same"): one blob, two manifests.
    let a = registry.install(&src.module("alpha", "1.0.0", "", "same")).unwrap();
    let b = registry.install(&src.module("alpha", "1.1.0", "", "same")).unwrap();
    let shared = a.component.as_ref().unwrap().sha256.clone();
    assert_eq!(b.component.as_ref().unwrap().sha256, shared);
    let blobs = root.path().join("blobs/sha256");
    assert_eq!(files_in(&blobs).len(), 3);

    let orphan = "0".repeat(64);
    fs::write(blobs.join(&orphan), "left by a crash").unwrap();
    let report = registry.gc().unwrap();
    assert_eq!((report.blobs_removed, report.bytes_freed), (1, 15));
    assert_eq!(files_in(&blobs).len(), 3);

    registry.remove("alpha", Some(&v("1.0.0"))).unwrap();
    let left = files_in(&blobs);
    assert_eq!(left.len(), 2, "alpha@1.0.0's manifest went; the shared component stayed");
    assert!(left.contains(&shared) && left.contains(&b.manifest_sha256));
    assert_eq!(registry.gc().unwrap().blobs_removed, 0);
    assert!(registry.verify().is_empty());
}

#[test]
fn verify_names_damage_and_a_later_install_repairs_a_blob() {
    let src = Sources::new();
    let (_root, registry) = registry();
    let installed = registry.install(&src.module("clock", "1.0.0", "", "a")).unwrap();
    let blob = installed.component.unwrap().path;
    fs::write(&blob, "(component) ;; tampered").unwrap();
    let problems = registry.verify();
    assert!(problems.iter().any(|p| p.contains("holds content whose sha256 is")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("clock@1.0.0 uses the damaged blob")), "{problems:?}");
    // Installing anything with the same component bytes repairs the blob.
    registry.install(&src.module("watch", "1.0.0", "", "a")).unwrap();
    assert_eq!(registry.verify(), Vec::<String>::new());

    fs::remove_file(&blob).unwrap();
    let problems = registry.verify();
    assert!(problems.iter().any(|p| p.contains("clock@1.0.0 needs the blob") && p.contains("missing")), "{problems:?}");
}

#[test]
fn compiled_code_is_cached_per_engine_and_a_corrupt_cache_is_rewritten() {
    let src = Sources::new();
    let (root, registry) = registry();
    let module = registry.install(&src.module("clock", "1.0.0", "", "a")).unwrap();
    let engine = engine(true);

    let (_, outcome) = registry.load_component(&engine, &module).unwrap();
    assert_eq!(outcome, CacheOutcome::Miss);
    let (_, outcome) = registry.load_component(&engine, &module).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
    // The next start: a fresh registry handle and engine with the same configuration.
    let reopened = Registry::open(root.path()).unwrap();
    let (_, outcome) = reopened.load_component(&self::engine(true), &module).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit, "the second start skips compilation");

    let cache = root.path().join("cache");
    // One folder per engine, beside the store's secret key (`.key`).
    let engines = |cache: &Path| files_in(cache).into_iter().filter(|n| !n.starts_with('.')).collect::<Vec<_>>();
    let keys = engines(&cache);
    assert_eq!(keys.len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(cache.join(".key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the cache key is the store user's alone: {mode:o}");
    }
    let sha = &module.component.as_ref().unwrap().sha256;
    let cwasm = cache.join(&keys[0]).join(format!("{sha}.cwasm"));
    let tag = cache.join(&keys[0]).join(format!("{sha}.cwasm.tag"));
    assert_eq!(files_in(&cache.join(&keys[0])), [format!("{sha}.cwasm"), format!("{sha}.cwasm.tag")]);
    let good = fs::read(&cwasm).unwrap();

    // Truncated, then flipped: each a miss, and rewritten.
    fs::write(&cwasm, &good[..good.len() / 2]).unwrap();
    let (_, outcome) = registry.load_component(&engine, &module).unwrap();
    assert_eq!(outcome, CacheOutcome::Miss);
    assert_eq!(fs::read(&cwasm).unwrap(), good, "rewritten");
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    fs::write(&cwasm, &flipped).unwrap();
    assert_eq!(registry.load_component(&engine, &module).unwrap().1, CacheOutcome::Miss);
    assert_eq!(registry.load_component(&engine, &module).unwrap().1, CacheOutcome::Hit);

    // A forgery: substituted code with a hash of its own beside it, as a neighbour able to write
    // the cache folder would leave. Without the store's key there is no sound tag: a miss.
    let good_tag = fs::read_to_string(&tag).unwrap();
    fs::write(&cwasm, &flipped).unwrap();
    fs::write(&tag, format!("{}\n", sha256_hex(&flipped))).unwrap();
    assert_eq!(registry.load_component(&engine, &module).unwrap().1, CacheOutcome::Miss, "a plain hash vouches for nothing");
    assert_eq!(fs::read(&cwasm).unwrap(), good, "rewritten");
    assert_eq!(fs::read_to_string(&tag).unwrap(), good_tag);

    // An engine configured differently gets its own folder.
    let other = self::engine(false);
    assert_eq!(registry.load_component(&other, &module).unwrap().1, CacheOutcome::Miss);
    assert_eq!(registry.load_component(&other, &module).unwrap().1, CacheOutcome::Hit);
    assert_eq!(engines(&cache).len(), 2);

    // The cache goes with the last module that uses the component.
    registry.remove("clock", None).unwrap();
    assert!(engines(&cache).iter().all(|key| files_in(&cache.join(key)).is_empty()));
}

#[test]
fn native_modules_and_broken_components_are_load_errors() {
    let src = Sources::new();
    let (_root, registry) = registry();
    let driver = registry.install(&src.driver("camera", "1.0.0")).unwrap();
    assert!(driver.component.is_none());
    let err = registry.load_component(&engine(true), &driver).unwrap_err().to_string();
    assert!(err.contains("camera@1.0.0 is a native driver ('camera'), not a component"), "{err}");

    let junk = src.module("junk", "1.0.0", "", "a");
    fs::write(junk.join("junk.wasm"), "(module (func))").unwrap();
    let junk = registry.install(&junk).unwrap();
    let err = registry.load_component(&engine(true), &junk).unwrap_err().to_string();
    assert!(err.contains("module junk@1.0.0: junk.wasm does not compile as a WebAssembly component"), "{err}");
}

// --- Installs killed half way -------------------------------------------------------------

const CHILD_ROOT: &str = "VISOR_REGISTRY_CHILD_ROOT";
const CHILD_MODULE: &str = "VISOR_REGISTRY_CHILD_MODULE";
/// Where the child stops: `after-blobs` or `after-stage`.
const CHILD_PAUSE_AT: &str = "VISOR_REGISTRY_CHILD_PAUSE_AT";
/// The file (under the registry's `tmp/`) the child writes once stopped.
const PAUSE_MARKER: &str = "PAUSED";

fn point_name(point: InstallPoint) -> &'static str {
    match point {
        InstallPoint::AfterBlobs => "after-blobs",
        InstallPoint::AfterStage => "after-stage",
    }
}

/// Not a test on its own: the process the crash tests start (with the environment above) and
/// kill. It installs into [`CHILD_ROOT`] with a hook that, at [`CHILD_PAUSE_AT`], writes
/// [`PAUSE_MARKER`] and sleeps long enough to be killed there.
#[test]
#[ignore = "subprocess entry point: run by kill_mid_install"]
fn child_install() {
    let var = |name| std::env::var_os(name).unwrap_or_else(|| panic!("{name} is not set: run through kill_mid_install"));
    let (root, module) = (var(CHILD_ROOT), var(CHILD_MODULE));
    let pause_at = var(CHILD_PAUSE_AT).into_string().unwrap();
    let registry = Registry::open(Path::new(&root)).unwrap().with_install_hook(move |point, tmp| {
        if point_name(point) == pause_at {
            fs::write(tmp.join(PAUSE_MARKER), &pause_at).unwrap();
            std::thread::sleep(Duration::from_secs(30));
        }
    });
    registry.install(Path::new(&module)).unwrap();
}

fn kill_mid_install(point: InstallPoint) {
    let src = Sources::new();
    let (root, registry) = registry();
    registry.install(&src.module("bystander", "1.0.0", "", "a")).unwrap();
    let module = src.module("clock", "1.0.0", "", "b");

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_install", "--nocapture", "--test-threads=1"])
        .env(CHILD_ROOT, root.path())
        .env(CHILD_MODULE, &module)
        .env(CHILD_PAUSE_AT, point_name(point))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let tmp = root.path().join("tmp");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tmp.join(PAUSE_MARKER).exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the installing child exited ({status}) before reaching {point:?}");
        }
        assert!(Instant::now() < deadline, "the installing child did not reach {point:?} within 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let in_flight = files_in(&tmp);
    if point == InstallPoint::AfterStage {
        assert!(in_flight.iter().any(|n| n.starts_with("stage-")), "{in_flight:?}");
    }
    // Another process opening the store meanwhile must leave the install's work alone.
    let meanwhile = Registry::open(root.path()).unwrap();
    assert_eq!(files_in(&tmp), in_flight, "an open during an install cleaned its staging");
    assert_eq!(ids(&meanwhile), ["bystander@1.0.0"], "a half-done install is invisible");

    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was still paused when killed: {status}");

    let registry = Registry::open(root.path()).unwrap();
    assert!(files_in(&tmp).is_empty(), "open clears what the killed install left: {:?}", files_in(&tmp));
    assert_eq!(registry.verify(), Vec::<String>::new());
    assert_eq!(ids(&registry), ["bystander@1.0.0"]);
    assert!(registry.get("clock", None).unwrap().is_none());
    assert!(!root.path().join("modules/clock").exists());
    // The killed install's blobs were already in place; nothing refers to them.
    assert_eq!(registry.gc().unwrap().blobs_removed, 2);

    let clock = registry.install(&module).unwrap();
    assert_eq!(clock.id(), "clock@1.0.0");
    assert_eq!(ids(&registry), ["bystander@1.0.0", "clock@1.0.0"]);
    assert!(registry.verify().is_empty());
}

#[test]
fn an_install_killed_after_writing_blobs_leaves_a_sound_store() {
    kill_mid_install(InstallPoint::AfterBlobs);
}

#[test]
fn an_install_killed_after_staging_leaves_a_sound_store() {
    kill_mid_install(InstallPoint::AfterStage);
}
