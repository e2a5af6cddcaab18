//! `serve`: the MCP server on stdio or streamable HTTP, until a signal.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use super::args::ServeArgs;
use crate::config::AuthConfig;
use crate::server::AgentServer;
use crate::transport::http::{HttpOptions, HttpServer};
use crate::transport::stdio::serve_stdio_until;

/// The environment variable holding the key that signs 2026-era
/// `requestState`s, shared by replicas behind one address.
const REQUEST_STATE_KEY: &str = "AGENTWIRE_REQUEST_STATE_KEY";

pub(super) async fn serve(
    server: AgentServer,
    args: ServeArgs,
    auth: Option<AuthConfig>,
) -> ExitCode {
    let server = match std::env::var_os(REQUEST_STATE_KEY) {
        None => server,
        Some(key) => match server.with_request_state_key(key.as_encoded_bytes()) {
            Ok(server) => server,
            Err(error) => {
                eprintln!("error: {REQUEST_STATE_KEY}: {error}");
                return ExitCode::FAILURE;
            }
        },
    };
    match args.http {
        None => serve_on_stdio(server).await,
        Some(addr) => serve_on_http(server, addr, args, auth).await,
    }
}

/// Serves on stdin/stdout until the client closes them or a signal comes.
async fn serve_on_stdio(server: AgentServer) -> ExitCode {
    let name = server.identity().name.clone();
    let tools = server.registry().len();
    tracing::info!("{name} serves {tools} tools on stdio");
    // On a signal, calls in flight get the grace period, as over HTTP.
    match serve_stdio_until(server, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the stdio server stopped: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Serves streamable HTTP on `addr` until a signal comes.
async fn serve_on_http(
    server: AgentServer,
    addr: SocketAddr,
    args: ServeArgs,
    auth: Option<AuthConfig>,
) -> ExitCode {
    let name = server.identity().name.clone();
    let tools = server.registry().len();
    let options = HttpOptions {
        path: args.path,
        max_body_bytes: args.max_body_bytes,
        allowed_hosts: (!args.allowed_hosts.is_empty()).then_some(args.allowed_hosts),
        allowed_origins: (!args.allowed_origins.is_empty()).then_some(args.allowed_origins),
        auth,
    };
    let path = options.path.clone();
    let closing = server.clone();
    let http = match HttpServer::bind(server, addr, options).await {
        Ok(http) => http,
        Err(error) => {
            eprintln!("error: cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    // Printed on stdout so that scripts and tests can learn the port chosen
    // for `--http 127.0.0.1:0`.
    println!("listening on http://{}{path}", http.local_addr());
    let _ = std::io::stdout().flush();
    tracing::info!(
        "{name} serves {tools} tools on http://{}{path}",
        http.local_addr()
    );
    let (stop, drain) = (http.shutdown_token(), http.drain_token());
    let mut served = std::pin::pin!(http.wait());
    let outcome = tokio::select! {
        outcome = &mut served => outcome,
        () = shutdown_signal() => {
            // No new connections and no new calls; calls in flight get the
            // grace period, then the sessions end, which cancels them.
            // Workflow runs stay in their journal and resume at the next
            // start.
            let grace = closing.shutdown_grace();
            tracing::info!("shutting down: calls in flight have {} ms", grace.as_millis());
            drain.cancel();
            if !closing.close_for_shutdown().await {
                tracing::warn!("calls still running after the grace period are cancelled");
            }
            stop.cancel();
            // Ending the sessions is quick; a stream that does not end is
            // not waited for.
            tokio::time::timeout(std::time::Duration::from_secs(5), served)
                .await
                .unwrap_or(Ok(()))
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the HTTP server stopped: {error}");
            ExitCode::FAILURE
        }
    }
}

pub(super) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
