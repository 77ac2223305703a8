//! A bounded reader of CPython `marshal` data, enough to say what a code object uses.
//!
//! Keras stores Lambda layers as `base64(marshal.dumps(function.__code__))` (research
//! B29); loading one runs that bytecode. This module decodes such bytes without
//! executing them and lists the names the code refers to (`co_names`, nested code
//! objects, string constants), so a finding can say what the Lambda would do.
//!
//! # Security
//!
//! Every count and length is checked against the bytes left before anything is
//! allocated; nesting is capped at [`MAX_NESTING`], values at [`MAX_VALUES`], and back
//! references (`FLAG_REF`) share values instead of copying them. The code-object header
//! differs between CPython versions (six int32 fields in 3.8–3.10, five in 3.11–3.13):
//! [`summarize`] tries each layout and keeps the first that decodes to the end.

use std::collections::BTreeSet;
use std::rc::Rc;

use thiserror::Error;

/// Deepest nesting of containers and code objects accepted.
pub const MAX_NESTING: usize = 64;

/// Most values decoded from one marshal stream.
pub const MAX_VALUES: usize = 200_000;

/// Most names and strings kept in a [`CodeSummary`].
pub const MAX_KEPT: usize = 256;

/// Longest string constant kept in a [`CodeSummary`], in characters.
pub const MAX_STRING_CHARS: usize = 200;

/// Why marshal bytes could not be decoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MarshalError {
    /// The data ends inside a value.
    #[error("marshal data ends early at byte {0}")]
    Truncated(usize),
    /// A type byte this decoder does not know.
    #[error("unknown marshal type {byte:#04x} at byte {offset}")]
    UnknownType {
        /// The type byte, FLAG_REF removed.
        byte: u8,
        /// Where it is.
        offset: usize,
    },
    /// A back reference to a value that does not exist.
    #[error("marshal reference {index} at byte {offset} points to no value")]
    BadReference {
        /// The index referred to.
        index: u32,
        /// Where the reference is.
        offset: usize,
    },
    /// A negative or impossible length.
    #[error("impossible length {len} at byte {offset}")]
    BadLength {
        /// The length read.
        len: i64,
        /// Where it is.
        offset: usize,
    },
    /// Nesting or value count over this decoder's caps.
    #[error("marshal data nests deeper than {MAX_NESTING} or holds more than {MAX_VALUES} values")]
    Limit,
    /// The top value is not a code object, or bytes follow it.
    #[error("not a single marshalled code object: {0}")]
    NotCode(&'static str),
}

/// What a marshalled code object (and the code objects nested in it) refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeSummary {
    /// Which CPython code-object layout decoded: "3.0-3.7", "3.8-3.10" or "3.11-3.13".
    pub layout: &'static str,
    /// Names of code objects (`co_name`), outermost first.
    pub functions: Vec<String>,
    /// Global and attribute names used (`co_names`), sorted, deduplicated.
    pub names: BTreeSet<String>,
    /// String constants, shortened to [`MAX_STRING_CHARS`] characters.
    pub strings: Vec<String>,
    /// Source file names recorded by the compiler.
    pub filenames: BTreeSet<String>,
    /// How many code objects were found, the outer one included.
    pub code_objects: usize,
    /// True when more names or strings existed than were kept.
    pub truncated: bool,
}

#[derive(Debug, Clone)]
enum Value {
    Null,
    Str(Rc<str>),
    Bytes,
    Tuple(Rc<Vec<Value>>),
    Code(Rc<Code>),
    Other,
}

#[derive(Debug)]
struct Code {
    name: Option<Rc<str>>,
    filename: Option<Rc<str>>,
    consts: Value,
    names: Value,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// argcount, kwonlyargcount, nlocals, stacksize, flags; lnotab last (3.0–3.7).
    Py37,
    /// argcount, posonlyargcount, kwonlyargcount, nlocals, stacksize, flags; lnotab last.
    Py38,
    /// argcount, posonlyargcount, kwonlyargcount, stacksize, flags; qualname, exception table.
    Py311,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    refs: Vec<Option<Value>>,
    values: usize,
    layout: Layout,
}

