use agentwire::prelude::*;

struct Report {
    words: usize,
}

#[agent]
async fn measure(text: String) -> Report {
    Report {
        words: text.split_whitespace().count(),
    }
}

fn main() {}
