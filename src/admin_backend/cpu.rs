//! CPU time of the shell's module threads, read from `/proc/self/task` (Linux; elsewhere
//! nothing is known and the panel shows a dash).
//!
//! The runtime runs each module on one thread named `app-NAME` or `native-NAME` for its whole
//! run (restarts included), and the kernel keeps the first 15 bytes of a thread's name.
//! Threads that thread starts inherit its name (wasmtime's compiler workers, say), so all
//! threads of one name are added up: the work done for the module. Two modules whose names
//! cut to the same 15 bytes cannot be told apart; the caller shows no figure for them. The
//! runtime counting CPU time per module itself would be better (see the `admin_backend`
//! guide); this reads what the kernel already counts.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

/// The kernel's limit on a thread's name, without its terminating NUL.
const COMM_BYTES: usize = 15;
/// `/proc/*/stat` counts in USER_HZ ticks, which Linux fixes at 100 per second.
const TICK: Duration = Duration::from_millis(10);

/// CPU time per thread name, summed over the threads that share it.
pub(super) struct ThreadTimes(HashMap<String, Duration>);

impl ThreadTimes {
    pub(super) fn read() -> ThreadTimes {
        let mut times = HashMap::new();
        let Ok(tasks) = fs::read_dir("/proc/self/task") else { return ThreadTimes(times) };
        for task in tasks.flatten() {
            let dir = task.path();
            let (Some(name), Some(time)) = (comm(&dir), cpu_time(&dir)) else { continue };
            *times.entry(name).or_default() += time;
        }
        ThreadTimes(times)
    }

    /// The CPU time of the threads named `name`.
    pub(super) fn of(&self, name: &str) -> Option<Duration> {
        self.0.get(kernel_name(name)).copied()
    }
}

/// `name` as the kernel keeps it: its first 15 bytes.
pub(super) fn kernel_name(name: &str) -> &str {
    let mut cut = name.len().min(COMM_BYTES);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    &name[..cut]
}

fn comm(task: &Path) -> Option<String> {
    Some(fs::read_to_string(task.join("comm")).ok()?.trim_end_matches('\n').to_string())
}

/// Time on the CPU: nanoseconds from `schedstat` where the kernel keeps it, else user plus
/// system ticks from `stat`.
fn cpu_time(task: &Path) -> Option<Duration> {
    if let Ok(schedstat) = fs::read_to_string(task.join("schedstat"))
        && let Some(ns) = schedstat.split_whitespace().next().and_then(|n| n.parse().ok())
    {
        return Some(Duration::from_nanos(ns));
    }
    let stat = fs::read_to_string(task.join("stat")).ok()?;
    // The name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u32>().ok();
    Some(TICK * (ticks(11)? + ticks(12)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_named_thread_is_found_by_its_long_name() {
        let (started, stop) = (std::sync::Barrier::new(2), std::sync::atomic::AtomicBool::new(false));
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .name("app-a-rather-long-module-name".into())
                .spawn_scoped(s, || {
                    // Busy until the kernel has counted 40 ms of its CPU time (however long
                    // that takes on a shared machine), then hand over.
                    let deadline = std::time::Instant::now() + Duration::from_secs(60);
                    let busy_enough = || {
                        let counted = ThreadTimes::read().of("app-a-rather-long-module-name");
                        !cfg!(target_os = "linux") || counted.is_some_and(|t| t >= Duration::from_millis(40))
                    };
                    while !busy_enough() && std::time::Instant::now() < deadline {
                        for _ in 0..100_000 {
                            std::hint::black_box(0u64);
                        }
                    }
                    started.wait();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::thread::yield_now();
                    }
                })
                .unwrap();
            started.wait();
            let time = ThreadTimes::read().of("app-a-rather-long-module-name");
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            if cfg!(target_os = "linux") {
                assert!(time.is_some_and(|t| t >= Duration::from_millis(20)), "{time:?}");
            }
        });
        assert_eq!(ThreadTimes::read().of("no-such-thread"), None);
    }
}
