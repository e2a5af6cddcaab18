//! `[workflows]` of agentwire.toml: where runs are kept and how a
//! `tools/call` of a workflow answers.

use std::path::PathBuf;

use serde::Deserialize;

use super::settings::{BackendKind, TemporalSettings, WorkflowSettings};
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
    /// Runs not finished at once, at most (default 10,000).
    pub max_live_runs: Option<usize>,
    /// Signals one run holds before a wait takes them, at most (default 64).
    pub max_signals_per_run: Option<usize>,
    /// How long a finished run is kept in the journal (default "168h").
    pub retain_finished: Option<String>,
    /// How long a run may take unless its workflow sets `budget(time = ...)`
    /// (default "720h").
    pub run_lifetime: Option<String>,
    /// `[workflows.temporal]`: the cluster of `backend = "temporal"`.
    pub temporal: Option<TemporalConfig>,
}

/// `[workflows.temporal]`: where the Temporal cluster is, for
/// `--workflow-backend temporal` and the `worker` subcommand. The
/// environment variables `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE` and
/// `TEMPORAL_API_KEY` override it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemporalConfig {
    /// The frontend's address, `host:port` (default `127.0.0.1:7233`).
    pub address: Option<String>,
    /// The namespace (default `default`).
    pub namespace: Option<String>,
    /// The task queue the workers poll (default: the server's name).
    pub task_queue: Option<String>,
    /// Connect with TLS (Temporal Cloud); implied by an API key and by the
    /// `tls_*` settings.
    pub tls: Option<bool>,
    /// The PEM file of the CA that signed the cluster's certificate (a
    /// self-hosted cluster's own CA); the system's roots when unset.
    /// Relative to agentwire.toml.
    pub tls_ca: Option<PathBuf>,
    /// This process's certificate (PEM) for mutual TLS, with `tls_key`.
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// The name the cluster's certificate must carry, when it is not the
    /// address's host.
    pub tls_server_name: Option<String>,
    /// The name of the environment variable holding an API key (Temporal
    /// Cloud); never the key itself.
    pub api_key_env: Option<String>,
    /// How long one workflow task may take (steps and agent calls are
    /// activities, outside it, except the steps of runs started before
    /// they were); at most 120 s (default 60 s).
    pub task_timeout: Option<String>,
}

impl WorkflowsConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(backend) = &self.backend
            && BackendKind::parse(backend).is_none()
        {
            return Err(format!(
                "[workflows] backend = {backend:?}: the backends are \"embedded\" and \"memory\", \
                 and \"temporal\" in programs built with agentwire's `temporal` feature"
            ));
        }
        if let Some(sync) = &self.sync
            && Synchronous::parse(sync).is_none()
        {
            return Err(format!(
                "[workflows] sync = {sync:?}: choose \"full\" or \"normal\""
            ));
        }
        if let Some(temporal) = &self.temporal
            && let Some(timeout) = &temporal.task_timeout
        {
            match parse_duration(timeout) {
                Ok(t) if !t.is_zero() && t <= std::time::Duration::from_secs(120) => {}
                Ok(_) => {
                    return Err(format!(
                        "[workflows.temporal] task_timeout = {timeout:?}: between 1ms and 120s"
                    ));
                }
                Err(p) => {
                    return Err(format!(
                        "[workflows.temporal] task_timeout = {timeout:?}: {p}"
                    ));
                }
            }
        }
        for (key, value) in [
            ("task_after", &self.task_after),
            ("retain_finished", &self.retain_finished),
            ("run_lifetime", &self.run_lifetime),
        ] {
            if let Some(value) = value {
                parse_duration(value).map_err(|p| format!("[workflows] {key} = {value:?}: {p}"))?;
            }
        }
        if self
            .run_lifetime
            .as_deref()
            .and_then(|t| parse_duration(t).ok())
            == Some(std::time::Duration::ZERO)
        {
            return Err("[workflows] run_lifetime must be longer than 0s".to_owned());
        }
        for (key, value) in [
            ("max_live_runs", self.max_live_runs),
            ("max_signals_per_run", self.max_signals_per_run),
        ] {
            if value == Some(0) {
                return Err(format!("[workflows] {key} must be at least 1"));
            }
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
            max_live_runs: self.max_live_runs.unwrap_or(default.max_live_runs),
            max_signals_per_run: self
                .max_signals_per_run
                .unwrap_or(default.max_signals_per_run),
            retain_finished: self
                .retain_finished
                .as_deref()
                .and_then(|t| parse_duration(t).ok())
                .unwrap_or(default.retain_finished),
            run_lifetime: self
                .run_lifetime
                .as_deref()
                .and_then(|t| parse_duration(t).ok())
                .unwrap_or(default.run_lifetime),
            temporal: self
                .temporal
                .as_ref()
                .map(|t| t.resolve_over(default.temporal.clone()))
                .unwrap_or(default.temporal),
            ..default
        }
    }
}

impl TemporalConfig {
    fn resolve_over(&self, default: TemporalSettings) -> TemporalSettings {
        TemporalSettings {
            address: self.address.clone().unwrap_or(default.address),
            namespace: self.namespace.clone().unwrap_or(default.namespace),
            task_queue: self.task_queue.clone().or(default.task_queue),
            tls: self.tls.unwrap_or(default.tls),
            tls_ca: self.tls_ca.clone().or(default.tls_ca),
            tls_cert: self.tls_cert.clone().or(default.tls_cert),
            tls_key: self.tls_key.clone().or(default.tls_key),
            tls_server_name: self.tls_server_name.clone().or(default.tls_server_name),
            api_key_env: self.api_key_env.clone().or(default.api_key_env),
            task_timeout: self
                .task_timeout
                .as_deref()
                .and_then(|t| parse_duration(t).ok())
                .unwrap_or(default.task_timeout),
        }
    }
}
