//! Helpers for `tests/admin.rs`: a small HTTP client, a `visor run --admin` process, and a
//! WebDriver client for headless Chromium.

#![allow(dead_code, reason = "each test uses its own part of the helpers")]

// The same small HTTP client the admin crate's own API tests use: one file, two test crates.
#[path = "../../admin/tests/support/http.rs"]
pub mod http;
pub mod visor;
pub mod webdriver;

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
    listener.local_addr().expect("its address").port()
}
