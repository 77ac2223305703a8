//! The symbolic pickle VM: runs every opcode against a model of the unpickler's stack,
//! MARK stack and memo, and records what loading would import and call.
//!
//! Semantics follow CPython's C unpickler (`Modules/_pickle.c`), which `pickle.load`
//! and `torch.load` use: a stack with a fence at the last MARK, MEMOIZE keyed by the
//! number of memo entries, POP that pops a MARK when one is on top, SETITEM(S) and
//! APPEND(S) that reach below the MARK for their container, and so on. Where the C
//! unpickler would raise, the VM stops with [`FormatError::Invalid`]; where the outcome
//! depends on what a value is at load time, the VM keeps going and records the value as
//! computed.
//!
//! # Security
//!
//! Input is hostile. Every count is bounded by [`Limits`] before it grows; memory is
//! the stack, the memo (16 bytes per entry) and the bounded [`Store`]. Findings are
//! recorded as the opcodes execute, so whatever comes before a malformation, a limit or
//! an I/O error is kept (nullifAI's "broken pickle" trick, B8).

use std::collections::HashMap;
use std::io::Read;

use super::embedded::{self, Detected};
use super::joblib;
use super::opcode::{self as op, name as op_name};
use super::source::{ArgReader, BIG_ARG, Line, Res, Source};
use super::text::{self, IntLit};
use super::value::{BlobKind, ContKind, NO_ID, ObjInfo, Opaque, Render, Store, Value, i128_to_le};
use super::{
    BuildOnGlobal, Call, Callee, Embedded, Encoding, ExtensionRef, Import, PickleSummary, Pos,
    StreamAnalysis,
};
use crate::{FormatError, LimitKind, Limits};

/// Initial read-buffer size for streams; it grows to 256 KiB as a stream goes on, so
/// small constants and prefixes stay cheap.
const STREAM_BUFFER: usize = 16 * 1024;
/// Calls with a computed callee listed individually; later ones are only counted.
pub(crate) const MAX_COMPUTED_CALLS: usize = 1000;
/// BUILD-on-global and extension records listed individually; later ones only counted.
pub(crate) const MAX_LISTED: usize = 1000;
/// Distinct imports per stream; more stops the analysis (memory bound).
pub(crate) const MAX_IMPORTS: usize = 100_000;
/// Embedded pickles per stream; more stops the analysis.
pub(crate) const MAX_EMBEDDED: usize = 1000;
/// Characters of rendered arguments and state.
const ARGS_CHARS: usize = 200;
/// Characters of a computed callee's description.
const DESCRIBE_CHARS: usize = 300;
/// Bytes of a module or attribute name kept.
const NAME_BYTES: usize = 1024;
/// Embedded pickles nest at most this deep whatever `max_depth` says: each level costs
/// some kilobytes of native stack.
pub(crate) const HARD_MAX_DEPTH: u32 = 64;
/// The PyTorch legacy format's magic number, the first pickle of such a file.
const TORCH_MAGIC: i128 = 0x1950_a86a_20f9_469c_fc6c;

/// What the engine is run for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A real analysis.
    Full,
    /// `looks_like_pickle`: no embedded pickles, no joblib data.
    Sniff,
}

/// The call whose result the previous opcode pushed (for POP-discard detection).
#[derive(Debug, Clone, Copy)]
enum Pending {
    Listed(usize),
}

/// The unpickler's state for one pickle.
#[derive(Debug, Default)]
pub(crate) struct Machine {
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: Memo,
    pub(crate) store: Store,
    proto: Option<u8>,
    frame_end: Option<u64>,
    opcodes: u64,
}

impl Machine {
    fn reset(&mut self) {
        self.stack.clear();
        self.marks.clear();
        self.memo.clear();
        self.store.clear();
        self.proto = None;
        self.frame_end = None;
        self.opcodes = 0;
    }

    #[inline]
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    #[inline]
    fn push(&mut self, v: Value, max: u64, at: u64) -> Res<()> {
        if self.stack.len() as u64 >= max {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::Stack,
                value: self.stack.len() as u64 + 1,
                max,
                offset: at,
            });
        }
        self.stack.push(v);
        Ok(())
    }

    #[inline]
    fn pop(&mut self, at: u64, op: u8) -> Res<Value> {
        if self.stack.len() <= self.fence() {
            return Err(underflow(at, op));
        }
        self.stack.pop().ok_or_else(|| underflow(at, op))
    }

    #[inline]
    fn top(&self, at: u64, op: u8) -> Res<Value> {
        if self.stack.len() <= self.fence() {
            return Err(underflow(at, op));
        }
        self.stack.last().copied().ok_or_else(|| underflow(at, op))
    }

    /// Pops the last MARK and returns the stack length it recorded.
    fn marker(&mut self, at: u64, op: u8) -> Res<usize> {
        let x = self.marks.pop().ok_or_else(|| {
            invalid(
                at,
                format!("could not find MARK for {}", op_name(op).unwrap_or("?")),
            )
        })?;
        if x > self.stack.len() {
            return Err(underflow(at, op));
        }
        Ok(x)
    }
}

/// The memo: dense while keys are (as picklers write them) 0, 1, 2, …; a map otherwise.
#[derive(Debug, Default)]
struct Memo {
    dense: Vec<Value>,
    sparse: HashMap<u64, Value>,
    count: u64,
}

impl Memo {
    fn clear(&mut self) {
        self.dense.clear();
        self.sparse.clear();
        self.count = 0;
    }

    fn get(&self, key: u64) -> Option<Value> {
        match usize::try_from(key).ok().and_then(|k| self.dense.get(k)) {
            Some(Value::Hole) | None => self.sparse.get(&key).copied(),
            Some(v) => Some(*v),
        }
    }

    fn put(&mut self, key: u64, v: Value, max: u64, at: u64) -> Res<()> {
        let dense_len = self.dense.len() as u64;
        let exists = if key == dense_len && self.sparse.is_empty() {
            false
        } else {
            self.get(key).is_some()
        };
        if !exists {
            if self.count >= max {
                return Err(FormatError::LimitExceeded {
                    limit: LimitKind::Memo,
                    value: self.count + 1,
                    max,
                    offset: at,
                });
            }
            self.count += 1;
        }
        // Holes cost 16 bytes each: grow the dense part only while at least about half
        // of it is used, so sparse hostile keys cannot inflate it.
        let dense_ok = key < dense_len
            || (key - dense_len <= 1024
                && key <= self.count.saturating_mul(2).saturating_add(4096));
        match usize::try_from(key) {
            Ok(k) if dense_ok => {
                if !self.sparse.is_empty() {
                    self.sparse.remove(&key);
                }
                if let Some(slot) = self.dense.get_mut(k) {
                    *slot = v;
                } else {
                    self.dense.resize(k, Value::Hole);
                    self.dense.push(v);
                }
            }
            _ => {
                self.sparse.insert(key, v);
            }
        }
        Ok(())
    }
}

