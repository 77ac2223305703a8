//! NumPy `.npy` headers.
//!
//! An `.npy` file (alone or as an `.npz` member) is a header that names a dtype, then
//! the array data. When the dtype holds Python objects, the data is a pickle that
//! `np.load(..., allow_pickle=True)` runs (research B27, CVE-2019-6446), so the scan
//! layer needs to know where the data starts and whether the dtype contains an object
//! field, however deeply it is nested in a structured dtype.
//!
//! # Security
//!
//! The header dictionary is a Python literal that NumPy reads with `ast.literal_eval`;
//! here it is parsed by a small literal parser that knows strings, numbers, booleans,
//! `None`, tuples, lists and dicts and nothing else; nothing is evaluated. The header
//! length is checked against [`MAX_HEADER_LEN`] before it is read, nesting is bounded
//! by [`MAX_LITERAL_DEPTH`] and the number of literal values by [`MAX_LITERAL_NODES`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;

use crate::FormatError;

/// The six bytes every `.npy` file starts with.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Longest header accepted (1 MiB). NumPy refuses more than 10,000 bytes unless told
/// otherwise (`max_header_size`), so anything near this is already unusual.
pub const MAX_HEADER_LEN: u64 = 1 << 20;

/// Deepest nesting of tuples, lists and dicts in the header literal.
pub const MAX_LITERAL_DEPTH: usize = 64;

/// Most values (of any kind) in the header literal.
pub const MAX_LITERAL_NODES: usize = 100_000;

/// What an `.npy` header says about the array that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// Format version (major, minor): (1, 0), (2, 0) or (3, 0).
    pub version: (u8, u8),
    /// The dtype: the string itself for a simple dtype (`"<f4"`), otherwise the
    /// Python repr of the structured description (`"[('a', '<f4'), ('b', '|O')]"`).
    pub descr: String,
    /// Whether the data is in Fortran (column-major) order.
    pub fortran_order: bool,
    /// Array dimensions.
    pub shape: Vec<u64>,
    /// Bytes from the start of the file to the first byte of data.
    pub header_len: u64,
    /// Whether the dtype contains a Python object anywhere (the data is then a pickle).
    pub is_object: bool,
    /// Bytes of array data (elements times item size); `None` for object dtypes, dtypes
    /// whose size airlock does not compute, or a product that overflows.
    pub data_len: Option<u64>,
}

