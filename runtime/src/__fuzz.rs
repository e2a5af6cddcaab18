//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`, off by
//! default; not a stable API). Everything else the targets reach is public
//! already; this opens only the sealed `requestState` of the 2026 era,
//! which no public function takes.

use rmcp::model::{InputRequest, InputResponses, JsonObject, RequestStateCodec, SealOptions};
use serde_json::Value;

use crate::mcp::round_trip::{Binding, RoundTrip, StateSealer};

/// What a retry's `requestState` and `inputResponses` gave: the answers the
/// agent's questions (`questions`, asked in order) got from the record,
/// until the first one the record does not answer.
pub fn open_request_state(
    key: &[u8],
    binding: (&str, &str, &JsonObject),
    request_state: Option<&str>,
    responses: Option<&InputResponses>,
    questions: &[(Option<&str>, InputRequest)],
) -> Result<Vec<Value>, String> {
    let sealer = StateSealer::with_key(key)?;
    let (method, name, arguments) = binding;
    let binding = Binding::new(method, name, arguments);
    let round_trip = RoundTrip::resume(&sealer, &binding, request_state, responses)
        .map_err(|error| error.message.to_string())?;
    let mut answers = Vec::new();
    for (key, question) in questions {
        // An unanswered question never completes (the round ends there).
        let asked = round_trip.ask(*key, question.clone());
        match futures::FutureExt::now_or_never(asked) {
            Some(Ok(answer)) => answers.push(answer),
            Some(Err(error)) => return Err(error.to_string()),
            None => break,
        }
    }
    Ok(answers)
}

/// Seals `payload` as this server would seal a `requestState` for the call
/// `binding`: lets a target reach the decoding behind the signature (as if
/// the key had leaked, or the server itself had sealed something odd).
pub fn seal_request_state(
    key: &[u8],
    binding: (&str, &str, &JsonObject),
    payload: &Value,
) -> Option<String> {
    let codec = RequestStateCodec::try_new(key.to_vec()).ok()?;
    let (method, name, arguments) = binding;
    let binding = Binding::new(method, name, arguments);
    let options = SealOptions::new().associated_data(binding.bytes());
    codec.seal_json_with(payload, &options).ok()
}
