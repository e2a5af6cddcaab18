use agentwire::prelude::*;

struct Greeter;

impl Greeter {
    #[agent]
    async fn greet(&self, name: String) -> String {
        format!("Hello, {name}!")
    }
}

fn main() {}
