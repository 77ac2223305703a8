//! Lenient, streaming zip reader that reads members the way PyTorch does.
