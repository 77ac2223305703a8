//! Compressed stream layers (gzip, zlib, xz, lzma, bzip2, lz4) with size bounds.
