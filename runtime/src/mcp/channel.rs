//! The way back to the MCP client that made a request: progress, log
//! messages, and questions for the person or the model behind it.

use std::sync::Arc;

use rmcp::model::{ClientCapabilities, ProgressToken};
use rmcp::service::{Peer, RoleServer};

use crate::mcp::logging::LogLevel;
use crate::mcp::round_trip::RoundTrip;

/// The way back to the MCP client that made the request.
#[derive(Clone)]
pub(crate) struct ClientChannel {
    pub peer: Peer<RoleServer>,
    pub progress_token: Option<ProgressToken>,
    /// Messages below this level are not sent to the client; `None` when
    /// the client asked for none (a 2026-era request without a log level).
    pub log_level: Option<LogLevel>,
    /// What the client said it can do, for elicitation and sampling.
    pub capabilities: Option<ClientCapabilities>,
    /// 2026-07-28 requests ask the client through multi-round-trip results;
    /// `None` means the session takes server→client requests.
    pub round_trip: Option<Arc<RoundTrip>>,
}
