//! One round of a request that may ask the client for input: the way back
//! to the client, and for a 2026-era request the round trip its
//! `requestState` carries (a 2025-era session asks the client directly).

use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::model::{InputResponses, JsonObject, ProtocolVersion};
use rmcp::service::{RequestContext, RoleServer};

use super::AgentServer;
use super::caller::principal_of;
use crate::mcp::channel::ClientChannel;
use crate::mcp::logging::LogLevel;
use crate::mcp::round_trip::{Binding, Round, RoundTrip, run_round};

impl AgentServer {
    /// Runs `work` as one round of a request that may ask the client for
    /// input. `work` gets the way back to the client and the request's
    /// `arguments`, which (with the method and name in `called`) are what
    /// a 2026-era `requestState` is bound to; such a request whose work asks
    /// something not answered yet ends the round with an `InputRequiredResult`.
    pub(super) async fn in_round<T, Fut>(
        &self,
        context: &RequestContext<RoleServer>,
        called: (&str, &str),
        (request_state, responses): (Option<&str>, Option<&InputResponses>),
        arguments: JsonObject,
        work: impl FnOnce(ClientChannel, JsonObject) -> Fut,
    ) -> Result<Round<T>, ErrorData>
    where
        Fut: Future<Output = T>,
    {
        let (method, name) = called;
        let caller = principal_of(context);
        let subject = caller.as_ref().map(|principal| principal.subject.as_str());
        let binding = binding(context, method, name, &arguments).for_caller(subject);
        let round_trip = self.round_trip(context, &binding, request_state, responses)?;
        let client = self.client_channel(context, round_trip.clone());
        let work = work(client, arguments);
        Ok(run_round(round_trip.as_deref(), &self.sealer, &binding, work).await)
    }

    /// The way back to the client for one request.
    pub(super) fn client_channel(
        &self,
        context: &RequestContext<RoleServer>,
        round_trip: Option<Arc<RoundTrip>>,
    ) -> ClientChannel {
        // A 2026-era request opts in to log messages with a level in its
        // `_meta`; without one it gets none. A 2025-era session has the
        // level `logging/setLevel` chose (`info` until then).
        let log_level = match context.meta.log_level() {
            Some(level) => Some(LogLevel::from_rmcp(level)),
            None if is_stateless(context) => None,
            None => Some(self.log_level.get()),
        };
        ClientChannel {
            peer: context.peer.clone(),
            progress_token: context.meta.get_progress_token(),
            log_level,
            capabilities: context.client_capabilities(),
            round_trip,
        }
    }

    /// The round trip of a 2026-era request (`None` for a 2025-era one,
    /// which asks the client directly).
    pub(super) fn round_trip(
        &self,
        context: &RequestContext<RoleServer>,
        binding: &Binding,
        request_state: Option<&str>,
        responses: Option<&InputResponses>,
    ) -> Result<Option<Arc<RoundTrip>>, ErrorData> {
        if !is_stateless(context) {
            return Ok(None);
        }
        RoundTrip::resume(&self.sealer, binding, request_state, responses).map(Some)
    }
}

/// What the `requestState` of a 2026-era request is bound to. A 2025-era
/// request has none, so it skips the copy of its arguments this takes.
pub(super) fn binding(
    context: &RequestContext<RoleServer>,
    method: &str,
    name: &str,
    arguments: &JsonObject,
) -> Binding {
    if is_stateless(context) {
        Binding::new(method, name, arguments)
    } else {
        Binding::default()
    }
}

/// Whether the request uses the 2026-07-28 protocol (or later): stateless,
/// with per-request `_meta` and no server→client requests.
pub(super) fn is_stateless(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
}
