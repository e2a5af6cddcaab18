//! Driving a test server's workflows: start a run, send it a signal, read
//! its status, wait until it settles. Runs are kept on the `memory`
//! backend.
//!
//! Time skipping: under `#[tokio::test(start_paused = true)]` tokio's clock
//! stands still and jumps to the next timer whenever every task is waiting,
//! and the workflow engine reads the wall clock through it (with the
//! `testing` feature). A run that sleeps for a day, or a wait whose timeout
//! is an hour, then takes no real time at all.

use serde_json::Value;

use crate::workflow::{ControlError, Resumed, RunRecord, RunView, WorkflowBackend};

use super::server::TestServer;

impl TestServer {
    fn workflows(&self) -> Result<&dyn WorkflowBackend, ControlError> {
        self.server()
            .workflow_backend()
            .map(|backend| &**backend)
            .ok_or_else(|| ControlError::UnknownWorkflow("(this server has no workflows)".into()))
    }

    /// Starts a run of the workflow `name` with `arguments` (a JSON object),
    /// as its tool would, and returns its record at once.
    pub async fn start_workflow(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<RunRecord, ControlError> {
        let definition = self
            .server()
            .registry()
            .get(name)
            .filter(|definition| definition.is_workflow())
            .ok_or_else(|| ControlError::UnknownWorkflow(name.to_owned()))?;
        let arguments = match arguments {
            Value::Object(object) => object,
            Value::Null => Default::default(),
            other => {
                return Err(ControlError::Payload {
                    name: name.to_owned(),
                    message: format!("arguments must be a JSON object, not {other}"),
                });
            }
        };
        self.workflows()?.start(definition, arguments, None).await
    }

    /// Sends `payload` to the wait `name` of the run (`ctx.wait_for(name, ..)`),
    /// as `workflows-resume` would.
    pub async fn signal(
        &self,
        run_id: &str,
        name: &str,
        payload: Value,
    ) -> Result<Resumed, ControlError> {
        self.workflows()?
            .resume(run_id, name.to_owned(), payload)
            .await
    }

    /// The run's status, current step, usage and open waits, now.
    pub async fn run_status(&self, run_id: &str) -> Result<RunView, ControlError> {
        self.workflows()?.status(run_id).await
    }

    /// Waits until the run is over or waits for input, and returns its status.
    pub async fn settle(&self, run_id: &str) -> Result<RunView, ControlError> {
        self.workflows()?.settle(run_id, None).await
    }
}