const FLAG_REF: u8 = 0x80;

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, MarshalError> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or(MarshalError::Truncated(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], MarshalError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(MarshalError::Truncated(self.pos))?;
        let out = self
            .data
            .get(self.pos..end)
            .ok_or(MarshalError::Truncated(self.pos))?;
        self.pos = end;
        Ok(out)
    }

    fn i32(&mut self) -> Result<i32, MarshalError> {
        let b = self.take(4)?;
        let arr: [u8; 4] = b
            .try_into()
            .map_err(|_| MarshalError::Truncated(self.pos))?;
        Ok(i32::from_le_bytes(arr))
    }

    /// A non-negative int32 length that fits in the bytes left (each item takes one byte or more).
    fn len(&mut self) -> Result<usize, MarshalError> {
        let at = self.pos;
        let n = self.i32()?;
        let n = usize::try_from(n).map_err(|_| MarshalError::BadLength {
            len: i64::from(n),
            offset: at,
        })?;
        if n > self.data.len().saturating_sub(self.pos) {
            return Err(MarshalError::BadLength {
                len: n as i64,
                offset: at,
            });
        }
        Ok(n)
    }

    fn text(&mut self, n: usize) -> Result<Value, MarshalError> {
        let bytes = self.take(n)?;
        Ok(Value::Str(Rc::from(
            String::from_utf8_lossy(bytes).as_ref(),
        )))
    }

    fn value(&mut self, depth: usize) -> Result<Value, MarshalError> {
        if depth > MAX_NESTING || self.values >= MAX_VALUES {
            return Err(MarshalError::Limit);
        }
        self.values += 1;
        let at = self.pos;
        let code = self.byte()?;
        let flag = code & FLAG_REF != 0;
        let kind = code & !FLAG_REF;
        // Code objects (and containers) reserve their slot before their children.
        let slot = if flag {
            self.refs.push(None);
            Some(self.refs.len() - 1)
        } else {
            None
        };
        let value = match kind {
            b'0' => Value::Null,
            b'N' | b'F' | b'T' | b'S' | b'.' => Value::Other,
            b'i' => {
                self.take(4)?;
                Value::Other
            }
            b'I' => {
                self.take(8)?;
                Value::Other
            }
            b'g' => {
                self.take(8)?;
                Value::Other
            }
            b'y' => {
                self.take(16)?;
                Value::Other
            }
            b'f' => {
                let n = usize::from(self.byte()?);
                self.take(n)?;
                Value::Other
            }
            b'x' => {
                for _ in 0..2 {
                    let n = usize::from(self.byte()?);
                    self.take(n)?;
                }
                Value::Other
            }
            b'l' => {
                let n = self.i32()?;
                let digits = usize::try_from(n.unsigned_abs()).map_err(|_| MarshalError::Limit)?;
                self.take(digits.checked_mul(2).ok_or(MarshalError::Limit)?)?;
                Value::Other
            }
            b's' => {
                let n = self.len()?;
                self.take(n)?;
                Value::Bytes
            }
            b't' | b'u' | b'a' | b'A' => {
                let n = self.len()?;
                self.text(n)?
            }
            b'z' | b'Z' => {
                let n = usize::from(self.byte()?);
                self.text(n)?
            }
            b'(' | b'[' | b'<' | b'>' => {
                let n = self.len()?;
                self.sequence(n, depth)?
            }
            b')' => {
                let n = usize::from(self.byte()?);
                self.sequence(n, depth)?
            }
            b'{' => {
                loop {
                    let key = self.value(depth + 1)?;
                    if matches!(key, Value::Null) {
                        break;
                    }
                    self.value(depth + 1)?;
                }
                Value::Other
            }
            b'r' => {
                let index = self.i32()?;
                let found = usize::try_from(index)
                    .ok()
                    .and_then(|i| self.refs.get(i))
                    .and_then(|v| v.clone());
                // A reference to a slot still being filled (a code object inside
                // itself) cannot come from marshal.dumps.
                found.ok_or(MarshalError::BadReference {
                    index: index as u32,
                    offset: at,
                })?
            }
            b'c' => self.code(depth)?,
            other => {
                return Err(MarshalError::UnknownType {
                    byte: other,
                    offset: at,
                });
            }
        };
        if let Some(slot) = slot
            && let Some(entry) = self.refs.get_mut(slot)
        {
            *entry = Some(value.clone());
        }
        Ok(value)
    }

    fn sequence(&mut self, n: usize, depth: usize) -> Result<Value, MarshalError> {
        let mut items = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Ok(Value::Tuple(Rc::new(items)))
    }

    fn code(&mut self, depth: usize) -> Result<Value, MarshalError> {
        let ints = match self.layout {
            Layout::Py38 => 6,
            Layout::Py37 | Layout::Py311 => 5,
        };
        self.take(4 * ints)?;
        let _bytecode = self.value(depth + 1)?;
        let consts = self.value(depth + 1)?;
        let names = self.value(depth + 1)?;
        let (filename, name) = match self.layout {
            Layout::Py37 | Layout::Py38 => {
                // varnames, freevars, cellvars
                for _ in 0..3 {
                    self.value(depth + 1)?;
                }
                let filename = self.value(depth + 1)?;
                let name = self.value(depth + 1)?;
                self.take(4)?; // firstlineno
                self.value(depth + 1)?; // lnotab / linetable
                (filename, name)
            }
            Layout::Py311 => {
                // localsplusnames, localspluskinds
                for _ in 0..2 {
                    self.value(depth + 1)?;
                }
                let filename = self.value(depth + 1)?;
                let name = self.value(depth + 1)?;
                self.value(depth + 1)?; // qualname
                self.take(4)?; // firstlineno
                self.value(depth + 1)?; // linetable
                self.value(depth + 1)?; // exceptiontable
                (filename, name)
            }
        };
        if !matches!(consts, Value::Tuple(_)) || !matches!(names, Value::Tuple(_)) {
            return Err(MarshalError::NotCode(
                "co_consts or co_names is not a tuple",
            ));
        }
        Ok(Value::Code(Rc::new(Code {
            name: as_str(&name),
            filename: as_str(&filename),
            consts,
            names,
        })))
    }
}

