//! The admin panel end to end: `visor run --headless --frames 0 --admin` with the sample apps,
//! its API over HTTP (with and without the token), and its page in headless Chromium, where a
//! click on "stop" stops a module.
//!
//! Needs Debian's `chromium` and `chromium-driver` (scripts/setup.sh installs them); without
//! them the page test fails and says so.

mod admin_support;
mod common;

use std::time::Duration;

use admin_support::http::request;
use admin_support::visor::VisorRun;
use admin_support::webdriver::Browser;

#[test]
fn the_api_answers_only_with_the_token() {
    common::guests();
    let visor = VisorRun::start("api");
    for (method, path) in [("GET", "/api/modules"), ("GET", "/api/frame.png"), ("GET", "/api/logs"), ("POST", "/api/modules/hud/stop")] {
        for auth in [None, Some("Bearer not-the-token".to_string())] {
            let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
            let response = request(method, &format!("{}{path}", visor.base), &headers, None).unwrap();
            assert_eq!(response.status, 401, "{method} {path} with {auth:?}");
            assert!(response.json()["error"].as_str().is_some_and(|e| e.contains("token")));
        }
    }
    // The refused stop did nothing.
    for app in ["cube", "hud"] {
        assert_eq!(visor.state_of(app), "running", "{}", visor.log());
    }

    let modules = visor.api("GET", "/api/modules").json();
    let cube = modules["modules"].as_array().unwrap().iter().find(|m| m["name"] == "cube").unwrap().clone();
    assert_eq!(cube["kind"], "app");
    assert!(cube["frames"].as_u64().is_some_and(|n| n > 0), "{cube}");
    let limit = cube["memory_limit_bytes"].as_u64().filter(|n| *n > 0).unwrap_or_else(|| panic!("a memory limit: {cube}"));
    // A Rust wasm32-wasip2 guest starts with at least its 1 MiB stack in linear memory.
    let in_use = cube["memory_bytes"].as_u64().unwrap_or_else(|| panic!("memory in use: {cube}"));
    assert!((1 << 20..=limit).contains(&in_use), "memory in use, between 1 MiB and the limit: {cube}");
    assert_eq!(cube["restarts"], 0);

    let frame = visor.api("GET", "/api/frame.png");
    assert_eq!((frame.status, frame.header("content-type")), (200, Some("image/png")));
    let image = image::load_from_memory(&frame.body).expect("a PNG");
    assert_eq!((image.width(), image.height()), (1280, 480), "desktop-sim: two 640x480 eyes");

    let bus = visor.api("GET", "/api/bus").json();
    let subscriptions = bus["subscriptions"].as_array().unwrap();
    assert!(subscriptions.iter().any(|s| s["subscriber"] == "visor-admin" && s["pattern"] == "#"), "the monitor's tap: {bus}");

    let logs = visor.api("GET", "/api/logs?limit=500").json();
    let lines = logs["logs"].as_array().unwrap();
    assert!(lines.iter().any(|l| l["source"] == "cube" && l["message"] == "cube ready"), "the cube's own log line: {logs}");
    assert!(lines.iter().any(|l| l["source"] == "shell"), "the shell's lines: {logs}");
}

