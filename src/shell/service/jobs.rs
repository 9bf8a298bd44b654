//! The slow halves of an install, each on its own worker thread so the frame loop never waits
//! for the network or the compiler: fetching (pull and verify) and finishing (install, compile,
//! write the grants). One job runs at a time; the service polls it between frames.

use crossbeam_channel::{Receiver, TryRecvError};
use visor_oci::ModuleRef;
use visor_runtime::AppEngine;
use visor_runtime::manifest::Capabilities;
use visor_runtime::registry::Registry;

use crate::module_cmd::{self, Fetched, RemoteInstall};

pub enum JobResult {
    /// Pulled and verified: ask the user.
    Fetched(Box<Fetched>),
    Installed(Box<RemoteInstall>),
    /// What went wrong, in words for the user.
    Failed(String),
}

pub struct Job {
    done: Receiver<JobResult>,
}

impl Job {
    pub fn fetch(registry: Registry, reference: ModuleRef) -> Job {
        Job::spawn("visor-fetch", move || match module_cmd::fetch(&registry, &reference, false, false) {
            Ok(fetched) => JobResult::Fetched(Box::new(fetched)),
            Err(e) => JobResult::Failed(format!("{e:#}")),
        })
    }

    pub fn finish(registry: Registry, engine: AppEngine, fetched: Fetched, granted: Capabilities) -> Job {
        Job::spawn("visor-install", move || match module_cmd::finish(&registry, &engine, fetched, granted) {
            Ok(done) => JobResult::Installed(Box::new(done)),
            Err(e) => JobResult::Failed(format!("{e:#}")),
        })
    }

    fn spawn(name: &str, work: impl FnOnce() -> JobResult + Send + 'static) -> Job {
        let (tx, done) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new().name(name.into()).spawn(move || {
            let _ = tx.send(work());
        });
        if let Err(e) = spawned {
            let (tx, failed) = crossbeam_channel::bounded(1);
            let _ = tx.send(JobResult::Failed(format!("cannot start a worker thread: {e}")));
            return Job { done: failed };
        }
        Job { done }
    }

    /// The result, once the job is done; a worker that died without one counts as failed.
    pub fn try_result(&self) -> Option<JobResult> {
        match self.done.try_recv() {
            Ok(result) => Some(result),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(JobResult::Failed("the install worker stopped without a result".into())),
        }
    }
}
