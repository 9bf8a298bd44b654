//! Consent: what a downloaded module may do is the user's answer, not the publisher's wish.
//!
//! Before a module from a registry is installed, each capability its manifest asks for is
//! listed (on stderr, beside the prompt) and the user chooses: all, none, or some, by number or
//! by name. Scripts answer ahead with `--yes` (all) or `--grant all|none|CAP,...`; with neither
//! and no terminal on stdin there is nobody to ask, so the install is refused. Only what was
//! granted is written into the policy.
//!
//! A capability's name is `KIND:WHAT` (`publish:tags/#`, `device:display-layer`,
//! `network:10.0.0.0/8`, `dir:data`, `call:vision`, `shell`); a bare `KIND` names every
//! request of that kind.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use visor_runtime::bus::TopicPattern;
use visor_runtime::manifest::{Capabilities, Device, DirGrant, DirMode, Limits, Manifest, NetworkTarget};

/// How the user answers, decided from the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsentMode {
    /// Ask on the terminal.
    Ask,
    /// Grant these (an answer given ahead: `--yes`, `--grant`).
    Answer(String),
}

impl ConsentMode {
    pub fn from_flags(yes: bool, grant: Option<&str>) -> anyhow::Result<ConsentMode> {
        match (yes, grant) {
            (true, Some(_)) => bail!("--yes grants everything and --grant chooses: pass one of them, not both"),
            (true, None) => Ok(ConsentMode::Answer("all".into())),
            (false, Some(grant)) => Ok(ConsentMode::Answer(grant.to_string())),
            (false, None) => Ok(ConsentMode::Ask),
        }
    }
}

/// One capability a manifest asks for.
#[derive(Clone, Debug, PartialEq)]
enum Item {
    Publish(TopicPattern),
    Subscribe(TopicPattern),
    Call(String),
    Device(Device),
    Network(NetworkTarget),
    Dir(DirGrant),
    Shell,
}

impl Item {
    fn kind(&self) -> &'static str {
        match self {
            Item::Publish(_) => "publish",
            Item::Subscribe(_) => "subscribe",
            Item::Call(_) => "call",
            Item::Device(_) => "device",
            Item::Network(_) => "network",
            Item::Dir(_) => "dir",
            Item::Shell => "shell",
        }
    }

    fn name(&self) -> String {
        let what = match self {
            Item::Publish(p) | Item::Subscribe(p) => p.to_string(),
            Item::Call(m) => m.clone(),
            Item::Device(d) => d.name().to_string(),
            Item::Network(NetworkTarget::Host(h)) => h.clone(),
            Item::Network(NetworkTarget::Net(n)) => n.to_string(),
            Item::Dir(d) => d.host.display().to_string(),
            Item::Shell => return "shell".into(),
        };
        format!("{}:{what}", self.kind())
    }

    fn describe(&self) -> String {
        match self {
            Item::Publish(p) => format!("publish messages on {p}"),
            Item::Subscribe(p) => format!("read messages on {p}"),
            Item::Call(m) => format!("call the module {m}"),
            Item::Device(d) => format!("use the {} device", d.name()),
            Item::Network(_) => format!("open network connections to {}", &self.name()["network:".len()..]),
            Item::Dir(d) => {
                let mode = if d.mode == DirMode::ReadWrite { "read and write" } else { "read" };
                format!("{mode} the folder {} (seen as {})", d.host.display(), d.guest)
            }
            Item::Shell => "manage other modules (the shell capability)".into(),
        }
    }

    fn add_to(&self, caps: &mut Capabilities) {
        match self {
            Item::Publish(p) => caps.publish.push(p.clone()),
            Item::Subscribe(p) => caps.subscribe.push(p.clone()),
            Item::Call(m) => caps.call.push(m.clone()),
            Item::Device(d) => caps.devices.push(*d),
            Item::Network(n) => caps.network.push(n.clone()),
            Item::Dir(d) => caps.dirs.push(d.clone()),
            Item::Shell => caps.shell = true,
        }
    }
}

