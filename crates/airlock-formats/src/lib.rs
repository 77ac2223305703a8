//! Pure parsers of untrusted model-file bytes: pickle, zip, NumPy, compressed streams.
//!
//! # Security
//!
//! Every input is assumed hostile. Parsers here never execute, import or extract what
//! they read; they read through `std::io::Read` only, bound every count, length, depth
//! and total by [`Limits`] before allocating, and never panic. Where a parser imitates
//! a loader (PyTorch's zip reader, Python's unpickler) it reads what that loader would
//! read and reports every place where other readers would see something different.
//!
//! A parser returns what it learned together with how it stopped, so that facts found
//! before a malformation survive it. This crate knows no policy: it says what a file
//! does, never whether that is acceptable.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::print_stdout, clippy::print_stderr))]
#![cfg_attr(
    not(test),
    deny(
        clippy::panic,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing
    )
)]

pub mod compress;
pub mod detect;
pub mod error;
pub mod gguf;
pub mod hdf5;
pub mod huggingface;
pub mod keras;
pub mod limits;
pub mod marshal;
pub mod numpy;
pub mod onnx;
pub mod paths;
pub mod pickle;
pub mod protobuf;
pub mod safetensors;
pub mod sevenz;
pub mod tar;
pub mod tensorflow;
pub mod tensorflow_ops;
pub mod zip;

pub use error::{FormatError, LimitKind};
pub use limits::Limits;
