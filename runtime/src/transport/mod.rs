//! The two ways an agentwire server reaches its clients.

pub mod auth;
mod callback;
pub mod http;
pub mod stdio;
