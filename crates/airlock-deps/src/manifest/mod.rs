//! One reader per format. Each module's docs say what it reads, what it deliberately does not,
//! and how it bounds its work.

pub mod cargo_lock;
pub mod conda;
pub mod installed;
pub mod package_lock;
pub mod pipfile_lock;
pub mod poetry_lock;
pub mod pylock;
pub mod pyproject;
pub mod requirements;
pub mod uv_lock;
