// Type errors in the body point at the user's code, not at the attribute.
#[runtime::main]
async fn main() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "1".parse()?;
    let s: String = n;
    drop(s);
}

#[runtime::main]
async fn returns_the_wrong_type() -> Result<(), String> {
    Ok(1)
}
