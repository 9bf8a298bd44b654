//! Side-by-side 3D while the shell runs, and the glasses' own mode back afterwards — also
//! after a crash.
//!
//! On open, [`ModeKeeper::begin`] reads the pair's mode, writes it to a small file in the state
//! folder (`glasses-mode-SERIAL.json`), then switches to side-by-side. On close,
//! [`ModeKeeper::end`] switches back and removes the file. A shell that dies between the two
//! leaves the file, so the next open finds it and restores *that* mode at its own end (the pair
//! is in side-by-side by then, which is not what its wearer had chosen); `visor devices`
//! reports a file left behind. A pair already in side-by-side is left alone and no file is
//! written.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{DisplayMode, GlassesDevice, GlassesError};

/// The state folder: `$XDG_STATE_HOME/visor`, else `~/.local/state/visor`; `None` without a
/// home (then nothing survives a crash, and that is logged).
pub fn default_state_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("visor"))
}

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    name: String,
    serial: String,
    mode: DisplayMode,
}

/// Switches a pair to side-by-side and back, remembering the way back on disk.
#[derive(Clone, Debug)]
pub struct ModeKeeper {
    state_dir: Option<PathBuf>,
}

impl ModeKeeper {
    pub fn new(state_dir: Option<PathBuf>) -> ModeKeeper {
        ModeKeeper { state_dir }
    }

    fn file(&self, serial: &str) -> Option<PathBuf> {
        let safe: String = serial.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        Some(self.state_dir.as_ref()?.join(format!("glasses-mode-{safe}.json")))
    }

    /// A mode left behind for `serial` by a run that did not end cleanly.
    pub fn left_behind(&self, serial: &str) -> Option<DisplayMode> {
        let text = std::fs::read_to_string(self.file(serial)?).ok()?;
        serde_json::from_str::<Saved>(&text).ok().map(|s| s.mode)
    }

    /// Every mode left behind, as `(glasses name, serial, mode)`.
    pub fn all_left_behind(&self) -> Vec<(String, String, DisplayMode)> {
        let Some(dir) = &self.state_dir else { return Vec::new() };
        let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
        let mut found: Vec<_> = entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("glasses-mode-"))
            .filter_map(|e| serde_json::from_str::<Saved>(&std::fs::read_to_string(e.path()).ok()?).ok())
            .map(|s| (s.name, s.serial, s.mode))
            .collect();
        found.sort_by(|a, b| a.1.cmp(&b.1));
        found
    }

    /// Puts the pair in side-by-side; returns the mode to restore at the end (`None`: leave it).
    pub fn begin(&self, device: &mut dyn GlassesDevice) -> Result<Option<DisplayMode>, GlassesError> {
        let (name, serial) = (device.info().name.clone(), device.info().serial.clone());
        let current = device.display_mode()?;
        let restore = match self.left_behind(&serial) {
            Some(saved) => {
                tracing::warn!(glasses = %name, "an earlier run ended without restoring {name}'s display mode; {saved} comes back when this one ends");
                saved
            }
            None => current,
        };
        if restore == DisplayMode::Stereo {
            return Ok(None);
        }
        if let Some(file) = self.file(&serial) {
            if let Err(e) = write(&file, &Saved { name: name.clone(), serial: serial.clone(), mode: restore }) {
                tracing::warn!(glasses = %name, "cannot note the display mode in {} ({e}); a crash would leave {name} in 3D", file.display());
            }
        } else {
            tracing::debug!(glasses = %name, "no state folder: a crash would leave {name} in 3D");
        }
        if current != DisplayMode::Stereo {
            device.set_display_mode(DisplayMode::Stereo)?;
            tracing::info!(glasses = %name, "{name} switched from {current} to side-by-side 3D");
        }
        Ok(Some(restore))
    }

    /// Puts the pair back in `restore` and forgets the saved mode.
    pub fn end(&self, device: &mut dyn GlassesDevice, restore: DisplayMode) -> Result<(), GlassesError> {
        let (name, serial) = (device.info().name.clone(), device.info().serial.clone());
        device.set_display_mode(restore)?;
        tracing::info!(glasses = %name, "{name} back in {restore}");
        if let Some(file) = self.file(&serial) {
            let _ = std::fs::remove_file(file);
        }
        Ok(())
    }
}

fn write(file: &Path, saved: &Saved) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Written aside and renamed: a crash mid-write leaves the old file or none, never half.
    let temp = file.with_extension("json.tmp");
    std::fs::write(&temp, serde_json::to_vec(saved).map_err(std::io::Error::other)?)?;
    std::fs::rename(temp, file)
}