fn invalid(offset: u64, reason: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        offset,
        reason: reason.into(),
    }
}

fn underflow(offset: u64, op: u8) -> FormatError {
    invalid(
        offset,
        format!("stack underflow at {}", op_name(op).unwrap_or("?")),
    )
}

/// A literal that is certainly not of the type an opcode needs: its Python type name.
fn literal_type(v: &Value) -> Option<&'static str> {
    Some(match v {
        Value::None => "NoneType",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Inline { kind, .. } | Value::Blob { kind, .. } => match kind {
            BlobKind::Str => "str",
            BlobKind::Bytes => "bytes",
            BlobKind::ByteArray => "bytearray",
            BlobKind::Long => "int",
        },
        Value::Cont { kind, .. } => match kind {
            ContKind::Tuple => "tuple",
            ContKind::List => "list",
            ContKind::Dict => "dict",
            ContKind::Set => "set",
            ContKind::FrozenSet => "frozenset",
        },
        Value::Hole | Value::Global(_) | Value::Obj { .. } | Value::Ext(_) | Value::Opaque(_) => {
            return None;
        }
    })
}

/// Truncates `s` to at most `max` bytes on a character boundary, marking the cut.
fn clip(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// Everything but the reader: findings, VM state, bounds.
pub(crate) struct Cx<'l> {
    limits: &'l Limits,
    depth: u32,
    mode: Mode,
    pub(crate) a: StreamAnalysis,
    import_ix: HashMap<Vec<u8>, u32>,
    call_ix: HashMap<(u32, &'static str), usize>,
    computed_listed: usize,
    pub(crate) m: Machine,
    /// Whether BUILD on a joblib `NumpyArrayWrapper` reads inline array data.
    joblib: bool,
    pending: Option<Pending>,
    scratch: Vec<u8>,
    /// Furthest end of a FRAME seen in the stream.
    frame_end: u64,
}

impl Cx<'_> {
    #[inline]
    fn push(&mut self, v: Value, at: u64) -> Res<()> {
        self.m.push(v, self.limits.max_stack, at)
    }

    fn render(&self, v: &Value, max: usize) -> String {
        let mut r = Render {
            store: &self.m.store,
            imports: &self.a.imports,
            out: String::new(),
            max,
        };
        r.value(v, 0);
        r.finish()
    }

    /// Describes a callable that is not a plainly imported name.
    fn describe(&self, v: &Value) -> String {
        let s = match v {
            Value::Obj { .. } => format!("result of {}", self.render(v, DESCRIBE_CHARS)),
            Value::Global(i) => match self.a.imports.get(*i as usize) {
                Some(imp) => format!(
                    "global imported by a computed name: module {}, name {}",
                    imp.module, imp.name
                ),
                None => "global".to_owned(),
            },
            Value::Ext(code) => format!("global registered as copyreg extension code {code}"),
            Value::Opaque(Opaque::PersId) => {
                "value returned by the loader's persistent_load".to_owned()
            }
            Value::Opaque(Opaque::Buffer) => "out-of-band buffer".to_owned(),
            Value::Opaque(Opaque::Array) => "NumPy array".to_owned(),
            other => format!("literal {}", self.render(other, DESCRIBE_CHARS)),
        };
        clip(s, DESCRIBE_CHARS + 40)
    }

    /// Records an import and returns its index.
    fn import(
        &mut self,
        module: String,
        name: String,
        opcode: &'static str,
        computed: bool,
        at: Pos,
    ) -> Res<u32> {
        let mut key = Vec::with_capacity(module.len() + name.len() + 2);
        key.extend_from_slice(module.as_bytes());
        key.push(0);
        key.extend_from_slice(name.as_bytes());
        key.push(u8::from(computed));
        if let Some(&i) = self.import_ix.get(&key) {
            if let Some(imp) = self.a.imports.get_mut(i as usize) {
                imp.count += 1;
            }
            return Ok(i);
        }
        if self.a.imports.len() >= MAX_IMPORTS {
            return Err(FormatError::Unsupported {
                offset: at.offset,
                what: format!("more than {MAX_IMPORTS} distinct imported names"),
            });
        }
        let i = self.a.imports.len() as u32;
        self.a.imports.push(Import {
            module,
            name,
            opcode,
            computed,
            at,
            count: 1,
        });
        self.import_ix.insert(key, i);
        Ok(i)
    }

    fn plain_global(&self, v: &Value) -> Option<u32> {
        match v {
            Value::Global(i) if self.a.imports.get(*i as usize).is_some_and(|m| !m.computed) => {
                Some(*i)
            }
            _ => None,
        }
    }

    /// Records a call of `callee` and returns the value it produces.
    fn call(
        &mut self,
        callee: Value,
        args: Value,
        kwargs: Option<Value>,
        opcode: u8,
        at: Pos,
    ) -> Value {
        let opname = op_name(opcode).unwrap_or("?");
        let global = self.plain_global(&callee);
        match global {
            Some(i) => {
                if let Some(&ci) = self.call_ix.get(&(i, opname)) {
                    if let Some(c) = self.a.calls.get_mut(ci) {
                        c.count += 1;
                    }
                    self.pending = Some(Pending::Listed(ci));
                } else if let Some(imp) = self.a.imports.get(i as usize) {
                    let callee = Callee::Global {
                        module: imp.module.clone(),
                        name: imp.name.clone(),
                    };
                    let args = self.render_args(&args, kwargs.as_ref());
                    self.call_ix.insert((i, opname), self.a.calls.len());
                    self.pending = Some(Pending::Listed(self.a.calls.len()));
                    self.a.calls.push(Call {
                        callee,
                        opcode: opname,
                        args,
                        discarded: false,
                        at,
                        count: 1,
                    });
                }
            }
            None => {
                if self.computed_listed < MAX_COMPUTED_CALLS {
                    self.computed_listed += 1;
                    let callee_desc = self.describe(&callee);
                    let args = self.render_args(&args, kwargs.as_ref());
                    self.pending = Some(Pending::Listed(self.a.calls.len()));
                    self.a.calls.push(Call {
                        callee: Callee::Computed(callee_desc),
                        opcode: opname,
                        args,
                        discarded: false,
                        at,
                        count: 1,
                    });
                } else {
                    self.a.omitted.computed_calls += 1;
                }
            }
        }
        // dtype and joblib wrapper objects are read again much later (a dtype is shared
        // through the memo by every array of its type): keep them permanently.
        let perm = self.mode == Mode::Full
            && joblib::is_special_call(&self.m.store, &self.a.imports, &callee, &args);
        let info = self.m.store.new_obj(
            ObjInfo {
                callee,
                args,
                state: None,
                op: opcode,
            },
            perm,
        );
        Value::Obj {
            global: global.unwrap_or(NO_ID),
            info,
        }
    }

    fn render_args(&self, args: &Value, kwargs: Option<&Value>) -> String {
        let mut r = Render {
            store: &self.m.store,
            imports: &self.a.imports,
            out: String::new(),
            max: ARGS_CHARS,
        };
        r.value(args, 0);
        if let Some(kw) = kwargs {
            r.out.push_str(" **");
            r.value(kw, 0);
        }
        r.finish()
    }

    /// APPEND(S)/SETITEM(S)/ADDITEMS on an imported global call a method of it
    /// (`extend`, `__setitem__`, `add`): recorded as a call of `module.name.method`.
    fn method_on_global(&mut self, i: u32, method: &str, items: &[Value], opcode: u8, at: Pos) {
        let opname = op_name(opcode).unwrap_or("?");
        if let Some(&ci) = self.call_ix.get(&(i, opname)) {
            if let Some(c) = self.a.calls.get_mut(ci) {
                c.count += 1;
            }
            return;
        }
        let Some(imp) = self.a.imports.get(i as usize) else {
            return;
        };
        let callee = if imp.computed {
            Callee::Computed(format!(
                "method {method} of a global imported by a computed name: module {}, name {}",
                imp.module, imp.name
            ))
        } else {
            Callee::Global {
                module: imp.module.clone(),
                name: format!("{}.{method}", imp.name),
            }
        };
        let mut r = Render {
            store: &self.m.store,
            imports: &self.a.imports,
            out: String::from("("),
            max: ARGS_CHARS,
        };
        for (n, v) in items.iter().enumerate() {
            if n > 0 {
                r.out.push_str(", ");
            }
            r.value(v, 1);
        }
        r.out.push(')');
        let args = r.finish();
        self.call_ix.insert((i, opname), self.a.calls.len());
        self.a.calls.push(Call {
            callee,
            opcode: opname,
            args,
            discarded: false,
            at,
            count: 1,
        });
    }

    /// Adds stack items `from..` to the container at `target`, or records the method call
    /// they amount to on a global; then drops them from the stack.
    fn add_items(&mut self, target: usize, from: usize, opcode: u8, at: Pos) -> Res<()> {
        let Some(&t) = self.m.stack.get(target) else {
            return Err(underflow(at.offset, opcode));
        };
        let items = self.m.stack.get(from..).unwrap_or(&[]);
        if !items.is_empty() {
            match t {
                Value::Cont { id, .. } if id != NO_ID => self.m.store.extend(id, items),
                Value::Global(i) => {
                    let method = match opcode {
                        op::SETITEM | op::SETITEMS => "__setitem__",
                        op::ADDITEMS => "add",
                        _ => "extend",
                    };
                    // Only the rendered evidence needs the items.
                    let shown: Vec<Value> = items.iter().take(16).copied().collect();
                    self.method_on_global(i, method, &shown, opcode, at);
                }
                _ => {}
            }
        }
        self.m.stack.truncate(from);
        Ok(())
    }

    /// A new container from the stack items `from..`, replacing them.
    fn collect(&mut self, kind: ContKind, from: usize, at: u64) -> Res<()> {
        let items = self.m.stack.get(from..).unwrap_or(&[]);
        let v = self.m.store.new_cont(kind, items);
        self.m.stack.truncate(from);
        self.push(v, at)
    }

    fn build_on_global(&mut self, i: u32, state: &Value, at: Pos) {
        if self.a.builds_on_globals.len() >= MAX_LISTED {
            self.a.omitted.builds_on_globals += 1;
            return;
        }
        let state = self.render(state, ARGS_CHARS);
        if let Some(imp) = self.a.imports.get(i as usize) {
            let b = BuildOnGlobal {
                module: imp.module.clone(),
                name: imp.name.clone(),
                state,
                at,
            };
            self.a.builds_on_globals.push(b);
        }
    }

    /// Describes a STACK_GLOBAL operand that is not a complete literal str.
    fn operand(&self, v: &Value) -> String {
        if let Some((kept, len)) = self.m.store.blob_of(v, BlobKind::Str) {
            return format!(
                "<str of {len} bytes, not retained in full: {}>",
                clip(String::from_utf8_lossy(kept).into_owned(), 64)
            );
        }
        format!("<computed: {}>", self.describe(v))
    }

    fn long_value(&mut self, lit: IntLit) -> Value {
        match lit {
            IntLit::Exact(v) => match i64::try_from(v) {
                Ok(small) => Value::Int(small),
                Err(_) => {
                    let (bytes, n) = i128_to_le(v);
                    let data = bytes.get(..n).unwrap_or(&[]);
                    self.m.store.blob(BlobKind::Long, data, n as u64)
                }
            },
            IntLit::Huge(n) => self.m.store.blob(BlobKind::Long, &[], n),
        }
    }

    fn is_torch_magic(&self, v: &Value) -> bool {
        // Only a literal int counts: one made by a call (B11) is a Value::Obj.
        matches!(v, Value::Int(_) | Value::Inline { .. } | Value::Blob { .. })
            && self.m.store.int_of(v) == Some(TORCH_MAGIC)
    }

    /// Analyses an in-memory constant as an embedded pickle if it is one.
    fn embedded_in_memory(&mut self, data: &[u8], at: Pos) -> Res<()> {
        // Protocols 0-2 store bytes as a str of U+0000..U+00FF code points that
        // `_codecs.encode(s, 'latin1')` turns back into bytes at load time.
        let latin1 = embedded::latin1_candidate(data);
        let data = latin1.as_deref().unwrap_or(data);
        let Some(enc) = embedded::detect(data) else {
            return Ok(());
        };
        self.check_embedded_room(at)?;
        let mut r: &[u8] = data;
        let analysis = embedded::analyze_encoded(&mut r, enc, self.limits, self.depth + 1);
        self.record_embedded(at, enc, analysis, Detected::Constant);
        Ok(())
    }

    fn check_embedded_room(&self, at: Pos) -> Res<()> {
        if self.a.embedded.len() >= MAX_EMBEDDED {
            return Err(FormatError::Unsupported {
                offset: at.offset,
                what: format!("more than {MAX_EMBEDDED} embedded pickles"),
            });
        }
        Ok(())
    }

    fn record_embedded(
        &mut self,
        at: Pos,
        encoding: Encoding,
        analysis: StreamAnalysis,
        how: Detected,
    ) {
        if embedded::worth_reporting(&analysis, how) {
            self.a.embedded.push(Embedded {
                at,
                encoding,
                analysis: Box::new(analysis),
            });
        }
    }
}

