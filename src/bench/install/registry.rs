//! [`LoopbackRegistry`]: a real OCI registry (Debian's `docker-registry`, the CNCF
//! distribution server) started on a free loopback port with its own config file and storage
//! folder, and stopped when dropped. `visor bench install` and the OCI tests run against it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The server's executable, looked up on `PATH`.
pub const EXECUTABLE: &str = "docker-registry";

pub struct LoopbackRegistry {
    child: Child,
    dir: PathBuf,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl LoopbackRegistry {
    /// Starts a registry with empty storage and waits until `GET /v2/` answers.
    pub fn start() -> anyhow::Result<LoopbackRegistry> {
        Self::start_with(None)
    }

    /// Starts a registry that serves only `username` with `password` (HTTP basic auth against
    /// an htpasswd file, as a private registry does).
    pub fn start_with_login(username: &str, password: &str) -> anyhow::Result<LoopbackRegistry> {
        Self::start_with(Some((username, password)))
    }

    fn start_with(login: Option<(&str, &str)>) -> anyhow::Result<LoopbackRegistry> {
        let executable = find_on_path(EXECUTABLE).with_context(|| {
            format!(
                "{EXECUTABLE} is not on PATH: install it with `apt-get install -y docker-registry` \
                 (scripts/setup.sh does); the OCI tests and `visor bench install` publish to and \
                 install from a real registry on loopback"
            )
        })?;
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("visor-oci-registry-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("storage")).with_context(|| format!("creating {}", dir.display()))?;
        let auth = match login {
            None => String::new(),
            Some((username, password)) => {
                let htpasswd = dir.join("htpasswd");
                std::fs::write(&htpasswd, format!("{username}:{}\n", bcrypt(password)?))?;
                format!("auth:\n  htpasswd:\n    realm: visor-test\n    path: {}\n", htpasswd.display())
            }
        };
        let mut last_log = String::new();
        // A port found free can be taken before the server binds it: try a few.
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let addr = format!("127.0.0.1:{port}");
            let config = dir.join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    \
                     rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n{auth}",
                    dir.join("storage").display()
                ),
            )?;
            let log = std::fs::File::create(dir.join("registry.log"))?;
            let child = Command::new(&executable)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", executable.display()))?;
            let mut registry = LoopbackRegistry { child, dir: dir.clone(), addr };
            if registry.wait_ready(Duration::from_secs(15))? {
                tracing::debug!(addr = %registry.addr, "registry started");
                return Ok(registry);
            }
            last_log = registry.log();
        }
        bail!("{EXECUTABLE} did not start on loopback; its log:\n{last_log}")
    }

    /// `oci://127.0.0.1:PORT/PATH` for `PATH` = `REPOSITORY:TAG`.
    pub fn reference(&self, path: &str) -> String {
        format!("oci://{}/{path}", self.addr)
    }

    /// Where the registry keeps a blob's bytes (`sha256:HEX` or `HEX`), to damage on purpose.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir.join("storage/docker/registry/v2/blobs/sha256").join(&hex[..2]).join(hex).join("data")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
    }

    /// `Ok(false)` if the server exited (its port was taken); `Err` if it never answered.
    fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<bool> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(false);
            }
            if get_v2(&self.addr).unwrap_or(false) {
                return Ok(true);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("{EXECUTABLE} on {} did not answer GET /v2/ within {timeout:?}; its log:\n{}", self.addr, self.log())
    }
}

impl Drop for LoopbackRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether `GET /v2/` answers 200: the distribution API's "I am a registry".
fn get_v2(addr: &str) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(format!("GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    // 401: up, and asking for the login it was started with.
    Ok(head.ends_with(b" 200") || head.ends_with(b" 401"))
}

/// The bcrypt hash of `password` for an htpasswd file. `docker-registry` takes only bcrypt;
/// Python's `crypt` module (Debian's python3, installed by scripts/setup.sh) makes one.
fn bcrypt(password: &str) -> anyhow::Result<String> {
    let script = "import crypt, sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH)))";
    let mut child = Command::new("python3")
        .args(["-W", "ignore", "-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("running python3 to hash the registry's password (apt-get install -y python3)")?;
    child.stdin.take().context("python3's stdin")?.write_all(password.as_bytes())?;
    let out = child.wait_with_output()?;
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    anyhow::ensure!(
        out.status.success() && hash.starts_with("$2"),
        "python3 could not make a bcrypt hash (its crypt module has bcrypt on Debian 12): {hash}"
    );
    Ok(hash)
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    path.is_file()
}
