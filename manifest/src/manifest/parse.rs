//! The checking parser: walks the TOML table field by field and collects every problem, so
//! one run tells the author everything to fix (serde would stop at the first).

use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use semver::{Version, VersionReq};
use toml::{Table, Value};

use super::*;
use crate::topic::RESERVED_SEGMENT;

struct Checker {
    problems: Vec<String>,
}

fn type_name(v: &Value) -> &'static str {
    v.type_str()
}

impl Checker {
    fn say(&mut self, problem: String) {
        self.problems.push(problem);
    }

    fn unknown_keys(&mut self, table: &Table, at: &str, known: &[&str]) {
        for key in table.keys() {
            if !known.contains(&key.as_str()) {
                self.say(format!("unknown field `{at}{key}`; the fields here are: {}", known.join(", ")));
            }
        }
    }

    fn required<'a>(&mut self, table: &'a Table, at: &str, key: &str, example: &str) -> Option<&'a Value> {
        let value = table.get(key);
        if value.is_none() {
            self.say(format!("`{at}{key}` is missing; add it, e.g. {key} = {example}"));
        }
        value
    }

    fn string(&mut self, value: Option<&Value>, field: &str) -> Option<String> {
        match value? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.say(format!("`{field}` should be a string, not a {}", type_name(other)));
                None
            }
        }
    }

    fn boolean(&mut self, value: Option<&Value>, field: &str) -> bool {
        match value {
            None => false,
            Some(Value::Boolean(b)) => *b,
            Some(other) => {
                self.say(format!("`{field}` should be true or false, not a {}", type_name(other)));
                false
            }
        }
    }

    fn table<'a>(&mut self, value: Option<&'a Value>, field: &str) -> Option<&'a Table> {
        match value? {
            Value::Table(t) => Some(t),
            other => {
                self.say(format!("`{field}` should be a table ({{ ... }} or a [section]), not a {}", type_name(other)));
                None
            }
        }
    }

    fn array<'a>(&mut self, value: Option<&'a Value>, field: &str) -> &'a [Value] {
        match value {
            None => &[],
            Some(Value::Array(a)) => a,
            Some(other) => {
                self.say(format!("`{field}` should be a list [ ... ], not a {}", type_name(other)));
                &[]
            }
        }
    }

    fn strings(&mut self, value: Option<&Value>, field: &str) -> Vec<String> {
        let items = self.array(value, field);
        items.iter().enumerate().filter_map(|(i, v)| self.string(Some(v), &format!("{field}[{i}]"))).collect()
    }

    fn patterns(&mut self, value: Option<&Value>, field: &str) -> Vec<TopicPattern> {
        self.strings(value, field)
            .into_iter()
            .filter_map(|s| match TopicPattern::from_str(&s) {
                Ok(p) => Some(p),
                Err(e) => {
                    self.say(format!("`{field}`: {e}"));
                    None
                }
            })
            .collect()
    }

    fn module_name(&mut self, name: &str, field: &str) -> bool {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            self.say(format!("`{field}` '{name}' is not a module name: use 1 to 64 of a-z, 0-9 and '-', starting with a letter"));
        }
        ok
    }

    fn version_req(&mut self, value: Option<&Value>, field: &str) -> Option<VersionReq> {
        let text = self.string(value, field)?;
        VersionReq::parse(&text).map_err(|e| self.say(format!("`{field}` '{text}' is not a semver range (e.g. \"^1.2\"): {e}"))).ok()
    }

    fn limit(&mut self, table: &Table, key: &str, default: u32, max: u32) -> u32 {
        match table.get(key) {
            None => default,
            Some(Value::Integer(n)) if (1..=i64::from(max)).contains(n) => *n as u32,
            Some(Value::Integer(n)) => {
                self.say(format!("`limits.{key}` is {n}; use 1 to {max}"));
                default
            }
            Some(other) => {
                self.say(format!("`limits.{key}` should be a whole number, not a {}", type_name(other)));
                default
            }
        }
    }
}

