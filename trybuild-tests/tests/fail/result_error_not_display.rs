use agentwire::prelude::*;

#[derive(Debug)]
struct Oops;

#[agent]
async fn shout(text: String) -> Result<String, Oops> {
    if text.is_empty() {
        return Err(Oops);
    }
    Ok(text.to_uppercase())
}

fn main() {}
