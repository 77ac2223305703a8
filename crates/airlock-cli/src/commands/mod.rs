//! One module per subcommand: build settings, call a library, hand the result to a renderer.

pub mod bom;
pub mod files;
pub mod integrity;
pub mod progress;
pub mod rules;
pub mod scan;
pub mod signing;
