//! The session fuzzer: a script of commands (mostly well-formed, on a few
//! names, with raw lines between; `wharf_session::fuzzing::script_from_bytes`)
//! run after a login through the real session engine over pipes and a
//! memory file system. Every promise `wharf_session::fuzzing::session`
//! lists must hold: one final reply per command, codes in RFC 959's
//! classes, no panic, no hang, the tree as the 2xx replies claim.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_session::fuzzing::run_script;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = run_script(data) {
        panic!("{violation}");
    }
});
