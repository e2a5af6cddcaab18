agentwire::main!();
