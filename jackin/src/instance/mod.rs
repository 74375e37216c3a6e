//! Instances: the index of (workspace, role) → id/container/volume, and
//! selecting instances by role, id or container name.

pub mod index;
pub use index::{data_dir, Instance, Store};
