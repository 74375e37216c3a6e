//! `jackin-init`: the bundle format shared with the host, and the code that
//! applies a bundle inside a container (`shared/SPEC.md` §8).

pub mod bundle;
pub mod manifest;
