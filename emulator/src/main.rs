//! The `csms-emulator` binary: parses the command line, starts the emulator, prints
//! `listening on http://ADDR:PORT` and serves until killed.

use csms_emulator::cli::{parse_args, Command, USAGE};
use csms_emulator::Emulator;
use std::io::Write;

fn main() {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return;
        }
        Ok(Command::Version) => {
            println!("csms-emulator {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Err(message) => {
            eprintln!("csms-emulator: {message}");
            std::process::exit(2);
        }
    };
    let emulator = match Emulator::start(config) {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("csms-emulator: {e}");
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", emulator.endpoint());
    let _ = out.flush();
    drop(out);
    emulator.wait();
}