#[test]
fn the_page_lists_the_modules_and_stops_one_on_a_click() {
    common::guests();
    let visor = VisorRun::start("page");
    let browser = Browser::start();
    browser.goto(&visor.url);
    let wait = Duration::from_secs(30);

    let rows = browser.wait_for("the module table to list cube and hud, running", wait, |b| {
        let rows = b.execute("return [...document.querySelectorAll('#modules tbody tr')].map(r => [r.dataset.module, r.dataset.state]);");
        let rows: Vec<(String, String)> = serde_json::from_value(rows).ok()?;
        let running = |name: &str| rows.iter().any(|(n, s)| n == name && s == "running");
        (running("cube") && running("hud")).then_some(rows)
    });
    assert!(rows.iter().any(|(name, _)| name == "camera"), "the camera driver is a module too: {rows:?}");
    let memory = browser.execute(r#"return document.querySelector('tr[data-module="cube"]').cells[4].textContent;"#);
    let memory = memory.as_str().unwrap_or_default().to_string();
    let used = memory.split(" / ").next().and_then(|n| n.parse::<f64>().ok());
    assert!(used.is_some_and(|mib| mib >= 1.0) && memory.ends_with(" MiB"), "cube's memory in use against its limit: {memory:?}");
    assert_eq!(browser.execute("return location.search;"), "", "the one-time login left the address bar for the page");

    let stop = browser.find(r#"tr[data-module="hud"] button[data-action="stop"]"#).expect("hud's stop button");
    browser.click(&stop);
    browser.wait_for("the page to show hud stopped", wait, |b| b.text(r#"tr[data-module="hud"] td.state"#).filter(|t| t == "stopped"));
    assert_eq!(visor.state_of("hud"), "stopped", "{}", visor.log());
    assert_eq!(visor.state_of("cube"), "running");
    let start = browser.find(r#"tr[data-module="hud"] button[data-action="start"]"#).unwrap();
    assert_eq!(browser.execute(r#"return document.querySelector('tr[data-module="hud"] button[data-action="start"]').disabled;"#), false);

    // The rest of the page is live too: the frame preview, the bus and the log.
    browser.wait_for("the frame preview", wait, |b| {
        b.execute("return document.getElementById('frame').naturalWidth;").as_u64().filter(|w| *w == 1280)
    });
    browser.wait_for("the bus table", wait, |b| b.text("#topics tbody").filter(|t| t.contains("camera/frames")));
    browser.wait_for("the log to show the stop", wait, |b| b.text("#logs").filter(|t| t.contains("action=stop")));

    browser.click(&start);
    browser
        .wait_for("the page to show hud running again", wait, |b| b.text(r#"tr[data-module="hud"] td.state"#).filter(|t| t == "running"));
}

#[test]
fn frames_0_runs_until_ctrl_c_then_ends_cleanly() {
    common::guests();
    let mut visor = VisorRun::start("ctrl-c");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(visor.state_of("cube"), "running");
    let status = visor.interrupt(Duration::from_secs(30)).unwrap_or_else(|| panic!("visor did not stop on Ctrl-C:\n{}", visor.log()));
    assert!(status.success(), "{status}\n{}", visor.log());
    let timing = std::fs::read_to_string(visor.out.join("timing.jsonl")).unwrap();
    assert!(!timing.is_empty(), "the timing log was flushed");
    let pngs =
        std::fs::read_dir(&visor.out).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "png")).count();
    assert_eq!(pngs, 0, "an endless run writes no frames");
    assert!(visor.log().contains("headless run done"), "{}", visor.log());
    // The panel went with it.
    assert!(request("GET", &format!("{}/", visor.base), &[], None).is_err());
}

/// `visor module upgrade NAME` moves a module running in a shell on this machine to the newest
/// installed version in place — through the admin API, with the token the shell left — and the
/// API offers the upgrade (`upgrade_to`) until then.
#[test]
fn module_upgrade_moves_a_running_module_to_the_newest_installed_version_in_place() {
    common::guests();
    let visor_cli = |store: &std::path::Path, args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_visor")).arg("--store").arg(store).args(args).output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "visor {args:?}:\n{text}");
        text
    };
    let package = |store: &std::path::Path, version: &str| {
        let dir = store.with_file_name(format!("spinner-{version}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(common::component("cube"), dir.join("cube.wasm")).unwrap();
        let manifest = format!(
            "name = \"spinner\"\nversion = \"{version}\"\nkind = \"app\"\nentry = {{ component = \"cube.wasm\" }}\n\
             [triggers]\nboot = true\n[capabilities]\ndevices = [\"display-layer\"]\n"
        );
        std::fs::write(dir.join("visor.toml"), manifest).unwrap();
        dir
    };
    let visor = VisorRun::start_with_store("upgrade", |store| {
        visor_cli(store, &["module", "install", package(store, "0.1.0").to_str().unwrap()]);
        visor_cli(store, &["module", "grant", "spinner"]);
    });
    let store = visor.out.join("store");
    let spinner = || {
        let modules = visor.api("GET", "/api/modules").json();
        modules["modules"].as_array().unwrap().iter().find(|m| m["name"] == "spinner").cloned().unwrap_or_default()
    };
    let wait_for = |what: &str, ok: &dyn Fn(&serde_json::Value) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let now = spinner();
            if ok(&now) {
                return now;
            }
            assert!(std::time::Instant::now() < deadline, "waited for {what}: {now}\n{}", visor.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let before = wait_for("spinner 0.1.0 running", &|m| m["state"] == "running" && m["version"] == "0.1.0");
    assert!(before["upgrade_to"].is_null(), "nothing newer is installed yet: {before}");

    visor_cli(&store, &["module", "install", package(&store, "0.2.0").to_str().unwrap()]);
    wait_for("the API offers 0.2.0", &|m| m["upgrade_to"] == "0.2.0");
    let upgrade = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_visor"))
            .args(["module", "upgrade", "spinner"])
            .env("XDG_RUNTIME_DIR", visor.out.join("xdg"))
            .output()
            .unwrap()
    };
    let output = upgrade();
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && said.contains("upgrade spinner"), "{said}{}", String::from_utf8_lossy(&output.stderr));
    let after = wait_for("spinner 0.2.0 running", &|m| m["state"] == "running" && m["version"] == "0.2.0");
    assert_eq!(after["id"], before["id"], "the same module, upgraded in place");
    assert!(after["upgrade_to"].is_null(), "{after}");

    // Asking again says there is nothing newer, as the shell's own words.
    let again = upgrade();
    let refusal = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success() && refusal.contains("already runs 0.2.0"), "{refusal}");
}
