//! What each attribute asks of its function's signature, and the words its
//! messages use. The reader in the parent module applies them.

/// The rules and words for one attribute kind.
pub struct Rules {
    /// The attribute, for messages: `agent`.
    pub attr: &'static str,
    /// The function as a noun, for messages: `an agent`.
    pub noun: &'static str,
    /// The function is an MCP tool: one fixed input schema and an output
    /// schema, so it cannot be generic nor return `impl Trait`.
    pub tool: bool,
    /// `Some(why)` when the function must be `async`, completing
    /// "write `async fn` so ...".
    pub awaits: Option<&'static str>,
    /// What MCP clients do to it, for the message about `unsafe fn`: `call`.
    pub clients: &'static str,
    /// The context parameter the function may take.
    pub context: Context,
    /// Its parameters as a subject: `agent parameters`.
    pub params: &'static str,
    /// One parameter: `parameter`, `prompt argument`.
    pub param: &'static str,
    /// What each parameter is: `becomes a named argument of the tool`.
    pub each_param_is: &'static str,
    /// Why a parameter must own its data, before the suggestion.
    pub owned: &'static str,
    /// `Some(what)` when the function must return something: `its messages: ...`.
    pub returns: Option<&'static str>,
    /// Errors underline whole tokens (`&str`) rather than their first
    /// character (`&`), as each kind's snapshots pin them.
    pub whole_spans: bool,
}

/// The context type a function may take once, by reference or by value.
pub struct Context {
    /// The type's last path segment: `AgentContext`.
    pub ty: &'static str,
    /// Why it cannot be borrowed mutably.
    pub shared: &'static str,
    /// `Some((type, message))`: another context type, refused with `message`.
    pub foreign: Option<(&'static str, &'static str)>,
}

const AGENT_CONTEXT: Context = Context {
    ty: "AgentContext",
    shared: "it is shared with the agents this one calls",
    foreign: None,
};

/// `#[agent]`: an MCP tool called by clients and other agents.
pub const AGENT: Rules = Rules {
    attr: "agent",
    noun: "an agent",
    tool: true,
    awaits: Some("the agent can await other agents, models and I/O"),
    clients: "call",
    context: AGENT_CONTEXT,
    params: "agent parameters",
    param: "parameter",
    each_param_is: "becomes a named argument of the tool",
    owned: "agent parameters are deserialized from the tool call's JSON arguments, so they \
            must own their data",
    returns: None,
    whole_spans: true,
};

/// `#[workflow]`: an MCP tool whose runs are journaled.
pub const WORKFLOW: Rules = Rules {
    attr: "workflow",
    noun: "a workflow",
    tool: true,
    awaits: Some("the workflow can await its steps, agents, timers and input"),
    clients: "start",
    context: Context {
        ty: "WorkflowContext",
        shared: "the workflow's steps and agent calls share it",
        foreign: Some((
            "AgentContext",
            "a workflow takes a `&WorkflowContext`, not an `AgentContext`: its steps, timers \
             and agent calls go through the workflow's context so that they are journaled",
        )),
    },
    params: "workflow parameters",
    param: "parameter",
    each_param_is: "becomes a named argument of the tool",
    owned: "workflow parameters are read from the tool call's JSON arguments and journaled \
            with the run, so they must own their data",
    returns: None,
    whole_spans: false,
};

/// `#[prompt]`: arguments arrive as text; returns messages.
pub const PROMPT: Rules = Rules {
    attr: "prompt",
    noun: "a prompt",
    tool: false,
    awaits: None,
    clients: "call",
    context: AGENT_CONTEXT,
    params: "the parameters of a prompt",
    param: "prompt argument",
    each_param_is: "is a prompt argument",
    owned: "each prompt argument is read from the request's text, so the parameter must own \
            its data",
    returns: Some("its messages: `String`, `Content`, `PromptMessage` or `Vec<PromptMessage>`"),
    whole_spans: false,
};

/// `#[resource]`: parameters are URI template variables; returns contents.
pub const RESOURCE: Rules = Rules {
    attr: "resource",
    noun: "a resource",
    tool: false,
    awaits: None,
    clients: "call",
    context: AGENT_CONTEXT,
    params: "the parameters of a resource",
    param: "URI template variable",
    each_param_is: "is a URI template variable",
    owned: "each URI template variable is read from the request's text, so the parameter \
            must own its data",
    returns: Some("its contents: `String`, `Vec<u8>`, `ResourceContent` or `Vec<ResourceContent>`"),
    whole_spans: false,
};
