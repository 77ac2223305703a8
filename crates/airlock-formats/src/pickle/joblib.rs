//! joblib's inline NumPy arrays.
//!
//! `joblib.dump` pickles each array as a `NumpyArrayWrapper` object and writes the array
//! bytes straight into the file after that object's BUILD; `joblib.load` reads them from
//! there (`NumpyArrayWrapper.read_array` in `joblib/numpy_pickle.py`). The bytes are not
//! opcodes, so the VM must skip exactly that many to stay in step with the loader:
//!
//! * non-object dtypes: if the wrapper has a non-None `numpy_array_alignment_bytes`
//!   (joblib ≥ 1.2), one padding-length byte `p` and `p` padding bytes, then
//!   `prod(shape) * dtype.itemsize` bytes;
//! * object dtypes: a complete nested pickle (`pickle.dump(array, f, protocol=…)`).
//!
//! # Security
//!
//! The size is derived only from literal values the VM saw (the wrapper's state dict and
//! the `numpy.dtype(...)` call with its BUILD state), with checked arithmetic. When it
//! cannot be derived, the analysis stops with a reason instead of guessing, because a
//! wrong skip would desynchronise the VM from the loader.

use super::Import;
use super::opcode as op;
use super::value::{BlobKind, ContKind, Store, Value};

/// Modules defining joblib's wrapper (joblib itself and scikit-learn's old vendored copy).
const WRAPPER_MODULES: &[&str] = &[
    "joblib.numpy_pickle",
    "sklearn.externals.joblib.numpy_pickle",
];
const WRAPPER_NAME: &str = "NumpyArrayWrapper";

/// What `read_array` will consume after the wrapper's BUILD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArraySpec {
    /// Object dtype: a nested pickle follows instead of raw bytes.
    pub(crate) has_object: bool,
    /// Raw data bytes (without padding).
    pub(crate) nbytes: u64,
    /// A padding-length byte and padding precede the data.
    pub(crate) aligned: bool,
}

fn is_wrapper_name(module: &str, name: &str) -> bool {
    name == WRAPPER_NAME && WRAPPER_MODULES.contains(&module)
}

fn is_reconstructor(module: &str, name: &str) -> bool {
    name == "_reconstructor" && (module == "copyreg" || module == "copy_reg")
}

fn is_dtype(module: &str, name: &str) -> bool {
    name == "dtype" && (module == "numpy" || module.starts_with("numpy."))
}

/// Whether a call creates a value the special cases read later: a `numpy.dtype`, or a
/// joblib wrapper (called directly, or via `copyreg._reconstructor(wrapper, …)`).
pub(crate) fn is_special_call(
    store: &Store,
    imports: &[Import],
    callee: &Value,
    args: &Value,
) -> bool {
    match import_of(imports, callee) {
        Some(m) if is_dtype(&m.module, &m.name) || is_wrapper_name(&m.module, &m.name) => true,
        Some(m) if is_reconstructor(&m.module, &m.name) => store
            .items_of(args)
            .and_then(|(_, items)| items.first())
            .and_then(|cls| import_of(imports, cls))
            .is_some_and(|c| is_wrapper_name(&c.module, &c.name)),
        _ => false,
    }
}

fn import_of<'a>(imports: &'a [Import], v: &Value) -> Option<&'a Import> {
    match v {
        Value::Global(i) => imports.get(*i as usize).filter(|m| !m.computed),
        _ => None,
    }
}

/// Whether `inst` is a joblib `NumpyArrayWrapper` instance: made by calling the class
/// (REDUCE/NEWOBJ/OBJ/INST) or by `copyreg._reconstructor(cls, object, None)`.
pub(crate) fn is_wrapper(store: &Store, imports: &[Import], inst: &Value) -> bool {
    let Value::Obj { info, .. } = inst else {
        return false;
    };
    let Some(o) = store.obj(*info) else {
        // Not retained: recognise by the callee alone, then `spec` explains the stop.
        return matches!(inst, Value::Obj { global, .. }
            if imports.get(*global as usize).is_some_and(|m| is_wrapper_name(&m.module, &m.name)));
    };
    match import_of(imports, &o.callee) {
        Some(m) if is_wrapper_name(&m.module, &m.name) => true,
        Some(m) if is_reconstructor(&m.module, &m.name) => store
            .items_of(&o.args)
            .and_then(|(_, items)| items.first())
            .and_then(|cls| import_of(imports, cls))
            .is_some_and(|c| is_wrapper_name(&c.module, &c.name)),
        _ => false,
    }
}

/// The wrapper's attributes that `read_array` uses.
#[derive(Default)]
struct Attrs {
    shape: Option<Value>,
    dtype: Option<Value>,
    alignment: Option<Value>,
}

impl Attrs {
    fn set(&mut self, name: &[u8], v: Value) {
        match name {
            b"shape" => self.shape = Some(v),
            b"dtype" => self.dtype = Some(v),
            b"numpy_array_alignment_bytes" => self.alignment = Some(v),
            _ => {}
        }
    }

    /// Applies a BUILD state: a dict, or a `(state, slotstate)` pair.
    fn apply_state(&mut self, store: &Store, state: &Value) -> Result<(), String> {
        match store.items_of(state) {
            Some((ContKind::Dict, items)) => {
                for pair in items.chunks(2) {
                    if let [k, v] = pair {
                        let k = store.full_str(k).ok_or("a state key is not a str")?;
                        self.set(k, *v);
                    }
                }
                Ok(())
            }
            Some((ContKind::Tuple, [s, slots])) => {
                for part in [s, slots] {
                    if !matches!(part, Value::None) {
                        self.apply_state(store, part)?;
                    }
                }
                Ok(())
            }
            _ => Err("its BUILD state is not a dict, or was not retained".to_owned()),
        }
    }
}

