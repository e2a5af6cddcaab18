use agentwire::prelude::*;

#[agent]
async fn echo<T: ToString>(value: T) -> String {
    value.to_string()
}

fn main() {}
