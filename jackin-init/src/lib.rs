//! `jackin-init`: the bundle format shared with the host, and the code that
//! applies a bundle inside a container (`shared/SPEC.md` §8).
//!
//! Host side: build a [`manifest::Manifest`] and call
//! [`bundle::write_bundle`]. Container side: [`apply::receive`] reads and
//! applies a bundle; [`launch::launch`] starts an agent as the target user.

pub mod apply;
pub mod bundle;
pub mod error;
pub mod home;
pub mod launch;
pub mod manifest;
pub mod passwd;
pub mod root;
pub mod validate;
