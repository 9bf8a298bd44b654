//! Helpers for the admin server's tests.

pub mod http;
