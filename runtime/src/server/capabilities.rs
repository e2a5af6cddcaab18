//! What the server tells a client about itself: its identity and the
//! capabilities its registry needs (and nothing it does not serve).

use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};

use super::AgentServer;

impl AgentServer {
    /// What `initialize` and `server/discover` answer: the identity, and
    /// the capabilities this registry needs.
    pub(super) fn server_config(&self) -> ServerConfig {
        let identity = &self.shared.identity;
        let registry = &self.shared.registry;
        let (prompts, resources, templates) = registry.counts();
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_logging()
            .enable_completions()
            .enable_prompts()
            .enable_resources()
            .enable_resources_subscribe()
            .build();
        if self.shared.workflows.is_some() || self.shared.task_agents {
            // Long workflow runs, and calls of task agents, become MCP
            // tasks (SEP-2663), an extension.
            capabilities.extensions = ServerCapabilities::builder()
                .enable_tasks()
                .build()
                .extensions;
        }
        if registry.is_empty() {
            capabilities.tools = None;
        }
        if prompts == 0 {
            capabilities.prompts = None;
        }
        if resources + templates == 0 {
            capabilities.resources = None;
        }
        if prompts + templates == 0 {
            capabilities.completions = None;
        }
        let mut implementation = Implementation::new(&identity.name, &identity.version);
        implementation.title = identity.title.clone();
        implementation.description = identity.description.clone();
        if !identity.icons.is_empty() {
            let sources: Vec<&str> = identity.icons.iter().map(String::as_str).collect();
            implementation.icons = crate::mcp::icon::icons(&sources);
        }
        let mut config = ServerConfig::new(capabilities).with_server_info(implementation);
        if let Some(instructions) = &identity.instructions {
            config = config.with_instructions(instructions);
        }
        config
    }
}
