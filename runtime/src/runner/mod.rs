//! An app on its own thread, at its own rate, handing layers to the compositor without locks,
//! and supervised: a crash restarts it with exponential backoff, until it crashes too often.
//!
//! The binary publishes each display frame's [`FrameInfo`](visor_types::FrameInfo) into the
//! [`FrameFeed`]; when the app's next frame is due its thread takes the newest one, runs
//! `frame`, and writes the submission into a triple buffer. The compositor reads the newest
//! complete submission with [`AppRunner::latest`] and never waits: a slow app shows its last
//! layer, a paused app its frozen one, a stopped or crashed app none.
//!
//! The shell steers the thread through a control channel (stop, pause, resume, restart,
//! upgrade); the thread reads it between frames, so a command never interrupts a `frame` call.
//!
//! What the shell reads back (status, crashes, frame counts and times, the memory gauge) is
//! shared state the thread updates; reading it never waits on a frame.
//!
//! Layout:
//! - `feed`: [`FrameFeed`], the newest frame template, written by the binary.
//! - `handle`: [`AppRunner`], the shell's side: spawning the thread and reading its state;
//!   [`RunContext`], what the thread is handed.
//! - `control`: the command path: the shell's commands to the thread and why a frame loop ends.
//! - `state`: [`AppStatus`], [`Crash`] and the state the thread shares with the shell.
//! - `worker`: the thread's life: load, run, restart after a crash, upgrade.
//! - `frame_loop`: one instance's frames: pacing, pausing, commands between frames.
//! - `supervisor`: [`RestartPolicy`] and the crash bookkeeping that decides restart or give up
//!   (shared with native drivers).

mod control;
mod feed;
mod frame_loop;
mod handle;
mod state;
mod supervisor;
mod worker;

pub use feed::FrameFeed;
pub use handle::{AppRunner, RunContext};
pub(crate) use state::panic_text;
pub use state::{AppStatus, Crash};
pub use supervisor::RestartPolicy;
pub(crate) use supervisor::{Supervisor, Verdict};
