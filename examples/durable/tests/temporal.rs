//! `durable` on a real Temporal server: `temporal server start-dev` (the
//! Temporal CLI that scripts/temporal.sh installs), `durable worker`
//! processes that execute the runs, and `durable serve --workflow-backend
//! temporal` that clients talk MCP to. Processes are killed with SIGKILL
//! and restarted; runs must complete, and steps whose outcome Temporal
//! recorded must not run again.
//!
//! `cargo test -p durable --features temporal --test temporal`; set
//! AGENTWIRE_TEMPORAL_CLI to use another `temporal` binary.

const BINARY: &str = env!("CARGO_BIN_EXE_durable");

#[path = "support/cluster.rs"]
#[allow(dead_code)]
mod cluster;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cluster::*;
use serde_json::{Value, json};

/// How often each `<run> <what>` of the side-effect log logged `begin`.
fn begins(log: &Path) -> BTreeMap<(String, String), u32> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [run, what, "begin"] = words[..] {
            *counts.entry((run.to_owned(), what.to_owned())).or_default() += 1;
        }
    }
    counts
}

/// Where the runs of `soak` in this deployment log their side effects.
fn side_effects(deployment: &Deployment) -> PathBuf {
    deployment.dir.join("side-effects.log")
}

/// `soak`'s parameters: one 10 ms step and timer, logging to
/// [`side_effects`], with `more` on top.
fn soak(deployment: &Deployment, more: Value) -> Value {
    let mut parameters = json!({
        "log": side_effects(deployment).to_str().unwrap(),
        "steps": 1, "step_ms": 10, "timer_ms": 10,
    });
    for (key, value) in more.as_object().expect("an object") {
        parameters[key] = value.clone();
    }
    parameters
}

