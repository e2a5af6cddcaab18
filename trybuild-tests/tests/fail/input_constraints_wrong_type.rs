use agentwire::prelude::*;

fn rules() -> String {
    "allOf".to_owned()
}

#[agent(input_constraints = rules)]
async fn echo(text: String) -> String {
    text
}

fn main() {}
