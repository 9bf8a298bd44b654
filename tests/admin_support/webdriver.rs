//! Headless Chromium driven over the W3C WebDriver protocol: chromedriver as a child process,
//! and JSON over the small HTTP client. Only what the admin tests need: open a page, find an
//! element by CSS, click it, read its text, run a script.
//!
//! Debian's `chromium` and `chromium-driver` must be installed (scripts/setup.sh does);
//! `VISOR_CHROMIUM` and `VISOR_CHROMEDRIVER` point elsewhere. Missing, the test fails saying so.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::http::request;

/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn binary(env: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "{} not found: the admin page test drives headless Chromium; install Debian's chromium and \
         chromium-driver (scripts/setup.sh does), or set {env}",
        path.display()
    );
    path
}

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    profile: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session.
    pub fn start() -> Browser {
        let chromedriver = binary("VISOR_CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = binary("VISOR_CHROMIUM", "/usr/bin/chromium");
        let port = super::free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let base = format!("http://127.0.0.1:{port}");
        let profile = std::env::temp_dir().join(format!("visor-admin-chromium-{}-{port}", std::process::id()));
        let mut browser = Browser { driver, base, session: String::new(), profile };
        let deadline = Instant::now() + Duration::from_secs(30);
        while request("GET", &format!("{}/status", browser.base), &[], None).map(|r| r.json()["value"]["ready"] == true).ok() != Some(true)
        {
            assert!(Instant::now() < deadline, "chromedriver did not become ready on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=1400,1000".into(),
            format!("--user-data-dir={}", browser.profile.display()),
        ];
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        }}});
        let created = browser.call("POST", "/session", Some(capabilities));
        browser.session = created["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_string();
        browser
    }

    /// One WebDriver command; returns its `value`, panicking on a WebDriver error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body).unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let body = body.map(|b| b.to_string());
        let headers = [("Content-Type", "application/json")];
        let response =
            request(method, &format!("{}{path}", self.base), &headers, body.as_deref().map(str::as_bytes)).map_err(|e| e.to_string())?;
        let value = response.json()["value"].take();
        if response.status == 200 { Ok(value) } else { Err(format!("{}: {value}", response.status)) }
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", &self.session_path("/url"), Some(json!({ "url": url })));
    }

    /// The element `css` selects, if there is one now.
    pub fn find(&self, css: &str) -> Option<String> {
        let found = self.try_call("POST", &self.session_path("/element"), Some(json!({ "using": "css selector", "value": css })));
        found.ok().and_then(|v| v[ELEMENT].as_str().map(str::to_string))
    }

    pub fn click(&self, element: &str) {
        self.call("POST", &self.session_path(&format!("/element/{element}/click")), Some(json!({})));
    }

    /// The visible text of the element `css` selects (`None` if there is none, or it went
    /// stale while being read).
    pub fn text(&self, css: &str) -> Option<String> {
        let element = self.find(css)?;
        let text = self.try_call("GET", &self.session_path(&format!("/element/{element}/text")), None).ok()?;
        text.as_str().map(str::to_string)
    }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    pub fn execute(&self, script: &str) -> Value {
        self.call("POST", &self.session_path("/execute/sync"), Some(json!({ "script": script, "args": [] })))
    }

    /// Waits until `check` gives `Some`, polling; panics with `what` after `timeout`.
    pub fn wait_for<T>(&self, what: &str, timeout: Duration, mut check: impl FnMut(&Browser) -> Option<T>) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = check(self) {
                return found;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.try_call("DELETE", &self.session_path(""), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
