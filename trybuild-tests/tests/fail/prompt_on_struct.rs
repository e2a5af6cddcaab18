use agentwire::prelude::*;

#[prompt]
struct NotAFunction;

fn main() {}
