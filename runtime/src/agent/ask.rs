//! The context asks the client: forms and URLs for the person behind it,
//! messages for its model. The questions themselves, and how each protocol
//! era carries them, are the `mcp` layer's.

use crate::agent::context::AgentContext;
use crate::mcp::client_request::ClientRequestError;
use crate::mcp::elicitation::{self, ElicitForm, Elicitation};
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
        elicitation::elicit_form(self.client(), message.into()).await
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
        sampling::sample(self.client(), request.into()).await
    }
}
