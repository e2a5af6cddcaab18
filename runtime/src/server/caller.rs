//! Who sent a request, and what they may see: the principal the HTTP
//! layer authenticated (none over stdio, or without `[auth]`), and the one
//! rule for things that outlive a request (workflow runs, MCP tasks):
//! only the principal that started one may list, read, resume or cancel it.

use std::sync::Arc;

use rmcp::service::{RequestContext, RoleServer};

use crate::agent::Principal;
use crate::workflow::backend::{ControlError, RunView, WorkflowBackend};

/// The caller of `context`'s request, as the transport vouched for it.
pub(super) fn principal_of(context: &RequestContext<RoleServer>) -> Option<Arc<Principal>> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Principal>())
        .map(|principal| Arc::new(principal.clone()))
}

/// The run `run_id` when `caller` owns it; a run of someone else is
/// answered as if it did not exist, so its id reveals nothing.
pub(super) async fn owned_run(
    backend: &dyn WorkflowBackend,
    run_id: &str,
    caller: Option<&Principal>,
) -> Result<RunView, ControlError> {
    let view = backend.status(run_id).await?;
    if Principal::owns(view.record.owner.as_ref(), caller) {
        Ok(view)
    } else {
        Err(ControlError::NotFound(run_id.to_owned()))
    }
}

/// The owner filter of a listing for `caller`.
pub(super) fn owner_filter(caller: Option<&Principal>) -> Option<Option<String>> {
    Some(caller.map(|principal| principal.subject.clone()))
}
