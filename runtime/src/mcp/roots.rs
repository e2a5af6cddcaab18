//! The client's roots (`roots/list`): the directories and files the client
//! lets the server work with.

#![allow(deprecated)] // Roots are deprecated by SEP-2577, still in both eras.

use rmcp::model::ListRootsResult;
use serde::{Deserialize, Serialize};

use crate::mcp::channel::ClientChannel;
use crate::mcp::client_request::{ClientRequestError, Question, ask};

/// One root the client exposes: a `file://` URI and an optional name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// Where the root is, as a URI (`file:///home/me/project`).
    pub uri: String,
    /// A name the client gives the root for display, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Asks the client for its roots (what
/// [`AgentContext::roots`](crate::AgentContext::roots) does).
pub(crate) async fn list_roots(
    client: Option<&ClientChannel>,
    key: Option<&str>,
) -> Result<Vec<Root>, ClientRequestError> {
    let answer = ask(client, key, Question::Roots).await?;
    let result: ListRootsResult = serde_json::from_value(answer)
        .map_err(|e| ClientRequestError::InvalidAnswer(e.to_string()))?;
    Ok(result
        .roots
        .into_iter()
        .map(|root| Root {
            uri: root.uri,
            name: root.name,
        })
        .collect())
}