/// Reads and checks an `.npy` header, leaving `reader` at the first byte of data.
///
/// Errors: [`FormatError::Invalid`] for a wrong magic, an unknown version, a header
/// longer than [`MAX_HEADER_LEN`] or a header NumPy would refuse (not a dict, missing or
/// extra keys, wrong value types); [`FormatError::Truncated`] when the input ends inside
/// the header; [`FormatError::Io`] for a read error. Offsets count from the file start.
pub fn read_header<R: Read>(reader: &mut R) -> Result<NpyHeader, FormatError> {
    let mut preamble = [0u8; 8];
    read_full(reader, &mut preamble, 0, "npy magic and version")?;
    if &preamble[..6] != MAGIC {
        return Err(invalid(0, "missing the \\x93NUMPY magic".to_string()));
    }
    let version = (preamble[6], preamble[7]);
    let (len_bytes, utf8) = match version {
        (1, 0) => (2usize, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        (major, minor) => {
            return Err(invalid(
                6,
                format!("unknown npy format version {major}.{minor}"),
            ));
        }
    };
    let mut len_buf = [0u8; 4];
    let len_slot = len_buf.get_mut(..len_bytes).unwrap_or_default();
    read_full(reader, len_slot, 8, "npy header length")?;
    let header_size = u64::from(u32::from_le_bytes(len_buf));
    if header_size > MAX_HEADER_LEN {
        return Err(invalid(
            8,
            format!("header length {header_size} exceeds the {MAX_HEADER_LEN}-byte cap"),
        ));
    }
    let start = 8 + len_bytes as u64;
    let mut raw = Vec::new();
    let got = reader
        .by_ref()
        .take(header_size)
        .read_to_end(&mut raw)
        .map_err(|e| FormatError::from_io(start, "npy header", e))?;
    if (got as u64) < header_size {
        return Err(FormatError::Truncated {
            offset: start + got as u64,
            what: "npy header",
        });
    }
    if utf8 && std::str::from_utf8(&raw).is_err() {
        return Err(invalid(
            start,
            "version 3.0 header is not UTF-8".to_string(),
        ));
    }
    let mut parser = Parser {
        text: &raw,
        pos: 0,
        base: start,
        utf8,
        long_suffix: !utf8,
        nodes: 0,
    };
    let value = parser.parse_document()?;
    let header_len = start + header_size;
    interpret(value, version, header_len, start)
}

fn read_full<R: Read>(
    reader: &mut R,
    buf: &mut [u8],
    offset: u64,
    what: &'static str,
) -> Result<(), FormatError> {
    let mut filled = 0usize;
    while filled < buf.len() {
        let slot = buf.get_mut(filled..).unwrap_or_default();
        match reader.read(slot) {
            Ok(0) => {
                return Err(FormatError::Truncated {
                    offset: offset + filled as u64,
                    what,
                });
            }
            Ok(n) => filled += n.min(slot.len()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FormatError::from_io(offset + filled as u64, what, e)),
        }
    }
    Ok(())
}

fn invalid(offset: u64, reason: String) -> FormatError {
    FormatError::Invalid { offset, reason }
}

/// A Python literal value, as far as `.npy` headers need one.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Bytes(Vec<u8>),
    Int(i128),
    Float(f64),
    Bool(bool),
    None,
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
}

/// Recursive-descent parser of the Python literal subset.
struct Parser<'t> {
    text: &'t [u8],
    pos: usize,
    base: u64,
    /// Whether strings decode as UTF-8 (version 3) or latin-1 (versions 1 and 2).
    utf8: bool,
    /// Whether a Python 2 `L` after an integer is dropped, as NumPy's `_filter_header`
    /// does for versions up to 2.0.
    long_suffix: bool,
    nodes: usize,
}

