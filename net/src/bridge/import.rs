//! In: what remote modules publish, onto this bus. The bridge subscribes on the network only to
//! what the policy grants remote modules to publish (`visor/DEVICE/PATTERN` for each
//! `[modules."MODULE@DEVICE"] publish` pattern), so nothing else even travels here. Each
//! sample goes through a bounded queue to the importer thread, which decodes it and publishes
//! it through the proxy of its sender: the bus checks the proxy's grants, and stamps the
//! message as from `MODULE@DEVICE`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use zenoh::Wait;
use zenoh::bytes::Encoding;

use super::{Declaration, INBOX, Shared, spawn};
use crate::peers::remote_entries;
use crate::wire::{self, Stamp};
use crate::{NetError, keys};

/// One sample as a Zenoh callback hands it over.
struct Arrival {
    key: String,
    bytes: Vec<u8>,
    encoding: Encoding,
    attachment: Option<Vec<u8>>,
}

type Declared = Vec<Declaration>;

/// Bytes of samples waiting for the importer at most: a peer sending large samples faster than
/// they are decoded loses the newest ones, and this shell's memory stays bounded.
const INBOX_BYTES: u64 = 256 << 20;

pub(super) fn start(shared: &Arc<Shared>) -> Result<(Declared, Vec<JoinHandle<()>>), NetError> {
    let (tx, rx) = crossbeam_channel::bounded::<Arrival>(INBOX);
    let queued = Arc::new(AtomicU64::new(0));
    let mut declared: Declared = Vec::new();
    for (device, grant) in remote_entries(&shared.policy).filter(|(device, _)| *device != shared.device) {
        for pattern in grant.effective.publish {
            let key = keys::data_pattern(device, &pattern);
            let (tx, shared2, queued) = (tx.clone(), shared.clone(), queued.clone());
            let subscriber = shared
                .session
                .declare_subscriber(key.clone())
                .callback(move |sample| {
                    let size = sample.payload().len() as u64;
                    if queued.fetch_add(size, Ordering::AcqRel) + size > INBOX_BYTES {
                        queued.fetch_sub(size, Ordering::AcqRel);
                        shared2.counters.dropped.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    let arrival = Arrival {
                        key: sample.key_expr().as_str().to_string(),
                        bytes: sample.payload().to_bytes().into_owned(),
                        encoding: sample.encoding().clone(),
                        attachment: sample.attachment().map(|a| a.to_bytes().into_owned()),
                    };
                    if tx.try_send(arrival).is_err() {
                        queued.fetch_sub(size, Ordering::AcqRel);
                        shared2.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .wait()
                .map_err(|e| NetError::Zenoh { what: format!("subscribing to {key}"), message: e.to_string() })?;
            tracing::debug!(%key, "importing");
            declared.push(Box::new(subscriber));
        }
    }
    let shared = shared.clone();
    let importer = spawn("visor-net-import", move || {
        while !shared.stopped() {
            if let Ok(arrival) = rx.recv_timeout(Duration::from_millis(100)) {
                queued.fetch_sub(arrival.bytes.len() as u64, Ordering::AcqRel);
                receive(&shared, arrival);
            }
        }
    });
    Ok((declared, vec![importer]))
}

fn receive(shared: &Arc<Shared>, arrival: Arrival) {
    let Some((device, topic)) = keys::parse_data(&arrival.key) else { return };
    let stamp = match Stamp::parse(&arrival.key, arrival.attachment.as_deref()) {
        Ok(stamp) => stamp,
        Err(e) => return drop_sample(shared, &e.to_string()),
    };
    let module = stamp.module.clone().unwrap_or_else(|| "zenoh".to_string());
    let Some(proxy) = shared.proxy(device, &module) else { return };
    // Grants first: a refused sender's payload is never decoded.
    if !proxy.endpoint.capabilities().may_publish(&topic) {
        return shared.refuse(&format!("{module}@{device} on {topic}"), "its grants do not cover the topic");
    }
    let payload = match wire::decode(&arrival.key, arrival.bytes, &arrival.encoding, &stamp) {
        Ok(payload) => payload,
        Err(e) => return drop_sample(shared, &e.to_string()),
    };
    match proxy.endpoint.publish(&topic, payload) {
        Ok(_) => {
            shared.counters.received.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => shared.refuse(&format!("{module}@{device} on {topic}"), &e.to_string()),
    }
}

fn drop_sample(shared: &Shared, why: &str) {
    shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
    tracing::debug!("sample dropped: {why}");
}
