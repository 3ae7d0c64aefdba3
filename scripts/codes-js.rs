//! Writes js/src/codes.js and js/src/names.js from the definitions in src/wire (see
//! `src/wire/js.rs`): `cargo run --example codes-js -- --write`; without `--write`, prints them.

use std::{env, fs, process};

fn main() {
    let write = env::args().any(|a| a == "--write");
    for (path, text) in sluice::wire::js::modules() {
        if write {
            let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
            if let Err(e) = fs::write(&full, text) {
                eprintln!("codes-js: cannot write {full}: {e}");
                process::exit(1);
            }
        } else {
            println!("// {path}\n{text}");
        }
    }
}