/// A relative path that stays inside its folder: no `..`, no root.
/// A relative path that stays inside the folder it starts from (absolute paths and `..` do not).
fn contained(path: &Path) -> bool {
    path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

pub(super) fn parse(text: &str, origin: &str) -> Result<Manifest, ManifestError> {
    let table: Table =
        text.parse().map_err(|e: toml::de::Error| ManifestError::Syntax { origin: origin.into(), message: e.to_string() })?;
    let mut c = Checker { problems: Vec::new() };
    c.unknown_keys(
        &table,
        "",
        &["name", "version", "kind", "description", "entry", "depends", "exports", "triggers", "capabilities", "limits", "settings"],
    );

    let name = c.required(&table, "", "name", "\"my-app\"");
    let name = c.string(name, "name").filter(|n| c.module_name(n, "name"));
    let version = c.required(&table, "", "version", "\"0.1.0\"");
    let version = c.string(version, "version").and_then(|v| {
        Version::parse(&v).map_err(|e| c.say(format!("`version` '{v}' is not semver (MAJOR.MINOR.PATCH, e.g. 1.0.0): {e}"))).ok()
    });
    let kind = c.required(&table, "", "kind", "\"app\"");
    let kind = c.string(kind, "kind").and_then(|k| match k.as_str() {
        "app" => Some(ModuleKind::App),
        "library" => Some(ModuleKind::Library),
        "driver" => Some(ModuleKind::Driver),
        other => {
            c.say(format!("`kind` '{other}' is not one of app, library, driver"));
            None
        }
    });
    let description = c.string(table.get("description"), "description").unwrap_or_default();
    let entry = entry(&mut c, &table, kind);
    let depends = depends(&mut c, &table);
    let exports = exports(&mut c, &table);
    let triggers = triggers(&mut c, &table);
    let capabilities = capabilities(&mut c, &table);
    let limits = limits(&mut c, &table);
    let settings = c.table(table.get("settings"), "settings").cloned().unwrap_or_default();

    match (name, version, kind, entry) {
        (Some(name), Some(version), Some(kind), Some(entry)) if c.problems.is_empty() => {
            Ok(Manifest { name, version, kind, description, entry, depends, exports, triggers, capabilities, limits, settings })
        }
        _ => Err(ManifestError::Invalid { origin: origin.into(), problems: c.problems }),
    }
}

fn entry(c: &mut Checker, table: &Table, kind: Option<ModuleKind>) -> Option<Entry> {
    let value = c.required(table, "", "entry", "{ component = \"app.wasm\" }");
    let t = c.table(value, "entry")?;
    c.unknown_keys(t, "entry.", &["component", "native"]);
    let entry = match (t.get("component"), t.get("native")) {
        (Some(v), None) => {
            let path = PathBuf::from(c.string(Some(v), "entry.component")?);
            if !contained(&path) || path.extension().is_none_or(|e| e != "wasm") {
                c.say(format!(
                    "`entry.component` '{}' should be a .wasm file beside the manifest (a relative path without '..')",
                    path.display()
                ));
                return None;
            }
            Entry::Component(path)
        }
        (None, Some(v)) => {
            let name = c.string(Some(v), "entry.native")?;
            if !c.module_name(&name, "entry.native") {
                return None;
            }
            Entry::Native(name)
        }
        _ => {
            c.say("`entry` needs exactly one of `component` (a .wasm file) or `native` (a built-in driver)".into());
            return None;
        }
    };
    if kind == Some(ModuleKind::App) && matches!(entry, Entry::Native(_)) {
        c.say("`kind` is app but `entry` is native: apps are wasm components (entry = { component = ... })".into());
    }
    Some(entry)
}

fn depends(c: &mut Checker, table: &Table) -> Vec<Dependency> {
    let items = c.array(table.get("depends"), "depends");
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("depends[{i}]");
        let Some(t) = c.table(Some(item), &at) else { continue };
        c.unknown_keys(t, &format!("{at}."), &["module", "interface", "version"]);
        let version = c.required(t, &format!("{at}."), "version", "\"^1\"");
        let version = c.version_req(version, &format!("{at}.version"));
        let target = match (t.get("module"), t.get("interface")) {
            (Some(m), None) => {
                c.string(Some(m), &format!("{at}.module")).filter(|n| c.module_name(n, &format!("{at}.module"))).map(|n| (true, n))
            }
            (None, Some(i)) => c.string(Some(i), &format!("{at}.interface")).map(|n| (false, n)),
            _ => {
                c.say(format!("`{at}` needs exactly one of `module` or `interface`"));
                None
            }
        };
        if let (Some((is_module, name)), Some(version)) = (target, version) {
            out.push(if is_module { Dependency::Module { name, version } } else { Dependency::Interface { name, version } });
        }
    }
    out
}

fn exports(c: &mut Checker, table: &Table) -> Exports {
    let Some(t) = c.table(table.get("exports"), "exports") else { return Exports::default() };
    c.unknown_keys(t, "exports.", &["interfaces", "topics"]);
    let interfaces = c
        .strings(t.get("interfaces"), "exports.interfaces")
        .into_iter()
        .filter_map(|s| {
            let parsed = s.split_once('@').and_then(|(name, v)| {
                let named = name.contains(':') && name.contains('/');
                Version::parse(v).ok().filter(|_| named).map(|v| (name.to_string(), v))
            });
            if parsed.is_none() {
                c.say(format!("`exports.interfaces`: '{s}' should look like namespace:package/interface@1.0.0"));
            }
            parsed
        })
        .collect();
    Exports { interfaces, topics: c.patterns(t.get("topics"), "exports.topics") }
}

fn triggers(c: &mut Checker, table: &Table) -> Triggers {
    let Some(t) = c.table(table.get("triggers"), "triggers") else { return Triggers::default() };
    c.unknown_keys(t, "triggers.", &["boot", "topics", "on_demand"]);
    Triggers {
        boot: c.boolean(t.get("boot"), "triggers.boot"),
        topics: c.patterns(t.get("topics"), "triggers.topics"),
        on_demand: c.boolean(t.get("on_demand"), "triggers.on_demand"),
    }
}

