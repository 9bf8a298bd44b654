//! The admin server against a fake shell: the token check, every route, status codes and
//! bodies, over real HTTP on a loopback port of its own.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use support::http::{Response, request};
use visor_admin::{
    AdminConfig, AdminError, AdminServer, BackendError, BusMonitor, BusSnapshot, FramePreview, LogEntry, LogSource, ModuleAction,
    ModuleControl, ModuleState, ModuleView, Token, TopicView,
};
use visor_shell_api::{ModuleKind, Version};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

struct FakeShell {
    modules: Mutex<Vec<ModuleView>>,
    published: AtomicU64,
    frame: Option<Vec<u8>>,
}

fn module(name: &str) -> ModuleView {
    ModuleView {
        id: 1,
        name: name.into(),
        version: Version::new(1, 0, 0),
        kind: ModuleKind::App,
        state: ModuleState::Running,
        state_detail: None,
        memory_bytes: None,
        memory_limit_bytes: Some(64 << 20),
        bus_bytes: Some(0),
        bus_limit_bytes: Some(32 << 20),
        cpu_time_ms: Some(12.5),
        frames: Some(100),
        last_frame_ms: Some(0.4),
        restarts: 0,
        last_error: None,
        denied: Vec::new(),
        upgrade_to: None,
    }
}

impl ModuleControl for FakeShell {
    fn modules(&self) -> Result<Vec<ModuleView>, BackendError> {
        Ok(self.modules.lock().unwrap().clone())
    }

    fn act(&self, name: &str, action: ModuleAction) -> Result<(), BackendError> {
        let mut modules = self.modules.lock().unwrap();
        let index = modules.iter().position(|m| m.name == name).ok_or_else(|| BackendError::UnknownModule(name.into()))?;
        match action {
            ModuleAction::Start => modules[index].state = ModuleState::Running,
            ModuleAction::Stop => modules[index].state = ModuleState::Stopped,
            ModuleAction::Restart => modules[index].restarts += 1,
            ModuleAction::Remove => drop(modules.remove(index)),
            ModuleAction::Upgrade => modules[index].version = Version::new(2, 0, 0),
        }
        Ok(())
    }
}

impl BusMonitor for FakeShell {
    fn bus(&self) -> Result<BusSnapshot, BackendError> {
        // Ten messages between two looks.
        let messages = self.published.fetch_add(10, Ordering::Relaxed);
        let topic = TopicView {
            topic: "sensors/imu".into(),
            messages,
            rate_per_s: None,
            last_sender: Some("imu".into()),
            last_age_ms: Some(1.0),
            last_message: Some("json {\"x\":1}".into()),
        };
        Ok(BusSnapshot { topics: vec![topic], subscriptions: Vec::new(), untracked_messages: 0, peers: Vec::new() })
    }
}

impl FramePreview for FakeShell {
    fn frame_png(&self) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self.frame.clone())
    }
}

impl LogSource for FakeShell {
    fn logs(&self, limit: usize) -> Result<Vec<LogEntry>, BackendError> {
        let line =
            |n: u32| LogEntry { time_ms: 1e12 + f64::from(n), level: "info".into(), source: "shell".into(), message: format!("line {n}") };
        let lines: Vec<_> = (0..5).map(line).collect();
        Ok(lines[lines.len().saturating_sub(limit)..].to_vec())
    }
}

fn serve(frame: Option<Vec<u8>>) -> AdminServer {
    let shell = FakeShell { modules: Mutex::new(vec![module("clock"), module("hud")]), published: AtomicU64::new(0), frame };
    let config = AdminConfig { addr: "127.0.0.1:0".parse().unwrap(), token: Some(Token::new(TOKEN)) };
    AdminServer::start(config, Arc::new(shell)).expect("starting the admin server")
}

fn call(server: &AdminServer, method: &str, path: &str, token: Option<&str>) -> Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    request(method, &format!("http://{}{path}", server.addr()), &headers, None).expect("an HTTP answer")
}

#[test]
fn api_calls_without_the_right_token_get_401_with_a_json_error() {
    let server = serve(Some(PNG_MAGIC.to_vec()));
    let routes = [
        ("GET", "/api/modules"),
        ("POST", "/api/modules/clock/stop"),
        ("GET", "/api/bus"),
        ("GET", "/api/frame.png"),
        ("GET", "/api/logs"),
        ("GET", "/api/no-such-route"),
    ];
    for (method, path) in routes {
        for token in [None, Some("wrong"), Some(&TOKEN[1..])] {
            let response = call(&server, method, path, token);
            assert_eq!(response.status, 401, "{method} {path} with {token:?}");
            assert_eq!(response.header("www-authenticate"), Some("Bearer"));
            assert!(response.json()["error"].as_str().is_some_and(|e| e.contains("token")), "{method} {path}");
        }
    }
    // Nothing was done without the token.
    let modules = call(&server, "GET", "/api/modules", Some(TOKEN)).json();
    assert_eq!(modules["modules"][0]["state"], "running");
}

#[test]
fn the_page_is_served_without_the_token_and_names_its_script() {
    let server = serve(None);
    let page = call(&server, "GET", "/", None);
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains("<script src=\"/app.js\"") && html.contains("/style.css"), "{html}");
    for (path, kind) in [("/app.js", "text/javascript"), ("/style.css", "text/css")] {
        let file = call(&server, "GET", path, None);
        assert_eq!(file.status, 200, "{path}");
        assert!(file.header("content-type").is_some_and(|t| t.starts_with(kind)), "{path}");
    }
}

