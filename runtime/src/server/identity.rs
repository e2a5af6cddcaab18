//! Who a server says it is, in `initialize` and `server/discover`.

/// Who this server says it is, in `initialize` and `server/discover`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerIdentity {
    /// The server's name; [`main!`](crate::main) uses the crate's name.
    pub name: String,
    /// The server's version; [`main!`](crate::main) uses the crate's version.
    pub version: String,
    /// A name for people, shown by clients instead of `name`.
    pub title: Option<String>,
    /// A description for people, sent as the implementation description.
    pub description: Option<String>,
    /// Icon URLs (or `data:` URIs) for clients to show.
    pub icons: Vec<String>,
    /// Guidance for the model using this server's tools.
    pub instructions: Option<String>,
}

impl ServerIdentity {
    /// A server called `name` at `version`.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        ServerIdentity {
            name: name.into(),
            version: version.into(),
            title: None,
            description: None,
            icons: Vec::new(),
            instructions: None,
        }
    }
}
