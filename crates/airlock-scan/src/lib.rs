//! Turns files on disk into findings: walk, detect by content, parse, hash, apply rules.

#![forbid(unsafe_code)]