impl Parser<'_> {
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn err(&self, reason: &str) -> FormatError {
        invalid(self.offset(), format!("npy header: {reason}"))
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') {
                self.pos += 1;
            } else if b == b'\\' && matches!(self.text.get(self.pos + 1), Some(b'\n')) {
                self.pos += 2;
            } else {
                break;
            }
        }
    }

    fn parse_document(&mut self) -> Result<Value, FormatError> {
        self.skip_space();
        let value = self.parse_value(0)?;
        self.skip_space();
        // NumPy pads with spaces and ends with '\n'; `literal_eval` also tolerates NULs
        // only as an error, so anything else after the literal is refused.
        if self.pos < self.text.len() {
            return Err(self.err("unexpected bytes after the header literal"));
        }
        Ok(value)
    }

    fn parse_value(&mut self, depth: usize) -> Result<Value, FormatError> {
        if depth > MAX_LITERAL_DEPTH {
            return Err(self.err("literal nested too deeply"));
        }
        self.nodes += 1;
        if self.nodes > MAX_LITERAL_NODES {
            return Err(self.err("literal has too many values"));
        }
        self.skip_space();
        let Some(b) = self.peek() else {
            return Err(self.err("header ends where a value should start"));
        };
        match b {
            b'(' => {
                self.pos += 1;
                let (items, trailing_comma) = self.parse_items(b')', depth)?;
                if items.len() == 1 && !trailing_comma {
                    // A parenthesised expression, not a tuple.
                    return Ok(items.into_iter().next().unwrap_or(Value::None));
                }
                Ok(Value::Tuple(items))
            }
            b'[' => {
                self.pos += 1;
                let (items, _) = self.parse_items(b']', depth)?;
                Ok(Value::List(items))
            }
            b'{' => {
                self.pos += 1;
                self.parse_dict(depth)
            }
            b'\'' | b'"' => self.parse_string(false, false),
            b'-' | b'+' | b'0'..=b'9' | b'.' => self.parse_number(),
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.parse_word(),
            _ => Err(self.err(&format!("unexpected character {:?}", char::from(b)))),
        }
    }

    fn parse_items(&mut self, close: u8, depth: usize) -> Result<(Vec<Value>, bool), FormatError> {
        let mut items = Vec::new();
        let mut trailing_comma = false;
        loop {
            self.skip_space();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok((items, trailing_comma));
            }
            if !items.is_empty() && !trailing_comma {
                return Err(self.err("expected ',' between items"));
            }
            items.push(self.parse_value(depth + 1)?);
            self.skip_space();
            trailing_comma = false;
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    trailing_comma = true;
                }
                Some(c) if c == close => {}
                Some(_) => return Err(self.err("expected ',' or a closing bracket")),
                None => return Err(self.err("header ends inside a tuple or list")),
            }
        }
    }

    fn parse_dict(&mut self, depth: usize) -> Result<Value, FormatError> {
        let mut entries = Vec::new();
        let mut expect_item = true;
        loop {
            self.skip_space();
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Dict(entries));
                }
                None => return Err(self.err("header ends inside a dict")),
                Some(_) if !expect_item => return Err(self.err("expected ',' or '}' in dict")),
                Some(_) => {}
            }
            let key = self.parse_value(depth + 1)?;
            self.skip_space();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':' after a dict key"));
            }
            self.pos += 1;
            let value = self.parse_value(depth + 1)?;
            entries.push((key, value));
            self.skip_space();
            expect_item = false;
            if self.peek() == Some(b',') {
                self.pos += 1;
                expect_item = true;
            }
        }
    }

    fn parse_word(&mut self) -> Result<Value, FormatError> {
        let start = self.pos;
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_')
        ) {
            self.pos += 1;
        }
        let word = self.text.get(start..self.pos).unwrap_or_default();
        match word {
            b"True" => Ok(Value::Bool(true)),
            b"False" => Ok(Value::Bool(false)),
            b"None" => Ok(Value::None),
            _ => {
                // String prefixes: u, b, r and their combinations.
                let lower: Vec<u8> = word.iter().map(u8::to_ascii_lowercase).collect();
                let is_prefix =
                    matches!(lower.as_slice(), b"u" | b"b" | b"r" | b"br" | b"rb" | b"ur");
                if is_prefix && matches!(self.peek(), Some(b'\'' | b'"')) {
                    let bytes = lower.contains(&b'b');
                    let raw = lower.contains(&b'r');
                    self.parse_string(bytes, raw)
                } else {
                    self.pos = start;
                    Err(self.err("names are not allowed in a header literal"))
                }
            }
        }
    }

    fn parse_string(&mut self, bytes: bool, raw: bool) -> Result<Value, FormatError> {
        let Some(quote) = self.peek() else {
            return Err(self.err("expected a string"));
        };
        self.pos += 1;
        if self.text.get(self.pos..self.pos + 2) == Some(&[quote, quote][..]) {
            return Err(self.err("triple-quoted strings are not supported"));
        }
        let mut out: Vec<u8> = Vec::new();
        let mut text = String::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err("header ends inside a string"));
            };
            if b == quote {
                self.pos += 1;
                break;
            }
            if b == b'\n' {
                return Err(self.err("newline inside a string"));
            }
            if b == b'\\' && !raw {
                self.pos += 1;
                self.parse_escape(bytes, &mut out, &mut text)?;
                continue;
            }
            if b == b'\\' {
                // Raw string: the backslash stays and escapes the next quote.
                self.push_char(bytes, &mut out, &mut text)?;
                if self.peek().is_some() {
                    self.push_char(bytes, &mut out, &mut text)?;
                }
                continue;
            }
            self.push_char(bytes, &mut out, &mut text)?;
        }
        if bytes {
            Ok(Value::Bytes(out))
        } else {
            Ok(Value::Str(text))
        }
    }

    /// Appends the next source character (one latin-1 byte, or one UTF-8 sequence).
    fn push_char(
        &mut self,
        bytes: bool,
        out: &mut Vec<u8>,
        text: &mut String,
    ) -> Result<(), FormatError> {
        let Some(b) = self.peek() else {
            return Err(self.err("header ends inside a string"));
        };
        if bytes {
            if !b.is_ascii() {
                return Err(self.err("non-ASCII character in a bytes literal"));
            }
            out.push(b);
            self.pos += 1;
            return Ok(());
        }
        if self.utf8 && !b.is_ascii() {
            let len = match b {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let chunk = self.text.get(self.pos..self.pos + len).unwrap_or_default();
            let s = std::str::from_utf8(chunk).map_err(|_| self.err("invalid UTF-8"))?;
            text.push_str(s);
            self.pos += len;
        } else {
            text.push(char::from(b));
            self.pos += 1;
        }
        Ok(())
    }

    fn parse_escape(
        &mut self,
        bytes: bool,
        out: &mut Vec<u8>,
        text: &mut String,
    ) -> Result<(), FormatError> {
        let Some(e) = self.peek() else {
            return Err(self.err("header ends inside an escape"));
        };
        self.pos += 1;
        let simple = match e {
            b'\n' => return Ok(()),
            b'\\' => Some(b'\\'),
            b'\'' => Some(b'\''),
            b'"' => Some(b'"'),
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            text.push(char::from(c));
            return Ok(());
        }
        let code: u32 = match e {
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                v
            }
            b'x' => self.hex_digits(2)?,
            b'u' if !bytes => self.hex_digits(4)?,
            b'U' if !bytes => self.hex_digits(8)?,
            _ => {
                // Python keeps unknown escapes as a backslash and the character.
                out.push(b'\\');
                text.push('\\');
                self.pos -= 1;
                return self.push_char(bytes, out, text);
            }
        };
        if bytes {
            out.push(u8::try_from(code).map_err(|_| self.err("escape out of range"))?);
        } else {
            text.push(char::from_u32(code).ok_or_else(|| self.err("escape is not a character"))?);
        }
        Ok(())
    }

    fn hex_digits(&mut self, count: usize) -> Result<u32, FormatError> {
        let digits = self
            .text
            .get(self.pos..self.pos + count)
            .unwrap_or_default();
        if digits.len() != count || !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(self.err("truncated hex escape"));
        }
        self.pos += count;
        let s = std::str::from_utf8(digits).map_err(|_| self.err("bad hex escape"))?;
        u32::from_str_radix(s, 16).map_err(|_| self.err("bad hex escape"))
    }

    fn parse_number(&mut self) -> Result<Value, FormatError> {
        let start = self.pos;
        let mut negative = false;
        while let Some(sign @ (b'-' | b'+')) = self.peek() {
            if sign == b'-' {
                negative = !negative;
            }
            self.pos += 1;
            self.skip_space();
        }
        let body_start = self.pos;
        while matches!(
            self.peek(),
            Some(b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'.')
        ) {
            // Exponent signs belong to the number ("1e-3").
            let prev = self.peek();
            self.pos += 1;
            if matches!(prev, Some(b'e' | b'E'))
                && matches!(self.peek(), Some(b'-' | b'+'))
                && !self
                    .text
                    .get(body_start..self.pos)
                    .unwrap_or_default()
                    .starts_with(b"0x")
            {
                self.pos += 1;
            }
        }
        let mut body = self.text.get(body_start..self.pos).unwrap_or_default();
        if body.is_empty() {
            self.pos = start;
            return Err(self.err("expected a number"));
        }
        if self.long_suffix
            && body.len() > 1
            && body.ends_with(b"L")
            && body.first().is_some_and(u8::is_ascii_digit)
        {
            body = body.get(..body.len() - 1).unwrap_or_default();
        }
        let clean: String = body
            .iter()
            .filter(|&&b| b != b'_')
            .map(|&b| char::from(b))
            .collect();
        let lower = clean.to_ascii_lowercase();
        let int = if let Some(h) = lower.strip_prefix("0x") {
            i128::from_str_radix(h, 16).ok()
        } else if let Some(o) = lower.strip_prefix("0o") {
            i128::from_str_radix(o, 8).ok()
        } else if let Some(b) = lower.strip_prefix("0b") {
            i128::from_str_radix(b, 2).ok()
        } else if lower.bytes().all(|b| b.is_ascii_digit()) {
            if lower.len() > 1 && lower.starts_with('0') && lower.bytes().any(|b| b != b'0') {
                self.pos = start;
                return Err(self.err("leading zeros in a decimal integer"));
            }
            match lower.parse::<i128>() {
                Ok(v) => Some(v),
                Err(_) => {
                    self.pos = start;
                    return Err(self.err("integer too large"));
                }
            }
        } else {
            None
        };
        if let Some(v) = int {
            return Ok(Value::Int(if negative { -v } else { v }));
        }
        match lower.parse::<f64>() {
            Ok(f) if !lower.contains("inf") && !lower.contains("nan") => {
                Ok(Value::Float(if negative { -f } else { f }))
            }
            _ => {
                self.pos = start;
                Err(self.err("malformed number"))
            }
        }
    }
}

