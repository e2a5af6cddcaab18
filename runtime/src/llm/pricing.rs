//! What model tokens cost: a built-in table of list prices, overridden per
//! model by `[llm.prices]` in `agentwire.toml`, and the arithmetic from a
//! call's reported usage to micro-USD.

use super::message::TokenUsage;

/// Prices of one model in micro-USD per million tokens (so "$0.15 per
/// million" is 150,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    /// Micro-USD per million input tokens.
    pub input: u64,
    /// Micro-USD per million output tokens.
    pub output: u64,
    /// Prompt tokens read from the provider's cache; `None` charges `input`.
    pub cached_input: Option<u64>,
    /// Prompt tokens written to the provider's cache; `None` charges `input`.
    pub cache_write: Option<u64>,
}

const MILLION: u128 = 1_000_000;

impl Price {
    /// A model that costs nothing (local models, the MCP client's model).
    pub const FREE: Price = Price::per_million(0, 0);

    /// Input and output prices in micro-USD per million tokens.
    pub const fn per_million(input: u64, output: u64) -> Self {
        Price {
            input,
            output,
            cached_input: None,
            cache_write: None,
        }
    }

    /// This price with a cache-read and a cache-write price.
    pub const fn with_cache(mut self, cached_input: u64, cache_write: u64) -> Self {
        self.cached_input = Some(cached_input);
        self.cache_write = Some(cache_write);
        self
    }

    /// The cost of `usage` in micro-USD, rounded up: a call is never charged
    /// less than it cost.
    pub fn cost_micros(&self, usage: &TokenUsage) -> u64 {
        let cached = u128::from(usage.cache_read_tokens.min(usage.input_tokens));
        let written = u128::from(
            usage
                .cache_write_tokens
                .min(usage.input_tokens.saturating_sub(usage.cache_read_tokens)),
        );
        let plain = u128::from(usage.input_tokens) - cached - written;
        let total = plain * u128::from(self.input)
            + cached * u128::from(self.cached_input.unwrap_or(self.input))
            + written * u128::from(self.cache_write.unwrap_or(self.input))
            + u128::from(usage.output_tokens) * u128::from(self.output);
        u64::try_from(total.div_ceil(MILLION)).unwrap_or(u64::MAX)
    }

    /// The cost of `input` prompt tokens and `output` answer tokens.
    pub fn estimate_micros(&self, input: u64, output: u64) -> u64 {
        self.cost_micros(&TokenUsage {
            input_tokens: input,
            output_tokens: output,
            ..TokenUsage::default()
        })
    }

    /// The most answer tokens `micros` pays for.
    pub fn output_tokens_for(&self, micros: u64) -> u64 {
        if self.output == 0 {
            return u64::MAX;
        }
        u64::try_from(u128::from(micros) * MILLION / u128::from(self.output)).unwrap_or(u64::MAX)
    }
}

/// List prices known to agentwire, per million tokens, as published by
/// OpenAI and Anthropic in 2025. Prices change: check them, and override
/// any with `[llm.prices."model"]`.
const BUILTIN: &[(&str, Price)] = &[
    // OpenAI: input, output, cached input.
    (
        "gpt-4o",
        Price::per_million(2_500_000, 10_000_000).with_cache(1_250_000, 2_500_000),
    ),
    (
        "gpt-4o-mini",
        Price::per_million(150_000, 600_000).with_cache(75_000, 150_000),
    ),
    (
        "gpt-4.1",
        Price::per_million(2_000_000, 8_000_000).with_cache(500_000, 2_000_000),
    ),
    (
        "gpt-4.1-mini",
        Price::per_million(400_000, 1_600_000).with_cache(100_000, 400_000),
    ),
    (
        "gpt-4.1-nano",
        Price::per_million(100_000, 400_000).with_cache(25_000, 100_000),
    ),
    (
        "gpt-5",
        Price::per_million(1_250_000, 10_000_000).with_cache(125_000, 1_250_000),
    ),
    (
        "gpt-5-mini",
        Price::per_million(250_000, 2_000_000).with_cache(25_000, 250_000),
    ),
    (
        "gpt-5-nano",
        Price::per_million(50_000, 400_000).with_cache(5_000, 50_000),
    ),
    (
        "o3",
        Price::per_million(2_000_000, 8_000_000).with_cache(500_000, 2_000_000),
    ),
    (
        "o3-mini",
        Price::per_million(1_100_000, 4_400_000).with_cache(550_000, 1_100_000),
    ),
    (
        "o4-mini",
        Price::per_million(1_100_000, 4_400_000).with_cache(275_000, 1_100_000),
    ),
    // Anthropic: input, output, cache read (0.1x), cache write (1.25x).
    (
        "claude-opus-4",
        Price::per_million(15_000_000, 75_000_000).with_cache(1_500_000, 18_750_000),
    ),
    (
        "claude-opus-4-5",
        Price::per_million(5_000_000, 25_000_000).with_cache(500_000, 6_250_000),
    ),
    (
        "claude-sonnet-4",
        Price::per_million(3_000_000, 15_000_000).with_cache(300_000, 3_750_000),
    ),
    (
        "claude-3-7-sonnet",
        Price::per_million(3_000_000, 15_000_000).with_cache(300_000, 3_750_000),
    ),
    (
        "claude-3-5-sonnet",
        Price::per_million(3_000_000, 15_000_000).with_cache(300_000, 3_750_000),
    ),
    (
        "claude-haiku-4-5",
        Price::per_million(1_000_000, 5_000_000).with_cache(100_000, 1_250_000),
    ),
    (
        "claude-3-5-haiku",
        Price::per_million(800_000, 4_000_000).with_cache(80_000, 1_000_000),
    ),
    (
        "claude-3-haiku",
        Price::per_million(250_000, 1_250_000).with_cache(30_000, 300_000),
    ),
];

