use agentwire::prelude::*;

#[agent]
struct Greeter {
    name: String,
}

fn main() {}