/// Applies NumPy's checks (`_read_array_header`) to the parsed literal.
fn interpret(
    value: Value,
    version: (u8, u8),
    header_len: u64,
    start: u64,
) -> Result<NpyHeader, FormatError> {
    let Value::Dict(entries) = value else {
        return Err(invalid(start, "npy header is not a dict".to_string()));
    };
    // A dict literal keeps the last value of a repeated key.
    let mut map: BTreeMap<String, Value> = BTreeMap::new();
    for (key, val) in entries {
        let Value::Str(key) = key else {
            return Err(invalid(
                start,
                "npy header has a non-string key".to_string(),
            ));
        };
        map.insert(key, val);
    }
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    if keys != ["descr", "fortran_order", "shape"] {
        return Err(invalid(
            start,
            format!("npy header keys are {keys:?}, expected descr, fortran_order and shape"),
        ));
    }
    let shape = match map.get("shape") {
        Some(Value::Tuple(dims)) => {
            let mut shape = Vec::with_capacity(dims.len());
            for d in dims {
                match d {
                    Value::Int(v) if *v >= 0 => {
                        shape.push(u64::try_from(*v).map_err(|_| {
                            invalid(start, "npy shape dimension too large".to_string())
                        })?);
                    }
                    Value::Int(_) => {
                        return Err(invalid(
                            start,
                            "npy shape has a negative dimension".to_string(),
                        ));
                    }
                    // `isinstance(True, int)` holds in Python, so NumPy accepts booleans.
                    Value::Bool(b) => shape.push(u64::from(*b)),
                    _ => {
                        return Err(invalid(
                            start,
                            "npy shape is not a tuple of ints".to_string(),
                        ));
                    }
                }
            }
            shape
        }
        _ => return Err(invalid(start, "npy shape is not a tuple".to_string())),
    };
    let fortran_order = match map.get("fortran_order") {
        Some(Value::Bool(b)) => *b,
        _ => {
            return Err(invalid(
                start,
                "npy fortran_order is not a bool".to_string(),
            ));
        }
    };
    let descr_value = map.get("descr").cloned().unwrap_or(Value::None);
    if !matches!(
        descr_value,
        Value::Str(_) | Value::List(_) | Value::Tuple(_)
    ) {
        return Err(invalid(
            start,
            "npy descr is not a string, list or tuple".to_string(),
        ));
    }
    if let Err(reason) = validate_descr(&descr_value, 0) {
        return Err(invalid(
            start,
            format!("npy descr is not a dtype NumPy accepts: {reason}"),
        ));
    }
    let is_object = dtype_has_object(&descr_value);
    let descr = match &descr_value {
        Value::Str(s) => s.clone(),
        other => {
            let mut s = String::new();
            repr(other, &mut s);
            s
        }
    };
    let data_len = if is_object {
        None
    } else {
        itemsize(&descr_value)
            .and_then(|size| shape.iter().try_fold(size, |acc, &d| acc.checked_mul(d)))
    };
    Ok(NpyHeader {
        version,
        descr,
        fortran_order,
        shape,
        header_len,
        is_object,
        data_len,
    })
}

