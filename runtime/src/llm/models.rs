//! The models of one server process: providers built once from the
//! configuration (with their keys and one shared HTTP client), the default
//! and named models, and the price table.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::budget::units::parse_duration;

use super::LlmError;
use super::anthropic::{ANTHROPIC_BASE_URL, Anthropic};
use crate::agent::AgentContext;

use super::config::{LlmConfig, ProviderConfig, ProviderKind, parse_price};
use super::http::ResponseLimits;
use super::openai::{MaxTokensField, OPENAI_BASE_URL, OpenAi};
use super::pricing::{Price, PriceTable};
use super::provider::Provider;
use super::retry::ProviderRetry;
use super::secret::Secret;

/// How a provider is reached, or why it cannot be.
#[derive(Clone)]
pub(crate) enum ProviderEntry {
    Http(Arc<dyn Provider>),
    /// The MCP client of the request, built per call.
    Sampling,
    /// Misconfigured: the message says how to fix it.
    Broken(String),
}

/// A model as configured: which provider, which name there, its limits.
#[derive(Clone)]
pub(crate) struct ModelSpec {
    pub provider: ProviderEntry,
    pub model: String,
    pub max_tokens: Option<u32>,
}

/// The models a server process offers its agents: the providers built from
/// the `[llm]` and `[providers]` sections, the named models, and prices.
pub(crate) struct Models {
    providers: BTreeMap<String, (ProviderKind, ProviderEntry)>,
    default_provider: Option<String>,
    default_model: Option<String>,
    default_max_tokens: Option<u32>,
    models: BTreeMap<String, super::config::NamedModel>,
    pub prices: PriceTable,
    pub max_turns: u32,
    pub min_output_tokens: u32,
}

impl std::fmt::Debug for Models {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Models")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .field("default_provider", &self.default_provider)
            .field("default_model", &self.default_model)
            .finish_non_exhaustive()
    }
}

impl Models {
    /// The models of the process `ctx` runs in; [`unconfigured`](Self::unconfigured)
    /// ones when its host was assembled without any (as in a test that builds
    /// its own host).
    pub fn of(ctx: &AgentContext) -> &Models {
        static UNCONFIGURED: OnceLock<Models> = OnceLock::new();
        ctx.host()
            .get::<Models>()
            .unwrap_or_else(|| UNCONFIGURED.get_or_init(Models::unconfigured))
    }

    /// The models of a server without `[llm]` or `[providers]`: what
    /// `AgentServer::new` gives its agents.
    pub fn unconfigured() -> Self {
        Models::new(&LlmConfig::default(), &BTreeMap::new(), |key| {
            std::env::var(key).ok()
        })
    }

