//! `conformance`: every fixture the official MCP conformance suite
//! (npm `@modelcontextprotocol/conformance` 0.1.16 and 0.2.0-alpha.12) expects from a server,
//! written with agentwire's public API only.
//!
//! ```text
//! cargo run -p conformance -- serve --http 127.0.0.1:0
//! npx @modelcontextprotocol/conformance server --url http://127.0.0.1:PORT/mcp
//! ```
//!
//! `scripts/conformance.sh` does both. The names and answers below are the
//! ones the suite's scenarios ask for; each section says which scenario.

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::workflow::{BackendKind, WorkflowSettings};
use agentwire::{App, ServerIdentity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A 1×1 PNG.
const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0d\x49\x44\x41\x54\x78\xda\x63\xfc\xcf\xc0\xf0\x1f\x00\x05\x05\x02\x00\x5f\xc8\xf1\xd2\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

/// A tenth of a second of 8 kHz, 8-bit mono silence, as a WAV file.
fn wav() -> Vec<u8> {
    let samples = 800u32;
    let mut wav = Vec::with_capacity(44 + samples as usize);
    wav.extend(b"RIFF");
    wav.extend((36 + samples).to_le_bytes());
    wav.extend(b"WAVEfmt ");
    wav.extend(16u32.to_le_bytes()); // fmt chunk size
    wav.extend(1u16.to_le_bytes()); // PCM
    wav.extend(1u16.to_le_bytes()); // mono
    wav.extend(8000u32.to_le_bytes()); // sample rate
    wav.extend(8000u32.to_le_bytes()); // byte rate
    wav.extend(1u16.to_le_bytes()); // block align
    wav.extend(8u16.to_le_bytes()); // bits per sample
    wav.extend(b"data");
    wav.extend(samples.to_le_bytes());
    wav.extend(std::iter::repeat_n(128u8, samples as usize));
    wav
}

// ---- tools-call-*: content of every kind -------------------------------------

/// Returns a simple text response.
#[agent(
    title = "Simple text",
    icon = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
    read_only,
    idempotent
)]
async fn test_simple_text() -> String {
    "This is a simple text response for testing.".to_owned()
}

/// Returns a 1×1 PNG image.
#[agent(read_only, idempotent)]
async fn test_image_content() -> Content {
    Content::image_bytes(PNG, "image/png")
}

/// Returns a short WAV file.
#[agent(read_only, idempotent)]
async fn test_audio_content() -> Content {
    Content::audio_bytes(wav(), "audio/wav")
}

/// Returns an embedded text resource.
#[agent(read_only, idempotent)]
async fn test_embedded_resource() -> Content {
    Content::resource(
        "test://embedded-resource",
        ResourceContent::text("This is an embedded resource content.").with_mime_type("text/plain"),
    )
}

/// Returns text, an image and an embedded resource.
#[agent(read_only, idempotent)]
async fn test_multiple_content_types() -> Vec<Content> {
    vec![
        Content::text("Multiple content types test:"),
        Content::image_bytes(PNG, "image/png"),
        Content::resource(
            "test://mixed-content-resource",
            ResourceContent::json(&json!({"test": "data", "value": 123})),
        ),
    ]
}

/// Always fails, to test error reporting.
#[agent]
async fn test_error_handling() -> Result<String, String> {
    Err("This tool intentionally returns an error for testing".to_owned())
}

// ---- tools-call-with-logging, tools-call-with-progress -----------------------

/// Sends three log messages while it runs.
#[agent]
async fn test_tool_with_logging(ctx: &AgentContext) -> String {
    ctx.info("Tool execution started").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    ctx.info("Tool processing data").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    ctx.info("Tool execution completed").await;
    "Tool with logging executed successfully".to_owned()
}

/// Reports progress 0, 50 and 100 out of 100.
#[agent]
async fn test_tool_with_progress(ctx: &AgentContext) -> String {
    for (i, done) in [0.0, 50.0, 100.0].into_iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ctx.progress(done, Some(100.0), None).await;
    }
    "Tool with progress executed successfully".to_owned()
}

// ---- tools-call-sampling -------------------------------------------------------

/// Asks the client's model to answer a prompt.
#[agent]
async fn test_sampling(
    ctx: &AgentContext,
    /// The prompt to send to the LLM.
    prompt: String,
) -> Result<String, ClientRequestError> {
    let answer = ctx
        .sample(SamplingRequest::new(prompt).max_tokens(100))
        .await?;
    Ok(format!("LLM response: {}", answer.text()))
}

// ---- tools-call-elicitation, elicitation-sep1034-defaults, elicitation-sep1330-enums

