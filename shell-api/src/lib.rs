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

use serde::{Deserialize, Serialize};

pub const STATE: &str = "shell/state";
pub const OPEN: &str = "shell/cmd/open";
pub const ANSWER: &str = "shell/cmd/answer";
pub const FOCUS: &str = "shell/cmd/focus";
pub const STOP: &str = "shell/cmd/stop";
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

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunningApp {
    pub name: String,
    pub version: String,
    /// `running`, `paused`, `starting`, `failed: …`.
    pub state: String,
    pub focused: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InstalledModule {
    pub name: String,
    pub version: String,
    /// `app`, `library` or `driver`.
    pub kind: String,
    /// Who vouched for it: "trusted publisher alice (ed25519 …)", "installed from a folder", …
    pub publisher: String,
    pub running: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsentRequest {
    /// Quote it in the [`Answer`].
    pub id: u64,
    pub module: String,
    pub version: String,
    /// The reference it was fetched from.
    pub source: String,
    pub publisher: String,
    /// What it asks to be allowed, one capability each.
    pub asks: Vec<Capability>,
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