/// Checks a descr the way `numpy.lib.format.descr_to_dtype` and `numpy.dtype` read it:
/// a dtype string, `(dtype, shape)`, or a list of `(name, dtype[, shape])` fields.
fn validate_descr(v: &Value, depth: usize) -> Result<(), String> {
    if depth > MAX_LITERAL_DEPTH {
        return Err("nested too deeply".to_string());
    }
    match v {
        Value::Str(s) => {
            if dtype_str_ok(s) {
                Ok(())
            } else {
                Err(format!("{s:?} is not a dtype string"))
            }
        }
        Value::Tuple(items) => match items.as_slice() {
            [base, shape] => {
                validate_descr(base, depth + 1)?;
                shape_ok(shape)
            }
            _ => Err("a subarray descr must be (dtype, shape)".to_string()),
        },
        Value::List(fields) => {
            for field in fields {
                match field {
                    Value::Tuple(parts) | Value::List(parts) => match parts.as_slice() {
                        [name, ty] | [name, ty, _] => {
                            field_name_ok(name)?;
                            validate_descr(ty, depth + 1)?;
                            if let [_, _, shape] = parts.as_slice() {
                                shape_ok(shape)?;
                            }
                        }
                        _ => return Err("a field must be (name, dtype[, shape])".to_string()),
                    },
                    // NumPy unpacks a 2- or 3-character string as (name, dtype[, shape]).
                    Value::Str(s) if s.chars().count() == 2 => {
                        let ty: String = s.chars().skip(1).collect();
                        if !dtype_str_ok(&ty) {
                            return Err(format!("field {s:?} has no valid dtype"));
                        }
                    }
                    _ => return Err("a field must be (name, dtype[, shape])".to_string()),
                }
            }
            Ok(())
        }
        _ => Err("descr must be a string, tuple or list".to_string()),
    }
}