/// Who the user is.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct UserInfo {
    /// User's response
    username: String,
    /// User's email address
    email: String,
}

/// The suite's wording for what the user did.
fn describe<T: Serialize>(answer: &Elicitation<T>) -> (&'static str, String) {
    match answer {
        Elicitation::Accepted(content) => {
            ("accept", serde_json::to_string(content).unwrap_or_default())
        }
        Elicitation::Declined => ("decline", "{}".to_owned()),
        Elicitation::Cancelled => ("cancel", "{}".to_owned()),
    }
}

/// Asks the user for a name and an email address.
#[agent]
async fn test_elicitation(
    ctx: &AgentContext,
    /// The message to show the user.
    message: String,
) -> Result<String, ClientRequestError> {
    let answer = ctx.elicit::<UserInfo>(message).await?;
    let (action, content) = describe(&answer);
    Ok(format!(
        "User response: <action: {action}, content: {content}>"
    ))
}

/// A status.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Status {
    Active,
    Inactive,
    Pending,
}

/// A form whose every field has a default (SEP-1034).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
struct WithDefaults {
    name: String,
    age: i64,
    score: f64,
    status: Status,
    verified: bool,
}

impl Default for WithDefaults {
    fn default() -> Self {
        WithDefaults {
            name: "John Doe".to_owned(),
            age: 30,
            score: 95.5,
            status: Status::Active,
            verified: true,
        }
    }
}

/// Asks for a form with default values for every primitive type.
#[agent]
async fn test_elicitation_sep1034_defaults(
    ctx: &AgentContext,
) -> Result<String, ClientRequestError> {
    let answer = ctx
        .elicit::<WithDefaults>("Please review and update the form fields with defaults")
        .await?;
    Ok(completed(&answer))
}

fn completed<T: Serialize>(answer: &Elicitation<T>) -> String {
    let (action, content) = describe(answer);
    format!("Elicitation completed: action={action}, content={content}")
}

/// Three options without titles.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum PlainOption {
    Option1,
    Option2,
    Option3,
}

/// Three options with titles.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
enum TitledOption {
    #[serde(rename = "value1")]
    #[schemars(title = "First Option")]
    First,
    #[serde(rename = "value2")]
    #[schemars(title = "Second Option")]
    Second,
    #[serde(rename = "value3")]
    #[schemars(title = "Third Option")]
    Third,
}

/// Three choices with titles, for multiple selection.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
enum TitledChoice {
    #[serde(rename = "value1")]
    #[schemars(title = "First Choice")]
    First,
    #[serde(rename = "value2")]
    #[schemars(title = "Second Choice")]
    Second,
    #[serde(rename = "value3")]
    #[schemars(title = "Third Choice")]
    Third,
}

/// Every kind of enum field (SEP-1330).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct EnumForm {
    /// Pick one.
    untitled_single: PlainOption,
    /// Pick one.
    titled_single: TitledOption,
    /// Pick one (for clients that only know `enumNames`).
    #[schemars(extend(
        "enum" = ["opt1", "opt2", "opt3"],
        "enumNames" = ["Option One", "Option Two", "Option Three"]
    ))]
    legacy_enum: String,
    /// Pick any.
    untitled_multi: Vec<PlainOption>,
    /// Pick any.
    titled_multi: Vec<TitledChoice>,
}

/// Asks for a form with every kind of enum.
#[agent]
async fn test_elicitation_sep1330_enums(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    let answer = ctx
        .elicit::<EnumForm>("Please choose from the options")
        .await?;
    Ok(completed(&answer))
}

// ---- json-schema-2020-12 ------------------------------------------------------

/// A postal address, with an `$anchor` (SEP-2106).
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "address", extend("$anchor" = "addressDef"))]
#[allow(dead_code)]
struct Address {
    street: Option<String>,
    city: Option<String>,
}

/// How to reach someone.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
enum ContactMethod {
    Phone,
    Email,
}

/// Composition and conditional keywords over the arguments (SEP-2106):
/// a phone number or an email address, and the one `contactMethod` names.
fn contact_rules() -> serde_json::Value {
    json!({
        "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
        "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
        "then": {"required": ["phone"]},
        "else": {"required": ["email"]},
    })
}

/// The suite names the argument `contactMethod`, which the generated code
/// binds too, so its module allows the name.
#[allow(non_snake_case)]
mod json_schema {
    use super::*;

