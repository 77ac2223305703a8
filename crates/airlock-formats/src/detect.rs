//! Format detection by content (magic bytes and structure), never by file name.