/// How one protocol-0 text opcode's line argument is decoded.
#[derive(Clone, Copy)]
struct TextArg {
    opcode: &'static str,
    decode: fn(&[u8], &mut Vec<u8>) -> Option<()>,
    invalid: &'static str,
    quoted: bool,
}

const STRING_ARG: TextArg = TextArg {
    opcode: "STRING",
    decode: text::unquote_string,
    invalid: "STRING argument is not a valid quoted string",
    quoted: true,
};

const UNICODE_ARG: TextArg = TextArg {
    opcode: "UNICODE",
    decode: text::raw_unicode_escape,
    invalid: "UNICODE argument is not valid raw-unicode-escape",
    quoted: false,
};

/// Decoder plus VM over one stream.
pub(crate) struct Engine<'r, 'l> {
    src: Source<'r>,
    pub(crate) cx: Cx<'l>,
}

/// Analyses a whole stream (the body of [`super::analyze`]).
pub(crate) fn analyze_dyn(reader: &mut dyn Read, limits: &Limits, depth: u32) -> StreamAnalysis {
    let max_depth = limits.max_depth.min(HARD_MAX_DEPTH);
    if depth > max_depth {
        return StreamAnalysis {
            stopped: Some(FormatError::LimitExceeded {
                limit: LimitKind::Nesting,
                value: u64::from(depth),
                max: u64::from(max_depth),
                offset: 0,
            }),
            ..StreamAnalysis::default()
        };
    }
    let mut engine = Engine::new(reader, limits, depth, Mode::Full, STREAM_BUFFER);
    engine.run_stream();
    engine.cx.a
}

