//! MCP over standard input and output, as clients start local servers.
//!
//! No authentication here, by design: the process on the other end of the
//! pipe started this server and is trusted with all it can do. Requests
//! carry no principal, so `[auth]` and per-tool scopes do not apply (see
//! docs/auth.md).

use rmcp::ServiceExt;

use crate::server::AgentServer;

/// Serves `server` on stdin/stdout until the client closes stdin. Both
/// protocol eras work: the client's first message picks one. Logs must go to
/// stderr, never stdout.
pub async fn serve_stdio(server: AgentServer) -> std::io::Result<()> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(std::io::Error::other)?;
    running.waiting().await.map_err(std::io::Error::other)?;
    Ok(())
}
