//! `visor:app/clock`: the shell's monotonic clock, the same one frame display times use.

use super::HostState;
use super::bindings::visor::app::clock::Host;

impl Host for HostState {
    fn now_ns(&mut self) -> u64 {
        self.clock.now_ns()
    }
}
