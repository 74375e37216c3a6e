//! jackin: run AI coding agents in containers, already logged in.
//!
//! Modules are named for what they do: [`agents`] (the agent table),
//! [`mode`], [`config`] (config.toml), and the rest as they land.

pub mod agents;
pub mod bundle;
pub mod cli;
pub mod config;
pub mod console;
pub mod discovery;
pub mod engine;
pub mod env;
pub mod instance;
pub mod mode;
pub mod plan;
pub mod resolve;
