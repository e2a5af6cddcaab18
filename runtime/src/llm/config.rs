//! `[llm]` and `[providers.*]` in `agentwire.toml`, and what the environment
//! adds: which model agents get from `ctx.model()`, where its provider is,
//! where its key comes from, and what tokens cost.
//!
//! ```toml
//! [llm]
//! provider = "openai"        # a [providers.*] name; "openai", "anthropic" and
//! model = "gpt-4.1-mini"     # "sampling" need no section of their own
//! max_tokens = 1024          # default answer limit per call (else 4096)
//! max_turns = 8              # default turn limit of an agent loop
//!
//! [llm.models.fast]          # ctx.model_named("fast")
//! provider = "anthropic"
//! model = "claude-haiku-4-5"
//!
//! [llm.prices."my-finetune"] # USD per million tokens; overrides the built-in table
//! input = "$0.30"
//! output = "$1.20"
//!
//! [providers.local]
//! kind = "openai"            # openai | anthropic | sampling
//! base_url = "http://127.0.0.1:11434/v1"
//! api_key_env = "LOCAL_KEY"  # or api_key_file = "secrets/local.key"; else none
//! timeout = "60s"            # per attempt
//! retries = 3
//! ```
//!
//! With no `[llm]` at all, `OPENAI_BASE_URL`/`OPENAI_API_KEY` select an
//! OpenAI-compatible provider and `ANTHROPIC_BASE_URL`/`ANTHROPIC_API_KEY`
//! an Anthropic one; `AGENTWIRE_LLM_MODEL` names the model. Keys are never
//! written in `agentwire.toml`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::budget::units::{parse_cost_micros, parse_duration};

use super::pricing::Price;

/// `[llm]`: the default model and the limits of model calls.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    /// The provider of the default model: a `[providers.*]` name, or one of
    /// `openai`, `anthropic`, `sampling`.
    pub provider: Option<String>,
    /// The default model's name at its provider.
    pub model: Option<String>,
    /// The default limit on an answer's tokens (4096 when unset).
    pub max_tokens: Option<u32>,
    /// The default turn limit of an agent loop (10 when unset).
    pub max_turns: Option<u32>,
    /// A call is refused rather than clamped below this many answer tokens
    /// (16 when unset).
    pub min_output_tokens: Option<u32>,
    /// Other models, by the name agents ask for.
    #[serde(default)]
    pub models: BTreeMap<String, NamedModel>,
    /// Prices by model name, replacing the built-in ones.
    #[serde(default)]
    pub prices: BTreeMap<String, PriceConfig>,
}

/// `[llm.models.NAME]`: a model agents ask for by name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedModel {
    /// The provider; the default model's when unset.
    pub provider: Option<String>,
    /// The model's name at its provider.
    pub model: String,
    /// Its answer limit; the default model's when unset.
    pub max_tokens: Option<u32>,
}

/// `[llm.prices."MODEL"]`: USD per million tokens, written like budget costs
/// (`"$0.15"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    /// Per million input tokens, e.g. `"$0.15"`.
    pub input: String,
    /// Per million output tokens.
    pub output: String,
    /// Per million input tokens read from the provider's cache; the input price when unset.
    pub cached_input: Option<String>,
    /// Per million input tokens written to the provider's cache; the input price when unset.
    pub cache_write: Option<String>,
}

/// Which API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// OpenAI Chat Completions (and every compatible server).
    Openai,
    /// Anthropic Messages.
    Anthropic,
    /// The MCP client's own model, through `sampling/createMessage`.
    Sampling,
}

impl ProviderKind {
    /// The model used when none is configured.
    pub fn default_model(self) -> &'static str {
        match self {
            ProviderKind::Openai => "gpt-4o-mini",
            ProviderKind::Anthropic => "claude-sonnet-4-5",
            ProviderKind::Sampling => "",
        }
    }

    /// The environment variables of the base URL and the key.
    pub fn env_vars(self) -> Option<(&'static str, &'static str)> {
        match self {
            ProviderKind::Openai => Some(("OPENAI_BASE_URL", "OPENAI_API_KEY")),
            ProviderKind::Anthropic => Some(("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY")),
            ProviderKind::Sampling => None,
        }
    }

    /// The kind a provider named `name` has without a section of its own.
    pub fn implicit(name: &str) -> Option<Self> {
        match name {
            "openai" => Some(ProviderKind::Openai),
            "anthropic" => Some(ProviderKind::Anthropic),
            "sampling" => Some(ProviderKind::Sampling),
            _ => None,
        }
    }
}

/// `[providers.NAME]`: where a model API is and how to reach it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Which API the provider speaks.
    pub kind: ProviderKind,
    /// The API's base URL; else `OPENAI_BASE_URL` / `ANTHROPIC_BASE_URL`,
    /// else the vendor's own.
    pub base_url: Option<String>,
    /// The environment variable holding the key.
    pub api_key_env: Option<String>,
    /// A file holding the key (relative to the config file).
    pub api_key_file: Option<PathBuf>,
    /// How long one attempt may take ("60s"); 120 s when unset.
    pub timeout: Option<String>,
    /// Retries after a failed attempt; 3 when unset.
    pub retries: Option<u32>,
    /// `max_tokens` or `max_completion_tokens` (OpenAI kind only).
    pub max_tokens_field: Option<String>,
    /// The largest answer read from the provider, in bytes (16 MiB).
    pub max_response_bytes: Option<usize>,
    /// The longest line of a streamed answer, in bytes (1 MiB).
    pub max_sse_line_bytes: Option<usize>,
    /// Refused with an explanation: keys do not belong in the config file.
    #[serde(default)]
    api_key: Option<IgnoredAny>,
}