impl<'r, 'l> Engine<'r, 'l> {
    pub(crate) fn new(
        reader: &'r mut dyn Read,
        limits: &'l Limits,
        depth: u32,
        mode: Mode,
        buffer: usize,
    ) -> Self {
        Engine {
            src: Source::new(reader, limits.max_pickle_bytes, buffer),
            cx: Cx {
                limits,
                depth,
                mode,
                a: StreamAnalysis::default(),
                import_ix: HashMap::new(),
                call_ix: HashMap::new(),
                computed_listed: 0,
                m: Machine::default(),
                joblib: mode == Mode::Full,
                pending: None,
                scratch: Vec::new(),
                frame_end: 0,
            },
        }
    }

    /// Analyses stacked pickles until the input ends, something stops the analysis, or
    /// the fifth pickle of a PyTorch legacy file ends.
    fn run_stream(&mut self) {
        let mut top_level = 0usize;
        loop {
            let start = self.src.offset();
            match self.src.at_eof() {
                Ok(true) => {
                    if top_level == 0 {
                        self.cx.a.stopped = Some(FormatError::Truncated {
                            offset: 0,
                            what: "empty pickle stream",
                        });
                    } else if self.cx.frame_end > start {
                        // The C unpickler reads a whole frame before running any of it,
                        // so it fails at such a FRAME: report the truncation.
                        self.cx.a.stopped = Some(FormatError::Truncated {
                            offset: start,
                            what: "a FRAME extends past the end of the input",
                        });
                    }
                    break;
                }
                Ok(false) => {}
                Err(e) => {
                    self.cx.a.stopped = Some(e);
                    break;
                }
            }
            let garbage = top_level > 0
                && !self
                    .src
                    .peek(4096)
                    .map(super::sniff::looks_like_pickle)
                    .unwrap_or(true);
            self.cx.m.reset();
            self.cx.pending = None;
            let res = self.run_pickle();
            self.cx.a.pickles.push(PickleSummary {
                start,
                end: self.src.offset(),
                protocol: self.cx.m.proto,
                opcodes: self.cx.m.opcodes,
                complete: res.is_ok(),
            });
            top_level += 1;
            match res {
                Ok(result) => {
                    if top_level == 1 && self.cx.is_torch_magic(&result) {
                        self.cx.a.torch_legacy = true;
                    }
                    if self.cx.a.torch_legacy && top_level == 5 {
                        break;
                    }
                }
                Err(e) => {
                    let e = match e {
                        FormatError::Invalid { .. } | FormatError::Truncated { .. } if garbage => {
                            invalid(start, format!("data after STOP that is not a pickle ({e})"))
                        }
                        other => other,
                    };
                    self.cx.a.stopped = Some(e);
                    break;
                }
            }
        }
        self.cx.a.bytes = self.src.offset();
        // The machine of the last pickle is no longer needed; free it before returning.
        self.cx.m = Machine::default();
    }

    /// Reads a line of a text opcode as a module or attribute name (UTF-8, as the
    /// unpickler decodes it), clipped to `NAME_BYTES`.
    fn name_line(&mut self, what: &'static str, at: u64) -> Res<String> {
        match self.src.line(what)? {
            Line::Short(l) => match std::str::from_utf8(l) {
                Ok(s) => Ok(clip(s.to_owned(), NAME_BYTES)),
                Err(_) => Err(invalid(at, format!("{what} is not valid UTF-8"))),
            },
            Line::Long { prefix, .. } => Ok(clip(
                String::from_utf8_lossy(prefix).into_owned(),
                NAME_BYTES,
            )),
        }
    }

    /// Reads a decimal line argument of GET/PUT.
    fn key_line(&mut self, opcode: u8, at: u64) -> Res<u64> {
        let what = op_name(opcode).unwrap_or("?");
        let lit = match self.src.line(what)? {
            Line::Short(l) => text::parse_int(l, 10),
            Line::Long { .. } => None,
        };
        match lit {
            Some(IntLit::Exact(v)) if v >= 0 => {
                u64::try_from(v).map_err(|_| invalid(at, format!("{what} key out of range")))
            }
            Some(IntLit::Exact(_)) if opcode == op::PUT => {
                Err(invalid(at, "negative PUT argument"))
            }
            Some(IntLit::Exact(v)) => Err(invalid(at, format!("memo key {v} is not defined"))),
            _ => Err(invalid(at, format!("invalid {what} argument"))),
        }
    }

