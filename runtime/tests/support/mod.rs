//! Helpers shared by the integration tests (each test binary uses a part).
#![allow(dead_code)]

pub mod issuer;

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use rmcp::model::{CallToolResult, ProtocolVersion};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RoleClient, RunningService};
use rmcp::{ClientHandler, ServiceExt};

/// Keys of the calls to [`hang_until_dropped`] that started.
pub static STARTED: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);
/// Keys of the calls to [`hang_until_dropped`] whose future was dropped.
pub static DROPPED: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);

struct Tracker(String);

impl Drop for Tracker {
    fn drop(&mut self) {
        DROPPED.lock().unwrap().insert(self.0.clone());
    }
}

/// Never finishes by itself: only dropping its future ends it, which is
/// recorded under `key` in [`DROPPED`].
pub async fn hang_until_dropped(key: String) -> String {
    let _tracker = Tracker(key.clone());
    STARTED.lock().unwrap().insert(key);
    std::future::pending().await
}

/// Waits (20 s at most) until `key` is in `set`.
pub async fn wait_for(set: &LazyLock<Mutex<HashSet<String>>>, key: &str) {
    tokio::time::timeout(Duration::from_secs(20), async {
        while !set.lock().unwrap().contains(key) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("`{key}` never reached the expected state"));
}

/// The text blocks of a result, joined.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

/// The protocol era a client speaks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Era {
    /// 2025-11-25: `initialize`, sessions.
    Legacy,
    /// 2026-07-28: `server/discover`, stateless.
    Stateless,
}

/// Both eras, for tests that run in each.
pub const ERAS: [Era; 2] = [Era::Legacy, Era::Stateless];

impl Era {
    pub fn lifecycle(self) -> ClientLifecycleMode {
        match self {
            Era::Legacy => ClientLifecycleMode::Initialize,
            Era::Stateless => ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        }
    }
}

/// rmcp's client over `transport`, in `era`.
pub async fn connect<T, E, A>(transport: T, era: Era) -> RunningService<RoleClient, ()>
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    connect_as((), transport, era).await
}

/// rmcp's client with the handler `client` over `transport`, in `era`.
pub async fn connect_as<C, T, E, A>(
    client: C,
    transport: T,
    era: Era,
) -> RunningService<RoleClient, C>
where
    C: ClientHandler,
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    match era {
        Era::Legacy => client.serve(transport).await.expect("initialize"),
        Era::Stateless => client
            .serve_with_lifecycle(transport, era.lifecycle())
            .await
            .expect("server/discover"),
    }
}