/// Works out what follows the wrapper's BUILD.
pub(crate) fn spec(store: &Store, imports: &[Import], inst: &Value) -> Result<ArraySpec, String> {
    let Value::Obj { info, .. } = inst else {
        return Err("not an object".to_owned());
    };
    let o = store
        .obj(*info)
        .ok_or("its details were not retained (retention budget exhausted)")?;
    let mut attrs = Attrs::default();
    let class_called =
        import_of(imports, &o.callee).is_some_and(|m| is_wrapper_name(&m.module, &m.name));
    if class_called && o.op != op::NEWOBJ && o.op != op::NEWOBJ_EX {
        // REDUCE, or OBJ/INST with arguments, runs __init__(subclass, shape, order,
        // dtype, allow_mmap=False, numpy_array_alignment_bytes=16). OBJ/INST without
        // arguments only call __new__.
        let args = store
            .items_of(&o.args)
            .map(|(_, items)| items)
            .ok_or("its constructor arguments were not retained")?;
        if !(args.is_empty() && o.op != op::REDUCE) {
            if !(4..=6).contains(&args.len()) {
                return Err(format!("__init__ gets {} arguments", args.len()));
            }
            attrs.shape = args.get(1).copied();
            attrs.dtype = args.get(3).copied();
            attrs.alignment = Some(args.get(5).copied().unwrap_or(Value::Int(16)));
        }
    }
    if let Some(state) = &o.state {
        attrs.apply_state(store, state)?;
    }
    let shape = attrs.shape.ok_or("it has no shape")?;
    let dims = store
        .items_of(&shape)
        .filter(|(k, _)| matches!(k, ContKind::Tuple | ContKind::List))
        .map(|(_, items)| items)
        .ok_or("its shape is not a tuple of at most 16 dimensions")?;
    let mut count: u64 = 1;
    for d in dims {
        let d = store
            .int_of(d)
            .and_then(|v| u64::try_from(v).ok())
            .ok_or("its shape holds something other than a non-negative int")?;
        count = count.checked_mul(d).ok_or("its element count overflows")?;
    }
    let dtype = attrs.dtype.ok_or("it has no dtype")?;
    let (itemsize, has_object) = dtype_info(store, imports, &dtype)?;
    let nbytes = count
        .checked_mul(itemsize)
        .ok_or("its byte size overflows")?;
    let aligned = !matches!(attrs.alignment, None | Some(Value::None));
    Ok(ArraySpec {
        has_object,
        nbytes,
        aligned,
    })
}

/// Item size and object-ness of a `numpy.dtype(code, align, copy)` value with its BUILD
/// state `(version, byteorder, subarray, names, fields, elsize, alignment, flags, …)`.
fn dtype_info(store: &Store, imports: &[Import], v: &Value) -> Result<(u64, bool), String> {
    let o = match v {
        Value::Obj { info, .. } => store.obj(*info),
        _ => None,
    }
    .ok_or("its dtype is not a numpy.dtype(...) value")?;
    if !import_of(imports, &o.callee).is_some_and(|m| is_dtype(&m.module, &m.name)) {
        return Err("its dtype is not made by numpy.dtype".to_owned());
    }
    let code = store
        .items_of(&o.args)
        .and_then(|(_, items)| items.first())
        .and_then(|c| {
            store
                .full_str(c)
                .or_else(|| store.blob_of(c, BlobKind::Bytes).map(|(b, _)| b))
        })
        .ok_or("its dtype code is not a literal str")?;
    let state = o
        .state
        .as_ref()
        .and_then(|s| store.items_of(s))
        .map(|(_, i)| i);
    let state_int = |i: usize| state.and_then(|s| s.get(i)).and_then(|v| store.int_of(v));
    let elsize = state_int(5).filter(|&e| e >= 0);
    let flags = state_int(7).unwrap_or(0);
    let code = code
        .strip_prefix(b"<")
        .or_else(|| code.strip_prefix(b">"))
        .unwrap_or(code);
    let code = code
        .strip_prefix(b"|")
        .or_else(|| code.strip_prefix(b"="))
        .unwrap_or(code);
    let (kind, digits) = code.split_first().ok_or("its dtype code is empty")?;
    let digits: Option<u64> = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok());
    let bad = || format!("unsupported dtype code {:?}", String::from_utf8_lossy(code));
    let itemsize = match kind {
        b'b' | b'i' | b'u' | b'f' | b'c' | b'M' | b'm' => digits.ok_or_else(bad)?,
        b'?' => 1,
        b'O' => digits.unwrap_or(8),
        // Flexible types: numpy takes the element size from the state.
        b'S' | b'a' | b'V' => match elsize {
            Some(e) => u64::try_from(e).map_err(|_| bad())?,
            None => digits.ok_or_else(bad)?,
        },
        b'U' => match elsize {
            Some(e) => u64::try_from(e).map_err(|_| bad())?,
            None => digits.ok_or_else(bad)?.checked_mul(4).ok_or_else(bad)?,
        },
        _ => return Err(bad()),
    };
    // NPY_ITEM_REFCOUNT (bit 0) is set for object dtypes and records holding objects.
    let has_object = *kind == b'O' || flags & 1 != 0;
    Ok((itemsize, has_object))
}