    fn memo_get(&mut self, key: u64, at: u64) -> Res<()> {
        match self.cx.m.memo.get(key) {
            Some(v) => self.cx.push(v, at),
            None => Err(invalid(at, format!("memo key {key} is not defined"))),
        }
    }

    fn memo_put(&mut self, key: u64, opcode: u8, at: u64) -> Res<()> {
        let v = self.cx.m.top(at, opcode)?;
        let max = self.cx.limits.max_memo;
        self.cx.m.memo.put(key, v, max, at)
    }

    /// A length-prefixed str/bytes/bytearray argument of `n` bytes.
    fn blob_arg(&mut self, kind: BlobKind, n: u64, pos: Pos, what: &'static str) -> Res<()> {
        let utf8 = kind == BlobKind::Str && what != "BINSTRING" && what != "SHORT_BINSTRING";
        if n > BIG_ARG {
            return self.big_blob_arg(kind, n, pos, what);
        }
        let data = self.src.bytes(n as usize, what)?;
        if utf8 && !text::utf8_surrogatepass(data) {
            return Err(invalid(
                pos.offset,
                format!("{what} argument is not valid UTF-8"),
            ));
        }
        let v = self.cx.m.store.blob(kind, data, n);
        if self.cx.mode == Mode::Full && data.len() >= 4 {
            self.cx.embedded_in_memory(data, pos)?;
        }
        self.cx.push(v, pos.offset)
    }

    /// An argument over `BIG_ARG`: peeked, possibly analysed as an embedded pickle while
    /// streaming, and read through, never buffered whole.
    fn big_blob_arg(&mut self, kind: BlobKind, n: u64, pos: Pos, what: &'static str) -> Res<()> {
        if n > self.src.allowance() {
            // Read through to the limit (or a truncation) and stop there.
            self.src.skip(n, what)?;
        }
        let prefix = self.src.peek(4096)?;
        let mut head = [0u8; 16];
        let k = prefix.len().min(16);
        if let (Some(dst), Some(src)) = (head.get_mut(..k), prefix.get(..k)) {
            dst.copy_from_slice(src);
        }
        let enc = if self.cx.mode == Mode::Full {
            embedded::detect(prefix)
        } else {
            None
        };
        let v = self.cx.m.store.blob(kind, head.get(..k).unwrap_or(&[]), n);
        match enc {
            Some(enc) => {
                self.cx.check_embedded_room(pos)?;
                self.stream_embedded(n, pos, enc, Detected::Constant, what)?;
            }
            None => self.src.skip(n, what)?,
        }
        self.cx.push(v, pos.offset)
    }

    /// Analyses the next `n` bytes as an embedded pickle while reading them through.
    fn stream_embedded(
        &mut self,
        n: u64,
        pos: Pos,
        enc: Encoding,
        how: Detected,
        what: &'static str,
    ) -> Res<()> {
        let limits = self.cx.limits;
        let depth = self.cx.depth + 1;
        let (analysis, remaining) = {
            let mut r = ArgReader {
                src: &mut self.src,
                remaining: n,
            };
            let a = embedded::analyze_encoded(&mut r, enc, limits, depth);
            (a, r.remaining)
        };
        self.cx.record_embedded(pos, enc, analysis, how);
        self.src.skip(remaining, what)
    }

    /// A protocol-0 text argument (STRING or UNICODE): decoded when it fits a line
    /// buffer, kept as a bounded prefix otherwise, and checked for an embedded pickle.
    fn text_line(&mut self, pos: Pos, arg: TextArg) -> Res<()> {
        let mut scratch = std::mem::take(&mut self.cx.scratch);
        let v = match self.src.line(arg.opcode)? {
            Line::Short(l) => {
                if (arg.decode)(l, &mut scratch).is_none() {
                    self.cx.scratch = scratch;
                    return Err(invalid(pos.offset, arg.invalid));
                }
                self.cx
                    .m
                    .store
                    .blob(BlobKind::Str, &scratch, scratch.len() as u64)
            }
            // A STRING line is quoted: skip the opening quote, and both quotes in the length.
            Line::Long { prefix, len } if arg.quoted => self.cx.m.store.blob(
                BlobKind::Str,
                prefix.get(1..).unwrap_or(&[]),
                len.saturating_sub(2),
            ),
            Line::Long { prefix, len } => self.cx.m.store.blob(BlobKind::Str, prefix, len),
        };
        let res = if self.cx.mode == Mode::Full && scratch.len() >= 4 {
            self.cx.embedded_in_memory(&scratch, pos)
        } else {
            Ok(())
        };
        scratch.clear();
        self.cx.scratch = scratch;
        res?;
        self.cx.push(v, pos.offset)
    }

    /// Bytes of the input consumed so far.
    pub(crate) fn consumed(&self) -> u64 {
        self.src.offset()
    }

    /// Runs one pickle to its STOP and returns the value STOP popped.
    pub(crate) fn run_pickle(&mut self) -> Res<Value> {
        loop {
            let at = self.src.offset();
            let Some(opcode) = self.src.next_byte()? else {
                return Err(FormatError::Truncated {
                    offset: at,
                    what: "pickle ended without STOP",
                });
            };
            let index = self.cx.a.opcodes;
            if index >= self.cx.limits.max_opcodes {
                return Err(FormatError::LimitExceeded {
                    limit: LimitKind::Opcodes,
                    value: index + 1,
                    max: self.cx.limits.max_opcodes,
                    offset: at,
                });
            }
            self.cx.a.opcodes += 1;
            self.cx.m.opcodes += 1;
            let pos = Pos {
                offset: at,
                opcode_index: index,
            };
            let pending = self.cx.pending.take();
            if let Some(result) = self.step(opcode, pos, pending)? {
                return Ok(result);
            }
        }
    }

