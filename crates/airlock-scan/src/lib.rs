//! Turns files on disk into findings: walk, detect each file's format by its content,
//! parse every layer (archives, compression, pickles), hash in the same read, and grade
//! what the parsers learned with airlock's rules.
//!
//! This crate never executes, imports or extracts what it scans: parsing is delegated to
//! `airlock-formats`, whose parsers are bounded and panic-free. A file that cannot be fully
//! parsed always yields a finding; nothing ends in silence.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::print_stdout, clippy::print_stderr))]

mod budget;
pub mod config;
pub mod error;
mod findings;
mod gguf_scan;
mod hashing;
mod huggingface_scan;
pub mod imports;
mod keras_scan;
mod onnx_scan;
pub mod report;
mod safetensors_scan;
mod scanner;
mod sevenz_scan;
mod tar_scan;
mod tensorflow_scan;
mod walk;
mod zip_scan;

pub use config::ScanConfig;
pub use error::ConfigError;
pub use report::{FileReport, ScanReport};
pub use scanner::{NoProgress, Progress, Scanner};
