//! Fuzzes the Hugging Face config reader and the Python import lister: no panic, and
//! every code reference names a non-empty module and class.

#![no_main]

use airlock_formats::huggingface;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(refs) = huggingface::code_refs(data) {
        for code_ref in refs {
            assert!(!code_ref.module.is_empty() && !code_ref.class.is_empty());
            let _ = code_ref.file();
        }
    }
    let _ = huggingface::python_imports(data);
});
