//! The agents of this binary, collected from their `inventory` registrations
//! and checked once at start-up.

use std::collections::BTreeMap;

use rmcp::model::Tool;

use crate::definition::{AgentDefinition, AgentEntry, SourceLocation};
use crate::graph;

/// Why the registry refused to start.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No `#[agent]` registration reached this binary.
    #[error(
        "no agents are registered in this binary, so there is nothing to serve.\n\
         agentwire finds agents through the registrations `#[agent]` leaves in the binary. \
         If your agents live in a library crate, the linker drops that crate when the binary \
         never uses anything from it: refer to one of its items from the binary (for example \
         call one agent's stub, or a function of the library) so that it is linked in."
    )]
    Empty,
    /// Two agents claim the same tool name.
    #[error(
        "two agents are named `{name}`: one at {first}, the other at {second}. \
         Tool names must be unique within a server; rename one with `#[agent(name = \"...\")]`"
    )]
    DuplicateName {
        name: &'static str,
        first: SourceLocation,
        second: SourceLocation,
    },
    /// Agents call each other in a cycle that is not declared recursive.
    #[error(
        "the agents call each other in a cycle: {}. A cycle runs until a budget stops it; \
         if that is intended, mark every agent on it `#[agent(recursive, ...)]`, and its \
         depth budget will bound it",
        .cycle.join(" → ")
    )]
    UndeclaredRecursion { cycle: Vec<&'static str> },
}

/// Every agent this server offers, by tool name, with its MCP tool built once.
pub struct Registry {
    agents: BTreeMap<&'static str, RegisteredAgent>,
}

struct RegisteredAgent {
    definition: &'static AgentDefinition,
    tool: Tool,
}

impl Registry {
    /// Collects the agents registered with `#[agent]` anywhere in this binary.
    pub fn collect() -> Result<Self, RegistryError> {
        Self::from_definitions(
            inventory::iter::<AgentEntry>
                .into_iter()
                .map(|entry| entry.0),
        )
    }

    /// Builds a registry from explicit definitions.
    pub fn from_definitions(
        definitions: impl IntoIterator<Item = &'static AgentDefinition>,
    ) -> Result<Self, RegistryError> {
        let mut agents: BTreeMap<&'static str, RegisteredAgent> = BTreeMap::new();
        // Sorted by location so that the duplicate error reads the same every run.
        let mut definitions: Vec<_> = definitions.into_iter().collect();
        definitions.sort_by_key(|d| (d.location.file, d.location.line));
        for definition in definitions {
            if let Some(existing) = agents.get(definition.name) {
                return Err(RegistryError::DuplicateName {
                    name: definition.name,
                    first: existing.definition.location,
                    second: definition.location,
                });
            }
            let tool = definition.tool();
            agents.insert(definition.name, RegisteredAgent { definition, tool });
        }
        if agents.is_empty() {
            return Err(RegistryError::Empty);
        }
        let registry = Registry { agents };
        if let Some(cycle) = graph::undeclared_cycle(registry.definitions()) {
            return Err(RegistryError::UndeclaredRecursion { cycle });
        }
        Ok(registry)
    }

    /// The agent serving the tool `name`.
    pub fn get(&self, name: &str) -> Option<&'static AgentDefinition> {
        self.agents.get(name).map(|agent| agent.definition)
    }

    /// Every agent this server runs.
    pub fn definitions(&self) -> impl Iterator<Item = &'static AgentDefinition> + '_ {
        self.agents.values().map(|agent| agent.definition)
    }

    /// The call graph of these agents as a Mermaid flowchart.
    pub fn call_graph_mermaid(&self) -> String {
        graph::mermaid(self.definitions())
    }

    /// The remote servers these agents call, each with one agent calling it.
    pub fn remote_servers(&self) -> std::collections::BTreeMap<&'static str, &'static str> {
        graph::remote_servers(self.definitions())
    }

    /// The MCP tool for `name`.
    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.agents.get(name).map(|agent| &agent.tool)
    }

    /// Every tool, sorted by name.
    pub fn tools(&self) -> impl Iterator<Item = &Tool> {
        self.agents.values().map(|agent| &agent.tool)
    }

    /// How many agents there are.
    pub fn len(&self) -> usize {
        self.agents.len()
    }

    /// Always false: an empty registry is refused at start-up.
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }
}
