//! Shared helpers for jackin's end-to-end tests.
