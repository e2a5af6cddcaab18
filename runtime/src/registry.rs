//! The agents, prompts and resources of this binary, collected from their
//! `inventory` registrations and checked once at start-up.

use std::collections::BTreeMap;

use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};

use crate::agent::definition::{AgentDefinition, AgentEntry, SourceLocation};
use crate::agent::graph;
use crate::prompt::{PromptDefinition, PromptEntry};
use crate::resource::{ResourceDefinition, ResourceEntry};

/// Why the registry refused to start.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No `#[agent]`, `#[prompt]` or `#[resource]` registration reached this binary.
    #[error(
        "no agents are registered in this binary, and no prompts or resources either, so there \
         is nothing to serve.\n\
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
        /// The tool name.
        name: &'static str,
        /// Where the first agent is.
        first: SourceLocation,
        /// Where the second agent is.
        second: SourceLocation,
    },
    /// Two prompts claim the same name.
    #[error(
        "two prompts are named `{name}`: one at {first}, the other at {second}. \
         Prompt names must be unique within a server; rename one with `#[prompt(name = \"...\")]`"
    )]
    DuplicatePrompt {
        /// The prompt name.
        name: &'static str,
        /// Where the first prompt is.
        first: SourceLocation,
        /// Where the second prompt is.
        second: SourceLocation,
    },
    /// Two resources claim the same URI (or URI template).
    #[error(
        "two resources have the URI `{uri}`: one at {first}, the other at {second}. \
         Resource URIs must be unique within a server"
    )]
    DuplicateResource {
        /// The URI or URI template.
        uri: String,
        /// Where the first resource is.
        first: SourceLocation,
        /// Where the second resource is.
        second: SourceLocation,
    },
    /// Agents call each other in a cycle that is not declared recursive.
    #[error(
        "the agents call each other in a cycle: {}. A cycle runs until a budget stops it; \
         if that is intended, mark every agent on it `#[agent(recursive, ...)]`, and its \
         depth budget will bound it",
        .cycle.join(" → ")
    )]
    UndeclaredRecursion {
        /// The agents on the cycle, in call order.
        cycle: Vec<&'static str>,
    },
}

/// Every agent (by tool name, with its MCP tool built once), prompt and
/// resource this server offers.
pub struct Registry {
    agents: BTreeMap<&'static str, RegisteredAgent>,
    prompts: BTreeMap<&'static str, &'static PromptDefinition>,
    /// Static resources by URI, then templates, each sorted by URI.
    resources: BTreeMap<String, &'static ResourceDefinition>,
    templates: BTreeMap<String, &'static ResourceDefinition>,
}

struct RegisteredAgent {
    definition: &'static AgentDefinition,
    tool: Tool,
}

impl Registry {
    /// Collects the agents, prompts and resources registered with
    /// `#[agent]`, `#[prompt]` and `#[resource]` anywhere in this binary.
    pub fn collect() -> Result<Self, RegistryError> {
        Self::from_parts(
            inventory::iter::<AgentEntry>
                .into_iter()
                .map(|entry| entry.0),
            inventory::iter::<PromptEntry>
                .into_iter()
                .map(|entry| entry.0),
            inventory::iter::<ResourceEntry>
                .into_iter()
                .map(|entry| entry.0),
        )
    }

    /// Builds a registry of agents only, from explicit definitions.
    pub fn from_definitions(
        definitions: impl IntoIterator<Item = &'static AgentDefinition>,
    ) -> Result<Self, RegistryError> {
        Self::from_parts(definitions, [], [])
    }