impl ProviderConfig {
    /// A provider of `kind` with everything else from the environment.
    pub fn of_kind(kind: ProviderKind) -> Self {
        ProviderConfig {
            kind,
            base_url: None,
            api_key_env: None,
            api_key_file: None,
            timeout: None,
            retries: None,
            max_tokens_field: None,
            max_response_bytes: None,
            max_sse_line_bytes: None,
            api_key: None,
        }
    }
}

/// Checks `[llm]` and `[providers.*]` as the config file is read.
pub(crate) fn check(
    llm: &LlmConfig,
    providers: &BTreeMap<String, ProviderConfig>,
) -> Result<(), String> {
    for (name, provider) in providers {
        let section = format!("[providers.{name}]");
        if provider.api_key.is_some() {
            return Err(format!(
                "{section} has `api_key`: keys do not belong in agentwire.toml, where they are \
                 easily committed; name an environment variable with `api_key_env = \"VAR\"` or a \
                 file with `api_key_file = \"path\"`"
            ));
        }
        if provider.api_key_env.is_some() && provider.api_key_file.is_some() {
            return Err(format!(
                "{section} sets both `api_key_env` and `api_key_file`; keep one"
            ));
        }
        if let Some(timeout) = &provider.timeout {
            parse_duration(timeout).map_err(|p| format!("{section} timeout = {timeout:?}: {p}"))?;
        }
        if let Some(field) = &provider.max_tokens_field
            && field != "max_tokens"
            && field != "max_completion_tokens"
        {
            return Err(format!(
                "{section} max_tokens_field = {field:?}: it is \"max_tokens\" or \
                 \"max_completion_tokens\""
            ));
        }
    }
    let known = |name: &str| providers.contains_key(name) || ProviderKind::implicit(name).is_some();
    if let Some(provider) = &llm.provider
        && !known(provider)
    {
        return Err(format!(
            "[llm] provider = {provider:?} names no provider; add [providers.{provider}] with a \
             `kind`, or use \"openai\", \"anthropic\" or \"sampling\""
        ));
    }
    for (name, model) in &llm.models {
        if let Some(provider) = &model.provider
            && !known(provider)
        {
            return Err(format!(
                "[llm.models.{name}] provider = {provider:?} names no provider; add \
                 [providers.{provider}] with a `kind`"
            ));
        }
    }
    for (model, price) in &llm.prices {
        parse_price(price).map_err(|p| format!("[llm.prices.{model:?}]: {p}"))?;
    }
    Ok(())
}

/// A price section as a [`Price`].
pub(crate) fn parse_price(price: &PriceConfig) -> Result<Price, String> {
    let read = |field: &str, text: &str| {
        parse_cost_micros(text).map_err(|p| format!("{field} = {text:?}: {p}"))
    };
    let optional = |field: &str, text: &Option<String>| match text {
        Some(text) => read(field, text).map(Some),
        None => Ok(None),
    };
    Ok(Price {
        input: read("input", &price.input)?,
        output: read("output", &price.output)?,
        cached_input: optional("cached_input", &price.cached_input)?,
        cache_write: optional("cache_write", &price.cache_write)?,
    })
}

/// With no provider chosen, the conventional environment variables choose
/// one: OpenAI's first, then Anthropic's. `AGENTWIRE_LLM_MODEL` names the
/// model when the file does not.
pub(crate) fn apply_env(
    llm: &mut LlmConfig,
    providers: &BTreeMap<String, ProviderConfig>,
    var: &impl Fn(&str) -> Option<String>,
) {
    if llm.provider.is_none() {
        let set = |name: &str| var(name).is_some_and(|v| !v.trim().is_empty());
        llm.provider = if providers.len() == 1 {
            providers.keys().next().cloned()
        } else if set("OPENAI_BASE_URL") || set("OPENAI_API_KEY") {
            Some("openai".to_owned())
        } else if set("ANTHROPIC_BASE_URL") || set("ANTHROPIC_API_KEY") {
            Some("anthropic".to_owned())
        } else {
            None
        };
    }
    if llm.model.is_none() {
        llm.model = var("AGENTWIRE_LLM_MODEL").filter(|m| !m.trim().is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conventional_variables_choose_a_provider_without_a_config_file() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let providers = BTreeMap::new();
        let mut llm = LlmConfig::default();
        apply_env(
            &mut llm,
            &providers,
            &env(&[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")]),
        );
        assert_eq!(llm.provider.as_deref(), Some("openai"));

        let mut llm = LlmConfig::default();
        apply_env(
            &mut llm,
            &providers,
            &env(&[
                ("ANTHROPIC_API_KEY", "k"),
                ("AGENTWIRE_LLM_MODEL", "claude-haiku-4-5"),
            ]),
        );
        assert_eq!(llm.provider.as_deref(), Some("anthropic"));
        assert_eq!(llm.model.as_deref(), Some("claude-haiku-4-5"));

        let mut llm = LlmConfig::default();
        apply_env(&mut llm, &providers, &env(&[]));
        assert_eq!(llm.provider, None);
    }
}