    /// Tool with JSON Schema 2020-12 features
    #[agent(deny_unknown_arguments, input_constraints = contact_rules)]
    async fn json_schema_2020_12_tool(
        name: Option<String>,
        address: Option<Address>,
        contactMethod: Option<ContactMethod>,
        phone: Option<String>,
        email: Option<String>,
    ) -> String {
        format!("name={name:?}, address={address:?}, contact={contactMethod:?} {phone:?} {email:?}")
    }
}

// ---- http-custom-header-server-validation (SEP-2243) ------------------------------

/// Echoes a region that travels in the `Mcp-Param-Region` header as well
/// as in the body; the transport refuses a request whose two disagree.
#[agent]
async fn test_header_param(
    /// The region to echo.
    #[header = "Region"]
    region: String,
) -> String {
    format!("region: {region}")
}

// ---- server-stateless (SEP-2575) ------------------------------------------------------

/// Needs the client's model: a 2026-07-28 client that does not declare
/// `sampling` gets `MissingRequiredClientCapabilityError` (-32021).
#[agent]
async fn test_missing_capability(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    let answer = ctx
        .sample(SamplingRequest::new("Say hello").max_tokens(20))
        .await?;
    Ok(format!("LLM response: {}", answer.text()))
}

/// Asks the user a question: on a 2026-07-28 request stream that is an
/// `InputRequiredResult`, never a server-to-client request.
#[agent]
async fn test_streaming_elicitation(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    let answer = ctx.elicit::<NameForm>("What is your name?").await?;
    Ok(format!("elicitation: {}", describe(&answer).0))
}

/// Logs while it runs; a 2026-07-28 client gets the messages only when its
/// request's `_meta` asks for a log level.
#[agent]
async fn test_logging_tool(ctx: &AgentContext) -> String {
    ctx.info("test_logging_tool started").await;
    ctx.info("test_logging_tool finished").await;
    "logged".to_owned()
}

// ---- input-required-result-* (SEP-2322) ----------------------------------------------

/// A name.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct NameForm {
    name: String,
}

/// A favourite colour.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct ColorForm {
    color: String,
}

/// A yes or no.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct ConfirmForm {
    ok: bool,
}

/// Some context for a prompt.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct ContextForm {
    context: String,
}

/// Asks for the user's name under the key `user_name`, then greets them.
#[agent]
async fn test_input_required_result_elicitation(
    ctx: &AgentContext,
) -> Result<String, ClientRequestError> {
    let answer = ctx
        .keyed("user_name")
        .elicit::<NameForm>("What is your name?")
        .await?;
    Ok(match answer {
        Elicitation::Accepted(form) => format!("Hello, {}!", form.name),
        _ => "Hello, stranger!".to_owned(),
    })
}

/// Asks the client's model under the key `capital_question`.
#[agent]
async fn test_input_required_result_sampling(
    ctx: &AgentContext,
) -> Result<String, ClientRequestError> {
    let answer = ctx
        .keyed("capital_question")
        .sample(SamplingRequest::new("What is the capital of France?").max_tokens(100))
        .await?;
    Ok(format!("LLM response: {}", answer.text()))
}

/// Asks for the client's roots under the key `client_roots`.
#[agent]
async fn test_input_required_result_list_roots(
    ctx: &AgentContext,
) -> Result<String, ClientRequestError> {
    let roots = ctx.keyed("client_roots").roots().await?;
    let uris: Vec<_> = roots.iter().map(|root| root.uri.as_str()).collect();
    Ok(format!("Roots: {}", uris.join(", ")))
}

/// Asks for a confirmation; the answer comes back with the sealed
/// `requestState`, which the runtime checks before the agent runs again.
#[agent]
async fn test_input_required_result_request_state(
    ctx: &AgentContext,
) -> Result<String, ClientRequestError> {
    let answer = ctx
        .keyed("confirm")
        .elicit::<ConfirmForm>("Please confirm")
        .await?;
    let ok = matches!(answer, Elicitation::Accepted(ConfirmForm { ok: true }));
    Ok(format!("state-ok: confirmed={ok}"))
}

/// Asks a form, the model and the roots at once: one round, three keys.
#[agent]
async fn test_input_required_result_multiple_inputs(
    ctx: &AgentContext,
) -> Result<String, ClientRequestError> {
    let (name, greeting, roots) = tokio::join!(
        ctx.keyed("user_name")
            .elicit::<NameForm>("What is your name?"),
        ctx.keyed("greeting")
            .sample(SamplingRequest::new("Generate a greeting").max_tokens(50)),
        ctx.keyed("client_roots").roots(),
    );
    let name = name?.accepted().map_or_else(String::new, |form| form.name);
    Ok(format!(
        "name={name}, greeting={}, roots={}",
        greeting?.text(),
        roots?.len()
    ))
}