/// Prices by model name. A model matches an entry with its exact name or,
/// failing that, the longest entry its name starts with followed by `-`
/// (`gpt-4o-mini-2024-07-18` is priced as `gpt-4o-mini`). A provider prefix
/// (`openai/gpt-4o`) is ignored.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    /// Overrides first, then the built-in list.
    entries: Vec<(String, Price)>,
}

impl PriceTable {
    /// The built-in list prices.
    pub fn builtin() -> Self {
        PriceTable {
            entries: BUILTIN
                .iter()
                .map(|(name, price)| ((*name).to_owned(), *price))
                .collect(),
        }
    }

    /// This table with `model` priced at `price`, before any built-in entry.
    pub fn with(mut self, model: impl Into<String>, price: Price) -> Self {
        let model = model.into();
        self.entries.retain(|(name, _)| *name != model);
        self.entries.insert(0, (model, price));
        self
    }

    /// The price of `model`, if known.
    pub fn get(&self, model: &str) -> Option<Price> {
        let candidates = [model, model.rsplit('/').next().unwrap_or(model)];
        for name in candidates {
            if let Some((_, price)) = self.entries.iter().find(|(entry, _)| entry == name) {
                return Some(*price);
            }
        }
        candidates
            .iter()
            .flat_map(|name| {
                self.entries.iter().filter(move |(entry, _)| {
                    name.len() > entry.len()
                        && name.starts_with(entry.as_str())
                        && name.as_bytes()[entry.len()] == b'-'
                })
            })
            .max_by_key(|(entry, _)| entry.len())
            .map(|(_, price)| *price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_and_prefixed_model_names_find_their_price() {
        let table = PriceTable::builtin();
        let mini = table.get("gpt-4o-mini").unwrap();
        assert_eq!(table.get("gpt-4o-mini-2024-07-18"), Some(mini));
        assert_eq!(table.get("openai/gpt-4o-mini"), Some(mini));
        assert_ne!(table.get("gpt-4o-2024-08-06"), Some(mini));
        assert_eq!(
            table.get("claude-opus-4-5-20251101").unwrap().input,
            5_000_000
        );
        assert_eq!(
            table.get("claude-opus-4-1-20250805").unwrap().input,
            15_000_000
        );
        assert_eq!(table.get("llama3.2"), None);
        assert_eq!(table.get("gpt-4omni"), None);
    }

    #[test]
    fn overrides_win_and_costs_round_up() {
        let table =
            PriceTable::builtin().with("gpt-4o-mini", Price::per_million(1_000_000, 3_000_000));
        let price = table.get("gpt-4o-mini-2024-07-18").unwrap();
        assert_eq!(price.input, 1_000_000);
        // 10 input tokens at $1/M = 10 µ$, 3 output tokens at $3/M = 9 µ$.
        assert_eq!(price.estimate_micros(10, 3), 19);
        // 1 token at $0.15/M is 0.15 µ$: charged as 1.
        assert_eq!(Price::per_million(150_000, 0).estimate_micros(1, 0), 1);
        assert_eq!(price.output_tokens_for(9), 3);
    }

    #[test]
    fn cached_tokens_are_charged_at_their_own_price() {
        let price = Price::per_million(3_000_000, 15_000_000).with_cache(300_000, 3_750_000);
        let usage = TokenUsage {
            input_tokens: 1_000_000,
            output_tokens: 0,
            cache_read_tokens: 500_000,
            cache_write_tokens: 100_000,
            ..TokenUsage::default()
        };
        // 400k plain at $3 + 500k read at $0.30 + 100k written at $3.75.
        assert_eq!(price.cost_micros(&usage), 1_200_000 + 150_000 + 375_000);
    }
}
