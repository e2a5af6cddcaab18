//! The two ways an agentwire server reaches its clients.

pub mod auth;
pub mod http;
mod session_limit;
mod sign_in;
pub mod stdio;
