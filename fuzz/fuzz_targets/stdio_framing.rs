//! JSON-RPC framing on stdio: rmcp's line reader (`AsyncRwTransport`, which
//! `agentwire::transport::serve_stdio` serves through) over any bytes, in
//! any chunking. It must deliver exactly the lines, up to the line limit,
//! that parse as JSON-RPC messages, whatever the read sizes were, and
//! never panic.

#![no_main]

mod common;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use libfuzzer_sys::fuzz_target;
use rmcp::RoleServer;
use rmcp::service::RxJsonRpcMessage;
use rmcp::transport::Transport;
use rmcp::transport::async_rw::AsyncRwTransport;
use serde_json::Value;
use tokio::io::{AsyncRead, ReadBuf};

/// Hands out `data` in reads of the sizes `sizes` gives (cycling).
struct Chunked {
    data: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    turn: usize,
}

impl AsyncRead for Chunked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let size = self.sizes[self.turn % self.sizes.len()];
        self.turn += 1;
        let end = self.at.saturating_add(size).min(self.data.len());
        let end = self.at + (end - self.at).min(buf.remaining());
        buf.put_slice(&self.data[self.at..end]);
        self.at = end;
        Poll::Ready(Ok(()))
    }
}

/// Everything the transport delivers from `data`, as JSON.
fn received(data: &[u8], sizes: Vec<usize>, max_line: usize) -> Vec<Value> {
    let reader = Chunked {
        data: data.to_vec(),
        at: 0,
        sizes,
        turn: 0,
    };
    let mut transport = AsyncRwTransport::<RoleServer, _, _>::new(reader, tokio::io::sink())
        .with_max_line_length(max_line);
    common::block_on(async {
        let mut out = Vec::new();
        while let Some(message) = transport.receive().await {
            out.push(serde_json::to_value(message).unwrap());
        }
        out
    })
}

/// The framing as documented: `\n`-ended lines (an unfinished last line is
/// dropped), a line longer than the limit (its `\n` counted) dropped, one
/// `\r` and a leading BOM stripped, lines that are not a message skipped.
fn expected(data: &[u8], max_line: usize) -> Vec<Value> {
    let mut lines: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
    lines.pop();
    lines
        .into_iter()
        .filter(|line| line.len() < max_line)
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .map(|line| line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line))
        .filter_map(|line| serde_json::from_slice::<RxJsonRpcMessage<RoleServer>>(line).ok())
        .map(|message| serde_json::to_value(message).unwrap())
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&shape, data)) = data.split_first() else {
        return;
    };
    // A small limit so that the fuzzer reaches the oversized-line path.
    let max_line = 16 + usize::from(shape % 16) * 16;
    let sizes = vec![1 + usize::from(shape >> 4), 1, 7, 64];
    let whole = received(data, vec![usize::MAX], max_line);
    assert_eq!(whole, expected(data, max_line), "read at once");
    assert_eq!(received(data, sizes, max_line), whole, "read in chunks");
});
