//! Python pickle streams: opcode decoder and symbolic VM.
