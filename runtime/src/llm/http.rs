//! The HTTP side shared by the providers that speak JSON over HTTP: POST a
//! JSON body with the provider's headers, with retries, and read a JSON
//! answer or a server-sent event stream.

use std::time::Instant;

use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::provider::{ProviderError, ProviderErrorKind};
use super::retry::{ProviderRetry, retry_after, retrying};
use super::secret::Secret;

/// One server-sent event: its `event:` name (if any) and its `data:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// The events of an SSE response body.
pub(crate) type SseEvents = BoxStream<'static, Result<SseEvent, ProviderError>>;

/// What a provider may send back, at most: a provider (or whatever answers
/// at its URL) is outside this process, and its answer is read into memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseLimits {
    /// The bytes of a whole (non-streamed) answer, or of an error body.
    pub max_body_bytes: usize,
    /// The bytes of one line of an event stream (an event's `data:`).
    pub max_sse_line_bytes: usize,
}

impl Default for ResponseLimits {
    /// 16 MiB a body, 1 MiB a stream line.
    fn default() -> Self {
        ResponseLimits {
            max_body_bytes: 16 * 1024 * 1024,
            max_sse_line_bytes: 1024 * 1024,
        }
    }
}

/// A JSON endpoint of a provider: its URL, headers (the key among them,
/// marked sensitive), retry policy and response limits.
#[derive(Clone)]
pub(crate) struct Endpoint {
    client: reqwest::Client,
    url: String,
    headers: HeaderMap,
    retry: ProviderRetry,
    limits: ResponseLimits,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The headers hold the key: only their names are shown.
        f.debug_struct("Endpoint")
            .field("url", &self.url)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("retry", &self.retry)
            .finish()
    }
}

impl Endpoint {
    pub fn new(client: reqwest::Client, url: String, retry: ProviderRetry) -> Self {
        Endpoint {
            client,
            url,
            headers: HeaderMap::new(),
            retry,
            limits: ResponseLimits::default(),
        }
    }

    /// Other limits on what the provider may send back.
    pub fn with_limits(mut self, limits: ResponseLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds a plain header.
    pub fn header(mut self, name: &'static str, value: &str) -> Result<Self, String> {
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("the value of header `{name}` is not valid in HTTP"))?;
        self.headers.insert(HeaderName::from_static(name), value);
        Ok(self)
    }

    /// Adds a header carrying a secret (`prefix` + the key), marked
    /// sensitive so that HTTP tooling does not print it.
    pub fn secret_header(
        mut self,
        name: &'static str,
        prefix: &str,
        secret: &Secret,
    ) -> Result<Self, String> {
        let mut value = HeaderValue::from_str(&format!("{prefix}{}", secret.expose()))
            .map_err(|_| "the API key contains characters not allowed in HTTP".to_owned())?;
        value.set_sensitive(true);
        self.headers.insert(HeaderName::from_static(name), value);
        Ok(self)
    }

    #[cfg(test)]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends the request; `timeout` bounds the whole exchange, body included.
    async fn send(
        &self,
        body: &Value,
        timeout: Option<std::time::Duration>,
    ) -> Result<reqwest::Response, ProviderError> {
        let mut request = self
            .client
            .post(&self.url)
            .headers(self.headers.clone())
            .json(body);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let wait = retry_after(response.headers());
        let body = read_body(response, self.limits.max_body_bytes)
            .await
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        Err(ProviderError::from_status(status.as_u16(), wait, &text))
    }

    /// POSTs `body` and reads the JSON answer as `T`, retrying per the policy.
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        body: &Value,
        deadline: Option<Instant>,
    ) -> Result<T, ProviderError> {
        retrying(&self.retry, deadline, |timeout| async move {
            let response = self.send(body, Some(timeout)).await?;
            let bytes = read_body(response, self.limits.max_body_bytes).await?;
            serde_json::from_slice(&bytes).map_err(ProviderError::malformed)
        })
        .await
    }

    /// POSTs `body` and returns the events of the SSE answer. Failures before
    /// the answer starts are retried; a stream that breaks later ends with a
    /// [`ProviderErrorKind::Stream`] error.
    pub async fn post_sse(
        &self,
        body: &Value,
        deadline: Option<Instant>,
    ) -> Result<SseEvents, ProviderError> {
        let response = retrying(&self.retry, deadline, |timeout| async move {
            // The timeout covers the wait for the response's head only; the
            // stream itself runs as long as the caller's budget allows.
            tokio::time::timeout(timeout, self.send(body, None))
                .await
                .map_err(|_| {
                    ProviderError::new(
                        ProviderErrorKind::Timeout,
                        format!("no answer within {} ms", timeout.as_millis()),
                    )
                })?
        })
        .await?;
        let bytes = lines_at_most(response.bytes_stream(), self.limits.max_sse_line_bytes);
        let events =
            sse_stream::SseStream::from_bytes_stream(bytes).filter_map(|item| async move {
                match item {
                    Ok(sse) => sse.data.map(|data| {
                        Ok(SseEvent {
                            event: sse.event,
                            data,
                        })
                    }),
                    Err(error) => Some(Err(ProviderError::new(
                        ProviderErrorKind::Stream,
                        format!("the event stream broke: {error}"),
                    ))),
                }
            });
        Ok(Box::pin(events))
    }
}

/// Reads a response body of at most `max` bytes; a longer one is an error
/// as soon as it passes the limit (nothing more is read).
async fn read_body(response: reqwest::Response, max: usize) -> Result<Vec<u8>, ProviderError> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(transport_error)?;
        if body.len() + chunk.len() > max {
            return Err(too_large(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large(max: usize) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::TooLarge,
        format!(
            "the provider's answer is larger than {max} bytes (max_response_bytes of its \
             [providers] section)"
        ),
    )
}

/// The chunks of an event stream, cut off with an error at the first line
/// longer than `max` bytes (an SSE parser buffers a line until it ends).
fn lines_at_most<B: AsRef<[u8]>, E: std::fmt::Display>(
    chunks: impl futures::Stream<Item = Result<B, E>>,
    max: usize,
) -> impl futures::Stream<Item = Result<B, LineTooLong>> {
    // The length of the line in progress; `None` once the stream failed.
    chunks.scan(Some(0usize), move |state, chunk| {
        let Some(line) = state.as_mut() else {
            return std::future::ready(None);
        };
        let checked = match chunk {
            Err(error) => Err(LineTooLong(format!("the connection failed: {error}"))),
            Ok(chunk) => {
                for &byte in chunk.as_ref() {
                    *line = if byte == b'\n' || byte == b'\r' {
                        0
                    } else {
                        *line + 1
                    };
                    if *line > max {
                        break;
                    }
                }
                if *line > max {
                    Err(LineTooLong(format!(
                        "a line of the event stream is longer than {max} bytes \
                         (max_sse_line_bytes of its [providers] section)"
                    )))
                } else {
                    Ok(chunk)
                }
            }
        };
        if checked.is_err() {
            *state = None;
        }
        std::future::ready(Some(checked))
    })
}

/// Why an event stream was cut off.
#[derive(Debug)]
struct LineTooLong(String);

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LineTooLong {}

/// A failure below HTTP: no connection, a timeout, a body cut short.
fn transport_error(error: reqwest::Error) -> ProviderError {
    let kind = if error.is_timeout() {
        ProviderErrorKind::Timeout
    } else {
        ProviderErrorKind::Connection
    };
    // reqwest's message names the URL, never the headers.
    ProviderError::new(kind, format!("the request failed: {}", error_chain(&error)))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
