//! The policy as Zenoh access control, on a shell that checks its peers' passwords
//! (`[network] auth.users_file`): each peer device logs in as a user named like the device, and
//! Zenoh itself then lets through, per user, only what the policy grants that device's modules.
//! (Zenoh's user-password login is checked by the side that accepts a link; the side that
//! connects trusts the shell it chose to connect to, and enforces its grants on its bus only.) The bridge checks the same grants again on
//! this bus; access control adds what only the link can see:
//!
//! - what leaves: an exported topic goes only to the devices granted to subscribe to it (a peer
//!   that subscribes to more receives nothing more);
//! - who speaks for whom: a device may put only under its own key prefix (`visor/DEVICE/…`) and
//!   ask only as itself (`visor-req/ME/DEVICE/…`), so it cannot pose as another device;
//! - everything else, and every peer that did not log in, is denied.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use visor_runtime::policy::Policy;

use crate::keys;
use crate::peers::remote_entries;

/// What the devices the policy names may do, as a Zenoh `access_control` section.
pub fn access_control(me: &str, policy: &Policy) -> Value {
    let mut devices: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for (device, grant) in remote_entries(policy) {
        let (publish, subscribe) = devices.entry(device.to_string()).or_default();
        publish.extend(grant.effective.publish.iter().map(|p| keys::data_pattern(device, p)));
        subscribe.extend(grant.effective.subscribe.iter().map(|p| keys::data_pattern(me, p)));
    }
    let mut rules = Vec::new();
    let mut subjects = Vec::new();
    let mut policies = Vec::new();
    let rule = |rules: &mut Vec<Value>, id: String, messages: &[&str], flow: &str, keys: Vec<String>| {
        if !keys.is_empty() {
            rules.push(json!({ "id": id, "messages": messages, "flows": [flow], "permission": "allow", "key_exprs": keys }));
        }
        id
    };
    for (device, (publish, subscribe)) in devices {
        let mut ids = Vec::new();
        // Presence: tokens, info and the liveliness subscriptions that find them.
        let presence = ["liveliness_token", "declare_liveliness_subscriber", "liveliness_query", "query", "reply", "declare_queryable"];
        let presence_keys = vec![format!("{}/*", keys::PEER), keys::info(me), keys::info(&device)];
        ids.push(rule(&mut rules, format!("{device}-presence-in"), &presence, "ingress", presence_keys.clone()));
        ids.push(rule(&mut rules, format!("{device}-presence-out"), &presence, "egress", presence_keys));
        // Its modules' publications, under its own prefix only.
        ids.push(rule(&mut rules, format!("{device}-puts-in"), &["put"], "ingress", publish.clone()));
        ids.push(rule(&mut rules, format!("{device}-subscribe-out"), &["declare_subscriber"], "egress", publish));
        // This device's exports, to it only where granted.
        ids.push(rule(&mut rules, format!("{device}-puts-out"), &["put"], "egress", subscribe.clone()));
        ids.push(rule(&mut rules, format!("{device}-subscribe-in"), &["declare_subscriber"], "ingress", subscribe));
        // Requests both ways, each side asking only as itself.
        let asked = format!("{}/{me}/{device}/**", keys::REQUEST);
        let asking = format!("{}/{device}/{me}/**", keys::REQUEST);
        ids.push(rule(&mut rules, format!("{device}-asks"), &["query"], "ingress", vec![asked.clone()]));
        ids.push(rule(&mut rules, format!("{device}-answered"), &["reply"], "egress", vec![asked]));
        ids.push(rule(&mut rules, format!("{device}-asked"), &["query"], "egress", vec![asking.clone()]));
        ids.push(rule(&mut rules, format!("{device}-answers"), &["reply"], "ingress", vec![asking]));
        ids.push(rule(&mut rules, format!("{device}-serves-out"), &["declare_queryable"], "egress", vec![keys::requests_to(me)]));
        ids.push(rule(&mut rules, format!("{device}-serves-in"), &["declare_queryable"], "ingress", vec![keys::requests_to(&device)]));
        let ids: Vec<String> = ids.into_iter().filter(|id| rules.iter().any(|r| r["id"] == *id)).collect();
        subjects.push(json!({ "id": device, "usernames": [device] }));
        policies.push(json!({ "id": format!("{device}-policy"), "rules": ids, "subjects": [device] }));
    }
    json!({
        "enabled": true,
        "default_permission": "deny",
        "rules": rules,
        "subjects": subjects,
        "policies": policies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_device_is_allowed_its_grants_under_its_own_name() {
        let policy =
            Policy::parse("[modules.\"vision@edge\"]\npublish = [\"vision/faces\"]\n[modules.\"*@edge\"]\nsubscribe = [\"chat/#\"]\n", "t")
                .unwrap();
        let acl = access_control("glasses", &policy);
        assert_eq!(acl["default_permission"], "deny");
        let rule = |id: &str| acl["rules"].as_array().unwrap().iter().find(|r| r["id"] == id).cloned().unwrap_or_default();
        assert_eq!(rule("edge-puts-in")["key_exprs"], json!(["visor/edge/vision/faces"]));
        assert_eq!(rule("edge-puts-out")["key_exprs"], json!(["visor/glasses/chat/**"]));
        assert_eq!(rule("edge-asks")["key_exprs"], json!(["visor-req/glasses/edge/**"]));
        assert_eq!(acl["subjects"], json!([{ "id": "edge", "usernames": ["edge"] }]));
    }
}
