//! Asking the client for input in the 2026-07-28 era, where a server cannot
//! send requests of its own: multi-round-trip requests (MRTR, SEP-2322),
//! done by *replay*.
//!
//! 1. The agent runs until it asks something ([`AgentContext::elicit`],
//!    [`AgentContext::sample`]) that has no answer yet. That call never
//!    returns: the runtime drops the agent's future and answers the request
//!    with an `InputRequiredResult` holding the question and a sealed
//!    `requestState`.
//! 2. The client asks its user or model, then sends the same request again
//!    with `inputResponses` and the `requestState`.
//! 3. The runtime opens the state, appends the new answer to the ones it
//!    recorded, and runs the agent again from the start. Each question is
//!    answered from the record, in the order asked, without reaching the
//!    client; the first question past the record starts the next round.
//!
//! The state carries every answer so far and a fingerprint of each question.
//! It is sealed with HMAC-SHA256 (rmcp's `RequestStateCodec`), bound to the
//! method, the tool or prompt or resource, and its arguments, and expires
//! after an hour: a client cannot forge, edit, reuse it for another call or
//! keep it forever. It is signed, not encrypted, and it only ever holds what
//! the client itself answered.
//!
//! Why replay rather than keeping the suspended agent in memory under an
//! unguessable `requestState`: the 2026 era is stateless, so a retry may
//! reach another process (or this one after a restart); nothing has to be
//! kept alive or cleaned up when a client never retries; and the suspended
//! future would hold the first request's connection, cancellation and
//! progress channel, which are gone by the time the retry arrives. The price
//! is that the code before a question runs once per round, so it should be
//! free of side effects or idempotent, and the questions must come out the
//! same way each time (a question that differs from its recorded
//! fingerprint is refused rather than answered with someone else's answer).
//!
//! [`AgentContext::elicit`]: crate::AgentContext::elicit
//! [`AgentContext::sample`]: crate::AgentContext::sample

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::{
    ClientCapabilities, InputRequest, InputRequests, InputRequiredResult, InputResponses,
    JsonObject, RequestStateCodec, SealOptions,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::budget::{Scope, Usage};
use crate::mcp::client_request::ClientRequestError;

/// How long a `requestState` stays valid after the server issues it: long
/// enough for a person to answer a form.
const STATE_TTL: Duration = Duration::from_secs(60 * 60);

/// The key under which the `n`th question of a call is asked.
fn input_key(index: usize) -> String {
    format!("agentwire-{index}")
}

/// Seals and opens `requestState` values with this server's key.
#[derive(Clone)]
pub struct StateSealer {
    /// `None` when no key could be made: then 2026-era questions fail
    /// instead of being sealed with a guessable key.
    codec: Option<RequestStateCodec>,
}

impl StateSealer {
    /// A sealer with a fresh random key: states survive as long as the process.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        if let Err(error) = getrandom::fill(&mut key) {
            tracing::error!(
                %error,
                "no random source for the request-state key; 2026-era elicitation and sampling \
                 fail until AGENTWIRE_REQUEST_STATE_KEY is set"
            );
            return StateSealer { codec: None };
        }
        StateSealer {
            codec: Some(RequestStateCodec::new_unchecked(key.to_vec())),
        }
    }

    /// A sealer with `key` (at least 32 bytes), shared by every replica that
    /// may receive a retry.
    pub fn with_key(key: &[u8]) -> Result<Self, String> {
        RequestStateCodec::try_new(key.to_vec())
            .map(|codec| StateSealer { codec: Some(codec) })
            .map_err(|e| e.to_string())
    }
}

/// What a request state is bound to: the method, the name of what is
/// called, and its arguments. The default, empty binding is for 2025-era
/// requests, which have no request state to bind.
#[derive(Default)]
pub struct Binding(Vec<u8>);

impl Binding {
    pub fn new(method: &str, name: &str, arguments: &JsonObject) -> Self {
        let mut bytes = format!("{method}\n{name}\n").into_bytes();
        bytes.extend(canonical_json(&Value::Object(arguments.clone())).into_bytes());
        Binding(bytes)
    }

