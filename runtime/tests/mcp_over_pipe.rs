//! The stdio code path (rmcp's async read/write transport) over an in-process
//! pipe: cancellation by `notifications/cancelled` in both protocol eras.

mod support;

use agentwire::prelude::*;
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest, ProtocolVersion, object};
use rmcp::service::{
    ClientLifecycleMode, ClientServiceExt, PeerRequestOptions, RoleClient, RunningService,
};
use serde_json::json;
use support::{DROPPED, STARTED, hang_until_dropped, wait_for};

/// Never finishes by itself: only dropping its future ends it.
#[agent]
async fn hang(key: String) -> String {
    hang_until_dropped(key).await
}

async fn connected(lifecycle: ClientLifecycleMode) -> RunningService<RoleClient, ()> {
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let server = AgentServer::new(
        Registry::collect().unwrap(),
        ServerIdentity::new("pipe-test", "0.0.1"),
    );
    tokio::spawn(async move {
        let (read, write) = tokio::io::split(server_end);
        if let Ok(running) = server.serve((read, write)).await {
            let _ = running.waiting().await;
        }
    });
    let (read, write) = tokio::io::split(client_end);
    ().serve_with_lifecycle((read, write), lifecycle)
        .await
        .unwrap()
}

async fn cancel_through(client: RunningService<RoleClient, ()>, key: &str) {
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(
        CallToolRequestParams::new("hang").with_arguments(object(json!({"key": key}))),
    ));
    let handle = client
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
        .unwrap();
    wait_for(&STARTED, key).await;
    handle
        .cancel(Some("the user changed their mind".to_owned()))
        .await
        .unwrap();
    wait_for(&DROPPED, key).await;
    // The connection is still usable afterwards.
    assert!(!client.list_all_tools().await.unwrap().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn cancelled_notification_cancels_the_agent_in_a_legacy_session() {
    cancel_through(connected(ClientLifecycleMode::Initialize).await, "legacy").await;
}

#[tokio::test]
async fn cancelled_notification_cancels_the_agent_in_the_stateless_era() {
    let lifecycle = ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    };
    cancel_through(connected(lifecycle).await, "stateless").await;
}
