//! Requests across devices, as Zenoh queries.
//!
//! - **Asking** ([`forward_served`]): a proxy serves on this bus the topics its module exports
//!   on its own device. A request to one is sent as a query to `visor-req/DEVICE/ME/TOPIC`,
//!   stamped with the asking module, and the first answer is the proxy's reply.
//! - **Answering** ([`serve`]): a query on `visor-req/ME/ASKER/TOPIC` is asked on this bus
//!   through the proxy of the asking module (`MODULE@ASKER`), so it needs the same publish or
//!   `call` grant a local module would; the reply goes back as the query's answer, a refusal
//!   as its error.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use visor_runtime::bus::{BusError, Message, QueueOptions};
use zenoh::Wait;
use zenoh::query::Query;

use super::{Declaration, INBOX, Proxy, REQUEST_TIMEOUT, Shared, spawn};
use crate::wire::{self, Stamp};
use crate::{NetError, keys};

/// Threads answering peers' queries: a slow local server holds up only one of them.
const ANSWERERS: usize = 2;

pub(super) fn serve(shared: &Arc<Shared>) -> Result<(Declaration, Vec<JoinHandle<()>>), NetError> {
    let (tx, rx) = crossbeam_channel::bounded::<Query>(INBOX);
    let counted = shared.clone();
    let queryable = shared
        .session
        .declare_queryable(keys::requests_to(&shared.device))
        .callback(move |query| {
            if let Err(crossbeam_channel::TrySendError::Full(query)) = tx.try_send(query) {
                counted.counters.dropped.fetch_add(1, Ordering::Relaxed);
                let _ = query.reply_err("the shell is answering too many requests; try again").wait();
            }
        })
        .wait()
        .map_err(|e| NetError::Zenoh { what: "serving requests".into(), message: e.to_string() })?;
    let threads = (0..ANSWERERS)
        .map(|_| {
            let (shared, rx) = (shared.clone(), rx.clone());
            spawn("visor-net-answer", move || {
                while !shared.stopped() {
                    if let Ok(query) = rx.recv_timeout(Duration::from_millis(100)) {
                        answer(&shared, &query);
                    }
                }
            })
        })
        .collect();
    Ok((Box::new(queryable), threads))
}

fn answer(shared: &Arc<Shared>, query: &Query) {
    let key = query.key_expr().as_str().to_string();
    let result = (|| {
        let (asker, topic) = keys::parse_request(&key).ok_or_else(|| format!("{key} is not visor-req/SERVER/ASKER/TOPIC"))?;
        let stamp = Stamp::parse(&key, query.attachment().map(|a| a.to_bytes()).as_deref()).map_err(|e| e.to_string())?;
        let module = stamp.module.clone().unwrap_or_else(|| "zenoh".into());
        let proxy = shared.proxy(asker, &module).ok_or_else(|| format!("{module}@{asker} is not granted anything here"))?;
        let bytes = query.payload().map(|p| p.to_bytes().into_owned()).unwrap_or_default();
        let encoding = query.encoding().cloned().unwrap_or_default();
        let payload = wire::decode(&key, bytes, &encoding, &stamp).map_err(|e| e.to_string())?;
        let reply = proxy.endpoint.request(&topic, payload, REQUEST_TIMEOUT).map_err(|e| e.to_string())?;
        let stamp =
            Stamp { module: Some(reply.sender.name.to_string()), sequence: reply.sequence, sent_ns: reply.sent_ns, ..Stamp::default() };
        wire::encode(&reply.payload, stamp, shared.frame_encoding(&topic), shared.network.jpeg_quality).map_err(|e| e.to_string())
    })();
    match result {
        Ok(encoded) => {
            shared.counters.requests_answered.fetch_add(1, Ordering::Relaxed);
            let _ = query.reply(key, encoded.bytes).encoding(encoded.encoding).attachment(encoded.stamp.to_bytes()).wait();
        }
        Err(why) => {
            shared.refuse(&key, &why);
            let _ = query.reply_err(why).wait();
        }
    }
}

/// Serves on this bus what `proxy`'s module exports on its device (see the module guide).
pub(super) fn forward_served(shared: &Arc<Shared>, proxy: &Arc<Proxy>) {
    for pattern in proxy.endpoint.capabilities().serve.clone() {
        let subscription = match proxy.endpoint.subscribe(pattern.clone(), QueueOptions::commands(64)) {
            Ok(subscription) => subscription,
            Err(e) => {
                tracing::warn!(module = %proxy.endpoint.module(), %pattern, "cannot serve: {e}");
                continue;
            }
        };
        let (shared, proxy) = (shared.clone(), proxy.clone());
        spawn("visor-net-ask", move || {
            while !shared.stopped() && !proxy.gone.load(Ordering::Relaxed) {
                match subscription.recv_timeout(Duration::from_millis(100)) {
                    Ok(message) if message.is_request() => ask(&shared, &proxy, &message),
                    Ok(_) | Err(BusError::RecvTimeout { .. }) => {}
                    Err(_) => return,
                }
            }
        });
    }
}

fn ask(shared: &Shared, proxy: &Proxy, request: &Message) {
    let topic = &request.topic;
    let stamp = Stamp {
        module: Some(request.sender.name.to_string()),
        sequence: request.sequence,
        sent_ns: request.sent_ns,
        device: Some(shared.device.clone()),
        frame: None,
    };
    let answer = (|| {
        let encoded =
            wire::encode(&request.payload, stamp, shared.frame_encoding(topic), shared.network.jpeg_quality).map_err(|e| e.to_string())?;
        let key = keys::request(&proxy.device, &shared.device, topic);
        let replies = shared
            .session
            .get(key.clone())
            .payload(encoded.bytes)
            .encoding(encoded.encoding)
            .attachment(encoded.stamp.to_bytes())
            .timeout(REQUEST_TIMEOUT)
            .wait()
            .map_err(|e| e.to_string())?;
        let reply = replies.recv().map_err(|_| format!("{}@{} did not answer {topic}", proxy.module, proxy.device))?;
        match reply.result() {
            Ok(sample) => {
                let stamp = Stamp::parse(&key, sample.attachment().map(|a| a.to_bytes()).as_deref()).map_err(|e| e.to_string())?;
                wire::decode(&key, sample.payload().to_bytes().into_owned(), sample.encoding(), &stamp).map_err(|e| e.to_string())
            }
            Err(e) => {
                Err(format!("{}@{} refused {topic}: {}", proxy.module, proxy.device, String::from_utf8_lossy(&e.payload().to_bytes())))
            }
        }
    })();
    shared.counters.requests_forwarded.fetch_add(1, Ordering::Relaxed);
    // Unanswered, the request is dropped here and its asker told so.
    match answer {
        Ok(payload) => {
            if let Err(e) = proxy.endpoint.reply(request, payload) {
                tracing::debug!("reply to {topic}: {e}");
            }
        }
        Err(why) => tracing::debug!("request not answered: {why}"),
    }
}
