//! The context asks the client: forms and URLs for the person behind it,
//! messages for its model, its roots. The questions themselves, and how each protocol
//! era carries them, are the `mcp` layer's.

use crate::agent::context::AgentContext;
use crate::mcp::client_request::ClientRequestError;
use crate::mcp::elicitation::{self, ElicitForm, Elicitation};
use crate::mcp::roots::{self, Root};
use crate::mcp::sampling::{self, Sampled, SamplingRequest};

impl AgentContext {
    /// Asks the person behind the client to fill in a form shaped like `T`,
    /// showing `message`.
    ///
    /// Works in both protocol eras: a 2025-11-25 session gets an
    /// `elicitation/create` request; a 2026-07-28 client gets an
    /// `InputRequiredResult` and the agent is replayed with the answer (see
    /// [the crate documentation](crate#asking-the-client-for-input) for what
    /// that implies).
    pub async fn elicit<T: ElicitForm>(
        &self,
        message: impl Into<String>,
    ) -> Result<Elicitation<T>, ClientRequestError> {
        elicitation::elicit_form(self.client(), None, message.into()).await
    }

    /// Asks the person behind the client to visit `url` (to sign in, pay,
    /// or enter something the server must not see), showing `message`.
    /// `Accepted` means they agreed to go; what happens there is between
    /// them and the site.
    pub async fn elicit_url(
        &self,
        message: impl Into<String>,
        url: impl Into<String>,
    ) -> Result<Elicitation<()>, ClientRequestError> {
        elicitation::elicit_url(self.client(), message.into(), url.into()).await
    }

    /// Asks the client's model to continue the conversation in `request`.
    ///
    /// Works in both protocol eras: a 2025-11-25 session gets a
    /// `sampling/createMessage` request; a 2026-07-28 client gets an
    /// `InputRequiredResult` and the agent is replayed with the answer (see
    /// [the crate documentation](crate#asking-the-client-for-input) for what
    /// that implies).
    pub async fn sample(
        &self,
        request: impl Into<SamplingRequest>,
    ) -> Result<Sampled, ClientRequestError> {
        sampling::sample(self.client(), None, request.into()).await
    }

    /// Asks the client for its roots: the directories and files it lets
    /// this server work with. Works in both protocol eras, like
    /// [`elicit`](Self::elicit).
    pub async fn roots(&self) -> Result<Vec<Root>, ClientRequestError> {
        roots::list_roots(self.client(), None).await
    }

    /// Questions for the client under a key of the agent's choosing.
    ///
    /// In the 2026-07-28 protocol each question travels in the
    /// `inputRequests` of an `InputRequiredResult` under a key, which the
    /// client echoes in `inputResponses`; without one the runtime numbers
    /// them (`agentwire-0`, ...). A key matters to clients that recognise
    /// it. Questions asked together (`tokio::join!`) reach the client
    /// together, in one round; the keys of those must differ. 2025-11-25
    /// sessions get ordinary requests, and the key is not sent.
    ///
    /// ```no_run
    /// # use agentwire::prelude::*;
    /// # #[derive(serde::Deserialize, schemars::JsonSchema)] struct Name { name: String }
    /// # async fn f(ctx: &AgentContext) -> Result<(), ClientRequestError> {
    /// let (name, roots) = tokio::join!(
    ///     ctx.keyed("user_name").elicit::<Name>("What is your name?"),
    ///     ctx.keyed("client_roots").roots(),
    /// );
    /// # Ok(()) }
    /// ```
    pub fn keyed<'a>(&'a self, key: &'a str) -> Keyed<'a> {
        Keyed { ctx: self, key }
    }
}

/// Questions for the client under one key: see [`AgentContext::keyed`].
#[derive(Clone, Copy)]
pub struct Keyed<'a> {
    ctx: &'a AgentContext,
    key: &'a str,
}

impl<'a> Keyed<'a> {
    /// [`AgentContext::elicit`], under this key.
    pub async fn elicit<T: ElicitForm>(
        self,
        message: impl Into<String>,
    ) -> Result<Elicitation<T>, ClientRequestError> {
        elicitation::elicit_form(self.ctx.client(), Some(self.key), message.into()).await
    }

    /// [`AgentContext::sample`], under this key.
    pub async fn sample(
        self,
        request: impl Into<SamplingRequest>,
    ) -> Result<Sampled, ClientRequestError> {
        sampling::sample(self.ctx.client(), Some(self.key), request.into()).await
    }

    /// [`AgentContext::roots`], under this key.
    pub async fn roots(self) -> Result<Vec<Root>, ClientRequestError> {
        roots::list_roots(self.ctx.client(), Some(self.key)).await
    }
}
