//! The two ways an agentwire server reaches its clients.

pub mod http;
pub mod stdio;