fn field_name_ok(name: &Value) -> Result<(), String> {
    match name {
        Value::Str(_) => Ok(()),
        Value::Tuple(pair) if matches!(pair.as_slice(), [_, Value::Str(_)]) => Ok(()),
        _ => Err("a field name must be a string or (title, name)".to_string()),
    }
}

fn shape_ok(shape: &Value) -> Result<(), String> {
    match shape {
        Value::Int(v) if *v >= 0 => Ok(()),
        Value::Tuple(dims) if dims.iter().all(|d| matches!(d, Value::Int(v) if *v >= 0)) => Ok(()),
        _ => Err("a subarray shape must be a non-negative int or a tuple of them".to_string()),
    }
}

/// Named dtypes `numpy.dtype` accepts (NumPy 1.x and 2.x spellings).
const DTYPE_NAMES: &[&str] = &[
    "bool",
    "bool_",
    "bool8",
    "byte",
    "ubyte",
    "short",
    "ushort",
    "intc",
    "uintc",
    "int_",
    "uint",
    "intp",
    "uintp",
    "long",
    "ulong",
    "longlong",
    "ulonglong",
    "int",
    "float",
    "complex",
    "half",
    "single",
    "double",
    "longdouble",
    "longfloat",
    "float_",
    "csingle",
    "cdouble",
    "clongdouble",
    "cfloat",
    "clongfloat",
    "complex_",
    "singlecomplex",
    "longcomplex",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "float96",
    "float128",
    "complex64",
    "complex128",
    "complex192",
    "complex256",
    "object",
    "object_",
    "str",
    "str_",
    "unicode",
    "unicode_",
    "bytes",
    "bytes_",
    "string_",
    "void",
    "datetime64",
    "timedelta64",
];

