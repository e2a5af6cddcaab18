//! MCP over standard input and output, as clients start local servers.
//!
//! No authentication here, by design: the process on the other end of the
//! pipe started this server and is trusted with all it can do. Requests
//! carry no principal, so `[auth]` and per-tool scopes do not apply (see
//! docs/auth.md).

use std::future::Future;
use std::time::Duration;

use rmcp::ServiceExt;

use crate::server::AgentServer;

/// Serves `server` on stdin/stdout until the client closes stdin. Both
/// protocol eras work: the client's first message picks one. Logs must go to
/// stderr, never stdout.
pub async fn serve_stdio(server: AgentServer) -> std::io::Result<()> {
    serve_stdio_until(server, std::future::pending()).await
}

/// Serves `server` on stdin/stdout until the client closes stdin or `stop`
/// completes (a signal). Then no new call is taken, calls in flight get the
/// server's shutdown grace (`[limits] shutdown_grace`) to finish and have
/// their answers written, and those still running are cancelled.
pub async fn serve_stdio_until(
    server: AgentServer,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let closing = server.clone();
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(std::io::Error::other)?;
    let cancel = running.cancellation_token();
    let mut served = std::pin::pin!(running.waiting());
    tokio::select! {
        served = &mut served => {
            served.map_err(std::io::Error::other)?;
        }
        () = stop => {
            let grace = closing.shutdown_grace();
            tracing::info!("shutting down: calls in flight have {} ms", grace.as_millis());
            if !closing.close_for_shutdown().await {
                tracing::warn!("calls still running after the grace period are cancelled");
            }
            // rmcp writes the answers of finished calls (for up to 2 s),
            // then cancels what still runs.
            cancel.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(5), served).await;
        }
    }
    Ok(())
}