fn items(caps: &Capabilities) -> Vec<Item> {
    let mut out: Vec<Item> = caps.publish.iter().cloned().map(Item::Publish).collect();
    out.extend(caps.subscribe.iter().cloned().map(Item::Subscribe));
    out.extend(caps.call.iter().cloned().map(Item::Call));
    out.extend(caps.devices.iter().copied().map(Item::Device));
    out.extend(caps.network.iter().cloned().map(Item::Network));
    out.extend(caps.dirs.iter().cloned().map(Item::Dir));
    if caps.shell {
        out.push(Item::Shell);
    }
    out
}

/// The capabilities `answer` grants out of `asked`: `all`, `none`, or a comma list of
/// numbers (1-based, as listed), names (`device:camera`) and kinds (`publish`).
fn select(asked: &[Item], answer: &str) -> Result<Capabilities, String> {
    let mut granted = Capabilities::default();
    let answer = answer.trim();
    match answer.to_ascii_lowercase().as_str() {
        "all" | "a" | "yes" | "y" => {
            asked.iter().for_each(|i| i.add_to(&mut granted));
            return Ok(granted);
        }
        "none" | "n" | "no" => return Ok(granted),
        _ => {}
    }
    let mut chosen = vec![false; asked.len()];
    for token in answer.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let hits: Vec<usize> = match token.parse::<usize>() {
            Ok(n) if (1..=asked.len()).contains(&n) => vec![n - 1],
            _ => (0..asked.len()).filter(|&i| asked[i].name() == token || asked[i].kind() == token).collect(),
        };
        if hits.is_empty() {
            let names: Vec<String> = asked.iter().map(Item::name).collect();
            return Err(format!("'{token}' is not one of the requests; answer all, none, or some of: {}", names.join(", ")));
        }
        hits.into_iter().for_each(|i| chosen[i] = true);
    }
    if !chosen.iter().any(|c| *c) {
        return Err("no answer: say all, none, or which (numbers or names, comma-separated)".into());
    }
    asked.iter().zip(chosen).filter(|(_, c)| *c).for_each(|(i, _)| i.add_to(&mut granted));
    Ok(granted)
}

/// What `caps` asks for, one capability each, named and described for a consent dialog.
pub fn asks(caps: &Capabilities) -> Vec<visor_shell_api::Capability> {
    items(caps).iter().map(|i| visor_shell_api::Capability { name: i.name(), description: i.describe() }).collect()
}

/// The resources `limits` ask for, in a few words for a consent dialog: how chatty the module
/// may be on the bus and how much it may hold.
pub fn limits_text(limits: &Limits) -> String {
    format!(
        "up to {} msg/s, {} MiB bus queues, {} MiB memory, {} ms CPU/frame",
        limits.bus_messages_per_second, limits.bus_queue_mib, limits.memory_mib, limits.frame_cpu_ms
    )
}

/// The capabilities out of `caps` that a dialog's answer names (as [`asks`] named them).
pub fn grant_named(caps: &Capabilities, names: &[String]) -> Result<Capabilities, String> {
    let asked = items(caps);
    if let Some(unknown) = names.iter().find(|n| !asked.iter().any(|i| i.name() == **n)) {
        return Err(format!("'{unknown}' is not one of the capabilities asked for"));
    }
    let mut granted = Capabilities::default();
    asked.iter().filter(|i| names.contains(&i.name())).for_each(|i| i.add_to(&mut granted));
    Ok(granted)
}