#[test]
fn modules_are_listed_and_the_buttons_act_on_them() {
    let server = serve(None);
    let list = call(&server, "GET", "/api/modules", Some(TOKEN)).json();
    let names: Vec<_> = list["modules"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["clock", "hud"]);
    assert_eq!(list["modules"][0]["memory_limit_bytes"], 64 << 20);

    let done = call(&server, "POST", "/api/modules/hud/stop", Some(TOKEN));
    assert_eq!(done.status, 200);
    assert_eq!(done.json(), serde_json::json!({ "module": "hud", "action": "stop" }));
    let list = call(&server, "GET", "/api/modules", Some(TOKEN)).json();
    assert_eq!(list["modules"][1]["state"], "stopped");

    // Never as a query parameter (URLs end up in logs and history).
    let refused = call(&server, "POST", &format!("/api/modules/clock/remove?token={TOKEN}"), None);
    assert_eq!(refused.status, 401);
    let removed = call(&server, "POST", "/api/modules/clock/remove", Some(TOKEN));
    assert_eq!(removed.status, 200);
    assert_eq!(call(&server, "GET", "/api/modules", Some(TOKEN)).json()["modules"].as_array().unwrap().len(), 1);

    let unknown = call(&server, "POST", "/api/modules/clock/start", Some(TOKEN));
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"], "no module named 'clock' is loaded");
    let bad = call(&server, "POST", "/api/modules/hud/explode", Some(TOKEN));
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("start, stop, restart, remove"));
    assert_eq!(call(&server, "GET", "/api/modules/hud/stop", Some(TOKEN)).status, 405);
}

#[test]
fn the_bus_monitor_gives_rates_from_the_second_look_on() {
    let server = serve(None);
    let first = call(&server, "GET", "/api/bus", Some(TOKEN)).json();
    assert_eq!(first["topics"][0]["topic"], "sensors/imu");
    assert!(first["topics"][0]["rate_per_s"].is_null(), "{first}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let second = call(&server, "GET", "/api/bus", Some(TOKEN)).json();
    let rate = second["topics"][0]["rate_per_s"].as_f64().expect("a rate on the second look");
    assert!(rate > 0.0 && rate <= 10.0 / 0.3, "{rate}");
    assert_eq!(second["topics"][0]["last_message"], "json {\"x\":1}");
}

#[test]
fn the_frame_is_png_and_logs_honour_their_limit() {
    let server = serve(Some(PNG_MAGIC.to_vec()));
    let frame = call(&server, "GET", "/api/frame.png", Some(TOKEN));
    assert_eq!((frame.status, frame.header("content-type")), (200, Some("image/png")));
    assert_eq!(frame.body, PNG_MAGIC);

    let logs = call(&server, "GET", "/api/logs?limit=2", Some(TOKEN)).json();
    let messages: Vec<_> = logs["logs"].as_array().unwrap().iter().map(|l| l["message"].as_str().unwrap()).collect();
    assert_eq!(messages, ["line 3", "line 4"]);
    assert_eq!(call(&server, "GET", "/api/logs", Some(TOKEN)).json()["logs"].as_array().unwrap().len(), 5);
    let bad = call(&server, "GET", "/api/logs?limit=lots", Some(TOKEN));
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("lots"));
}

#[test]
fn no_frame_yet_is_503_and_a_taken_port_is_an_error_naming_the_flag() {
    let server = serve(None);
    let frame = call(&server, "GET", "/api/frame.png", Some(TOKEN));
    assert_eq!(frame.status, 503);
    assert!(frame.json()["error"].as_str().unwrap().contains("no frame"));

    let again = AdminConfig { addr: server.addr(), token: None };
    let shell = FakeShell { modules: Mutex::default(), published: AtomicU64::new(0), frame: None };
    match AdminServer::start(again, Arc::new(shell)) {
        Err(e @ AdminError::Bind { .. }) => assert!(e.to_string().contains("--admin"), "{e}"),
        other => panic!("expected a bind error, got {other:?}"),
    }
}

#[test]
fn the_url_is_a_one_time_login_that_sets_the_token_cookie() {
    let server = serve(None);
    let url = server.url();
    assert!(!url.contains(TOKEN), "the token is never in the URL: {url}");
    let path = url.strip_prefix(&format!("http://{}", server.addr())).unwrap();
    assert!(path.starts_with("/login?once="), "{url}");
    let login = call(&server, "GET", path, None);
    assert_eq!((login.status, login.header("location")), (303, Some("/")));
    let cookie = login.header("set-cookie").expect("a cookie").to_string();
    assert!(
        cookie.starts_with(&format!("visor_admin={TOKEN};")) && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap();
    let with_cookie = request("GET", &format!("http://{}/api/modules", server.addr()), &[("Cookie", session)], None).unwrap();
    assert_eq!(with_cookie.status, 200);
    // Once only: a second visit (someone who read the address later) gets nothing.
    let again = call(&server, "GET", path, None);
    assert_eq!((again.status, again.header("set-cookie")), (401, None));
    let wrong = request("GET", &format!("http://{}/api/modules", server.addr()), &[("Cookie", "visor_admin=guess")], None).unwrap();
    assert_eq!(wrong.status, 401);
}

#[test]
fn random_tokens_are_used_by_default() {
    let shell = FakeShell { modules: Mutex::default(), published: AtomicU64::new(0), frame: None };
    let random = AdminServer::start(AdminConfig { addr: "127.0.0.1:0".parse().unwrap(), token: None }, Arc::new(shell)).unwrap();
    assert_eq!(random.token().as_str().len(), 32);
    assert_eq!(call(&random, "GET", "/api/modules", Some(random.token().as_str())).status, 200);
    assert_eq!(call(&random, "GET", "/api/modules", Some(TOKEN)).status, 401);
}