/// Answers the run's `approval` wait with a yes.
async fn approve(client: &Client, run: &str) {
    structured(
        &call(
            client,
            "workflows-resume",
            json!({"run_id": run, "signal_name": "approval", "payload": {"approved": true}}),
        )
        .await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_runs_on_temporal_and_is_resumed_listed_and_cancelled_through_mcp() {
    let deployment = Deployment::start("temporal-report").await;
    let (cluster, client) = (&deployment.cluster, &deployment.client);

    let run = start_run(client, "report", json!({"topic": "rust"})).await;
    let waiting =
        wait_for_status(client, &run, Duration::from_secs(60), is("input_required")).await;
    assert_eq!(waiting["waiting_for"], "approval", "{waiting}");
    assert_eq!(waiting["payload_schema"]["title"], "Approval", "{waiting}");
    // research (3 × 240 tokens) and write_report (900 tokens), as on the
    // embedded backend.
    let used = &waiting["budget_used"];
    assert_eq!(
        used["inputTokens"].as_u64().unwrap() + used["outputTokens"].as_u64().unwrap(),
        3 * 240 + 900,
        "{waiting}"
    );

    // Visibility lists the run.
    wait_until_listed(client, "report", &run).await;

    // A payload for another wait does not resume this one.
    structured(
        &call(
            client,
            "workflows-resume",
            json!({"run_id": run, "signal_name": "something-else", "payload": {"approved": false}}),
        )
        .await,
    );
    // Nor does one that does not fit the wait's type.
    structured(
        &call(
            client,
            "workflows-resume",
            json!({"run_id": run, "signal_name": "approval", "payload": {"approved": "maybe"}}),
        )
        .await,
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(status(client, &run).await["status"], "input_required");

    let resumed = structured(
        &call(
            client,
            "workflows-resume",
            json!({
                "run_id": run, "signal_name": "approval",
                "payload": {"approved": true, "comment": "ship it"},
            }),
        )
        .await,
    );
    assert_eq!(resumed["run_id"], run.as_str(), "{resumed}");
    let done = wait_for_status(client, &run, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"]["status"], "published", "{done}");
    assert_eq!(done["result"]["comment"], "ship it", "{done}");
    assert!(
        done["result"]["text"]
            .as_str()
            .unwrap()
            .starts_with("# rust\n"),
        "{done}"
    );

    // Both agent calls ran as `agentwire.agent` activities, under the
    // workflow's `retry(attempts = 3, backoff = "500ms")` and
    // `step_timeout = "30s"`; no agent call was recorded by the echo
    // activity of steps.
    let activities = activities(&cluster.history(&run));
    let calls: Vec<&ActivityEvents> = activities
        .iter()
        .filter(|a| a.activity_type == "agentwire.agent")
        .collect();
    assert_eq!(
        calls.iter().map(|a| a.summary.as_str()).collect::<Vec<_>>(),
        ["agent research", "agent write_report"],
        "{activities:#?}"
    );
    for call in &calls {
        assert_eq!(call.ended.as_deref(), Some("completed"), "{call:#?}");
        let policy = &call.scheduled["retry_policy"];
        assert_eq!(policy["maximumAttempts"], 3, "{call:#?}");
        assert_eq!(policy["initialInterval"], "0.500000000s", "{call:#?}");
        assert_eq!(
            call.scheduled["start_to_close_timeout"], "30.000000000s",
            "{call:#?}"
        );
        assert_ne!(
            call.scheduled["heartbeat_timeout"], "0.000000000s",
            "{call:#?}"
        );
    }
    assert!(
        activities
            .iter()
            .all(|a| a.activity_type != "agentwire.record" || !a.summary.starts_with("agent ")),
        "{activities:#?}"
    );

    cluster.record_history(&run, "report");

    let countdown = start_run(client, "countdown", json!({"steps": 5})).await;
    let done = wait_for_status(client, &countdown, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"], 4 + 3 + 2 + 1, "{done}");
    cluster.record_history(&countdown, "countdown");

    // A second run, cancelled while it waits.
    let other = start_run(client, "report", json!({"topic": "go"})).await;
    wait_for_status(
        client,
        &other,
        Duration::from_secs(60),
        is("input_required"),
    )
    .await;
    let cancelled = structured(&call(client, "workflows-cancel", json!({"run_id": other})).await);
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    wait_for_status(client, &other, Duration::from_secs(30), is("cancelled")).await;
    let refused = call(
        client,
        "workflows-resume",
        json!({"run_id": other, "payload": {"approved": true}}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true), "{refused:?}");
    deployment.client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_inside_a_step_hands_the_run_to_another_and_recorded_steps_do_not_rerun() {
    let mut deployment = Deployment::start("temporal-kill9").await;
    let log = side_effects(&deployment);
    let parameters = soak(
        &deployment,
        json!({"steps": 4, "step_ms": 1500, "timer_ms": 200}),
    );
    let run = start_run(&deployment.client, "soak", parameters).await;
    // Kill the only worker while the second step runs (the first one's
    // outcome is recorded by then).
    let deadline = Instant::now() + Duration::from_secs(60);
    while !begins(&log).contains_key(&(run.clone(), "step-1".to_owned())) {
        assert!(Instant::now() < deadline, "step-1 never began");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    deployment.worker.kill9();
    let (cluster, client) = (&deployment.cluster, &deployment.client);
    let second = cluster.worker("second");
    let second_identity = format!("agentwire@{}", second.0.id());

    wait_for_status(client, &run, Duration::from_secs(120), is("input_required")).await;
    approve(client, &run).await;
    let done = wait_for_status(client, &run, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"]["approved"], true, "{done}");
    assert_eq!(done["result"]["steps"], 4, "{done}");

    let begins = begins(&log);
    let count = |what: &str| begins.get(&(run.clone(), what.to_owned())).copied();
    assert_eq!(count("step-0"), Some(1), "{begins:?}");
    assert_eq!(
        count("step-1"),
        Some(2),
        "the interrupted step runs again: {begins:?}"
    );
    for what in ["step-2", "step-3", "agent", "finish"] {
        assert_eq!(count(what), Some(1), "{what}: {begins:?}");
    }
    assert!(
        cluster
            .worker_log("second")
            .contains("workflow run finished"),
        "the second worker finished the run"
    );
    // The step is the activity `agentwire.step`: its second attempt ran on
    // the second worker once the first stopped heartbeating; every other
    // step ran once, as one activity.
    let activities = activities(&cluster.history(&run));
    let steps: Vec<&ActivityEvents> = activities
        .iter()
        .filter(|a| a.activity_type == "agentwire.step")
        .collect();
    assert_eq!(
        steps.iter().map(|a| a.summary.as_str()).collect::<Vec<_>>(),
        [
            "step step-0",
            "step step-1",
            "step before timer",
            "step step-2",
            "step step-3",
            "step finish"
        ],
        "{activities:#?}"
    );
    let interrupted = steps[1].started.as_ref().expect("step-1 started");
    assert_eq!(interrupted["attempt"], 2, "{activities:#?}");
    assert_eq!(
        interrupted["identity"],
        second_identity.as_str(),
        "{activities:#?}"
    );
    for step in &steps {
        assert_eq!(step.ended.as_deref(), Some("completed"), "{step:#?}");
    }
    assert!(
        activities
            .iter()
            .all(|a| a.activity_type != "agentwire.record"),
        "{activities:#?}"
    );
    cluster.record_history(&run, "soak-after-kill");
    deployment.client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_inside_an_agent_call_hands_the_activity_to_another_and_finished_ones_do_not_rerun()
 {
    let mut deployment = Deployment::start("temporal-kill9-agent").await;
    let log = side_effects(&deployment);
    let parameters = soak(&deployment, json!({"steps": 2, "agent_ms": 8000}));
    let run = start_run(&deployment.client, "soak", parameters).await;
    // Kill the only worker while the agent call runs in it, once the call
    // heartbeated the tokens it spent 1 s in (heartbeats go out every 2.5 s;
    // the SDK's default would have held that one back until 8 s).
    let deadline = Instant::now() + Duration::from_secs(60);
    while !begins(&log).contains_key(&(run.clone(), "agent".to_owned())) {
        assert!(Instant::now() < deadline, "the agent call never began");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(4500)).await;
    deployment.worker.kill9();
    let (cluster, client) = (&deployment.cluster, &deployment.client);
    let second = cluster.worker("second");
    let second_identity = format!("agentwire@{}", second.0.id());

    wait_for_status(client, &run, Duration::from_secs(120), is("input_required")).await;
    approve(client, &run).await;
    let done = wait_for_status(client, &run, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"]["approved"], true, "{done}");
    // Both attempts' tokens (120 each, `TALLY_TOKENS`) are charged: the
    // killed one's reached the run through its last heartbeat.
    assert_eq!(tokens_used(&done), 2 * 120, "{done}");

    let begins = begins(&log);
    let count = |what: &str| begins.get(&(run.clone(), what.to_owned())).copied();
    assert_eq!(
        count("agent"),
        Some(2),
        "the interrupted call runs again: {begins:?}"
    );
    for what in ["step-0", "step-1", "finish"] {
        assert_eq!(count(what), Some(1), "{what}: {begins:?}");
    }

    // One activity for the call: its second attempt, on the second worker.
    let activities = activities(&cluster.history(&run));
    let calls: Vec<&ActivityEvents> = activities
        .iter()
        .filter(|a| a.activity_type == "agentwire.agent")
        .collect();
    assert_eq!(calls.len(), 1, "{activities:#?}");
    let started = calls[0].started.as_ref().expect("the call started");
    assert_eq!(started["attempt"], 2, "{activities:#?}");
    assert_eq!(
        started["identity"],
        second_identity.as_str(),
        "{activities:#?}"
    );
    assert_eq!(calls[0].ended.as_deref(), Some("completed"));
    // The steps recorded before the kill were not recorded again.
    let mut summaries: Vec<&str> = activities.iter().map(|a| a.summary.as_str()).collect();
    summaries.sort();
    let before = summaries.len();
    summaries.dedup();
    assert_eq!(summaries.len(), before, "{activities:#?}");
    deployment.client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporal_retries_a_failing_agent_call_as_the_workflow_declares_and_counts_its_attempts() {
    let deployment = Deployment::start("temporal-retry").await;
    let (cluster, client) = (&deployment.cluster, &deployment.client);
    let log = side_effects(&deployment);
    let parameters = |failures: u32| soak(&deployment, json!({"agent_failures": failures}));

    // `soak` declares `retry(attempts = 2, backoff = "100ms")`: one failure
    // is retried, and the second attempt succeeds.
    let run = start_run(client, "soak", parameters(1)).await;
    wait_for_status(client, &run, Duration::from_secs(60), is("input_required")).await;
    approve(client, &run).await;
    wait_for_status(client, &run, Duration::from_secs(60), is("completed")).await;
    let agent_begins = |run: &str| {
        begins(&log)
            .get(&(run.to_owned(), "agent".to_owned()))
            .copied()
    };
    assert_eq!(agent_begins(&run), Some(2));
    let call = cluster.agent_call(&run);
    assert_eq!(
        call.scheduled["retry_policy"]["maximumAttempts"], 2,
        "{call:#?}"
    );
    assert_eq!(
        call.scheduled["retry_policy"]["initialInterval"], "0.100000000s",
        "{call:#?}"
    );
    call.assert_last_attempt(2, "completed");

    // Five failures: Temporal gives up after the second attempt, and the
    // run fails with the agent's error.
    let failing = start_run(client, "soak", parameters(5)).await;
    let failed = wait_for_status(client, &failing, Duration::from_secs(60), is("failed")).await;
    assert!(
        failed.to_string().contains("attempt 2 fails on purpose"),
        "{failed}"
    );
    assert_eq!(agent_begins(&failing), Some(2));
    cluster
        .agent_call(&failing)
        .assert_last_attempt(2, "failed");

    // A budget that runs out is not retried, although `report` declares
    // three attempts: the run granted 500 tokens, `research` needs 720.
    let broke = start_run_with_budget(
        client,
        "report",
        json!({"topic": "budgets"}),
        json!({"tokens": 500}),
    )
    .await;
    let failed = wait_for_status(client, &broke, Duration::from_secs(60), is("failed")).await;
    assert!(failed.to_string().contains("tokens"), "{failed}");
    // What the refused call used before it stopped is charged to the run,
    // as on the embedded backend: two of research's three sources.
    let used = &failed["budget_used"];
    assert_eq!(
        used["inputTokens"].as_u64().unwrap() + used["outputTokens"].as_u64().unwrap(),
        2 * 240,
        "{failed}"
    );
    let call = cluster.agent_call(&broke);
    assert_eq!(call.summary, "agent research", "{call:#?}");
    call.assert_last_attempt(1, "failed");
    deployment.client.cancel().await.unwrap();
}

/// Temporal retries an agent call as new attempts of its activity; what
/// every attempt used is charged to the run, as on the embedded journal
/// (src/main.rs tests the same runs there), and the attempts of a call
/// together stay within what the run grants it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_of_every_attempt_of_a_retried_agent_call_is_charged_to_the_run() {
    let deployment = Deployment::start("temporal-retry-usage").await;
    let (cluster, client) = (&deployment.cluster, &deployment.client);
    let log = side_effects(&deployment);
    let parameters = |failures: u32| soak(&deployment, json!({"agent_failures": failures}));
    let agent_begins = |run: &str| {
        begins(&log)
            .get(&(run.to_owned(), "agent".to_owned()))
            .copied()
    };

    // What one attempt of `tally` uses: a call that succeeds at once (the
    // workflow itself uses no tokens; `soak` waits for approval after it).
    let once = start_run(client, "soak", parameters(0)).await;
    let waiting =
        wait_for_status(client, &once, Duration::from_secs(60), is("input_required")).await;
    let per_attempt = tokens_used(&waiting);
    assert!(per_attempt > 0, "{waiting}");

    // A call that fails once and then succeeds used two attempts' worth.
    let twice = start_run(client, "soak", parameters(1)).await;
    let waiting = wait_for_status(
        client,
        &twice,
        Duration::from_secs(60),
        is("input_required"),
    )
    .await;
    assert_eq!(agent_begins(&twice), Some(2));
    assert_eq!(tokens_used(&waiting), 2 * per_attempt, "{waiting}");

    // Granted one and a half attempts' worth, the second attempt gets only
    // what the first left: it runs out, and the run fails with the budget
    // error (not retried) having used the first attempt's tokens.
    let broke = start_run_with_budget(
        client,
        "soak",
        parameters(1),
        json!({"tokens": per_attempt + per_attempt / 2}),
    )
    .await;
    let failed = wait_for_status(client, &broke, Duration::from_secs(60), is("failed")).await;
    assert!(failed.to_string().contains("tokens"), "{failed}");
    assert!(!failed.to_string().contains("fails on purpose"), "{failed}");
    assert_eq!(agent_begins(&broke), Some(2));
    assert_eq!(tokens_used(&failed), per_attempt, "{failed}");
    cluster.agent_call(&broke).assert_last_attempt(2, "failed");
    deployment.client.cancel().await.unwrap();
}

/// Steps are activities, not part of the workflow task: one longer than
/// the task may take (the tests' `task_timeout` is 3 s; the step takes 5 s)
/// completes, once. (Runs started before steps became activities still run
/// them in the task, within 4/5 of `task_timeout`: the recorded
/// `old-*.json` histories replay that path.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_longer_than_the_workflow_task_timeout_completes_as_an_activity() {
    let deployment = Deployment::start("temporal-long-step").await;
    let (cluster, client) = (&deployment.cluster, &deployment.client);
    let log = side_effects(&deployment);
    let run = start_run(client, "soak", soak(&deployment, json!({"step_ms": 5000}))).await;
    wait_for_status(client, &run, Duration::from_secs(60), is("input_required")).await;
    approve(client, &run).await;
    let done = wait_for_status(client, &run, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"]["steps"], 1, "{done}");
    let begins = begins(&log);
    assert_eq!(
        begins.get(&(run.clone(), "step-0".to_owned())),
        Some(&1),
        "{begins:?}"
    );
    let activities = activities(&cluster.history(&run));
    let step = activities
        .iter()
        .find(|a| a.summary == "step step-0")
        .expect("the step's activity");
    assert_eq!(step.activity_type, "agentwire.step", "{step:#?}");
    assert_eq!(step.started.as_ref().unwrap()["attempt"], 1, "{step:#?}");
    assert_eq!(step.ended.as_deref(), Some("completed"), "{step:#?}");
    deployment.client.cancel().await.unwrap();
}

/// Cancelling a run stops the step activity it is in: the worker hears of
/// it through the activity's heartbeats (within about 2.5 s) and drops the
/// step, which never finishes its work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_run_stops_the_step_it_is_in() {
    let deployment = Deployment::start("temporal-cancel-step").await;
    let client = &deployment.client;
    let log = side_effects(&deployment);
    let run = start_run(client, "soak", soak(&deployment, json!({"step_ms": 12000}))).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !begins(&log).contains_key(&(run.clone(), "step-0".to_owned())) {
        assert!(Instant::now() < deadline, "step-0 never began");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cancelled = structured(&call(client, "workflows-cancel", json!({"run_id": run})).await);
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    wait_for_status(client, &run, Duration::from_secs(30), is("cancelled")).await;
    // Past the step's 12 s: it never logged `done`.
    tokio::time::sleep(Duration::from_secs(14)).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains(&format!("{run} step-0 begin")), "{text}");
    assert!(!text.contains(&format!("{run} step-0 done")), "{text}");
    let activities = activities(&deployment.cluster.history(&run));
    assert!(
        activities
            .iter()
            .any(|a| a.activity_type == "agentwire.step" && a.summary == "step step-0"),
        "{activities:#?}"
    );
    deployment.client.cancel().await.unwrap();
}

/// Steps, and agent calls whose parameters are not `Serialize`, run as the
/// activity `agentwire.step` under the workflow's declared policy: a step
/// failing once is retried by Temporal (attempt 2 in the history), a step
/// sees the values the workflow's code saw (an earlier step's value,
/// `ctx.now()`, `ctx.random_u64()`, a wait's payload), finished steps do
/// not run again on later workflow tasks, and the call is charged as on the
/// journal (src/main.rs runs the same workflow there). A run that received
/// more than a step's activity may carry fails that step, naming the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_run_as_activities_under_the_declared_policy_and_see_the_values_the_code_saw() {
    let deployment = Deployment::start("temporal-step-activities").await;
    let (cluster, client) = (&deployment.cluster, &deployment.client);
    let log = side_effects(&deployment);
    let parameters =
        |failures: u32| json!({"log": log.to_str().unwrap(), "step_ms": 10, "failures": failures});
    let go = |run: &str, comment: String| {
        let arguments = json!({
            "run_id": run, "signal_name": "go",
            "payload": {"approved": true, "comment": comment},
        });
        async move { structured(&call(client, "workflows-resume", arguments).await) }
    };

    let run = start_run(client, "witness", parameters(1)).await;
    wait_for_status(client, &run, Duration::from_secs(60), is("input_required")).await;
    go(&run, "go".to_owned()).await;
    let done = wait_for_status(client, &run, Duration::from_secs(60), is("completed")).await;
    let result = &done["result"];
    assert_eq!(result["step"], result["workflow"], "{done}");
    assert_eq!(
        result["step"]["first"],
        format!("{run} was here").as_str(),
        "{done}"
    );
    assert_eq!(result["step"]["payload"]["comment"], "go", "{done}");
    assert!(result["step"]["now_ms"].as_u64().unwrap() > 0, "{done}");
    assert_eq!(
        result["stamped"],
        format!("[stamped] {run} was here").as_str(),
        "{done}"
    );
    // Each of `stamp`'s two attempts (the first fails) uses 50 + 10
    // tokens: the run is charged both, as on the journal.
    assert_eq!(tokens_used(&done), 2 * 60, "{done}");

    let counts = begins(&log);
    let count = |run: &str, what: &str| counts.get(&(run.to_owned(), what.to_owned())).copied();
    assert_eq!(count(&run, "first"), Some(1), "{counts:?}");
    assert_eq!(count(&run, "seen"), Some(2), "{counts:?}");
    assert_eq!(count(&run, "stamp"), Some(2), "{counts:?}");

    let activities = activities(&cluster.history(&run));
    assert_eq!(
        activities
            .iter()
            .map(|a| (a.activity_type.as_str(), a.summary.as_str()))
            .collect::<Vec<_>>(),
        [
            ("agentwire.step", "step first"),
            ("agentwire.step", "step seen"),
            ("agentwire.step", "agent stamp"),
        ],
        "{activities:#?}"
    );
    for activity in &activities {
        // `witness` declares `retry(attempts = 3, backoff = "200ms")` and
        // `step_timeout = "20s"`.
        let policy = &activity.scheduled["retry_policy"];
        assert_eq!(policy["maximumAttempts"], 3, "{activity:#?}");
        assert_eq!(policy["initialInterval"], "0.200000000s", "{activity:#?}");
        assert_eq!(
            activity.scheduled["start_to_close_timeout"], "20.000000000s",
            "{activity:#?}"
        );
        assert_ne!(
            activity.scheduled["heartbeat_timeout"], "0.000000000s",
            "{activity:#?}"
        );
        assert_eq!(
            activity.ended.as_deref(),
            Some("completed"),
            "{activity:#?}"
        );
    }
    let attempt = |i: usize| activities[i].started.as_ref().unwrap()["attempt"].clone();
    assert_eq!(attempt(0), 1, "{activities:#?}");
    assert_eq!(attempt(1), 2, "{activities:#?}");
    assert_eq!(attempt(2), 2, "{activities:#?}");
    cluster.record_history(&run, "witness");

    // A run that received more than a step's activity may carry (a wait's
    // payload of 1.6 MB; the limit is 1.5 MiB): its next step fails for
    // good, naming the limit, without running.
    let big = start_run(client, "witness", parameters(0)).await;
    wait_for_status(client, &big, Duration::from_secs(60), is("input_required")).await;
    go(&big, "x".repeat(1_600_000)).await;
    let failed = wait_for_status(client, &big, Duration::from_secs(60), is("failed")).await;
    let text = failed.to_string();
    assert!(
        text.contains("step `seen`") && text.contains("1572864 bytes"),
        "{}",
        &text[..text.len().min(2000)]
    );
    let counts = begins(&log);
    assert_eq!(
        counts.get(&(big.clone(), "seen".to_owned())),
        None,
        "{counts:?}"
    );
    deployment.client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_worker_runs_the_agent_calls_of_two_runs_at_once() {
    let deployment = Deployment::start("temporal-concurrent").await;
    let client = &deployment.client;
    let log = side_effects(&deployment);
    let parameters = soak(&deployment, json!({"agent_ms": 3000}));
    let a = start_run(client, "soak", parameters.clone()).await;
    let b = start_run(client, "soak", parameters).await;
    for run in [&a, &b] {
        wait_for_status(client, run, Duration::from_secs(60), is("input_required")).await;
    }
    // Both calls began before either finished.
    let text = std::fs::read_to_string(&log).unwrap();
    let position = |line: String| {
        text.lines()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("{line:?} not in {text}"))
    };
    let first_done = position(format!("{a} agent done")).min(position(format!("{b} agent done")));
    assert!(position(format!("{a} agent begin")) < first_done, "{text}");
    assert!(position(format!("{b} agent begin")) < first_done, "{text}");
    deployment.client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_a_hundred_runs() {
    const RUNS: usize = 100;
    let deployment = Deployment::start("temporal-share").await;
    let (cluster, client) = (&deployment.cluster, &deployment.client);
    let _second = cluster.worker("second");

    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let parameters = soak(&deployment, json!({"steps": 2, "step_ms": 20}));
        runs.push(start_run(client, "soak", parameters).await);
    }
    for run in &runs {
        wait_for_status(client, run, Duration::from_secs(300), is("input_required")).await;
        approve(client, run).await;
    }
    for run in &runs {
        wait_for_status(client, run, Duration::from_secs(300), is("completed")).await;
    }
    let finished = |name: &str| {
        let text = cluster.worker_log(name);
        runs.iter()
            .filter(|run| {
                text.lines()
                    .any(|l| l.contains("workflow run finished") && l.contains(run.as_str()))
            })
            .count()
    };
    let (a, b) = (finished("first"), finished("second"));
    println!("worker `first` finished {a} runs, worker `second` {b}");
    assert!(a > 0 && b > 0, "both workers took runs: {a} and {b}");
    assert!(a + b >= RUNS, "every run finished on a worker: {a} + {b}");
    deployment.client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_wait_survives_a_restart_of_every_process() {
    let Deployment {
        mut cluster,
        mut worker,
        mut serve,
        client,
        ..
    } = Deployment::start("temporal-restart").await;
    let run = start_run(&client, "report", json!({"topic": "restarts"})).await;
    wait_for_status(&client, &run, Duration::from_secs(60), is("input_required")).await;
    drop(client);

    // Everything goes down hard: the MCP server, the worker, and Temporal.
    serve.kill9();
    worker.kill9();
    cluster.kill9();
    cluster.restart();
    let _worker = cluster.worker("after");
    let (_serve, url) = cluster.serve();
    let client = connect(&url).await;

    let waiting =
        wait_for_status(&client, &run, Duration::from_secs(60), is("input_required")).await;
    assert_eq!(waiting["waiting_for"], "approval", "{waiting}");
    approve(&client, &run).await;
    let done = wait_for_status(&client, &run, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"]["status"], "published", "{done}");
    client.cancel().await.unwrap();
}

/// Two MCP servers on one cluster (replicas behind one address, say) serve
/// the same runs: a run started through one is read, listed and resumed
/// through the other, and its result read through the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_mcp_servers_serve_the_same_runs() {
    let deployment = Deployment::start("temporal-replicas").await;
    let (cluster, first) = (&deployment.cluster, &deployment.client);
    let (_other, url) = cluster.serve_logging_to("serve-other.log", &[]);
    let second = connect(&url).await;

    let run = start_run(first, "report", json!({"topic": "replicas"})).await;
    let waiting =
        wait_for_status(&second, &run, Duration::from_secs(60), is("input_required")).await;
    assert_eq!(waiting["waiting_for"], "approval", "{waiting}");
    wait_until_listed(&second, "report", &run).await;
    approve(&second, &run).await;
    let done = wait_for_status(first, &run, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"]["status"], "published", "{done}");
    second.cancel().await.unwrap();
}

/// A client with the tasks extension calls the workflow as a tool and gets
/// a task; the task is read and its input request answered (`tasks/update`)
/// through another MCP server, all from Temporal, and the first server
/// reads its result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_on_temporal_is_an_mcp_task_that_any_server_follows() {
    use rmcp::ServiceExt;
    use rmcp::model::{
        CallToolRequestParams, CallToolResponse, ClientCapabilities, ClientConfig, GetTaskParams,
        Implementation, InputResponses, TaskPayload, TaskStatus, UpdateTaskParams, object,
    };
    use rmcp::service::{RoleClient, RunningService};
    use rmcp::transport::StreamableHttpClientTransport;

    async fn tasks_client(url: &str) -> RunningService<RoleClient, ClientConfig> {
        let capabilities = ClientCapabilities::builder().enable_tasks().build();
        let config = ClientConfig::new(capabilities, Implementation::new("tasks-client", "0.1"));
        let transport = StreamableHttpClientTransport::from_uri(url.to_owned());
        config.serve(transport).await.expect("connect")
    }
    async fn task_status(
        client: &RunningService<RoleClient, ClientConfig>,
        id: &str,
    ) -> (TaskStatus, TaskPayload) {
        let task = client
            .get_task(GetTaskParams::new(id.to_owned()))
            .await
            .expect("tasks/get");
        (task.task.status(), task.task.payload)
    }

    let deployment = Deployment::start("temporal-tasks").await;
    let cluster = &deployment.cluster;
    let (_first_serve, first_url) = cluster.serve_logging_to("serve-tasks-first.log", &[]);
    let (_second_serve, second_url) = cluster.serve_logging_to("serve-tasks-second.log", &[]);
    let first = tasks_client(&first_url).await;
    let second = tasks_client(&second_url).await;

    let response = first
        .call_tool_once(
            CallToolRequestParams::new("report").with_arguments(object(json!({"topic": "tasks"}))),
        )
        .await
        .expect("tools/call answered");
    let CallToolResponse::Task(created) = response else {
        panic!("a run waiting for approval becomes a task: {response:?}");
    };
    let task_id = created.task.task_id.clone();

    // The other server reads the task from Temporal: it waits for approval.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, payload) = task_status(&second, &task_id).await;
        if let TaskPayload::InputRequired { input_requests } = &payload {
            let request = serde_json::to_value(&input_requests["approval"]).unwrap();
            assert_eq!(request["method"], "elicitation/create", "{request}");
            break;
        }
        assert_eq!(status, TaskStatus::Working, "{payload:?}");
        assert!(Instant::now() < deadline, "no input request: {payload:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let accepted: InputResponses = [(
        "approval".to_owned(),
        json!({"action": "accept", "content": {"approved": true, "comment": "via a task"}}),
    )]
    .into();
    second
        .update_task(UpdateTaskParams::new(task_id.clone(), accepted))
        .await
        .expect("tasks/update");

    let deadline = Instant::now() + Duration::from_secs(60);
    let result = loop {
        let (status, payload) = task_status(&first, &task_id).await;
        if let TaskPayload::Completed { result } = payload {
            break result;
        }
        assert!(
            matches!(status, TaskStatus::Working | TaskStatus::InputRequired),
            "{status:?}"
        );
        assert!(Instant::now() < deadline, "the task did not complete");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(result["isError"], false, "{result:?}");
    assert_eq!(
        result["structuredContent"]["comment"], "via a task",
        "{result:?}"
    );
    first.cancel().await.unwrap();
    second.cancel().await.unwrap();
}

/// The run's spans, exported by the worker, join the trace of the
/// `tools/call` that started it on the MCP server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runs_spans_in_the_worker_join_the_trace_of_the_call_that_started_it() {
    use fake_opentelemetry_collector::FakeCollectorServer;
    use rmcp::model::{CallToolRequestParams, RequestMetaObject, object};

    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut collector = FakeCollectorServer::start().await.unwrap();
    let endpoint = collector.endpoint();
    let otel = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ];
    let mut deployment = Deployment::start_with("temporal-trace", &otel, "").await;
    let client = &deployment.client;

    let mut params = CallToolRequestParams::new("workflows-run").with_arguments(object(json!({
        "workflow_name": "countdown", "run_parameters": {"steps": 2},
    })));
    let mut meta = RequestMetaObject::new();
    meta.insert(
        "traceparent".into(),
        json!(format!("00-{TRACE_ID}-00f067aa0ba902b7-01")),
    );
    params.meta = Some(meta);
    let started = structured(&client.call_tool(params.clone()).await.unwrap());
    let run = started["run_id"].as_str().unwrap().to_owned();
    wait_for_status(client, &run, Duration::from_secs(60), is("completed")).await;
    // A run with agent calls: their activities' spans join the trace too.
    params.arguments = Some(object(json!({
        "workflow_name": "report", "run_parameters": {"topic": "traces"},
    })));
    let started = structured(&client.call_tool(params).await.unwrap());
    let report = started["run_id"].as_str().unwrap().to_owned();
    wait_for_status(
        client,
        &report,
        Duration::from_secs(60),
        is("input_required"),
    )
    .await;

    // Spans arrive in batches (every few seconds): gather them until both
    // agents' are in.
    let mut spans = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline
        && spans
            .iter()
            .filter(|s: &&fake_opentelemetry_collector::ExportedSpan| {
                s.name.contains("research") || s.name.contains("write_report")
            })
            .count()
            < 2
    {
        spans.extend(collector.exported_spans(1, Duration::from_secs(5)).await);
    }
    deployment.worker.terminate();
    spans.extend(collector.exported_spans(1, Duration::from_secs(10)).await);
    let names = spans.iter().map(|s| &s.name).collect::<Vec<_>>();
    for name in ["workflow run", "workflow agent call"] {
        let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
        assert!(!found.is_empty(), "no `{name}` span among {names:?}");
        for span in found {
            assert_eq!(span.trace_id, TRACE_ID, "{span:?}");
        }
    }
    // The agents' own spans are children of the activity's.
    let calls: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "workflow agent call")
        .map(|s| s.span_id.clone())
        .collect();
    let agents: Vec<_> = spans
        .iter()
        .filter(|s| s.name.contains("research") || s.name.contains("write_report"))
        .collect();
    assert_eq!(agents.len(), 2, "{names:?}");
    for agent in agents {
        assert_eq!(agent.trace_id, TRACE_ID, "{agent:?}");
        assert!(calls.contains(&agent.parent_span_id), "{agent:?}");
    }
}

/// Whether the history has the marker of the patch that made steps
/// activities.
fn patched(history: &Value) -> bool {
    history["events"].as_array().unwrap().iter().any(|event| {
        let marker = &event["attributes"]["MarkerRecordedEventAttributes"];
        marker["marker_name"] == "core_patch"
            && marker["details"]["patch-data"]["payloads"][0]["data"]
                .as_str()
                .is_some_and(|data| {
                    String::from_utf8_lossy(&decode_base64(data))
                        .contains("\"agentwire-steps-as-activities\"")
                })
    })
}

/// Every recorded history of the example's workflows replays against the
/// code (`durable replay`), and a history that does not match the code is
/// refused. `old-*.json` were recorded before steps became activities
/// (their steps ran in the workflow task, recorded by `agentwire.record`):
/// runs started then still replay, on the old path. Re-record the others
/// with `AGENTWIRE_RECORD_HISTORIES=1 cargo test -p durable --features
/// temporal --test temporal`.
#[test]
fn recorded_histories_replay_and_a_history_of_other_code_is_refused() {
    let names = assert_recorded_histories_replay();
    assert_eq!(
        names,
        [
            "countdown",
            "old-countdown",
            "old-soak-after-kill",
            "report",
            "soak-after-kill",
            "witness"
        ],
    );
    let recorded = |name: &str| {
        let text = std::fs::read_to_string(histories().join(format!("{name}.json"))).unwrap();
        let history: Value = serde_json::from_str(&text).unwrap();
        (activities(&history), patched(&history))
    };
    let count = |activities: &[ActivityEvents], kind: &str| {
        activities
            .iter()
            .filter(|a| a.activity_type == kind)
            .count()
    };
    // The old runs' steps were recorded by the echo activity, and carry no
    // patch marker; the current ones' steps are activities.
    for (name, steps) in [("old-countdown", 5), ("old-soak-after-kill", 6)] {
        let (activities, marked) = recorded(name);
        assert!(!marked, "{name}");
        assert_eq!(count(&activities, "agentwire.record"), steps, "{name}");
        assert_eq!(count(&activities, "agentwire.step"), 0, "{name}");
    }
    for (name, steps) in [("countdown", 5), ("soak-after-kill", 6), ("witness", 3)] {
        let (activities, marked) = recorded(name);
        assert!(marked, "{name}");
        assert_eq!(count(&activities, "agentwire.step"), steps, "{name}");
        assert_eq!(count(&activities, "agentwire.record"), 0, "{name}");
    }
    // The recorded report ran its agent calls as activities.
    assert_eq!(count(&recorded("report").0, "agentwire.agent"), 2);

    // The report's history, told it was a run of `soak`: the code takes
    // other steps than the history recorded; the same for an old one.
    assert_replay_of_other_code_is_refused(
        "report.json",
        "soak",
        json!({"log": "/dev/null", "steps": 1, "step_ms": 0, "timer_ms": 0}),
    );
    assert_replay_of_other_code_is_refused("old-countdown.json", "countdown", json!({"steps": 3}));
    assert_replay_of_other_code_is_refused("countdown.json", "countdown", json!({"steps": 3}));
}
