//! `echo`: the agentwire side of the benchmarks (see `docs/benchmarks.md`).
//!
//! One agent, `echo`, that returns its message: the smallest tool, so that a
//! benchmark measures the framework and not the work. `bare-rmcp` serves the
//! same tool written directly against rmcp, and `scripts/bench/` the same tool
//! in the Python peers.
//!
//! ```text
//! cargo run --release -p echo -- serve --stdio
//! cargo run --release -p echo -- serve --http 127.0.0.1:8080
//! ```

use agentwire::prelude::*;

/// Returns the message unchanged.
#[agent(read_only, idempotent)]
async fn echo(
    /// The text to send back.
    message: String,
) -> String {
    message
}

agentwire::main!();