/// One item of a dtype string: `[<>|=!]` + type code + optional size + optional
/// `[unit]`, a named dtype, optionally after a subarray shape (`(2,3)f4`, `3i4`).
fn dtype_item_ok(item: &str) -> bool {
    let mut s = item.trim();
    if let Some(rest) = s.strip_prefix('(') {
        let Some(close) = rest.find(')') else {
            return false;
        };
        let (dims, tail) = rest.split_at(close);
        if !dims
            .split(',')
            .map(str::trim)
            .all(|d| d.is_empty() || d.bytes().all(|b| b.is_ascii_digit()))
        {
            return false;
        }
        s = tail.get(1..).unwrap_or_default().trim_start();
    } else {
        s = s.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let (core, unit) = match s.find('[') {
        Some(i) => (
            s.get(..i).unwrap_or_default(),
            s.get(i..).unwrap_or_default(),
        ),
        None => (s, ""),
    };
    if !unit.is_empty() {
        let inner = unit.strip_prefix('[').and_then(|u| u.strip_suffix(']'));
        let unit_ok = inner.is_some_and(|u| {
            let letters = u.trim_start_matches(|c: char| c.is_ascii_digit());
            !letters.is_empty() && letters.chars().all(|c| c.is_ascii_alphabetic() || c == 'μ')
        });
        if !unit_ok {
            return false;
        }
    }
    if DTYPE_NAMES.contains(&core) {
        return unit.is_empty() || core.starts_with("datetime") || core.starts_with("timedelta");
    }
    let code = core.strip_prefix(['<', '>', '|', '=', '!']).unwrap_or(core);
    let mut chars = code.chars();
    let Some(kind) = chars.next() else {
        return false;
    };
    let digits = chars.as_str();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let known = "?bBhHiIlLqQpPuefdgFDGSaUVOMmcT".contains(kind);
    known && (unit.is_empty() || matches!(kind, 'M' | 'm'))
}

/// Whether `numpy.dtype(s)` accepts `s`: one item or a comma-separated list of items.
fn dtype_str_ok(s: &str) -> bool {
    let mut depth = 0i32;
    let mut start = 0usize;
    let mut items = Vec::new();
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                items.push(s.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(s.get(start..).unwrap_or_default());
    let items: Vec<&str> = items.into_iter().filter(|i| !i.trim().is_empty()).collect();
    !items.is_empty() && items.iter().all(|i| dtype_item_ok(i))
}

/// Whether a dtype type string names an object (`O`, `|O`, `O8`, `object`, `i4,O`...).
/// Any upper-case `O` counts: no other NumPy type code uses it.
fn typestr_is_object(s: &str) -> bool {
    s.contains('O') || s.to_ascii_lowercase().contains("object")
}

/// Whether `descr` (read the way `numpy.lib.format.descr_to_dtype` reads it) contains
/// an object dtype. Shapes it cannot map count as object if any string in them does.
fn dtype_has_object(descr: &Value) -> bool {
    match descr {
        Value::Str(s) => typestr_is_object(s),
        Value::Tuple(items) => match items.first() {
            Some(first) => dtype_has_object(first),
            None => false,
        },
        Value::List(fields) => fields.iter().any(field_has_object),
        other => any_string_object(other),
    }
}

/// One field of a structured dtype: `(name, type)` or `(name, type, shape)`; NumPy
/// unpacks any sequence of two or three items, strings included.
fn field_has_object(field: &Value) -> bool {
    match field {
        Value::Tuple(items) | Value::List(items) if matches!(items.len(), 2 | 3) => {
            items.get(1).is_some_and(dtype_has_object)
        }
        Value::Str(s) if matches!(s.chars().count(), 2 | 3) => s
            .chars()
            .nth(1)
            .is_some_and(|c| typestr_is_object(&c.to_string())),
        other => any_string_object(other),
    }
}

fn any_string_object(v: &Value) -> bool {
    match v {
        Value::Str(s) => typestr_is_object(s),
        Value::Tuple(items) | Value::List(items) => items.iter().any(any_string_object),
        Value::Dict(entries) => entries
            .iter()
            .any(|(k, v)| any_string_object(k) || any_string_object(v)),
        _ => false,
    }
}

/// Size in bytes of one element, for the dtype forms `numpy` writes; `None` otherwise.
fn itemsize(descr: &Value) -> Option<u64> {
    match descr {
        Value::Str(s) => typestr_itemsize(s),
        Value::Tuple(items) => {
            let base = itemsize(items.first()?)?;
            let count = shape_product(items.get(1)?)?;
            base.checked_mul(count)
        }
        Value::List(fields) => {
            let mut total: u64 = 0;
            for field in fields {
                let (Value::Tuple(parts) | Value::List(parts)) = field else {
                    return None;
                };
                let size = match parts.as_slice() {
                    [_, ty] => itemsize(ty)?,
                    [_, ty, shape] => itemsize(ty)?.checked_mul(shape_product(shape)?)?,
                    _ => return None,
                };
                total = total.checked_add(size)?;
            }
            Some(total)
        }
        _ => None,
    }
}

fn shape_product(shape: &Value) -> Option<u64> {
    match shape {
        Value::Int(v) => u64::try_from(*v).ok(),
        Value::Tuple(dims) => dims.iter().try_fold(1u64, |acc, d| match d {
            Value::Int(v) => acc.checked_mul(u64::try_from(*v).ok()?),
            _ => None,
        }),
        _ => None,
    }
}

/// `<f4`, `|b1`, `<U10`, `<M8[ns]`...: byte order, kind, size in bytes (characters for `U`).
fn typestr_itemsize(s: &str) -> Option<u64> {
    let s = s.strip_prefix(['<', '>', '|', '=']).unwrap_or(s);
    let mut chars = s.chars();
    let kind = chars.next()?;
    let rest = chars.as_str();
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (digits, tail) = rest.split_at(digits_end);
    if digits.is_empty() {
        return if kind == '?' && tail.is_empty() {
            Some(1)
        } else {
            None
        };
    }
    let n: u64 = digits.parse().ok()?;
    match kind {
        'b' | 'i' | 'u' | 'f' | 'c' | 'S' | 'a' | 'V' if tail.is_empty() => Some(n),
        'U' if tail.is_empty() => n.checked_mul(4),
        'M' | 'm' if tail.is_empty() || (tail.starts_with('[') && tail.ends_with(']')) => Some(n),
        _ => None,
    }
}

/// Python-style repr of a literal, for [`NpyHeader::descr`].
fn repr(v: &Value, out: &mut String) {
    match v {
        Value::Str(s) => {
            out.push('\'');
            for c in s.chars() {
                match c {
                    '\'' => out.push_str("\\'"),
                    '\\' => out.push_str("\\\\"),
                    c if c.is_control() => {
                        let _ = write!(out, "\\x{:02x}", u32::from(c));
                    }
                    c => out.push(c),
                }
            }
            out.push('\'');
        }
        Value::Bytes(b) => {
            out.push_str("b'");
            out.push_str(&b.escape_ascii().to_string());
            out.push('\'');
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Value::None => out.push_str("None"),
        Value::Tuple(items) => {
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                repr(item, out);
            }
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                repr(item, out);
            }
            out.push(']');
        }
        Value::Dict(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                repr(k, out);
                out.push_str(": ");
                repr(v, out);
            }
            out.push('}');
        }
    }
}
