//! `#[runtime::main]` returning `Result<(), Box<dyn Error>>`: `?` works in the body on
//! errors of several types, and `Ok(())` exits successfully.

use std::error::Error;

#[runtime::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let n: u32 = "21".parse()?;
    let doubled = runtime::spawn(async move { n * 2 }).await?; // `JoinError` converts too
    if doubled != 42 {
        return Err(format!("expected 42, got {doubled}").into());
    }
    Ok(())
}
