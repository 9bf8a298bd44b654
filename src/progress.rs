//! What long work is doing, shown the way the terminal can take it: on an interactive terminal a
//! spinner with the step and its elapsed time (indicatif) that clears when the step ends; piped,
//! in CI or under `RUST_LOG` plain log lines (`tracing`), one when a step starts and one when it
//! ends with how long it took, so logs stay greppable.
//!
//! Used for pulling and verifying a package, compiling a component, starting the apps of a run
//! and running a bench suite: `let step = progress::step("pulling oci://…"); …; step.done();`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// One step of long work; dropping it without [`Step::done`] ends it quietly (an error path).
pub struct Step {
    what: String,
    started: Instant,
    bar: Option<ProgressBar>,
}

/// Whether progress is drawn: stderr is a terminal, not in CI, and logs are not asked for in
/// detail (a spinner would tangle with `RUST_LOG` lines).
fn interactive() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() && std::env::var_os("RUST_LOG").is_none()
}

/// Starts a step described as `what` ("compiling hud 0.1.0").
pub fn step(what: impl Into<String>) -> Step {
    let what = what.into();
    let bar = interactive().then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner:.cyan} {msg} {elapsed:.dim}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(what.clone());
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    if bar.is_none() {
        tracing::info!("{what} …");
    }
    Step { what, started: Instant::now(), bar }
}

impl Step {
    /// Says what the step does now ("verifying the signature").
    pub fn set(&mut self, what: impl Into<String>) {
        self.what = what.into();
        match &self.bar {
            Some(bar) => bar.set_message(self.what.clone()),
            None => tracing::info!("{} …", self.what),
        }
    }

    /// Ends the step, logging how long it took.
    pub fn done(mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        tracing::info!(ms = self.started.elapsed().as_millis() as u64, "{}: done", self.what);
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
