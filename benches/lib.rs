//! Shared inputs for Wharf's benchmarks.
