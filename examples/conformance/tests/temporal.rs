//! The conformance example's workflows on a real Temporal server (the dev
//! server scripts/temporal.sh installs, `conformance worker`, `conformance
//! serve --workflow-backend temporal`), and the replay of their recorded
//! histories (tests/histories) against the code.
//!
//! `cargo test -p conformance --features temporal --test temporal`;
//! re-record the histories with AGENTWIRE_RECORD_HISTORIES=1.

const BINARY: &str = env!("CARGO_BIN_EXE_conformance");

#[path = "../../durable/tests/support/cluster.rs"]
#[allow(dead_code)]
mod cluster;

use std::time::Duration;

use cluster::*;
use serde_json::{Value, json};

/// Every workflow of the example, driven to its end on Temporal: timers,
/// a failure of the workflow's own, a panic, one wait and two waits at
/// once. With AGENTWIRE_RECORD_HISTORIES set, their histories are written
/// to tests/histories for the replay test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workflow_of_the_example_runs_on_temporal() {
    let deployment = Deployment::start("conformance-temporal").await;
    let (cluster, client) = (&deployment.cluster, &deployment.client);
    let resume = |run: &str, name: &str, payload: Value| {
        let arguments = json!({"run_id": run, "signal_name": name, "payload": payload});
        async move { structured(&call(client, "workflows-resume", arguments).await) }
    };

    let slow = start_run(client, "slow_compute", json!({"seconds": 1})).await;
    let failing = start_run(client, "failing_job", json!({})).await;
    let broken = start_run(client, "protocol_error_job", json!({})).await;
    let confirm = start_run(client, "confirm_delete", json!({"filename": "a.txt"})).await;
    let multi = start_run(client, "multi_input", json!({})).await;

    let done = wait_for_status(client, &slow, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"], "Computed for 1 s", "{done}");
    let done = wait_for_status(client, &failing, Duration::from_secs(60), is("failed")).await;
    assert!(
        done.to_string()
            .contains("failing_job failed, as it always does"),
        "{done}"
    );
    let done = wait_for_status(client, &broken, Duration::from_secs(60), is("failed")).await;
    assert!(
        done.to_string()
            .contains("protocol_error_job broke on purpose"),
        "{done}"
    );

    let waiting = wait_for_status(
        client,
        &confirm,
        Duration::from_secs(60),
        is("input_required"),
    )
    .await;
    assert_eq!(waiting["waiting_for"], "confirm", "{waiting}");
    resume(&confirm, "confirm", json!({"confirm": true})).await;
    let done = wait_for_status(client, &confirm, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"], "Deleted a.txt", "{done}");

    wait_for_status(
        client,
        &multi,
        Duration::from_secs(60),
        is("input_required"),
    )
    .await;
    resume(&multi, "second", json!({"confirm": true, "name": "Bo"})).await;
    resume(&multi, "first", json!({"confirm": true, "name": "Al"})).await;
    let done = wait_for_status(client, &multi, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"], r#"first="Al", second="Bo""#, "{done}");

    for (run, name) in [
        (&slow, "slow_compute"),
        (&failing, "failing_job"),
        (&broken, "protocol_error_job"),
        (&confirm, "confirm_delete"),
        (&multi, "multi_input"),
    ] {
        cluster.record_history(run, name);
    }
    deployment.client.cancel().await.unwrap();
}

/// Every recorded history replays against the code (`conformance replay`),
/// and one told it was a run of another workflow is refused.
#[test]
fn recorded_histories_replay_and_a_history_of_other_code_is_refused() {
    let names = assert_recorded_histories_replay();
    assert_eq!(
        names,
        [
            "confirm_delete",
            "failing_job",
            "multi_input",
            "protocol_error_job",
            "slow_compute"
        ],
    );

    // `slow_compute`'s history, told it was a run of `confirm_delete`: the
    // code waits for a signal where the history has a timer.
    assert_replay_of_other_code_is_refused(
        "slow_compute.json",
        "confirm_delete",
        json!({"filename": "b.txt"}),
    );
}
