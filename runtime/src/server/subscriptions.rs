//! Resource subscriptions: clients subscribe to a resource URI and are told
//! (`notifications/resources/updated`) when [`resource_updated`] is called
//! for it.
//!
//! 2025-11-25 sessions subscribe with `resources/subscribe`; the
//! notifications go to the session. 2026-07-28 clients hold a
//! `subscriptions/listen` request open; the notifications go on it. Both
//! listen to one process-wide channel, as resources are process-wide too.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex};

use rmcp::ErrorData;
use rmcp::model::{
    ResourceUpdatedNotificationParam, SubscribeRequestParams, SubscriptionFilter,
    UnsubscribeRequestParams,
};
use rmcp::service::{Peer, RequestContext, RoleServer, SubscriptionContext};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::AgentServer;

/// Updates not yet delivered to a slow listener before it skips ahead.
const BACKLOG: usize = 256;

static UPDATES: LazyLock<broadcast::Sender<String>> =
    LazyLock::new(|| broadcast::channel(BACKLOG).0);

/// Tells every client subscribed to `uri` that the resource changed, so it
/// can read it again. Call it from an agent, a background task or anywhere
/// else in the process; it returns at once.
///
/// ```
/// agentwire::resource_updated("file:///notes.txt");
/// ```
pub fn resource_updated(uri: impl Into<String>) {
    // An error only means that nobody is listening.
    let _ = UPDATES.send(uri.into());
}

/// The subscriptions of one 2025-era session.
pub(crate) struct SessionSubscriptions {
    uris: Arc<Mutex<HashSet<String>>>,
    /// Stops the session's listener; cancelled when the session ends.
    listener: Mutex<Option<CancellationToken>>,
}

impl Default for SessionSubscriptions {
    fn default() -> Self {
        SessionSubscriptions {
            uris: Arc::default(),
            listener: Mutex::new(None),
        }
    }
}

impl SessionSubscriptions {
    /// Subscribes the session reached through `peer` to `uri`, unless it
    /// holds `cap` other subscriptions already.
    pub fn subscribe(&self, uri: String, peer: &Peer<RoleServer>, cap: usize) -> Result<(), ()> {
        {
            let mut uris = self.uris.lock().unwrap_or_else(|p| p.into_inner());
            if uris.len() >= cap && !uris.contains(&uri) {
                return Err(());
            }
            uris.insert(uri);
        }
        let mut listener = self.listener.lock().unwrap_or_else(|p| p.into_inner());
        if listener.is_none() {
            let stop = CancellationToken::new();
            // Listen before answering the subscription, so that an update
            // made right after it is not missed.
            let updates = UPDATES.subscribe();
            tokio::spawn(forward(
                self.uris.clone(),
                peer.clone(),
                updates,
                stop.clone(),
            ));
            *listener = Some(stop);
        }
        Ok(())
    }

    /// Ends the subscription to `uri`; unknown URIs are fine.
    pub fn unsubscribe(&self, uri: &str) {
        self.uris
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(uri);
    }
}

impl Drop for SessionSubscriptions {
    fn drop(&mut self) {
        if let Some(stop) = self
            .listener
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            stop.cancel();
        }
    }
}

/// Sends the session the updates it subscribed to, until it ends.
async fn forward(
    uris: Arc<Mutex<HashSet<String>>>,
    peer: Peer<RoleServer>,
    mut updates: broadcast::Receiver<String>,
    stop: CancellationToken,
) {
    loop {
        let uri = tokio::select! {
            () = stop.cancelled() => return,
            update = updates.recv() => match update {
                Ok(uri) => uri,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
        };
        if !uris
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&uri)
        {
            continue;
        }
        if let Err(error) = peer
            .notify_resource_updated(ResourceUpdatedNotificationParam::new(uri))
            .await
        {
            tracing::debug!(%error, "the session is gone; its subscriptions end");
            return;
        }
    }
}

/// Serves one 2026-era `subscriptions/listen` request until the client ends it.
pub(crate) async fn listen(context: SubscriptionContext) {
    let accepted: HashSet<String> = context
        .accepted()
        .resource_subscriptions
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    if accepted.is_empty() {
        context.cancelled().await;
        return;
    }
    let mut updates = UPDATES.subscribe();
    loop {
        let uri = tokio::select! {
            () = context.cancelled() => return,
            update = updates.recv() => match update {
                Ok(uri) => uri,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
        };
        if accepted.contains(&uri) && context.sink().notify_resource_updated(uri).await.is_err() {
            return;
        }
    }
}

impl AgentServer {
    pub(super) async fn serve_subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        super::prompts_resources::check_uri_length(&request.uri)?;
        if self.shared.registry.resource_for(&request.uri).is_none() {
            return Err(ErrorData::resource_not_found(
                format!("no resource has the URI `{}`", request.uri),
                Some(serde_json::json!({ "uri": request.uri })),
            ));
        }
        let cap = self.calls.subscriptions;
        self.subscriptions
            .subscribe(request.uri, &context.peer, cap)
            .map_err(|()| {
                ErrorData::invalid_params(
                    format!(
                        "this session is subscribed to {cap} resources, its limit ([limits] \
                         subscriptions_per_session); unsubscribe from one first"
                    ),
                    None,
                )
            })
    }

    pub(super) async fn serve_unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscriptions.unsubscribe(&request.uri);
        Ok(())
    }

    pub(super) fn serve_accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let uris: Vec<String> = requested
            .resource_subscriptions
            .iter()
            .flatten()
            .filter(|uri| self.shared.registry.resource_for(uri).is_some())
            .cloned()
            .collect();
        Some(
            SubscriptionFilter::builder()
                .resource_subscriptions(uris)
                .build(),
        )
    }

    pub(super) async fn serve_listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        listen(context).await;
        Ok(())
    }
}
