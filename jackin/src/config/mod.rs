//! `config.toml`: location, loading with validation, and atomic edits.

pub mod model;
pub use model::*;