/// Two questions, one per round.
#[agent]
async fn test_input_required_result_multi_round(
    ctx: &AgentContext,
) -> Result<String, ClientRequestError> {
    let name = ctx
        .keyed("step1")
        .elicit::<NameForm>("Step 1: What is your name?")
        .await?;
    let color = ctx
        .keyed("step2")
        .elicit::<ColorForm>("Step 2: What is your favorite color?")
        .await?;
    let name = name.accepted().map_or_else(String::new, |form| form.name);
    let color = color.accepted().map_or_else(String::new, |form| form.color);
    Ok(format!("{name} likes {color}"))
}

/// Asks one question; the runtime refuses a `requestState` that was
/// altered (it is sealed with HMAC-SHA256).
#[agent]
async fn test_input_required_result_tampered_state(
    ctx: &AgentContext,
) -> Result<String, ClientRequestError> {
    let answer = ctx
        .keyed("confirm")
        .elicit::<ConfirmForm>("Please confirm")
        .await?;
    Ok(format!(
        "confirmed: {}",
        answer.accepted().is_some_and(|form| form.ok)
    ))
}

/// Asks the user and the model together; a client that declared only
/// sampling is asked only the model.
#[agent]
async fn test_input_required_result_capabilities(
    ctx: &AgentContext,
) -> Result<String, ClientRequestError> {
    let (name, answer) = tokio::join!(
        ctx.keyed("user_name")
            .elicit::<NameForm>("What is your name?"),
        ctx.keyed("capital_question")
            .sample(SamplingRequest::new("What is the capital of France?").max_tokens(100)),
    );
    let name = match name {
        Ok(answer) => answer.accepted().map_or_else(String::new, |form| form.name),
        Err(ClientRequestError::Unsupported(_)) => "(not asked)".to_owned(),
        Err(error) => return Err(error),
    };
    Ok(format!("name={name}, answer={}", answer?.text()))
}

// ---- server-sse-polling ---------------------------------------------------------

/// Answers after a short pause. The suite's SSE-polling scenario expects
/// this tool to close its SSE stream before answering; rmcp 3.11 gives a
/// handler no handle on its own stream, so it answers on the open stream.
#[agent]
async fn test_reconnection() -> String {
    tokio::time::sleep(Duration::from_millis(100)).await;
    "Reconnection test completed".to_owned()
}

// ---- tasks-* (SEP-2663): sync tools, and workflows run as MCP tasks -------------

/// Greets someone; a plain tool, never a task.
#[agent]
async fn greet(
    /// Who to greet.
    name: String,
) -> String {
    format!("Hello, {name}!")
}

/// Computes for `seconds` seconds (a durable timer); clients with the
/// tasks extension get a task when it takes longer than a moment.
#[workflow]
async fn slow_compute(
    ctx: &WorkflowContext,
    /// How long to compute.
    seconds: u64,
) -> Result<String, WorkflowError> {
    ctx.sleep(Duration::from_secs(seconds)).await?;
    Ok(format!("Computed for {seconds} s"))
}

/// Fails after a second and a half with its own error: a task that
/// completes with an `isError` result. Runs only as a task.
#[workflow(task_required)]
async fn failing_job(ctx: &WorkflowContext) -> Result<String, String> {
    ctx.sleep(Duration::from_millis(1500))
        .await
        .map_err(|e| e.to_string())?;
    Err("failing_job failed, as it always does".to_owned())
}

/// Breaks after a second and a half (its code panics): a task that fails
/// with a JSON-RPC error.
#[workflow]
async fn protocol_error_job(ctx: &WorkflowContext) -> Result<String, WorkflowError> {
    ctx.sleep(Duration::from_millis(1500)).await?;
    panic!("protocol_error_job broke on purpose");
}

/// A confirmation from the person behind the client.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Confirmation {
    /// Whether to go ahead.
    confirm: bool,
    /// Who confirms.
    #[serde(default)]
    name: Option<String>,
}

/// Asks for a confirmation (the task waits in `input_required`), then
/// deletes (pretends to).
#[workflow]
async fn confirm_delete(
    ctx: &WorkflowContext,
    /// The file to delete.
    filename: String,
) -> Result<String, WorkflowError> {
    let answer: Confirmation = ctx.wait_for("confirm", Duration::MAX).await?;
    Ok(if answer.confirm {
        format!("Deleted {filename}")
    } else {
        format!("Kept {filename}")
    })
}

