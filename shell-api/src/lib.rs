//! The shell's bus API: the topics under `shell/` and the messages on them.
//!
//! The launcher (or any module granted the privileged shell capability) manages the other
//! modules only through these topics; the bus refuses them to everyone else. One crate holds
//! them so the shell (host, native) and the launcher (guest, wasm) cannot drift apart.
//!
//! The shell publishes its whole state on [`STATE`] whenever it changes and once a second, so
//! a client that subscribes late, or drops messages, converges on the next one; clients send
//! commands on the `shell/cmd/…` topics and watch the state for the outcome:
//!
//! | topic | payload | what it does |
//! |---|---|---|
//! | [`STATE`] | JSON [`ShellState`] | shell → clients |
//! | [`OPEN`] | text: `oci://HOST/REPO:TAG`, `https://HOST/REPO:TAG`, or an installed module's name | fetch, verify and ask consent, or start what is installed |
//! | [`ANSWER`] | JSON [`Answer`] | the user's answer to [`ShellState::consent`] |
//! | [`FOCUS`] | text: a running app's name | give it the keyboard focus |
//! | [`STOP`] | text: a running module's name | stop it |
//!
//! What the shell knows as a type crosses as one: a module's [`ModuleState`] and
//! [`ModuleKind`] are enums and its version a [`semver::Version`], so that a change on one
//! side fails to compile on the other instead of misreading a string.

use std::fmt;

use serde::{Deserialize, Serialize};

pub use semver::Version;

pub const STATE: &str = "shell/state";
pub const OPEN: &str = "shell/cmd/open";
pub const ANSWER: &str = "shell/cmd/answer";
pub const FOCUS: &str = "shell/cmd/focus";
pub const STOP: &str = "shell/cmd/stop";
/// `NAME` or `NAME@VERSION`: move the running module to that installed version (the newest
/// when none is named) in place, keeping its bus identity and subscriptions.
pub const UPGRADE: &str = "shell/cmd/upgrade";
/// The pattern covering every command topic.
pub const COMMANDS: &str = "shell/cmd/#";

/// Everything a launcher shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShellState {
    /// Grows with every change; equal serials carry equal states.
    pub serial: u64,
    /// Running modules that draw (the launcher's tabs), in start order.
    pub apps: Vec<RunningApp>,
    /// Every installed module, newest version of each.
    pub installed: Vec<InstalledModule>,
    /// What the shell is busy with ("fetching oci://…"), if anything.
    pub busy: Option<String>,
    /// A download waiting for the user's answer.
    pub consent: Option<ConsentRequest>,
    /// The outcome of the last command.
    pub notice: Option<Notice>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunningApp {
    pub name: String,
    pub version: Version,
    pub state: ModuleState,
    pub focused: bool,
}

/// Where a module is in its life, as its supervisor reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleState {
    /// Compiling and initializing.
    Starting,
    Running,
    /// Not called until resumed; its last picture stays.
    Paused,
    /// Crashed; it starts again after a backoff (`attempt` counts from 1).
    Restarting {
        attempt: u32,
    },
    /// Stopped by the shell or the user.
    Stopped,
    /// Crashed too often; the supervisor gave up.
    Failed {
        reason: String,
    },
}

impl fmt::Display for ModuleState {
    /// In words, for a status line: `running`, `restarting (attempt 2)`, `failed: …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleState::Starting => f.write_str("starting"),
            ModuleState::Running => f.write_str("running"),
            ModuleState::Paused => f.write_str("paused"),
            ModuleState::Restarting { attempt } => write!(f, "restarting (attempt {attempt})"),
            ModuleState::Stopped => f.write_str("stopped"),
            ModuleState::Failed { reason } => write!(f, "failed: {reason}"),
        }
    }
}

/// What a module is, as its manifest's `kind` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleKind {
    App,
    Library,
    Driver,
}

impl ModuleKind {
    /// As manifests write it: `app`, `library`, `driver`.
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleKind::App => "app",
            ModuleKind::Library => "library",
            ModuleKind::Driver => "driver",
        }
    }
}

impl fmt::Display for ModuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstalledModule {
    pub name: String,
    pub version: Version,
    pub kind: ModuleKind,
    /// Who vouched for it: "trusted publisher alice (ed25519 …)", "installed from a folder", …
    pub publisher: String,
    pub running: bool,
    /// The older version running now, when this (newer) one can replace it in place
    /// ([`UPGRADE`]).
    #[serde(default)]
    pub upgrade_from: Option<Version>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsentRequest {
    /// Quote it in the [`Answer`].
    pub id: u64,
    pub module: String,
    pub version: Version,
    /// The reference it was fetched from.
    pub source: String,
    pub publisher: String,
    /// What it asks to be allowed, one capability each.
    pub asks: Vec<Capability>,
    /// The resources it asks for, in words: bus messages per second, bus memory, memory and
    /// CPU per frame ("1000 msg/s, 32 MiB bus, 64 MiB memory, 50 ms/frame").
    #[serde(default)]
    pub limits: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Capability {
    /// `KIND:WHAT`, as the policy and `visor module install --grant` name it.
    pub name: String,
    /// In words, for the dialog.
    pub description: String,
}

/// The user's answer to a [`ConsentRequest`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub id: u64,
    /// Install, granting these capabilities (names from [`Capability::name`]); `false` cancels
    /// the install and grants nothing.
    pub install: bool,
    pub grant: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub ok: bool,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The launcher reads what the shell writes: one state with every variant round-trips.
    #[test]
    fn a_state_round_trips_through_json() {
        let app = |name: &str, state| RunningApp { name: name.into(), version: Version::new(1, 2, 3), state, focused: false };
        let state = ShellState {
            serial: 7,
            apps: vec![
                app("a", ModuleState::Starting),
                app("b", ModuleState::Running),
                app("c", ModuleState::Paused),
                app("d", ModuleState::Restarting { attempt: 2 }),
                app("e", ModuleState::Stopped),
                app("f", ModuleState::Failed { reason: "trapped".into() }),
            ],
            installed: [ModuleKind::App, ModuleKind::Library, ModuleKind::Driver]
                .into_iter()
                .map(|kind| InstalledModule {
                    name: kind.to_string(),
                    version: Version::parse("0.1.0-beta.1").unwrap(),
                    kind,
                    publisher: "alice".into(),
                    running: true,
                    upgrade_from: Some(Version::new(0, 0, 9)),
                })
                .collect(),
            busy: None,
            consent: Some(ConsentRequest {
                id: 1,
                module: "hud".into(),
                version: Version::new(1, 0, 0),
                source: "oci://x/hud:1".into(),
                publisher: "alice".into(),
                asks: vec![],
                limits: "1000 msg/s".into(),
            }),
            notice: None,
        };
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.contains(r#""version":"1.2.3""#) && json.contains(r#""kind":"library""#), "{json}");
        assert_eq!(serde_json::from_str::<ShellState>(&json).unwrap(), state);
    }

    #[test]
    fn states_read_as_words() {
        assert_eq!(ModuleState::Restarting { attempt: 2 }.to_string(), "restarting (attempt 2)");
        assert_eq!(ModuleState::Failed { reason: "trapped".into() }.to_string(), "failed: trapped");
        assert_eq!(ModuleKind::Driver.to_string(), "driver");
    }
}
