//! This package only holds examples; run one with
//! `cargo run -p wharf-examples --example <name>`.