    /// Builds every provider the configuration names (and the implicit ones
    /// it refers to), reading keys from the environment through `var` and
    /// from key files.
    pub fn new(
        llm: &LlmConfig,
        providers: &BTreeMap<String, ProviderConfig>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Self {
        // A redirect would carry the key (in `x-api-key`, which reqwest does
        // not strip) to wherever the provider's answer points: none is
        // followed, and a 3xx is an error naming its status.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("the HTTP client could not be built: {e}"));
        let mut sections = providers.clone();
        let referenced = llm
            .provider
            .iter()
            .chain(llm.models.values().filter_map(|m| m.provider.as_ref()));
        for name in referenced {
            if !sections.contains_key(name)
                && let Some(kind) = ProviderKind::implicit(name)
            {
                sections.insert(name.clone(), ProviderConfig::of_kind(kind));
            }
        }
        let providers = sections
            .iter()
            .map(|(name, section)| {
                let entry = match &client {
                    Ok(client) => {
                        build(name, section, client, &var).unwrap_or_else(ProviderEntry::Broken)
                    }
                    Err(error) => ProviderEntry::Broken(error.clone()),
                };
                (name.clone(), (section.kind, entry))
            })
            .collect();
        let mut prices = PriceTable::builtin();
        for (model, price) in &llm.prices {
            // Checked when the file was read.
            if let Ok(price) = parse_price(price) {
                prices = prices.with(model.clone(), price);
            }
        }
        Models {
            providers,
            default_provider: llm.provider.clone(),
            default_model: llm.model.clone(),
            default_max_tokens: llm.max_tokens,
            models: llm.models.clone(),
            prices,
            max_turns: llm.max_turns.unwrap_or(10),
            min_output_tokens: llm.min_output_tokens.unwrap_or(16),
        }
    }

    /// The models of a test: `provider` answers as the default model
    /// `model`, priced at `price` when given.
    #[cfg(feature = "testing")]
    pub fn serving(provider: Arc<dyn Provider>, model: &str, price: Option<Price>) -> Self {
        let name = provider.name().to_owned();
        let mut models = Models::new(&LlmConfig::default(), &BTreeMap::new(), |_| None);
        models.providers.insert(
            name.clone(),
            (ProviderKind::Openai, ProviderEntry::Http(provider)),
        );
        models.default_provider = Some(name);
        models.default_model = Some(model.to_owned());
        if let Some(price) = price {
            models.prices = std::mem::take(&mut models.prices).with(model, price);
        }
        models
    }

    /// The default model (`name` `None`) or the one configured as
    /// `[llm.models.NAME]`.
    pub fn model(&self, name: Option<&str>) -> Result<ModelSpec, LlmError> {
        let (provider_name, model, max_tokens) = match name {
            None => {
                let provider = self.default_provider.clone().ok_or_else(|| {
                    LlmError::Config(
                        "no model is configured: set OPENAI_BASE_URL or OPENAI_API_KEY (any \
                         OpenAI-compatible server), ANTHROPIC_API_KEY, or [llm] in agentwire.toml"
                            .to_owned(),
                    )
                })?;
                (
                    provider,
                    self.default_model.clone(),
                    self.default_max_tokens,
                )
            }
            Some(name) => {
                let named = self.models.get(name).ok_or_else(|| {
                    LlmError::Config(format!(
                        "no model is named `{name}`; add [llm.models.{name}] to agentwire.toml"
                    ))
                })?;
                let provider = named
                    .provider
                    .clone()
                    .or_else(|| self.default_provider.clone())
                    .ok_or_else(|| {
                        LlmError::Config(format!(
                            "[llm.models.{name}] names no provider and there is no default one"
                        ))
                    })?;
                (
                    provider,
                    Some(named.model.clone()),
                    named.max_tokens.or(self.default_max_tokens),
                )
            }
        };
        let (kind, provider) =
            self.providers.get(&provider_name).cloned().ok_or_else(|| {
                LlmError::Config(format!("no provider is named `{provider_name}`"))
            })?;
        Ok(ModelSpec {
            provider,
            model: model.unwrap_or_else(|| kind.default_model().to_owned()),
            max_tokens,
        })
    }

    /// The price of `model`, if known.
    pub fn price(&self, model: &str) -> Option<Price> {
        self.prices.get(model)
    }
}

fn build(
    name: &str,
    section: &ProviderConfig,
    client: &reqwest::Client,
    var: &impl Fn(&str) -> Option<String>,
) -> Result<ProviderEntry, String> {
    let mut retry = ProviderRetry::default();
    if let Some(timeout) = &section.timeout {
        retry.request_timeout = parse_duration(timeout).unwrap_or(Duration::from_secs(120));
    }
    if let Some(retries) = section.retries {
        retry.max_retries = retries;
    }
    let Some((url_var, key_var)) = section.kind.env_vars() else {
        return Ok(ProviderEntry::Sampling);
    };
    let vendor_url = match section.kind {
        ProviderKind::Anthropic => ANTHROPIC_BASE_URL,
        _ => OPENAI_BASE_URL,
    };
    let base_url = section
        .base_url
        .clone()
        .or_else(|| var(url_var).filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| vendor_url.to_owned());
    let key = if let Some(file) = &section.api_key_file {
        Some(Secret::from_file(file).map_err(|e| format!("provider `{name}`: {e}"))?)
    } else if let Some(env) = &section.api_key_env {
        Some(Secret::from_env(var, env).ok_or_else(|| {
            format!("provider `{name}`: the environment variable {env} (api_key_env) is not set")
        })?)
    } else {
        Secret::from_env(var, key_var)
    };
    if key.is_none() && base_url.trim_end_matches('/').starts_with(vendor_url) {
        return Err(format!(
            "provider `{name}` has no API key: set {key_var}, or `api_key_env` / `api_key_file` \
             in [providers.{name}]"
        ));
    }
    let defaults = ResponseLimits::default();
    let limits = ResponseLimits {
        max_body_bytes: section
            .max_response_bytes
            .unwrap_or(defaults.max_body_bytes),
        max_sse_line_bytes: section
            .max_sse_line_bytes
            .unwrap_or(defaults.max_sse_line_bytes),
    };
    let provider: Arc<dyn Provider> = match section.kind {
        ProviderKind::Anthropic => Arc::new(
            Anthropic::new(client.clone(), &base_url, key.as_ref(), retry)?.with_limits(limits),
        ),
        _ => {
            let mut openai =
                OpenAi::new(client.clone(), &base_url, key.as_ref(), retry)?.with_limits(limits);
            match section.max_tokens_field.as_deref() {
                Some("max_tokens") => {
                    openai = openai.with_max_tokens_field(MaxTokensField::MaxTokens)
                }
                Some("max_completion_tokens") => {
                    openai = openai.with_max_tokens_field(MaxTokensField::MaxCompletionTokens);
                }
                _ => {}
            }
            Arc::new(openai)
        }
    };
    Ok(ProviderEntry::Http(provider))
}