/// What the user grants `manifest` (from `reference`): asked on the terminal, or answered
/// ahead by `mode`.
pub fn decide(manifest: &Manifest, reference: &str, mode: &ConsentMode) -> anyhow::Result<Capabilities> {
    let asked = items(&manifest.capabilities);
    let mut err = std::io::stderr().lock();
    writeln!(err, "{} (from {reference}) uses {}", manifest.id(), limits_text(&manifest.limits))?;
    if asked.is_empty() {
        writeln!(err, "{} asks for no capabilities", manifest.id())?;
        return Ok(Capabilities::default());
    }
    writeln!(err, "{} asks to:", manifest.id())?;
    for (n, item) in asked.iter().enumerate() {
        writeln!(err, "  {}. {:<36} {}", n + 1, item.name(), item.describe())?;
    }
    match mode {
        ConsentMode::Answer(answer) => return select(&asked, answer).map_err(|e| anyhow::anyhow!("--grant: {e}")),
        ConsentMode::Ask if !std::io::stdin().is_terminal() => bail!(
            "not installing {}: stdin is not a terminal, so nobody can be asked what it may do; \
             pass --yes to grant everything it asks for, or --grant all|none|CAP,... to choose \
             (CAP as listed above, e.g. {})",
            manifest.id(),
            asked[0].name()
        ),
        ConsentMode::Ask => {}
    }
    let mut input = std::io::stdin().lock();
    for _ in 0..3 {
        write!(err, "grant [a]ll, [n]one, or which (numbers or names, comma-separated)? [q] quits without installing: ")?;
        err.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line).context("reading the answer")? == 0 || line.trim().eq_ignore_ascii_case("q") {
            bail!("not installing {}: no consent given", manifest.id());
        }
        match select(&asked, &line) {
            Ok(granted) => return Ok(granted),
            Err(problem) => writeln!(err, "{problem}")?,
        }
    }
    bail!("not installing {}: no usable answer after three tries", manifest.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked() -> Vec<Item> {
        let text = "name = \"m\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"m.wasm\" }\n[capabilities]\n\
                    publish = [\"tags/#\", \"log/m\"]\ndevices = [\"display-layer\", \"camera\"]\nnetwork = [\"10.0.0.0/8\"]\nshell = true\n";
        items(&Manifest::parse(text, "m").unwrap().capabilities)
    }

    #[test]
    fn answers_choose_by_number_name_or_kind() {
        let all = select(&asked(), "all").unwrap();
        assert_eq!((all.publish.len(), all.devices.len(), all.network.len(), all.shell), (2, 2, 1, true));
        assert_eq!(select(&asked(), "none").unwrap(), Capabilities::default());
        let some = select(&asked(), "device:display-layer, 1").unwrap();
        assert_eq!(some.devices, vec![Device::DisplayLayer]);
        assert_eq!(some.publish.len(), 1);
        assert!(!some.shell);
        let kind = select(&asked(), "publish").unwrap();
        assert_eq!((kind.publish.len(), kind.devices.len()), (2, 0));
    }

    #[test]
    fn unknown_answers_list_what_can_be_granted() {
        let err = select(&asked(), "device:gps").unwrap_err();
        assert!(err.contains("device:camera") && err.contains("shell"), "{err}");
        assert!(select(&asked(), " , ").is_err());
        assert!(select(&asked(), "9").is_err());
    }

    #[test]
    fn a_dialog_grants_exactly_the_named_capabilities() {
        let text = "name = \"m\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"m.wasm\" }\n[capabilities]\n\
                    publish = [\"tags/#\"]\ndevices = [\"display-layer\", \"camera\"]\n";
        let caps = Manifest::parse(text, "m").unwrap().capabilities;
        let shown: Vec<String> = asks(&caps).into_iter().map(|c| c.name).collect();
        assert_eq!(shown, ["publish:tags/#", "device:display-layer", "device:camera"]);
        let granted = grant_named(&caps, &["device:display-layer".into()]).unwrap();
        assert_eq!((granted.publish.len(), granted.devices.clone()), (0, vec![Device::DisplayLayer]));
        assert_eq!(grant_named(&caps, &[]).unwrap(), Capabilities::default());
        assert!(grant_named(&caps, &["device:gps".into()]).unwrap_err().contains("device:gps"));
    }

    #[test]
    fn flags_make_a_mode() {
        assert_eq!(ConsentMode::from_flags(true, None).unwrap(), ConsentMode::Answer("all".into()));
        assert_eq!(ConsentMode::from_flags(false, None).unwrap(), ConsentMode::Ask);
        assert!(ConsentMode::from_flags(true, Some("none")).is_err());
    }
}
