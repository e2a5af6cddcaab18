//! The two ways an agentwire server reaches its clients.

pub mod auth;
mod callback;
pub mod http;
mod session_limit;
pub mod stdio;