fn as_str(value: &Value) -> Option<Rc<str>> {
    match value {
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// Decodes `data` as one marshalled code object and summarises what it refers to.
///
/// Tries the CPython 3.8–3.10 layout, then 3.11–3.13, then 3.0–3.7; the error is the
/// last layout's.
pub fn summarize(data: &[u8]) -> Result<CodeSummary, MarshalError> {
    let mut last = MarshalError::NotCode("empty");
    for (layout, label) in [
        (Layout::Py38, "3.8-3.10"),
        (Layout::Py311, "3.11-3.13"),
        (Layout::Py37, "3.0-3.7"),
    ] {
        let mut reader = Reader {
            data,
            pos: 0,
            refs: Vec::new(),
            values: 0,
            layout,
        };
        match reader.value(0) {
            Ok(Value::Code(code)) if reader.pos == data.len() => {
                let mut summary = CodeSummary {
                    layout: label,
                    ..CodeSummary::default()
                };
                // Back references can share one code object or tuple many times over
                // (a DAG): the walk is bounded by visits, not only by depth.
                let mut budget = MAX_VALUES;
                collect(&code, &mut summary, 0, &mut budget);
                return Ok(summary);
            }
            Ok(Value::Code(_)) => last = MarshalError::NotCode("bytes follow the code object"),
            Ok(_) => last = MarshalError::NotCode("the top value is not a code object"),
            Err(error) => last = error,
        }
    }
    Err(last)
}

fn keep(set_len: usize, summary_truncated: &mut bool) -> bool {
    if set_len >= MAX_KEPT {
        *summary_truncated = true;
        return false;
    }
    true
}

fn collect(code: &Code, out: &mut CodeSummary, depth: usize, budget: &mut usize) {
    if depth > MAX_NESTING || *budget == 0 {
        out.truncated = true;
        return;
    }
    *budget -= 1;
    out.code_objects += 1;
    if let Some(name) = &code.name
        && keep(out.functions.len(), &mut out.truncated)
    {
        out.functions.push(name.to_string());
    }
    if let Some(file) = &code.filename
        && keep(out.filenames.len(), &mut out.truncated)
    {
        out.filenames.insert(file.to_string());
    }
    if let Value::Tuple(names) = &code.names {
        for name in names.iter() {
            if let Value::Str(s) = name
                && keep(out.names.len(), &mut out.truncated)
            {
                out.names.insert(s.to_string());
            }
        }
    }
    if let Value::Tuple(consts) = &code.consts {
        collect_consts(consts, out, depth, budget);
    }
}

fn collect_consts(consts: &[Value], out: &mut CodeSummary, depth: usize, budget: &mut usize) {
    for value in consts {
        if *budget == 0 {
            out.truncated = true;
            return;
        }
        *budget -= 1;
        match value {
            Value::Str(s) if keep(out.strings.len(), &mut out.truncated) => {
                let short: String = s.chars().take(MAX_STRING_CHARS).collect();
                out.strings.push(short);
            }
            Value::Code(inner) => collect(inner, out, depth + 1, budget),
            Value::Tuple(items) if depth < MAX_NESTING => {
                collect_consts(items, out, depth + 1, budget)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    // marshal.dumps((lambda x: __import__("os").system("echo hi")).__code__) per CPython.
    const LAMBDAS: &[(&str, &str)] = &[
        (
            "3.0-3.7",
            "4wEAAAAAAAAAAQAAAAMAAABDAAAAcw4AAAB0AGQBgwGgAWQCoQFTACkDTtoCb3P6B2VjaG8gaGkpAtoKX19pbXBvcnRfX9oGc3lzdGVtKQHaAXipAHIGAAAA2gg8c3RyaW5nPtoIPGxhbWJkYT4DAAAA8wAAAAA=",
        ),
        (
            "3.8-3.10",
            "4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMOAAAAdABkAYMBoAFkAqEBUwApA07aAm9z+gdlY2hvIGhpKQLaCl9faW1wb3J0X1/aBnN5c3RlbSkB2gF4qQByBgAAANoIPHN0cmluZz7aCDxsYW1iZGE+AwAAAPMAAAAA",
        ),
        (
            "3.8-3.10",
            "4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMOAAAAdABkAYMBoAFkAqEBUwApA07aAm9z+gdlY2hvIGhpKQLaCl9faW1wb3J0X1/aBnN5c3RlbSkB2gF4qQByBgAAANoIPHN0cmluZz7aCDxsYW1iZGE+AwAAAHMCAAAADgA=",
        ),
        (
            "3.11-3.13",
            "4wEAAAAAAAAAAAAAAAMAAAADAAAA80YAAACXAHQBAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAACgAQAAAAAAAAAAAAAAAAAAAAAAAAAAZAKmAQAAqwEAAAAAAAAAAFMAKQNO2gJvc/oHZWNobyBoaSkC2gpfX2ltcG9ydF9f2gZzeXN0ZW0pAdoBeHMBAAAAIPoIPHN0cmluZz76CDxsYW1iZGE+cggAAAADAAAAcx4AAACAAMVq0FFV0UZW1EZW10Zd0kZd0F5n0UZo1EZogADzAAAAAA==",
        ),
        (
            "3.11-3.13",
            "4wEAAAAAAAAAAAAAAAMAAAADAAAA8zYAAACXAHQBAAAAAAAAAABkAasBAAAAAAAAagMAAAAAAAAAAAAAAAAAAAAAAABkAqsBAAAAAAAAUwApA07aAm9z+gdlY2hvIGhpKQLaCl9faW1wb3J0X1/aBnN5c3RlbSkB2gF4cwEAAAAg+gg8c3RyaW5nPvoIPGxhbWJkYT5yCAAAAAMAAABzGAAAAIAAxGrQUVXTRlbXRl3RRl3QXmfTRmiAAPMAAAAA",
        ),
        (
            "3.11-3.13",
            "4wEAAAAAAAAAAAAAAAMAAAADAAAA8zYAAACVAFsBAAAAAAAAAABTATUBAAAAAAAAUgMAAAAAAAAAAAAAAAAAAAAAAABTAjUBAAAAAAAAJAApA07aAm9z+gdlY2hvIGhpKQLaCl9faW1wb3J0X1/aBnN5c3RlbSkB2gF4cwEAAAAg2gg8c3RyaW5nPtoIPGxhbWJkYT5yCAAAAAMAAABzFgAAAIAAxGrQUVXTRlbXRl3RRl3QXmfURmjzAAAAAA==",
        ),
    ];

    #[test]
    fn decodes_lambdas_of_every_python_version() {
        for (layout, b64) in LAMBDAS {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            let summary = summarize(&raw).unwrap();
            assert_eq!(summary.layout, *layout);
            assert!(summary.names.contains("__import__"), "{layout}");
            assert!(summary.names.contains("system"));
            assert!(summary.strings.iter().any(|s| s == "echo hi"));
            assert_eq!(summary.functions, vec!["<lambda>".to_string()]);
        }
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for data in [
            &b""[..],
            b"c",
            b"\xe3\xff\xff\xff\xff",
            b"r\x00\x00\x00\x00",
            b"(\xff\xff\xff\x7f",
        ] {
            assert!(summarize(data).is_err());
        }
    }

    #[test]
    fn shared_references_do_not_explode() {
        // A code object whose consts hold tuple T40, where Tn = (Tn-1, Tn-1), the second
        // by reference: 2^40 paths through 41 values. Slots: code 0, consts 1, T40 2...T0 42.
        let mut data = Vec::new();
        data.push(b'c' | FLAG_REF);
        data.extend([0u8; 20]); // five int32 fields (3.11 layout)
        data.extend(b"z\x00"); // bytecode
        data.extend(b"\xa9\x01"); // consts: a ref-flagged tuple of one
        for _ in 0..40 {
            data.extend(b"\xa9\x02");
        }
        data.extend(b"\xa9\x00"); // T0 = ()
        for k in 0..40u32 {
            data.push(b'r');
            data.extend((42 - k).to_le_bytes());
        }
        // Close: names, localsplusnames, localspluskinds, filename, name, qualname,
        // firstlineno, linetable, exceptiontable.
        data.extend(b")\x00)\x00)\x00z\x00z\x00z\x00");
        data.extend(0u32.to_le_bytes());
        data.extend(b"z\x00z\x00");
        let summary = summarize(&data).unwrap();
        assert!(summary.truncated);
    }

    #[test]
    fn deep_nesting_is_capped() {
        let data = [b')', 1].repeat(10_000);
        assert_eq!(summarize(&data), Err(MarshalError::Limit));
    }
}