    /// Binds the state to the caller too (the subject of its access
    /// token), so that a state lifted from one user's request is refused
    /// in another's.
    pub fn for_caller(mut self, subject: Option<&str>) -> Self {
        if let Some(subject) = subject {
            self.0.extend(format!("\ncaller:{subject}").into_bytes());
        }
        self
    }

    /// What the state is sealed with as associated data.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// JSON with object keys sorted at every level, so equal values give equal text.
fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<_> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::from(k.as_str()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// Whether `answer` has the shape of a response to `request`: an
/// `ElicitResult`, a `CreateMessageResult` or a `ListRootsResult`.
#[allow(deprecated)] // Sampling and roots are deprecated by SEP-2577, still in both eras.
fn fits(request: &InputRequest, answer: &Value) -> bool {
    use rmcp::model::{CreateMessageResult, ElicitResult, ListRootsResult};
    let answer = answer.clone();
    match request {
        InputRequest::Elicitation(_) => serde_json::from_value::<ElicitResult>(answer).is_ok(),
        InputRequest::CreateMessage(_) => {
            serde_json::from_value::<CreateMessageResult>(answer).is_ok()
        }
        InputRequest::ListRoots(_) => serde_json::from_value::<ListRootsResult>(answer).is_ok(),
        // A kind of question added to MCP later: any object may answer it.
        _ => answer.is_object(),
    }
}

fn fingerprint(request: &InputRequest) -> String {
    let json = serde_json::to_value(request).unwrap_or(Value::Null);
    let digest = Sha256::digest(canonical_json(&json));
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// What the sealed `requestState` holds.
#[derive(Debug, Serialize, Deserialize)]
struct SealedState {
    /// Every answer so far, each under the number of its question.
    answers: Vec<Recorded>,
    /// The questions the client is answering now.
    pending: Vec<Asked>,
    /// What the earlier rounds spent, charged again to the next round's
    /// budget so that a budget is not granted afresh each round.
    #[serde(default, rename = "u")]
    spent: Usage,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Recorded {
    /// Which question of the call this answers (they are counted in the
    /// order the agent asks them).
    #[serde(rename = "i")]
    index: usize,
    #[serde(rename = "q")]
    fingerprint: String,
    #[serde(rename = "a")]
    answer: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Asked {
    key: String,
    #[serde(rename = "i")]
    index: usize,
    #[serde(rename = "q")]
    fingerprint: String,
}

/// One 2026-era request's questions and recorded answers.
pub struct RoundTrip {
    state: Mutex<Rounds>,
    /// What the earlier rounds spent (from the `requestState`).
    spent_before: Usage,
    /// The budget scope of this round's run, whose usage the next
    /// `requestState` carries.
    scope: Mutex<Option<Arc<Scope>>>,
    asked: Notify,
    /// Whether a new question can be carried to the next round.
    can_seal: bool,
}

struct Rounds {
    answers: Vec<Recorded>,
    /// How many questions this run has asked so far.
    next: usize,
    /// The questions this run asked that have no answer yet: those asked
    /// together (in one poll, as `join!` does) go to the client together.
    pending: Vec<Pending>,
    /// A capability the run needed and the client did not declare.
    missing: Option<ClientCapabilities>,
    /// Answers the client sent under keys it was not asked in this
    /// state: a question the agent asks under one of those keys takes it.
    unsolicited: InputResponses,
}

#[derive(Clone)]
struct Pending {
    asked: Asked,
    request: InputRequest,
}

impl RoundTrip {
    /// The first round of a request, or a retry: opens `request_state`
    /// against `binding` and records the client's answers to the pending
    /// questions. A question the retry does not answer is asked again.
    pub fn resume(
        sealer: &StateSealer,
        binding: &Binding,
        request_state: Option<&str>,
        responses: Option<&InputResponses>,
    ) -> Result<Arc<Self>, ErrorData> {
        let mut answers = Vec::new();
        let mut unsolicited = responses.cloned().unwrap_or_default();
        let mut spent_before = Usage::default();
        if let Some(sealed) = request_state {
            let opened = match &sealer.codec {
                Some(codec) => codec.open_json_with::<SealedState>(sealed, binding.bytes()),
                None => Err(rmcp::model::RequestStateError::UnknownKeyId),
            };
            let state = opened.map_err(|error| {
                tracing::debug!(%error, "refused a requestState");
                ErrorData::invalid_params(
                    "the requestState is not one this server issued for this call, or it has \
                     expired; send the request again without it",
                    None,
                )
            })?;
            answers = state.answers;
            spent_before = state.spent;
            for asked in state.pending {
                if let Some(answer) = unsolicited.remove(&asked.key) {
                    answers.push(Recorded {
                        index: asked.index,
                        fingerprint: asked.fingerprint,
                        answer,
                    });
                }
            }
        }
        Ok(Arc::new(RoundTrip {
            state: Mutex::new(Rounds {
                answers,
                next: 0,
                pending: Vec::new(),
                missing: None,
                unsolicited,
            }),
            spent_before,
            scope: Mutex::new(None),
            asked: Notify::new(),
            can_seal: sealer.codec.is_some(),
        }))
    }

    /// Charges what the earlier rounds spent to `scope`, this round's
    /// root budget scope, whose usage the next `requestState` carries. The
    /// earlier rounds' own invocation is this one, so it is not counted
    /// again as a call.
    pub(crate) fn carry_usage(&self, scope: &Arc<Scope>) {
        let before = self.spent_before;
        scope.restore(Usage {
            calls: before.calls.saturating_sub(1),
            ..before
        });
        *self.scope.lock().unwrap_or_else(|p| p.into_inner()) = Some(scope.clone());
    }

    /// The recorded answer to `request` when this run asked it before, or
    /// the answer the client already sent under `key`; otherwise records
    /// the question (under `key`, or `agentwire-<n>`) and never returns
    /// (the runtime ends the run and asks the client).
    pub async fn ask(
        &self,
        key: Option<&str>,
        request: InputRequest,
    ) -> Result<Value, ClientRequestError> {
        let fingerprint = fingerprint(&request);
        {
            let mut rounds = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let index = rounds.next;
            rounds.next += 1;
            if let Some(at) = rounds.answers.iter().position(|r| r.index == index) {
                let recorded = &rounds.answers[at];
                if recorded.fingerprint != fingerprint {
                    return Err(ClientRequestError::ReplayMismatch { index });
                }
                if fits(&request, &recorded.answer) {
                    return Ok(recorded.answer.clone());
                }
                // An answer of the wrong shape is no answer: ask again.
                rounds.answers.remove(at);
            }
            if !self.can_seal {
                return Err(ClientRequestError::InvalidRequest(
                    "this server has no key to sign the requestState of a 2026-07-28 question \
                     with (no random source); set AGENTWIRE_REQUEST_STATE_KEY"
                        .to_owned(),
                ));
            }
            let early = key.and_then(|key| rounds.unsolicited.remove(key));
            if let Some(answer) = early.filter(|answer| fits(&request, answer)) {
                // Recorded, so that later rounds replay it like any other.
                rounds.answers.push(Recorded {
                    index,
                    fingerprint,
                    answer: answer.clone(),
                });
                return Ok(answer);
            }
            let key = key.map_or_else(|| input_key(index), str::to_owned);
            if rounds.pending.iter().any(|p| p.asked.key == key) {
                return Err(ClientRequestError::InvalidRequest(format!(
                    "two questions asked together share the key `{key}`; give each its own"
                )));
            }
            rounds.pending.push(Pending {
                asked: Asked {
                    key,
                    index,
                    fingerprint,
                },
                request,
            });
        }
        self.asked.notify_one();
        std::future::pending().await
    }

    /// Passes over `request` when an earlier round of this request asked it
    /// next and the run no longer needs its answer (what it asked for was
    /// done meanwhile, as a sign-in finished in the browser): the questions
    /// after it keep their numbers, so their recorded answers still match.
    /// Does nothing when it was not asked there. Whether it passed over.
    pub(crate) fn pass_over(&self, request: &InputRequest) -> bool {
        let fingerprint = fingerprint(request);
        let mut rounds = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let index = rounds.next;
        let asked = rounds
            .answers
            .iter()
            .any(|r| r.index == index && r.fingerprint == fingerprint);
        if asked {
            rounds.next += 1;
        }
        asked
    }

    /// Notes that the run needed `capability`, which the client did not
    /// declare: if the run then fails, the request fails with
    /// `MissingRequiredClientCapabilityError` (-32021) naming it.
    pub(crate) fn note_missing(&self, capability: ClientCapabilities) {
        let mut rounds = self.state.lock().unwrap_or_else(|p| p.into_inner());
        rounds.missing.get_or_insert(capability);
    }

    /// The capability the run needed and the client did not declare.
    pub fn missing_capability(&self) -> Option<ClientCapabilities> {
        let rounds = self.state.lock().unwrap_or_else(|p| p.into_inner());
        rounds.missing.clone()
    }

    /// Completes once the run asks a question that has no answer yet.
    async fn input_needed(&self) {
        loop {
            let notified = self.asked.notified();
            if !self
                .state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pending
                .is_empty()
            {
                return;
            }
            notified.await;
        }
    }

    /// The `InputRequiredResult` for the pending questions.
    fn input_required(&self, sealer: &StateSealer, binding: &Binding) -> InputRequiredResult {
        let rounds = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if rounds.pending.is_empty() {
            return InputRequiredResult::new(None, None);
        }
        let spent = self
            .scope
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map_or(self.spent_before, |scope| scope.usage());
        let state = SealedState {
            spent,
            answers: rounds.answers.clone(),
            pending: rounds.pending.iter().map(|p| p.asked.clone()).collect(),
        };
        let options = SealOptions::new()
            .associated_data(binding.bytes())
            .ttl(STATE_TTL);
        let sealed = sealer
            .codec
            .as_ref()
            .and_then(|codec| codec.seal_json_with(&state, &options).ok());
        let mut requests = InputRequests::new();
        for pending in &rounds.pending {
            requests.insert(pending.asked.key.clone(), pending.request.clone());
        }
        InputRequiredResult::new(Some(requests), sealed)
    }
}

/// How one run of a request ended.
pub enum Round<T> {
    /// It finished.
    Done(T),
    /// It finished after asking for something the client did not declare
    /// it can do (the capability is named); a failed run is then the
    /// client's `MissingRequiredClientCapabilityError`, not the tool's.
    Unsupported(ClientCapabilities, T),
    /// It asked the client something; this is the answer to send.
    InputRequired(InputRequiredResult),
}

/// Runs `work` for a request; with a round trip (2026 era), stops it as soon
/// as it asks an unanswered question.
pub async fn run_round<T>(
    round_trip: Option<&RoundTrip>,
    sealer: &StateSealer,
    binding: &Binding,
    work: impl Future<Output = T>,
) -> Round<T> {
    let Some(round_trip) = round_trip else {
        return Round::Done(work.await);
    };
    tokio::select! {
        // A question asked is always put to the client, even when the agent
        // stopped waiting for it and finished in the same poll.
        biased;
        () = round_trip.input_needed() => {
            Round::InputRequired(round_trip.input_required(sealer, binding))
        }
        output = work => match round_trip.missing_capability() {
            Some(required) => Round::Unsupported(required, output),
            None => Round::Done(output),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn question(text: &str) -> InputRequest {
        serde_json::from_value(json!({
            "method": "elicitation/create",
            "params": {"mode": "form", "message": text,
                       "requestedSchema": {"type": "object", "properties": {}}}
        }))
        .unwrap()
    }

    async fn two_questions(rt: &RoundTrip) -> Result<(Value, Value), ClientRequestError> {
        let first = rt.ask(None, question("first?")).await?;
        let second = rt.ask(None, question("second?")).await?;
        Ok((first, second))
    }

    #[tokio::test]
    async fn each_round_asks_one_new_question_and_replays_the_answers() {
        let sealer = StateSealer::random();
        let binding = Binding::new("tools/call", "t", &JsonObject::new());

        let rt = RoundTrip::resume(&sealer, &binding, None, None).unwrap();
        let Round::InputRequired(first) =
            run_round(Some(&rt), &sealer, &binding, two_questions(&rt)).await
        else {
            panic!("the first round must ask");
        };
        let requests = first.input_requests.unwrap();
        assert_eq!(requests.keys().collect::<Vec<_>>(), ["agentwire-0"]);

        let answers: InputResponses = [("agentwire-0".to_owned(), accept(json!("A")))].into();
        let rt = RoundTrip::resume(
            &sealer,
            &binding,
            first.request_state.as_deref(),
            Some(&answers),
        )
        .unwrap();
        let Round::InputRequired(second) =
            run_round(Some(&rt), &sealer, &binding, two_questions(&rt)).await
        else {
            panic!("the second round must ask the second question");
        };
        assert_eq!(
            second.input_requests.unwrap().keys().collect::<Vec<_>>(),
            ["agentwire-1"]
        );

        let answers: InputResponses = [("agentwire-1".to_owned(), accept(json!("B")))].into();
        let rt = RoundTrip::resume(
            &sealer,
            &binding,
            second.request_state.as_deref(),
            Some(&answers),
        )
        .unwrap();
        match run_round(Some(&rt), &sealer, &binding, two_questions(&rt)).await {
            Round::Done(Ok((a, b))) => assert_eq!((a, b), (accept(json!("A")), accept(json!("B")))),
            _ => panic!("the third run must finish"),
        }
    }

    #[tokio::test]
    async fn a_state_from_another_call_or_a_forged_one_is_refused() {
        let sealer = StateSealer::random();
        let binding = Binding::new("tools/call", "t", &object(json!({"x": 1})));
        let rt = RoundTrip::resume(&sealer, &binding, None, None).unwrap();
        let Round::InputRequired(first) =
            run_round(Some(&rt), &sealer, &binding, two_questions(&rt)).await
        else {
            panic!();
        };
        let state = first.request_state.unwrap();
        let answers: InputResponses = [("agentwire-0".to_owned(), accept(json!("A")))].into();

        let other = Binding::new("tools/call", "t", &object(json!({"x": 2})));
        assert!(RoundTrip::resume(&sealer, &other, Some(&state), Some(&answers)).is_err());
        let stranger = StateSealer::random();
        assert!(RoundTrip::resume(&stranger, &binding, Some(&state), Some(&answers)).is_err());
        assert!(RoundTrip::resume(&sealer, &binding, Some("rs1.forged"), Some(&answers)).is_err());
    }

    #[tokio::test]
    async fn a_retry_without_the_answer_is_asked_the_same_question_again() {
        let sealer = StateSealer::random();
        let binding = Binding::new("tools/call", "t", &JsonObject::new());
        let rt = RoundTrip::resume(&sealer, &binding, None, None).unwrap();
        let Round::InputRequired(first) =
            run_round(Some(&rt), &sealer, &binding, two_questions(&rt)).await
        else {
            panic!();
        };
        let wrong: InputResponses = [("unrelated".to_owned(), accept(json!("A")))].into();
        let rt = RoundTrip::resume(
            &sealer,
            &binding,
            first.request_state.as_deref(),
            Some(&wrong),
        )
        .unwrap();
        let Round::InputRequired(again) =
            run_round(Some(&rt), &sealer, &binding, two_questions(&rt)).await
        else {
            panic!("an unanswered question must be asked again");
        };
        assert_eq!(again.input_requests, first.input_requests);
    }

    #[tokio::test]
    async fn an_answer_sent_before_it_was_asked_answers_the_question_of_that_key() {
        let sealer = StateSealer::random();
        let binding = Binding::new("tools/call", "t", &JsonObject::new());
        let early: InputResponses = [("name".to_owned(), accept(json!("Ada")))].into();
        let rt = RoundTrip::resume(&sealer, &binding, None, Some(&early)).unwrap();
        match run_round(
            Some(&rt),
            &sealer,
            &binding,
            rt.ask(Some("name"), question("name?")),
        )
        .await
        {
            Round::Done(Ok(answer)) => assert_eq!(answer, accept(json!("Ada"))),
            _ => panic!("the answer under the question's key must be used"),
        }
        let rt = RoundTrip::resume(&sealer, &binding, None, Some(&early)).unwrap();
        let unkeyed = run_round(Some(&rt), &sealer, &binding, rt.ask(None, question("n?"))).await;
        assert!(
            matches!(unkeyed, Round::InputRequired(_)),
            "a numbered question has no key a client could answer early"
        );
    }

    #[tokio::test]
    async fn questions_asked_together_go_out_together_under_their_keys() {
        let sealer = StateSealer::random();
        let binding = Binding::new("tools/call", "t", &JsonObject::new());
        let both = |rt: Arc<RoundTrip>| async move {
            tokio::join!(
                rt.ask(Some("name"), question("name?")),
                rt.ask(Some("colour"), question("colour?"))
            )
        };
        let rt = RoundTrip::resume(&sealer, &binding, None, None).unwrap();
        let Round::InputRequired(first) =
            run_round(Some(&rt), &sealer, &binding, both(rt.clone())).await
        else {
            panic!();
        };
        let mut keys: Vec<_> = first.input_requests.unwrap().into_keys().collect();
        keys.sort();
        assert_eq!(keys, ["colour", "name"]);
        let answers: InputResponses = [
            ("name".to_owned(), accept(json!("Ada"))),
            ("colour".to_owned(), accept(json!("green"))),
        ]
        .into();
        let rt = RoundTrip::resume(
            &sealer,
            &binding,
            first.request_state.as_deref(),
            Some(&answers),
        )
        .unwrap();
        match run_round(Some(&rt), &sealer, &binding, both(rt.clone())).await {
            Round::Done((Ok(name), Ok(colour))) => {
                assert_eq!(
                    (name, colour),
                    (accept(json!("Ada")), accept(json!("green")))
                );
            }
            _ => panic!("both answers must be replayed"),
        }
    }

    #[tokio::test]
    async fn a_different_question_on_replay_is_refused() {
        let sealer = StateSealer::random();
        let binding = Binding::new("tools/call", "t", &JsonObject::new());
        let rt = RoundTrip::resume(&sealer, &binding, None, None).unwrap();
        let Round::InputRequired(first) =
            run_round(Some(&rt), &sealer, &binding, rt.ask(None, question("a?"))).await
        else {
            panic!();
        };
        let answers: InputResponses = [("agentwire-0".to_owned(), accept(json!(1)))].into();
        let rt = RoundTrip::resume(
            &sealer,
            &binding,
            first.request_state.as_deref(),
            Some(&answers),
        )
        .unwrap();
        match run_round(Some(&rt), &sealer, &binding, rt.ask(None, question("b?"))).await {
            Round::Done(Err(ClientRequestError::ReplayMismatch { index: 0 })) => {}
            _ => panic!("a changed question must not get the old answer"),
        }
    }

    #[test]
    fn canonical_json_ignores_key_order() {
        assert_eq!(
            canonical_json(&json!({"b": [1, {"d": 1, "c": 2}], "a": "x"})),
            r#"{"a":"x","b":[1,{"c":2,"d":1}]}"#
        );
    }

    /// An accepted elicitation carrying `value`.
    fn accept(value: Value) -> Value {
        json!({"action": "accept", "content": {"value": value}})
    }

    #[tokio::test]
    async fn an_answer_of_the_wrong_shape_is_asked_again() {
        let sealer = StateSealer::random();
        let binding = Binding::new("tools/call", "t", &JsonObject::new());
        let early: InputResponses = [("name".to_owned(), json!(42))].into();
        let rt = RoundTrip::resume(&sealer, &binding, None, Some(&early)).unwrap();
        let round = run_round(
            Some(&rt),
            &sealer,
            &binding,
            rt.ask(Some("name"), question("name?")),
        )
        .await;
        assert!(matches!(round, Round::InputRequired(_)));
    }

    fn object(value: Value) -> JsonObject {
        value.as_object().cloned().unwrap()
    }
}
