//! `crate = "..."`: the expansion goes through the given path, not `::runtime`. The path
//! here is a stand-in whose `Builder::new` records that it was called.

use std::sync::atomic::{AtomicBool, Ordering};

static USED: AtomicBool = AtomicBool::new(false);

mod my_runtime {
    pub mod __private {
        pub struct Builder;

        impl Builder {
            pub fn new() -> runtime::Builder {
                crate::USED.store(true, std::sync::atomic::Ordering::SeqCst);
                runtime::Builder::new()
            }
        }
    }
}

#[runtime::main(crate = "my_runtime", worker_threads = 1)]
async fn seven() -> u32 {
    7
}

// An absolute path works too, as for a crate renamed in Cargo.toml (`crate = "rt"`).
#[runtime::main(crate = "::runtime")]
async fn eight() -> u32 {
    8
}

fn main() {
    assert_eq!(seven(), 7);
    assert!(
        USED.load(Ordering::SeqCst),
        "the expansion went through `my_runtime`"
    );
    assert_eq!(eight(), 8);
}
