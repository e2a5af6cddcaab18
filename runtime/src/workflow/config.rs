//! `[workflows]` of agentwire.toml: where runs are kept and how a
//! `tools/call` of a workflow answers.

use std::path::PathBuf;

use serde::Deserialize;

use super::settings::{BackendKind, WorkflowSettings};
use super::store::Synchronous;
use crate::budget::units::parse_duration;

/// `[workflows]`: the backend of `#[workflow]` runs and its journal.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowsConfig {
    /// `embedded` (the default) or `memory`.
    pub backend: Option<String>,
    /// The embedded journal's file.
    pub journal: Option<PathBuf>,
    /// `full` (the default) or `normal`.
    pub sync: Option<String>,
    /// How long a `tools/call` of a workflow waits before answering with a task.
    pub task_after: Option<String>,
}

impl WorkflowsConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(backend) = &self.backend
            && BackendKind::parse(backend).is_none()
        {
            return Err(format!(
                "[workflows] backend = {backend:?}: the backends are \"embedded\" and \"memory\""
            ));
        }
        if let Some(sync) = &self.sync
            && Synchronous::parse(sync).is_none()
        {
            return Err(format!(
                "[workflows] sync = {sync:?}: choose \"full\" or \"normal\""
            ));
        }
        if let Some(after) = &self.task_after {
            parse_duration(after)
                .map_err(|p| format!("[workflows] task_after = {after:?}: {p}"))?;
        }
        Ok(())
    }

    /// The settings this section gives, the defaults elsewhere.
    pub fn resolve(&self) -> WorkflowSettings {
        self.resolve_over(WorkflowSettings::default())
    }

    /// The settings this section gives, `default`'s elsewhere.
    pub fn resolve_over(&self, default: WorkflowSettings) -> WorkflowSettings {
        WorkflowSettings {
            backend: self
                .backend
                .as_deref()
                .and_then(BackendKind::parse)
                .unwrap_or(default.backend),
            journal: self.journal.clone().or(default.journal.clone()),
            synchronous: self
                .sync
                .as_deref()
                .and_then(Synchronous::parse)
                .unwrap_or(default.synchronous),
            task_after: self
                .task_after
                .as_deref()
                .and_then(|t| parse_duration(t).ok())
                .unwrap_or(default.task_after),
            ..default
        }
    }
}
