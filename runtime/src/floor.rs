//! The floor the wasm bus is measured against in `visor bench modules`: the same three hops
//! (host → component A → component B → host) with the same kinds of host calls an app on the
//! bus makes, and nothing of Visor's between them.
//!
//! Each component (`floor/hops.wat`, written by hand) polls its host once per step for a
//! `list<u8>`, lowered into it through a `realloc` that always answers one address, and passes
//! whatever came on through a host call taking a `string` topic and a `list<u8>` payload. The
//! host side of each call is a bare crossbeam channel. So a hop costs wasmtime's entry into the
//! guest, its two host calls with their lifting and lowering, and one channel send and
//! receive: no capability check, no stamp, no fan-out, no budget, no SDK. The difference from
//! the bus's own figure is what Visor adds per hop.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use wasmtime::component::{Component, Linker, TypedFunc};
use wasmtime::{Store, StoreContextMut};

use crate::{AppEngine, AppError};

/// The components' text; compiled when the floor is measured.
const HOPS_WAT: &str = include_str!("floor/hops.wat");

/// Queued messages per hop; the floor carries one at a time.
const HOP_CAPACITY: usize = 16;

/// One round of the floor, timed: p50 inputs for a bus-share figure.
pub struct FloorTimes {
    /// A message from the host through both components and back, per round.
    pub trips: Vec<Duration>,
    /// Both components stepping with nothing to carry, per round.
    pub idle: Vec<Duration>,
}

/// What a component's host calls reach: the channel it polls and the one it passes on to.
struct Hop {
    inbox: Receiver<Vec<u8>>,
    outbox: Sender<Vec<u8>>,
}

/// Times `rounds` idle steps and `rounds` round trips of the floor, taking turns, on `engine`
/// (the shell's own engine and configuration, so the floor pays for the same epoch checks and
/// memory layout).
pub fn bare_hop_times(engine: &AppEngine, rounds: u32) -> Result<FloorTimes, AppError> {
    let error = |e: wasmtime::Error| AppError::Instantiate { app: "bus floor".into(), message: format!("{e:#}") };
    let component = Component::new(engine.engine(), HOPS_WAT).map_err(error)?;
    let mut linker = Linker::<Hop>::new(engine.engine());
    let mut root = linker.root();
    root.func_wrap("take", |cx: StoreContextMut<'_, Hop>, (): ()| Ok((cx.data().inbox.try_recv().unwrap_or_default(),))).map_err(error)?;
    root.func_wrap("give", |cx: StoreContextMut<'_, Hop>, (_topic, payload): (String, Vec<u8>)| {
        Ok((u32::from(cx.data().outbox.try_send(payload).is_ok()),))
    })
    .map_err(error)?;
    let pre = linker.instantiate_pre(&component).map_err(error)?;

    let channels: Vec<_> = (0..3).map(|_| crossbeam_channel::bounded::<Vec<u8>>(HOP_CAPACITY)).collect();
    let instantiate = |inbox: &Receiver<Vec<u8>>, outbox: &Sender<Vec<u8>>| -> Result<_, AppError> {
        let mut store = Store::new(engine.engine(), Hop { inbox: inbox.clone(), outbox: outbox.clone() });
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = pre.instantiate(&mut store).map_err(error)?;
        let step: TypedFunc<(), ()> = instance.get_typed_func(&mut store, "step").map_err(error)?;
        Ok((store, step))
    };
    let (mut a, step_a) = instantiate(&channels[0].1, &channels[1].0)?;
    let (mut b, step_b) = instantiate(&channels[1].1, &channels[2].0)?;
    let trap = |e: wasmtime::Error| AppError::Trap { app: "bus floor".into(), during: "step".into(), message: format!("{e:#}") };
    let mut both = || -> Result<(), AppError> {
        step_a.call(&mut a, ()).map_err(trap)?;
        step_b.call(&mut b, ()).map_err(trap)
    };

    // Idle steps and round trips take turns, so both see the machine as it is at that moment
    // and a slow spell cannot land on one of them only.
    let mut idle = Vec::with_capacity(rounds as usize);
    let mut trips = Vec::with_capacity(rounds as usize);
    for i in 0..rounds {
        let started = Instant::now();
        both()?;
        idle.push(started.elapsed());

        let started = Instant::now();
        // What the bus bench's host publishes: the round's number, as four bytes.
        let sent = i.to_le_bytes();
        let _ = channels[0].0.try_send(sent.to_vec());
        both()?;
        let back = channels[2].1.try_recv();
        trips.push(started.elapsed());
        if back.as_deref() != Ok(&sent[..]) {
            let message = format!("round {i}'s message came back through both components as {back:?}, not {sent:?}");
            return Err(AppError::Frame { app: "bus floor".into(), frame: u64::from(i), message });
        }
    }
    Ok(FloorTimes { trips, idle })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The floor is only a floor if it carries the message: every round trip must bring back
    /// the bytes it sent (`bare_hop_times` fails otherwise), through components wasmtime
    /// accepts.
    #[test]
    fn the_floor_carries_every_message_through_both_components() {
        let engine = AppEngine::new().expect("an engine");
        let times = bare_hop_times(&engine, 50).expect("the floor runs");
        assert_eq!((times.trips.len(), times.idle.len()), (50, 50));
    }
}
