//! `wharfd`: the Wharf FTP server binary.

fn main() -> std::process::ExitCode {
    wharfd::run()
}
