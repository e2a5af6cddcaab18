use agentwire::prelude::*;

/// Takes a parameter the template does not have.
#[resource(uri = "notes://{day}")]
fn notes(day: String, language: String) -> String {
    format!("{day} {language}")
}

fn main() {}