/// Waits for two confirmations at once.
#[workflow]
async fn multi_input(ctx: &WorkflowContext) -> Result<String, WorkflowError> {
    let (first, second) = tokio::join!(
        ctx.wait_for::<Confirmation>("first", Duration::MAX),
        ctx.wait_for::<Confirmation>("second", Duration::MAX),
    );
    let (first, second) = (first?, second?);
    Ok(format!(
        "first={:?}, second={:?}",
        first.name.unwrap_or_default(),
        second.name.unwrap_or_default()
    ))
}

/// Asks for a name while the request is open (SEP-2322), then works on as a
/// task (SEP-2663) whose result carries the name. Runs only as a task.
#[agent(task = "required")]
async fn test_tool_with_task(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    let answer = ctx
        .keyed("user_name")
        .elicit::<NameForm>("What is your name?")
        .await?;
    let name = answer.accepted().map_or_else(String::new, |form| form.name);
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(format!("Hello, {name}! Your task is done."))
}

// ---- resources-* ----------------------------------------------------------------

/// A static text resource.
#[resource(
    uri = "test://static-text",
    mime_type = "text/plain",
    title = "Static text"
)]
fn static_text() -> &'static str {
    "This is the content of the static text resource."
}

/// A static binary resource: a 1×1 PNG.
#[resource(uri = "test://static-binary", mime_type = "image/png")]
fn static_binary() -> Vec<u8> {
    PNG.to_vec()
}

/// Data for one ID, from a URI template.
#[resource(uri = "test://template/{id}/data", mime_type = "application/json")]
async fn template_data(
    /// The ID to look up.
    id: String,
) -> ResourceContent {
    ResourceContent::json(&json!({
        "id": id,
        "templateTest": true,
        "data": format!("Data for ID: {id}"),
    }))
}

/// A resource clients can subscribe to; `test_update_watched_resource`
/// announces a change.
#[resource(uri = "test://watched-resource", mime_type = "text/plain")]
fn watched_resource() -> &'static str {
    "This resource is watched for changes."
}

/// Announces that `test://watched-resource` changed.
#[agent]
async fn test_update_watched_resource() -> String {
    agentwire::resource_updated("test://watched-resource");
    "test://watched-resource was updated".to_owned()
}

// ---- prompts-* and completion-complete ------------------------------------------

/// A simple prompt without arguments.
#[prompt(title = "Simple prompt")]
fn test_simple_prompt() -> &'static str {
    "This is a simple prompt for testing."
}

/// Suggests values for `arg1` and `arg2`.
fn suggest(request: &CompletionRequest) -> Vec<String> {
    ["paris", "park", "party", "test", "testing"]
        .into_iter()
        .filter(|word| word.starts_with(request.value()))
        .map(str::to_owned)
        .collect()
}

/// A prompt with two required arguments.
#[prompt(complete = suggest)]
fn test_prompt_with_arguments(
    /// First test argument
    arg1: String,
    /// Second test argument
    arg2: String,
) -> String {
    format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")
}

/// A prompt that embeds a resource.
#[prompt]
#[allow(non_snake_case)] // The suite names the argument `resourceUri`.
fn test_prompt_with_embedded_resource(
    /// URI of the resource to embed
    resourceUri: String,
) -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::resource(
            resourceUri,
            ResourceContent::text("Embedded resource content for testing.")
                .with_mime_type("text/plain"),
        )),
        PromptMessage::user("Please process the embedded resource above."),
    ]
}

/// A prompt that asks the user for its context first (SEP-2322 on
/// `prompts/get`).
#[prompt]
async fn test_input_required_result_prompt(
    ctx: &AgentContext,
) -> Result<String, ClientRequestError> {
    let answer = ctx
        .keyed("user_context")
        .elicit::<ContextForm>("What context should the prompt use?")
        .await?;
    let context = answer
        .accepted()
        .map_or_else(String::new, |form| form.context);
    Ok(format!("Answer using this context: {context}"))
}

/// A prompt with an image.
#[prompt]
fn test_prompt_with_image() -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::image_bytes(PNG, "image/png")),
        PromptMessage::user("Please analyze the image above."),
    ]
}

/// The CLI, with workflow runs kept in memory (the conformance runs need no
/// journal file; `--workflow-backend embedded` asks for one) and a task
/// after 200 ms (the suite expects a second-long run to become a task).
fn main() -> std::process::ExitCode {
    let identity = ServerIdentity::new("conformance", env!("CARGO_PKG_VERSION"));
    let workflows = WorkflowSettings {
        backend: BackendKind::Memory,
        task_after: Duration::from_millis(200),
        ..WorkflowSettings::default()
    };
    App::new(identity)
        .bin_name("conformance")
        .workflow_defaults(workflows)
        .run()
}
