#[runtime::main]
struct NotAFunction;

fn main() {}
