//! The static call graph the `calls = [...]` declarations draw, checked at
//! start-up and printed by `list --graph`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::agent::definition::AgentDefinition;

/// Every agent reachable from `roots`, by tool name, remote ones included.
fn reachable(
    roots: impl IntoIterator<Item = &'static AgentDefinition>,
) -> BTreeMap<&'static str, &'static AgentDefinition> {
    let mut seen = BTreeMap::new();
    let mut stack: Vec<_> = roots.into_iter().collect();
    while let Some(agent) = stack.pop() {
        if seen.insert(agent.name, agent).is_none() {
            stack.extend((agent.callees)().iter().copied());
        }
    }
    seen
}

/// The first cycle of calls through an agent not marked `recursive`, as the
/// list of tool names around it (first name repeated at the end).
pub fn undeclared_cycle(
    roots: impl IntoIterator<Item = &'static AgentDefinition>,
) -> Option<Vec<&'static str>> {
    let agents = reachable(roots);
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        agent: &'static AgentDefinition,
        marks: &mut BTreeMap<&'static str, Mark>,
        path: &mut Vec<&'static AgentDefinition>,
    ) -> Option<Vec<&'static str>> {
        match marks.get(agent.name) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|a| a.name == agent.name)?;
                let cycle = &path[start..];
                if cycle.iter().all(|a| a.recursive) {
                    return None;
                }
                let mut names: Vec<_> = cycle.iter().map(|a| a.name).collect();
                names.push(agent.name);
                return Some(names);
            }
            None => {}
        }
        marks.insert(agent.name, Mark::Open);
        path.push(agent);
        for callee in (agent.callees)() {
            if let Some(cycle) = visit(callee, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(agent.name, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    agents
        .values()
        .find_map(|agent| visit(agent, &mut marks, &mut Vec::new()))
}

/// The remote servers the agents reachable from `roots` call, with one
/// agent that calls each, for error messages.
pub fn remote_servers(
    roots: impl IntoIterator<Item = &'static AgentDefinition>,
) -> BTreeMap<&'static str, &'static str> {
    reachable(roots)
        .values()
        .filter_map(|agent| agent.remote_server().map(|server| (server, agent.name)))
        .collect()
}

/// The call graph of the agents reachable from `roots`, as a Mermaid
/// flowchart (what `list --graph` prints).
pub fn mermaid(roots: impl IntoIterator<Item = &'static AgentDefinition>) -> String {
    let agents = reachable(roots);
    let mut out = String::from("flowchart LR\n");
    let id = |name: &str| name.replace(['.', '-'], "_");
    for agent in agents.values() {
        let label = match agent.remote_server() {
            Some(server) => format!("{} (on {server})", agent.name),
            None if agent.recursive => format!("{} (recursive)", agent.name),
            None => agent.name.to_owned(),
        };
        let _ = writeln!(out, "    {}[\"{label}\"]", id(agent.name));
    }
    let edges: BTreeSet<_> = agents
        .values()
        .flat_map(|a| (a.callees)().iter().map(move |c| (a.name, c.name)))
        .collect();
    for (from, to) in edges {
        let _ = writeln!(out, "    {} --> {}", id(from), id(to));
    }
    out
}
