//! `visor run --headless --frames 0 --admin 127.0.0.1:PORT` as a child process: its stderr is
//! read on a thread (kept for failure messages), the admin URL and token taken from the line
//! that announces them, and the process killed when the handle is dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::http::{Response, request};

pub struct VisorRun {
    child: Child,
    pub out: PathBuf,
    pub url: String,
    pub token: String,
    pub base: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl VisorRun {
    /// Starts the sample apps with the admin panel on a free port and waits for its URL.
    pub fn start(name: &str) -> VisorRun {
        Self::start_with_store(name, |_| {})
    }

    /// [`VisorRun::start`] with a store `prepare` fills first (given its folder): what is
    /// installed there for boot runs instead of the sample apps.
    pub fn start_with_store(name: &str, prepare: impl FnOnce(&std::path::Path)) -> VisorRun {
        let out = std::env::temp_dir().join(format!("visor-admin-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(out.join("xdg")).unwrap();
        prepare(&out.join("store"));
        let addr = format!("127.0.0.1:{}", super::free_port());
        let mut child = Command::new(env!("CARGO_BIN_EXE_visor"))
            .args(["run", "--headless", "--frames", "0", "--admin", &addr, "--out"])
            .arg(&out)
            // An empty store of its own: nothing installed, so the sample apps run.
            .arg("--store")
            .arg(out.join("store"))
            .env("XDG_RUNTIME_DIR", out.join("xdg"))
            .env("RUST_LOG", "info,wgpu_core=warn,wgpu_hal=warn,naga=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting visor");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (found, url) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let kept = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(at) = line.find("admin panel at http://") {
                    let url: String = line[at + "admin panel at ".len()..].split_whitespace().next().unwrap_or("").into();
                    let _ = found.send(url);
                }
                kept.lock().unwrap().push(line);
            }
        });
        let mut run = VisorRun { child, out, url: String::new(), token: String::new(), base: String::new(), stderr };
        run.url = url.recv_timeout(Duration::from_secs(300)).unwrap_or_else(|_| panic!("visor printed no admin URL:\n{}", run.log()));
        let (base, _) = run.url.split_once("/login?once=").unwrap_or_else(|| panic!("no one-time login in {}", run.url));
        run.base = base.to_string();
        assert!(!run.log().contains("token="), "the token is never in a logged URL:\n{}", run.log());
        // Scripts read the token from the file the shell names, readable by this user only.
        let port = addr.rsplit(':').next().unwrap();
        let file = run.out.join(format!("xdg/visor/admin-{port}.token"));
        run.token = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("the token file {}: {e}\n{}", file.display(), run.log()));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(run.base.ends_with(&addr), "{} listens where asked ({addr})", run.url);
        run
    }

    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Calls the API with the token.
    pub fn api(&self, method: &str, path: &str) -> Response {
        let auth = format!("Bearer {}", self.token);
        request(method, &format!("{}{path}", self.base), &[("Authorization", &auth)], None)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.log()))
    }

    /// The state the API gives for `module`.
    pub fn state_of(&self, module: &str) -> String {
        let list = self.api("GET", "/api/modules").json();
        let found = list["modules"].as_array().unwrap().iter().find(|m| m["name"] == module);
        found.map(|m| m["state"].as_str().unwrap().to_string()).unwrap_or_else(|| format!("absent from {list}"))
    }

    /// Sends SIGINT (Ctrl-C) and waits up to `timeout` for the process to end.
    pub fn interrupt(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let sent = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().expect("running kill");
        assert!(sent.success());
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for VisorRun {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.out);
    }
}
