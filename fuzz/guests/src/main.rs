//! `cargo run --release --manifest-path fuzz/Cargo.toml -p visor-fuzz-guests`: builds every guest
//! in the checkout's `apps/` to a component in `target/guests/` (what the root's tests build on
//! first use) and prints the folder that holds them, `probe.wasm` among them.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let repo = repo.canonicalize().unwrap_or(repo);
    match visor_guest_build::build_guests(&repo) {
        Ok(built) => {
            println!("{}", built.dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("building the guests: {e}");
            ExitCode::FAILURE
        }
    }
}