fn capabilities(c: &mut Checker, table: &Table) -> Capabilities {
    let Some(t) = c.table(table.get("capabilities"), "capabilities") else { return Capabilities::default() };
    c.unknown_keys(t, "capabilities.", &["publish", "subscribe", "call", "devices", "network", "dirs", "shell"]);
    let call = c.strings(t.get("call"), "capabilities.call").into_iter().filter(|n| c.module_name(n, "capabilities.call")).collect();
    let devices = c
        .strings(t.get("devices"), "capabilities.devices")
        .into_iter()
        .filter_map(|d| {
            let found = Device::ALL.iter().find(|(n, _)| *n == d).map(|(_, dev)| *dev);
            if found.is_none() {
                let names: Vec<_> = Device::ALL.iter().map(|(n, _)| *n).collect();
                c.say(format!("`capabilities.devices`: '{d}' is not a device; known devices: {}", names.join(", ")));
            }
            found
        })
        .collect();
    let network = c
        .strings(t.get("network"), "capabilities.network")
        .into_iter()
        .filter_map(|n| network_target(&n).map_err(|e| c.say(e)).ok())
        .collect();
    let caps = Capabilities {
        publish: c.patterns(t.get("publish"), "capabilities.publish"),
        subscribe: c.patterns(t.get("subscribe"), "capabilities.subscribe"),
        call,
        devices,
        network,
        dirs: dirs(c, t),
        shell: c.boolean(t.get("shell"), "capabilities.shell"),
    };
    let reserved = caps.publish.iter().chain(&caps.subscribe).filter(|p| p.as_str().split('/').next() == Some(RESERVED_SEGMENT));
    if !caps.shell {
        for pattern in reserved {
            c.say(format!("`capabilities`: '{pattern}' is under shell/, which only the shell capability reaches; add `shell = true` (the user is asked) or use another topic"));
        }
    }
    caps
}

/// A host name, an IP address or a CIDR range.
pub(crate) fn network_target(text: &str) -> Result<NetworkTarget, String> {
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(NetworkTarget::Net(net));
    }
    if let Ok(ip) = text.parse::<std::net::IpAddr>() {
        return Ok(NetworkTarget::Net(IpNet::from(ip)));
    }
    let host_ok = !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if host_ok {
        Ok(NetworkTarget::Host(text.to_ascii_lowercase()))
    } else {
        Err(format!("`capabilities.network`: '{text}' is neither a host name, an IP address nor a CIDR range (10.0.0.0/8)"))
    }
}

fn dirs(c: &mut Checker, t: &Table) -> Vec<DirGrant> {
    let items = c.array(t.get("dirs"), "capabilities.dirs");
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("capabilities.dirs[{i}]");
        let Some(d) = c.table(Some(item), &at) else { continue };
        c.unknown_keys(d, &format!("{at}."), &["host", "guest", "mode"]);
        let host = c.required(d, &format!("{at}."), "host", "\"data\"");
        let host = c.string(host, &format!("{at}.host")).map(PathBuf::from);
        if let Some(h) = &host
            && !contained(h)
        {
            c.say(format!(
                "`{at}.host` '{}' leaves the module's data folder; use a relative path without '..' (folders a module \
                 asks for live inside its own data folder)",
                h.display()
            ));
        }
        let guest = c.required(d, &format!("{at}."), "guest", "\"/data\"");
        let guest = c.string(guest, &format!("{at}.guest"));
        if let Some(g) = &guest
            && (!g.starts_with('/') || g.split('/').any(|s| s == ".."))
        {
            c.say(format!("`{at}.guest` '{g}' should be an absolute path without '..' (e.g. /data)"));
        }
        let mode = match c.string(d.get("mode"), &format!("{at}.mode")).as_deref() {
            None | Some("ro") => Some(DirMode::ReadOnly),
            Some("rw") => Some(DirMode::ReadWrite),
            Some(other) => {
                c.say(format!("`{at}.mode` '{other}' should be \"ro\" or \"rw\""));
                None
            }
        };
        if let (Some(host), Some(guest), Some(mode)) = (host, guest, mode) {
            out.push(DirGrant { host, guest, mode });
        }
    }
    out
}

fn limits(c: &mut Checker, table: &Table) -> Limits {
    let defaults = Limits::default();
    let Some(t) = c.table(table.get("limits"), "limits") else { return defaults };
    c.unknown_keys(t, "limits.", &["memory_mib", "frame_cpu_ms", "vertices", "bus_messages_per_second", "bus_queue_mib"]);
    let max = Limits::MAX;
    Limits {
        memory_mib: c.limit(t, "memory_mib", defaults.memory_mib, max.memory_mib),
        frame_cpu_ms: c.limit(t, "frame_cpu_ms", defaults.frame_cpu_ms, max.frame_cpu_ms),
        vertices: c.limit(t, "vertices", defaults.vertices, max.vertices),
        bus_messages_per_second: c.limit(t, "bus_messages_per_second", defaults.bus_messages_per_second, max.bus_messages_per_second),
        bus_queue_mib: c.limit(t, "bus_queue_mib", defaults.bus_queue_mib, max.bus_queue_mib),
    }
}
