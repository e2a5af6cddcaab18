//! The two ways an agentwire server reaches its clients.

pub mod auth;
pub mod http;
pub mod stdio;