    /// Builds a registry from explicit agent, prompt and resource definitions.
    pub fn from_parts(
        definitions: impl IntoIterator<Item = &'static AgentDefinition>,
        prompts: impl IntoIterator<Item = &'static PromptDefinition>,
        resources: impl IntoIterator<Item = &'static ResourceDefinition>,
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

        let mut prompts: Vec<_> = prompts.into_iter().collect();
        prompts.sort_by_key(|d| (d.location.file, d.location.line));
        let mut prompt_map: BTreeMap<&'static str, &'static PromptDefinition> = BTreeMap::new();
        for prompt in prompts {
            if let Some(existing) = prompt_map.get(prompt.name) {
                return Err(RegistryError::DuplicatePrompt {
                    name: prompt.name,
                    first: existing.location,
                    second: prompt.location,
                });
            }
            prompt_map.insert(prompt.name, prompt);
        }

        let mut resources: Vec<_> = resources.into_iter().collect();
        resources.sort_by_key(|d| (d.location.file, d.location.line));
        let mut statics = BTreeMap::new();
        let mut templates = BTreeMap::new();
        for resource in resources {
            let uri = resource.uri.to_string();
            let map: &mut BTreeMap<String, &'static ResourceDefinition> = match resource.uri {
                crate::resource::ResourceUri::Static(_) => &mut statics,
                crate::resource::ResourceUri::Template(_) => &mut templates,
            };
            if let Some(existing) = map.get(&uri) {
                return Err(RegistryError::DuplicateResource {
                    uri,
                    first: existing.location,
                    second: resource.location,
                });
            }
            map.insert(uri, resource);
        }

        if agents.is_empty() && prompt_map.is_empty() && statics.is_empty() && templates.is_empty()
        {
            return Err(RegistryError::Empty);
        }
        let registry = Registry {
            agents,
            prompts: prompt_map,
            resources: statics,
            templates,
        };
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

    /// Whether there are no agents. (A registry with no agents, prompts
    /// or resources at all is refused at start-up.)
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    /// The prompt `name`.
    pub fn prompt(&self, name: &str) -> Option<&'static PromptDefinition> {
        self.prompts.get(name).copied()
    }

    /// Every prompt, sorted by name, as `prompts/list` shows them.
    pub fn prompts(&self) -> impl Iterator<Item = Prompt> + '_ {
        self.prompts.values().map(|prompt| prompt.prompt())
    }

    /// Every static resource, sorted by URI, as `resources/list` shows them.
    pub fn resources(&self) -> impl Iterator<Item = Resource> + '_ {
        self.resources
            .values()
            .filter_map(|resource| resource.resource())
    }

    /// Every resource template, sorted by template, as
    /// `resources/templates/list` shows them.
    pub fn resource_templates(&self) -> impl Iterator<Item = ResourceTemplate> + '_ {
        self.templates
            .values()
            .filter_map(|resource| resource.template())
    }

    /// The resource template written exactly as `template`.
    pub fn resource_template(&self, template: &str) -> Option<&'static ResourceDefinition> {
        self.templates.get(template).copied()
    }

    /// The resource serving `uri` with its template variables: a static
    /// resource first, then the matching template with the most fixed text
    /// (so `file:///docs/{name}` wins over `file:///{+path}`), the first in
    /// URI order among equals.
    pub fn resource_for(
        &self,
        uri: &str,
    ) -> Option<(&'static ResourceDefinition, rmcp::model::JsonObject)> {
        if let Some(resource) = self.resources.get(uri) {
            return Some((resource, rmcp::model::JsonObject::new()));
        }
        let mut best: Option<(usize, &'static ResourceDefinition, rmcp::model::JsonObject)> = None;
        for resource in self.templates.values() {
            let Some(variables) = resource.matches(uri) else {
                continue;
            };
            let fixed = resource.fixed_text_len();
            if best.as_ref().is_none_or(|(most, _, _)| fixed > *most) {
                best = Some((fixed, resource, variables));
            }
        }
        best.map(|(_, resource, variables)| (resource, variables))
    }

    /// Every OAuth scope a tool, prompt or resource needs, sorted.
    pub fn scopes(&self) -> std::collections::BTreeSet<&'static str> {
        let agents = self.definitions().flat_map(|agent| agent.scopes);
        let prompts = self.prompts.values().flat_map(|prompt| prompt.scopes);
        let resources = self.resources.values().chain(self.templates.values());
        let resources = resources.flat_map(|resource| resource.scopes);
        agents.chain(prompts).chain(resources).copied().collect()
    }

    /// How many prompts, static resources and resource templates there are.
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.prompts.len(),
            self.resources.len(),
            self.templates.len(),
        )
    }
}