    /// Executes one opcode; returns the result at STOP.
    #[inline]
    fn step(&mut self, opcode: u8, pos: Pos, pending: Option<Pending>) -> Res<Option<Value>> {
        let at = pos.offset;
        let cx = &mut self.cx;
        match opcode {
            op::MARK => {
                if cx.m.marks.len() as u64 >= cx.limits.max_nesting {
                    return Err(FormatError::LimitExceeded {
                        limit: LimitKind::Nesting,
                        value: cx.m.marks.len() as u64 + 1,
                        max: cx.limits.max_nesting,
                        offset: at,
                    });
                }
                cx.m.marks.push(cx.m.stack.len());
            }
            op::STOP => return cx.m.pop(at, opcode).map(Some),
            op::POP => {
                // The C unpickler pops a MARK instead when one sits on top of the stack.
                if cx.m.marks.last() == Some(&cx.m.stack.len()) {
                    cx.m.marks.pop();
                } else {
                    cx.m.pop(at, opcode)?;
                    if let Some(Pending::Listed(ci)) = pending
                        && let Some(c) = cx.a.calls.get_mut(ci)
                    {
                        c.discarded = true;
                    }
                }
            }
            op::POP_MARK => {
                let x = cx.m.marker(at, opcode)?;
                if x < cx.m.stack.len()
                    && let Some(Pending::Listed(ci)) = pending
                    && let Some(c) = cx.a.calls.get_mut(ci)
                {
                    c.discarded = true;
                }
                cx.m.stack.truncate(x);
            }
            op::DUP => {
                let v = cx.m.top(at, opcode)?;
                cx.push(v, at)?;
            }
            op::NONE => cx.push(Value::None, at)?,
            op::NEWTRUE => cx.push(Value::Bool(true), at)?,
            op::NEWFALSE => cx.push(Value::Bool(false), at)?,
            op::BININT => {
                let b = self.src.array::<4>("BININT")?;
                self.cx
                    .push(Value::Int(i64::from(i32::from_le_bytes(b))), at)?;
            }
            op::BININT1 => {
                let [b] = self.src.array::<1>("BININT1")?;
                self.cx.push(Value::Int(i64::from(b)), at)?;
            }
            op::BININT2 => {
                let b = self.src.array::<2>("BININT2")?;
                self.cx
                    .push(Value::Int(i64::from(u16::from_le_bytes(b))), at)?;
            }
            op::BINFLOAT => {
                let b = self.src.array::<8>("BINFLOAT")?;
                self.cx.push(Value::Float(f64::from_be_bytes(b)), at)?;
            }
            op::INT => {
                let v = match self.src.line("INT")? {
                    Line::Short(l) => {
                        let lit = text::parse_int(l, 0);
                        match lit {
                            // "I00\n" and "I01\n" are protocol 0's False and True.
                            Some(IntLit::Exact(b @ (0 | 1))) if l.len() == 2 => Value::Bool(b == 1),
                            Some(lit) => self.cx.long_value(lit),
                            None => return Err(invalid(at, "invalid INT argument")),
                        }
                    }
                    Line::Long { len, .. } => self.cx.long_value(IntLit::Huge(len / 2)),
                };
                self.cx.push(v, at)?;
            }
            op::LONG => {
                let v = match self.src.line("LONG")? {
                    Line::Short(l) => {
                        let l = l.strip_suffix(b"L").unwrap_or(l);
                        match text::parse_int(l, 10) {
                            Some(lit) => self.cx.long_value(lit),
                            None => return Err(invalid(at, "invalid LONG argument")),
                        }
                    }
                    Line::Long { len, .. } => self.cx.long_value(IntLit::Huge(len / 2)),
                };
                self.cx.push(v, at)?;
            }
            op::FLOAT => {
                let f = match self.src.line("FLOAT")? {
                    Line::Short(l) => text::parse_float(l),
                    Line::Long { .. } => Some(f64::NAN),
                };
                let f = f.ok_or_else(|| invalid(at, "invalid FLOAT argument"))?;
                self.cx.push(Value::Float(f), at)?;
            }
            op::LONG1 | op::LONG4 => {
                let n = if opcode == op::LONG1 {
                    i64::from(self.src.array::<1>("LONG1")?[0])
                } else {
                    i64::from(i32::from_le_bytes(self.src.array::<4>("LONG4")?))
                };
                let n = u64::try_from(n)
                    .map_err(|_| invalid(at, "LONG pickle has negative byte count"))?;
                let v = if n > BIG_ARG {
                    let head = self.src.peek(16)?;
                    let mut h = [0u8; 16];
                    let k = head.len().min(16);
                    if let (Some(d), Some(s)) = (h.get_mut(..k), head.get(..k)) {
                        d.copy_from_slice(s);
                    }
                    self.src.skip(n, "LONG4")?;
                    self.cx.m.store.blob(BlobKind::Long, &h, n)
                } else {
                    let data = self.src.bytes(n as usize, "LONG")?;
                    if n <= 8 {
                        let v = super::value::i128_from_le(data);
                        Value::Int(i64::try_from(v).unwrap_or(0))
                    } else {
                        self.cx.m.store.blob(BlobKind::Long, data, n)
                    }
                };
                self.cx.push(v, at)?;
            }
            op::STRING => self.text_line(pos, STRING_ARG)?,
            op::UNICODE => self.text_line(pos, UNICODE_ARG)?,
            op::BINSTRING => {
                let n = i32::from_le_bytes(self.src.array::<4>("BINSTRING")?);
                let n = u64::try_from(n)
                    .map_err(|_| invalid(at, "BINSTRING pickle has negative byte count"))?;
                self.blob_arg(BlobKind::Str, n, pos, "BINSTRING")?;
            }
            op::SHORT_BINSTRING => {
                let [n] = self.src.array::<1>("SHORT_BINSTRING")?;
                self.blob_arg(BlobKind::Str, u64::from(n), pos, "SHORT_BINSTRING")?;
            }
            op::BINUNICODE => {
                let n = u32::from_le_bytes(self.src.array::<4>("BINUNICODE")?);
                self.blob_arg(BlobKind::Str, u64::from(n), pos, "BINUNICODE")?;
            }
            op::SHORT_BINUNICODE => {
                let [n] = self.src.array::<1>("SHORT_BINUNICODE")?;
                self.blob_arg(BlobKind::Str, u64::from(n), pos, "SHORT_BINUNICODE")?;
            }
            op::BINUNICODE8 | op::BINBYTES8 | op::BYTEARRAY8 => {
                let what = op_name(opcode).unwrap_or("?");
                let n = u64::from_le_bytes(self.src.array::<8>(what)?);
                if n > i64::MAX as u64 {
                    return Err(invalid(at, format!("{what} exceeds the maximum size")));
                }
                let kind = match opcode {
                    op::BINUNICODE8 => BlobKind::Str,
                    op::BINBYTES8 => BlobKind::Bytes,
                    _ => BlobKind::ByteArray,
                };
                self.blob_arg(kind, n, pos, what)?;
            }
            op::BINBYTES => {
                let n = u32::from_le_bytes(self.src.array::<4>("BINBYTES")?);
                self.blob_arg(BlobKind::Bytes, u64::from(n), pos, "BINBYTES")?;
            }
            op::SHORT_BINBYTES => {
                let [n] = self.src.array::<1>("SHORT_BINBYTES")?;
                self.blob_arg(BlobKind::Bytes, u64::from(n), pos, "SHORT_BINBYTES")?;
            }
            op::EMPTY_TUPLE => cx.collect(ContKind::Tuple, cx.m.stack.len(), at)?,
            op::EMPTY_LIST => cx.collect(ContKind::List, cx.m.stack.len(), at)?,
            op::EMPTY_DICT => cx.collect(ContKind::Dict, cx.m.stack.len(), at)?,
            op::EMPTY_SET => cx.collect(ContKind::Set, cx.m.stack.len(), at)?,
            op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                let n = usize::from(opcode - op::TUPLE1 + 1);
                let len = cx.m.stack.len();
                if len < cx.m.fence() + n {
                    return Err(underflow(at, opcode));
                }
                cx.collect(ContKind::Tuple, len - n, at)?;
            }
            op::TUPLE | op::LIST | op::FROZENSET | op::DICT => {
                let x = cx.m.marker(at, opcode)?;
                let kind = match opcode {
                    op::TUPLE => ContKind::Tuple,
                    op::LIST => ContKind::List,
                    op::FROZENSET => ContKind::FrozenSet,
                    _ => ContKind::Dict,
                };
                if kind == ContKind::Dict && !(cx.m.stack.len() - x).is_multiple_of(2) {
                    return Err(invalid(at, "odd number of items for DICT"));
                }
                cx.collect(kind, x, at)?;
            }
            op::APPEND => {
                let len = cx.m.stack.len();
                if len < 2 || len - 1 <= cx.m.fence() {
                    return Err(underflow(at, opcode));
                }
                cx.add_items(len - 2, len - 1, opcode, pos)?;
            }
            op::SETITEM => {
                // The C unpickler does not check the MARK fence here.
                let len = cx.m.stack.len();
                if len < 3 {
                    return Err(underflow(at, opcode));
                }
                cx.add_items(len - 3, len - 2, opcode, pos)?;
            }
            op::APPENDS | op::SETITEMS | op::ADDITEMS => {
                let x = cx.m.marker(at, opcode)?;
                if x == 0 {
                    return Err(underflow(at, opcode));
                }
                if opcode == op::SETITEMS && !(cx.m.stack.len() - x).is_multiple_of(2) {
                    return Err(invalid(at, "odd number of items for SETITEMS"));
                }
                cx.add_items(x - 1, x, opcode, pos)?;
            }
            op::GET => {
                let key = self.key_line(opcode, at)?;
                self.memo_get(key, at)?;
            }
            op::BINGET => {
                let [k] = self.src.array::<1>("BINGET")?;
                self.memo_get(u64::from(k), at)?;
            }
            op::LONG_BINGET => {
                let k = u32::from_le_bytes(self.src.array::<4>("LONG_BINGET")?);
                self.memo_get(u64::from(k), at)?;
            }
            op::PUT => {
                let key = self.key_line(opcode, at)?;
                self.memo_put(key, opcode, at)?;
            }
            op::BINPUT => {
                let [k] = self.src.array::<1>("BINPUT")?;
                self.memo_put(u64::from(k), opcode, at)?;
            }
            op::LONG_BINPUT => {
                let k = u32::from_le_bytes(self.src.array::<4>("LONG_BINPUT")?);
                self.memo_put(u64::from(k), opcode, at)?;
            }
            op::MEMOIZE => {
                let key = cx.m.memo.count;
                self.memo_put(key, opcode, at)?;
            }
            op::GLOBAL => {
                let module = self.name_line("GLOBAL module", at)?;
                let name = self.name_line("GLOBAL name", at)?;
                let i = self.cx.import(module, name, "GLOBAL", false, pos)?;
                self.cx.push(Value::Global(i), at)?;
            }
            op::STACK_GLOBAL => {
                let name = cx.m.pop(at, opcode)?;
                let module = cx.m.pop(at, opcode)?;
                for v in [&module, &name] {
                    if let Some(t) = literal_type(v)
                        && t != "str"
                    {
                        return Err(invalid(
                            at,
                            format!("STACK_GLOBAL requires str operands, got {t}"),
                        ));
                    }
                }
                let (mstr, nstr) = (cx.m.store.full_str(&module), cx.m.store.full_str(&name));
                let i = match (mstr, nstr) {
                    (Some(m), Some(n)) => {
                        let m = String::from_utf8_lossy(m).into_owned();
                        let n = String::from_utf8_lossy(n).into_owned();
                        cx.import(m, n, "STACK_GLOBAL", false, pos)?
                    }
                    _ => {
                        let m = match mstr {
                            Some(m) => String::from_utf8_lossy(m).into_owned(),
                            None => cx.operand(&module),
                        };
                        let n = match nstr {
                            Some(n) => String::from_utf8_lossy(n).into_owned(),
                            None => cx.operand(&name),
                        };
                        cx.import(m, n, "STACK_GLOBAL", true, pos)?
                    }
                };
                cx.push(Value::Global(i), at)?;
            }
            op::INST => {
                let x = cx.m.marker(at, opcode)?;
                let module = self.name_line("INST module", at)?;
                let name = self.name_line("INST name", at)?;
                let cx = &mut self.cx;
                let i = cx.import(module, name, "INST", false, pos)?;
                let items = cx.m.stack.get(x..).unwrap_or(&[]);
                let args = cx.m.store.new_cont(ContKind::Tuple, items);
                cx.m.stack.truncate(x);
                let v = cx.call(Value::Global(i), args, None, opcode, pos);
                cx.push(v, at)?;
            }
            op::OBJ => {
                let x = cx.m.marker(at, opcode)?;
                let Some(&callee) = cx.m.stack.get(x) else {
                    return Err(underflow(at, opcode));
                };
                if let Some(t) = literal_type(&callee) {
                    return Err(invalid(at, format!("OBJ class is a {t}, not callable")));
                }
                let items = cx.m.stack.get(x + 1..).unwrap_or(&[]);
                let args = cx.m.store.new_cont(ContKind::Tuple, items);
                cx.m.stack.truncate(x);
                let v = cx.call(callee, args, None, opcode, pos);
                cx.push(v, at)?;
            }
            op::REDUCE | op::NEWOBJ | op::NEWOBJ_EX => {
                let what = op_name(opcode).unwrap_or("?");
                let kwargs = if opcode == op::NEWOBJ_EX {
                    let kw = cx.m.pop(at, opcode)?;
                    if let Some(t) = literal_type(&kw)
                        && t != "dict"
                    {
                        return Err(invalid(at, format!("{what} kwargs is a {t}, not a dict")));
                    }
                    Some(kw)
                } else {
                    None
                };
                let args = cx.m.pop(at, opcode)?;
                let callee = cx.m.pop(at, opcode)?;
                if let Some(t) = literal_type(&args)
                    && t != "tuple"
                {
                    return Err(invalid(
                        at,
                        format!("{what} arguments are a {t}, not a tuple"),
                    ));
                }
                if let Some(t) = literal_type(&callee) {
                    return Err(invalid(at, format!("{what} callable is a {t}")));
                }
                let v = cx.call(callee, args, kwargs, opcode, pos);
                cx.push(v, at)?;
            }
            op::BUILD => {
                let len = cx.m.stack.len();
                if len < 2 || len - 2 < cx.m.fence() {
                    return Err(underflow(at, opcode));
                }
                let state = cx.m.pop(at, opcode)?;
                let inst = cx.m.top(at, opcode)?;
                match inst {
                    Value::Global(i) => cx.build_on_global(i, &state, pos),
                    Value::Obj { info, .. } => {
                        cx.m.store.set_state(info, state);
                        if cx.joblib && joblib::is_wrapper(&cx.m.store, &cx.a.imports, &inst) {
                            self.joblib_array(&inst, pos)?;
                        }
                    }
                    _ => {}
                }
            }
            op::EXT1 | op::EXT2 | op::EXT4 => {
                let code: i64 = match opcode {
                    op::EXT1 => i64::from(self.src.array::<1>("EXT1")?[0]),
                    op::EXT2 => i64::from(u16::from_le_bytes(self.src.array::<2>("EXT2")?)),
                    _ => i64::from(i32::from_le_bytes(self.src.array::<4>("EXT4")?)),
                };
                let code = u32::try_from(code)
                    .ok()
                    .filter(|&c| c > 0)
                    .ok_or_else(|| invalid(at, "EXT specifies code <= 0"))?;
                let cx = &mut self.cx;
                if cx.a.extensions.len() < MAX_LISTED {
                    cx.a.extensions.push(ExtensionRef { code, at: pos });
                } else {
                    cx.a.omitted.extensions += 1;
                }
                cx.push(Value::Ext(code), at)?;
            }
            op::PERSID => {
                if let Line::Short(l) = self.src.line("PERSID")?
                    && !l.is_ascii()
                {
                    return Err(invalid(
                        at,
                        "persistent IDs in protocol 0 must be ASCII strings",
                    ));
                }
                self.cx.push(Value::Opaque(Opaque::PersId), at)?;
            }
            op::BINPERSID => {
                cx.m.pop(at, opcode)?;
                cx.push(Value::Opaque(Opaque::PersId), at)?;
            }
            op::FRAME => {
                let n = u64::from_le_bytes(self.src.array::<8>("FRAME")?);
                if n > i64::MAX as u64 {
                    return Err(invalid(at, "FRAME length exceeds the maximum size"));
                }
                let end = self.src.offset().saturating_add(n);
                self.cx.m.frame_end = Some(end);
                self.cx.frame_end = self.cx.frame_end.max(end);
                // A frame boundary does not separate a call from the POP discarding it.
                self.cx.pending = pending;
            }
            op::PROTO => {
                let [p] = self.src.array::<1>("PROTO")?;
                if p > op::HIGHEST_PROTOCOL {
                    return Err(invalid(at, format!("unsupported pickle protocol: {p}")));
                }
                self.cx.m.proto.get_or_insert(p);
            }
            op::NEXT_BUFFER => cx.push(Value::Opaque(Opaque::Buffer), at)?,
            op::READONLY_BUFFER => {
                cx.m.top(at, opcode)?;
            }
            other => {
                return Err(invalid(at, format!("invalid opcode 0x{other:02x}")));
            }
        }
        Ok(None)
    }

    /// After BUILD of a joblib `NumpyArrayWrapper`: reads past the array data that
    /// joblib's `NumpyPickler` wrote right after it, as `NumpyUnpickler.load_build` does.
    fn joblib_array(&mut self, inst: &Value, pos: Pos) -> Res<()> {
        let spec = joblib::spec(&self.cx.m.store, &self.cx.a.imports, inst).map_err(|why| {
            invalid(
                pos.offset,
                format!("cannot locate the joblib array data after NumpyArrayWrapper: {why}"),
            )
        })?;
        let here = self.src.offset();
        if self.cx.m.frame_end.is_some_and(|end| end > here) {
            // joblib's Python unpickler would read the array from after the frame and
            // then resume inside it: a layout no writer produces.
            return Err(invalid(
                pos.offset,
                "joblib array data starts inside an unfinished pickle frame",
            ));
        }
        self.cx.m.stack.pop();
        if spec.has_object {
            // Object arrays are a complete nested pickle, read by a plain unpickler.
            let saved = std::mem::take(&mut self.cx.m);
            let saved_joblib = std::mem::replace(&mut self.cx.joblib, false);
            let start = self.src.offset();
            let res = self.run_pickle();
            self.cx.a.pickles.push(PickleSummary {
                start,
                end: self.src.offset(),
                protocol: self.cx.m.proto,
                opcodes: self.cx.m.opcodes,
                complete: res.is_ok(),
            });
            self.cx.m = saved;
            self.cx.joblib = saved_joblib;
            self.cx.pending = None;
            res?;
        } else {
            let pad = if spec.aligned {
                match self.src.peek(1)?.first() {
                    Some(&b) => 1 + u64::from(b),
                    None => return Err(self.src.truncated("joblib array padding")),
                }
            } else {
                0
            };
            let total = spec
                .nbytes
                .checked_add(pad)
                .ok_or_else(|| invalid(pos.offset, "joblib array size overflows"))?;
            self.skip_array_region(total, pos)?;
        }
        self.cx.push(Value::Opaque(Opaque::Array), pos.offset)
    }

    /// Reads through joblib array data. Should the data parse as a pickle that imports
    /// or calls something, a plain `pickle.load` of the file would run it, so that is
    /// analysed and reported as an embedded pickle.
    fn skip_array_region(&mut self, n: u64, pos: Pos) -> Res<()> {
        if n >= 4 && n <= self.src.allowance() {
            let want = usize::try_from(n.min(4096)).unwrap_or(4096);
            let prefix = self.src.peek(want)?;
            if super::sniff::looks_like_pickle(prefix) {
                self.cx.check_embedded_room(pos)?;
                return self.stream_embedded(
                    n,
                    pos,
                    Encoding::Raw,
                    Detected::RawRegion,
                    "joblib array data",
                );
            }
        }
        self.src.skip(n, "joblib array data")
    }
}
