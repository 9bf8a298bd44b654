use super::*;

const GOOD: &str = r#"
name = "face-tags"
version = "0.2.1"
kind = "app"
description = "Labels next to faces"
entry = { component = "face_tags.wasm" }
depends = [{ module = "vision", version = "^0.3" }, { interface = "visor:vision/detections", version = "^1" }]
exports = { interfaces = ["visor:tags/labels@1.0.0"], topics = ["tags/#"] }
triggers = { boot = true, topics = ["vision/faces"] }

[capabilities]
publish = ["tags/#"]
subscribe = ["vision/faces", "camera/+/info"]
call = ["vision"]
devices = ["display-layer"]
network = ["api.example.com", "10.0.0.0/8", "192.168.1.7"]
dirs = [{ host = "data", guest = "/data", mode = "rw" }]

[limits]
memory_mib = 64
bus_messages_per_second = 500
"#;

#[test]
fn a_complete_manifest_parses() {
    let m = Manifest::parse(GOOD, "good").unwrap();
    assert_eq!(m.id(), "face-tags@0.2.1");
    assert_eq!(m.kind, ModuleKind::App);
    assert_eq!(m.entry, Entry::Component("face_tags.wasm".into()));
    assert_eq!(m.depends.len(), 2);
    assert!(m.triggers.boot);
    assert_eq!(m.capabilities.devices, vec![Device::DisplayLayer]);
    assert!(m.capabilities.network.iter().any(|n| n.allows("10.1.2.3")));
    assert!(!m.capabilities.network.iter().any(|n| n.allows("11.1.2.3")));
    assert_eq!(m.limits.memory_mib, 64);
    assert_eq!(m.limits.frame_cpu_ms, Limits::default().frame_cpu_ms, "absent limits take the default");
}

#[test]
fn a_manifest_with_every_field_wrong_reports_every_problem() {
    let bad = r#"
name = "Face Tags!"
version = "1.0"
kind = "daemon"
entry = { component = "../../etc/evil.so" }
depends = [{ module = "vision" }, { version = "^1" }]
exports = { interfaces = ["nonsense"], topics = ["a/#/b"] }
triggers = { boot = "yes" }
colour = "blue"

[capabilities]
publish = ["bad topic"]
devices = ["toaster"]
network = ["not a host!"]
dirs = [{ host = "../../etc", guest = "data", mode = "rwx" }]

[limits]
memory_mib = 999999
frame_cpu_ms = "fast"
"#;
    let err = Manifest::parse(bad, "bad.toml").unwrap_err();
    let ManifestError::Invalid { problems, .. } = &err else { panic!("{err}") };
    let expect = [
        "`name` 'Face Tags!'",
        "`version` '1.0' is not semver",
        "`kind` 'daemon'",
        "`entry.component` '../../etc/evil.so'",
        "`depends[0].version` is missing",
        "`depends[1]` needs exactly one of `module` or `interface`",
        "'nonsense' should look like",
        "exports.topics",
        "`triggers.boot` should be true or false",
        "unknown field `colour`",
        "capabilities.publish",
        "'toaster' is not a device",
        "'not a host!' is neither",
        "`capabilities.dirs[0].host` '../../etc' leaves",
        "`capabilities.dirs[0].guest` 'data'",
        "`capabilities.dirs[0].mode` 'rwx'",
        "`limits.memory_mib` is 999999",
        "`limits.frame_cpu_ms` should be a whole number",
    ];
    for needle in expect {
        assert!(problems.iter().any(|p| p.contains(needle)), "no problem mentions {needle:?}:\n{err}");
    }
    assert_eq!(problems.len(), expect.len(), "one line per problem:\n{err}");
}

#[test]
fn an_app_cannot_be_native() {
    let text = GOOD.replace("entry = { component = \"face_tags.wasm\" }", "entry = { native = \"camera\" }");
    let err = Manifest::parse(&text, "native-app").unwrap_err().to_string();
    assert!(err.contains("apps are wasm components"), "{err}");
}

#[test]
fn syntax_errors_name_the_file() {
    let err = Manifest::parse("name = ", "broken.toml").unwrap_err().to_string();
    assert!(err.starts_with("manifest broken.toml is not TOML"), "{err}");
}

#[test]
fn settings_pass_through_as_written_and_must_be_a_table() {
    let text = format!("{GOOD}\n[settings]\nmodel = \"m.onnx\"\nscore_threshold = 0.7\n");
    let m = Manifest::parse(&text, "settings").unwrap();
    assert_eq!(m.settings.get("model").and_then(|v| v.as_str()), Some("m.onnx"));
    assert_eq!(m.settings.get("score_threshold").and_then(|v| v.as_float()), Some(0.7));
    assert!(Manifest::parse(GOOD, "none").unwrap().settings.is_empty());

    let bad = GOOD.replace("kind = \"app\"", "kind = \"app\"\nsettings = 3");
    let err = Manifest::parse(&bad, "bad").unwrap_err().to_string();
    assert!(err.contains("`settings` should be a table"), "{err}");
}

#[test]
fn shell_topics_are_asked_for_with_the_shell_capability() {
    let base = "name = \"l\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"l.wasm\" }\n[capabilities]\npublish = [\"shell/cmd/#\"]\nsubscribe = [\"shell/state\"]\n";
    let error = Manifest::parse(base, "l").unwrap_err().to_string();
    assert!(
        error.contains("'shell/cmd/#' is under shell/") && error.contains("'shell/state'") && error.contains("shell = true"),
        "{error}"
    );
    let launcher = Manifest::parse(&format!("{base}shell = true\n"), "l").unwrap();
    assert!(launcher.capabilities.shell);
}

#[test]
fn folders_stay_inside_the_modules_own_data_folder() {
    for host in ["/home/me", "../up", "data/../../x"] {
        let text = format!(
            "name = \"m\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = {{ component = \"m.wasm\" }}\n\
             [capabilities]\ndirs = [{{ host = \"{host}\", guest = \"/d\" }}]"
        );
        let error = Manifest::parse(&text, "m").unwrap_err().to_string();
        assert!(error.contains(&format!("'{host}' leaves the module's data folder")), "{host}: {error}");
    }
}
