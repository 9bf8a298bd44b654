//! Whether anybody wears the glasses: the `glasses` driver module publishes each put-on and
//! take-off on `glasses/worn` (the proximity sensor). Taken off, the shell pauses every app it
//! displays (no `frame` calls, no CPU spent drawing for nobody) and dims the display; put back
//! on, it resumes the apps it paused — and only those: an app paused for another reason stays
//! paused. Without glasses nothing is ever published there, and nothing changes.

use std::str::FromStr;

use visor_runtime::bus::{Endpoint, QueueOptions, Subscription, TopicPattern};
use visor_runtime::modules::ModuleHost;
use visor_types::AppId;

use crate::builtin::glasses::WORN;

pub struct WornWatch {
    news: Subscription,
    worn: bool,
    /// The apps this watch paused, to resume when the glasses go back on.
    paused: Vec<AppId>,
}

impl WornWatch {
    /// Watches `glasses/worn` through `endpoint` (which must be granted to subscribe to it).
    pub fn new(endpoint: &Endpoint) -> anyhow::Result<WornWatch> {
        let news = endpoint.subscribe(TopicPattern::from_str(WORN)?, QueueOptions::latest(16))?;
        Ok(WornWatch { news, worn: true, paused: Vec::new() })
    }

    /// Takes the news since the last call and acts on a change; returns whether the glasses are
    /// worn (as far as anyone has said).
    pub fn update(&mut self, modules: &mut ModuleHost) -> bool {
        let newest = self.news.drain().filter_map(|m| m.payload.decode::<serde_json::Value>().ok()?.get("worn")?.as_bool()).last();
        match newest {
            Some(worn) if worn != self.worn => {
                self.worn = worn;
                if worn {
                    tracing::info!(apps = self.paused.len(), "the glasses are worn again: resuming the apps and the display");
                    for app in modules.display_apps().filter(|a| self.paused.contains(&a.id())) {
                        app.resume();
                    }
                    self.paused.clear();
                } else {
                    for app in modules.display_apps().filter(|a| a.status() == visor_runtime::AppStatus::Running) {
                        app.pause();
                        self.paused.push(app.id());
                    }
                    tracing::info!(apps = self.paused.len(), "the glasses were taken off: apps paused, display dimmed");
                }
            }
            _ => {}
        }
        self.worn
    }
}
