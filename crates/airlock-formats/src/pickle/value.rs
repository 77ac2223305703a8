//! What the symbolic VM knows about a value, in 16 bytes.
//!
//! A pickle can push millions of values and memoize all of them, so a [`Value`] is a
//! `Copy` enum of 16 bytes: short strings live inline, longer ones as a prefix in one
//! shared byte arena, containers and created objects as indices into tables of the
//! [`Store`]. Nothing is heap-allocated per opcode.
//!
//! Retained detail is bounded three ways. The first 32 MiB of a pickle's detail is kept
//! for its whole life (picklers memoize module names early and fetch them back late); a
//! window of the most recent 16–32 MiB is always kept (what a BUILD or a call consumes
//! was made just before it); detail in between ages out. `numpy.dtype` and joblib wrapper
//! objects, which the special cases read long after they were made, are copied to a
//! permanent area. Detail is only ever used to render evidence and to decide a few
//! special cases (STACK_GLOBAL operands, NumPy dtypes, joblib array wrappers, the PyTorch
//! magic number); where it is missing the VM reports
//! the value as computed or stops with a reason, never guesses.
//!
//! # Security
//!
//! Every value a hostile stream creates costs at most 16 bytes plus budgeted detail;
//! sharing through the memo or DUP copies 16 bytes, never a structure, so "billion laughs"
//! expansion (B37) does not expand here. Rendering is bounded by depth and length and
//! terminates on self-referencing containers.

use std::fmt::Write as _;

use super::Import;

/// Bytes of a string/bytes/int kept inside the [`Value`] itself.
pub(crate) const INLINE: usize = 13;
/// Bytes of a string or bytes value kept in the arena.
pub(crate) const KEEP_STR: usize = 1024;
/// Bytes of a big integer's two's complement kept.
pub(crate) const KEEP_LONG: usize = 16;
/// Values kept per tuple, list or set.
const SEQ_ITEMS: usize = 16;
/// Values (keys and values) kept per dict: 16 items.
const DICT_VALUES: usize = 32;
/// Detail retained from the start of a pickle, kept for its whole life (module names a
/// pickler memoizes early and fetches back late live here).
const HEAD_BUDGET: usize = 32 << 20;
/// Detail retained in the window of recent values, in two rotating generations of half
/// this each: whatever the last 16 MiB of detail created is always available.
const WINDOW_BUDGET: usize = 32 << 20;
/// Detail of values the special cases depend on (`numpy.dtype` and joblib wrapper
/// objects, with copies of their arguments and state), kept for the pickle's life.
const PERM_BUDGET: usize = 16 << 20;
/// Nesting depth rendered before a container is shown as `…`.
const RENDER_DEPTH: u32 = 4;
/// Index meaning "not retained".
pub(crate) const NO_ID: u32 = u32::MAX;
/// Marks indices into the permanent tables.
const PERM_BIT: u32 = 1 << 31;

/// Python type of a string-like or big-integer value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlobKind {
    /// `str` (also protocol 0–2 `STRING`s, which Python 3 loads as `str`).
    Str,
    /// `bytes`.
    Bytes,
    /// `bytearray`.
    ByteArray,
    /// `int` beyond 64 bits: little-endian two's complement.
    Long,
}

/// Python type of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContKind {
    Tuple,
    List,
    Dict,
    Set,
    FrozenSet,
}

/// Values the VM cannot see into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opaque {
    /// Whatever the loader's `persistent_load` returns.
    PersId,
    /// An out-of-band buffer (protocol 5).
    Buffer,
    /// A NumPy array read from joblib's inline data.
    Array,
}

/// A value on the VM stack or in the memo.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value {
    /// An unset slot of the dense memo.
    Hole,
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A short blob, complete.
    Inline {
        kind: BlobKind,
        len: u8,
        data: [u8; INLINE],
    },
    /// A blob of `len` bytes whose first `kept` bytes are at `arena[off..]`.
    Blob {
        kind: BlobKind,
        kept: u16,
        off: u32,
        len: u64,
    },
    /// A container; `id` indexes [`Store::conts`] or is [`NO_ID`].
    Cont {
        kind: ContKind,
        id: u32,
    },
    /// An imported global; indexes the stream's import list.
    Global(u32),
    /// The result of a call. `global` is the callee's import index when the callee was
    /// a plain imported name, `info` indexes [`Store::objs`]; either may be [`NO_ID`].
    Obj {
        global: u32,
        info: u32,
    },
    /// A global fetched through the copyreg extension registry.
    Ext(u32),
    Opaque(Opaque),
}

/// A container's retained contents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContInfo {
    pub(crate) kind: ContKind,
    /// Items added in total (pairs count twice for dicts).
    pub(crate) count: u64,
    /// Index of the first kept item in the pool of the same [`Tables`].
    off: u32,
    len: u8,
    cap: u8,
    /// Contents beyond the cap were added: only `count` is meaningful.
    dropped: bool,
}

/// What created an object and what state BUILD gave it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ObjInfo {
    pub(crate) callee: Value,
    pub(crate) args: Value,
    pub(crate) state: Option<Value>,
    /// Opcode that created it.
    pub(crate) op: u8,
}

/// One generation of retained detail. Indices handed out are logical: `base + local`.
#[derive(Debug, Default)]
struct Tables {
    arena: Vec<u8>,
    pool: Vec<Value>,
    conts: Vec<ContInfo>,
    objs: Vec<ObjInfo>,
    arena_base: u32,
    cont_base: u32,
    obj_base: u32,
}

impl Tables {
    fn retained(&self) -> usize {
        self.arena.len()
            + self.pool.len() * size_of::<Value>()
            + self.conts.len() * size_of::<ContInfo>()
            + self.objs.len() * size_of::<ObjInfo>()
    }

    fn is_empty(&self) -> bool {
        self.arena.is_empty()
            && self.pool.is_empty()
            && self.conts.is_empty()
            && self.objs.is_empty()
    }

    fn cont_local(&self, id: u32) -> Option<usize> {
        let local = id.checked_sub(self.cont_base)? as usize;
        (local < self.conts.len()).then_some(local)
    }

    fn obj_local(&self, id: u32) -> Option<usize> {
        let local = id.checked_sub(self.obj_base)? as usize;
        (local < self.objs.len()).then_some(local)
    }

    fn arena_slice(&self, off: u32, kept: usize) -> Option<&[u8]> {
        let local = off.checked_sub(self.arena_base)? as usize;
        self.arena.get(local..local.checked_add(kept)?)
    }
}

/// Which tables an allocation goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gen {
    Head,
    Cur,
    Perm,
}

/// Retained detail of one pickle's values: a head kept from the start, a window of
/// recent detail, and permanent detail for the special cases. Memory is bounded by
/// `HEAD_BUDGET + WINDOW_BUDGET + PERM_BUDGET` whatever the stream does.
#[derive(Debug, Default)]
pub(crate) struct Store {
    head: Tables,
    /// The head took its last allocation: everything new goes to the window.
    head_closed: bool,
    old: Tables,
    cur: Tables,
    perm: Tables,
    next_arena: u32,
    next_cont: u32,
    next_obj: u32,
}

impl Store {
    /// Forgets everything (a new pickle starts).
    pub(crate) fn clear(&mut self) {
        *self = Store::default();
    }

    /// Chooses where `cost` bytes of new detail go, rotating the window when its current
    /// generation is full. `None` when it cannot be retained.
    fn place(&mut self, cost: usize, perm: bool) -> Option<Gen> {
        if perm {
            return (self.perm.retained().saturating_add(cost) <= PERM_BUDGET).then_some(Gen::Perm);
        }
        if !self.head_closed {
            if self.head.retained().saturating_add(cost) <= HEAD_BUDGET {
                return Some(Gen::Head);
            }
            self.head_closed = true;
        }
        if cost > WINDOW_BUDGET / 2 {
            return None;
        }
        if self.cur.retained().saturating_add(cost) > WINDOW_BUDGET / 2 {
            self.old = std::mem::take(&mut self.cur);
        }
        if self.cur.is_empty() {
            self.cur.arena_base = self.next_arena;
            self.cur.cont_base = self.next_cont;
            self.cur.obj_base = self.next_obj;
        }
        Some(Gen::Cur)
    }

    fn tables_mut(&mut self, g: Gen) -> &mut Tables {
        match g {
            Gen::Head => &mut self.head,
            Gen::Cur => &mut self.cur,
            Gen::Perm => &mut self.perm,
        }
    }

    /// The tables holding container `id`, its local index, and its generation.
    fn cont_at(&self, id: u32) -> Option<(&Tables, usize)> {
        if id == NO_ID {
            return None;
        }
        if id & PERM_BIT != 0 {
            let local = (id & !PERM_BIT) as usize;
            return (local < self.perm.conts.len()).then_some((&self.perm, local));
        }
        [&self.head, &self.cur, &self.old]
            .into_iter()
            .find_map(|t| t.cont_local(id).map(|l| (t, l)))
    }

    fn arena_slice(&self, off: u32, kept: usize) -> Option<&[u8]> {
        if off & PERM_BIT != 0 {
            let local = (off & !PERM_BIT) as usize;
            return self.perm.arena.get(local..local.checked_add(kept)?);
        }
        [&self.head, &self.cur, &self.old]
            .into_iter()
            .find_map(|t| t.arena_slice(off, kept))
    }

    /// A blob value; `data` is its content or a prefix of it, `len` its full length.
    pub(crate) fn blob(&mut self, kind: BlobKind, data: &[u8], len: u64) -> Value {
        self.blob_in(kind, data, len, false)
    }

    fn blob_in(&mut self, kind: BlobKind, data: &[u8], len: u64, perm: bool) -> Value {
        if data.len() <= INLINE && data.len() as u64 == len {
            let mut inline = [0u8; INLINE];
            if let Some(dst) = inline.get_mut(..data.len()) {
                dst.copy_from_slice(data);
            }
            return Value::Inline {
                kind,
                len: data.len() as u8,
                data: inline,
            };
        }
        let cap = if kind == BlobKind::Long {
            KEEP_LONG
        } else {
            KEEP_STR
        };
        let keep = data.get(..data.len().min(cap)).unwrap_or(&[]);
        let lost = Value::Blob {
            kind,
            kept: 0,
            off: 0,
            len,
        };
        let Some(g) = self.place(keep.len(), perm) else {
            return lost;
        };
        let off = if g == Gen::Perm {
            match u32::try_from(self.perm.arena.len()) {
                Ok(o) if o < PERM_BIT => o | PERM_BIT,
                _ => return lost,
            }
        } else {
            let Some(next) = self.next_arena.checked_add(keep.len() as u32) else {
                return lost;
            };
            if next >= PERM_BIT {
                return lost;
            }
            std::mem::replace(&mut self.next_arena, next)
        };
        self.tables_mut(g).arena.extend_from_slice(keep);
        Value::Blob {
            kind,
            kept: keep.len() as u16,
            off,
            len,
        }
    }

    /// Kept content and full length of a blob value of kind `kind`.
    pub(crate) fn blob_of<'a>(&'a self, v: &'a Value, want: BlobKind) -> Option<(&'a [u8], u64)> {
        match v {
            Value::Inline { kind, len, data } if *kind == want => Some((
                data.get(..usize::from(*len)).unwrap_or(&[]),
                u64::from(*len),
            )),
            Value::Blob {
                kind,
                kept,
                off,
                len,
            } if *kind == want => {
                let kept = if *kept == 0 {
                    &[][..]
                } else {
                    // Detail that aged out of the window reads as not retained.
                    self.arena_slice(*off, usize::from(*kept)).unwrap_or(&[])
                };
                Some((kept, *len))
            }
            _ => None,
        }
    }

    /// The complete content of a str value, if it is one and fully retained.
    pub(crate) fn full_str<'a>(&'a self, v: &'a Value) -> Option<&'a [u8]> {
        self.blob_of(v, BlobKind::Str)
            .filter(|(kept, len)| kept.len() as u64 == *len)
            .map(|(kept, _)| kept)
    }

    /// The value of an int, if it is one and fits 128 bits.
    pub(crate) fn int_of(&self, v: &Value) -> Option<i128> {
        match v {
            Value::Int(i) => Some(i128::from(*i)),
            Value::Bool(b) => Some(i128::from(*b)),
            _ => {
                let (kept, len) = self.blob_of(v, BlobKind::Long)?;
                if kept.len() as u64 != len || kept.len() > 16 {
                    return None;
                }
                Some(i128_from_le(kept))
            }
        }
    }

    /// A new container holding `items`.
    pub(crate) fn new_cont(&mut self, kind: ContKind, items: &[Value]) -> Value {
        self.new_cont_in(kind, items, false)
    }

    fn new_cont_in(&mut self, kind: ContKind, items: &[Value], perm: bool) -> Value {
        let none = Value::Cont { kind, id: NO_ID };
        let max = if kind == ContKind::Dict {
            DICT_VALUES
        } else {
            SEQ_ITEMS
        };
        let keep = items.len().min(max);
        // Room for the record and, if the items are kept, their slots.
        let cost = size_of::<ContInfo>() + keep.next_power_of_two().max(4) * size_of::<Value>();
        let Some(g) = self.place(cost, perm) else {
            return none;
        };
        let id = if g == Gen::Perm {
            match u32::try_from(self.perm.conts.len()) {
                Ok(i) if i < PERM_BIT => i | PERM_BIT,
                _ => return none,
            }
        } else {
            let id = self.next_cont;
            if id.saturating_add(1) >= PERM_BIT {
                return none;
            }
            self.next_cont += 1;
            id
        };
        let t = self.tables_mut(g);
        t.conts.push(ContInfo {
            kind,
            count: 0,
            off: 0,
            len: 0,
            cap: 0,
            dropped: false,
        });
        self.extend_in(g, id, items);
        Value::Cont { kind, id }
    }

    /// Adds `items` to container `id`, keeping them while under the caps.
    pub(crate) fn extend(&mut self, id: u32, items: &[Value]) {
        let g = if id & PERM_BIT != 0 && id != NO_ID {
            Gen::Perm
        } else if self.head.cont_local(id).is_some() {
            Gen::Head
        } else if self.cur.cont_local(id).is_some() {
            Gen::Cur
        } else if let Some(local) = self.old.cont_local(id) {
            // The old generation is frozen: count, and keep only what fits in place.
            if let Some(c) = self.old.conts.get_mut(local) {
                c.count = c.count.saturating_add(items.len() as u64);
                let new_len = usize::from(c.len) + items.len();
                if !c.dropped && new_len <= usize::from(c.cap) {
                    let start = c.off as usize + usize::from(c.len);
                    if let Some(dst) = self.old.pool.get_mut(start..start + items.len()) {
                        dst.copy_from_slice(items);
                        c.len = new_len as u8;
                    }
                } else if !items.is_empty() {
                    c.dropped = true;
                }
            }
            return;
        } else {
            return;
        };
        self.extend_in(g, id, items);
    }

    fn extend_in(&mut self, g: Gen, id: u32, items: &[Value]) {
        let budget = match g {
            Gen::Head => HEAD_BUDGET,
            Gen::Cur => WINDOW_BUDGET / 2,
            Gen::Perm => PERM_BUDGET,
        };
        let t = self.tables_mut(g);
        let local = if g == Gen::Perm {
            (id & !PERM_BIT) as usize
        } else {
            match t.cont_local(id) {
                Some(l) => l,
                None => return,
            }
        };
        let retained = t.retained();
        let pool_len = t.pool.len();
        let Some(c) = t.conts.get_mut(local) else {
            return;
        };
        let max = if c.kind == ContKind::Dict {
            DICT_VALUES
        } else {
            SEQ_ITEMS
        };
        c.count = c.count.saturating_add(items.len() as u64);
        if items.is_empty() || c.dropped {
            return;
        }
        let new_len = usize::from(c.len) + items.len();
        if new_len > max {
            c.dropped = true;
            return;
        }
        let start = c.off as usize;
        if new_len > usize::from(c.cap) {
            // Move to the end of the pool with room to grow; the old slots become garbage,
            // at most as much again as is live.
            let cap = new_len.next_power_of_two().clamp(4, max);
            let fits = retained.saturating_add(cap * size_of::<Value>()) <= budget;
            let Ok(off) = u32::try_from(pool_len) else {
                c.dropped = true;
                return;
            };
            if !fits {
                c.dropped = true;
                return;
            }
            let old_end = start + usize::from(c.len);
            if old_end <= pool_len {
                t.pool.extend_from_within(start..old_end);
            }
            t.pool.extend_from_slice(items);
            t.pool.resize(pool_len + cap, Value::Hole);
            c.off = off;
            c.cap = cap as u8;
        } else if let Some(dst) = t.pool.get_mut(start + usize::from(c.len)..start + new_len) {
            dst.copy_from_slice(items);
        }
        c.len = new_len as u8;
    }

    /// Kind, total count, and kept items (`None` when dropped) of container `id`.
    pub(crate) fn cont(&self, id: u32) -> Option<(ContKind, u64, Option<&[Value]>)> {
        let (t, local) = self.cont_at(id)?;
        let c = t.conts.get(local)?;
        let items = if c.dropped {
            None
        } else {
            let start = c.off as usize;
            t.pool.get(start..start + usize::from(c.len))
        };
        Some((c.kind, c.count, items))
    }

    /// Kept items of a container value.
    pub(crate) fn items_of(&self, v: &Value) -> Option<(ContKind, &[Value])> {
        match v {
            Value::Cont { id, .. } => {
                let (kind, _, items) = self.cont(*id)?;
                Some((kind, items?))
            }
            _ => None,
        }
    }

    /// Records a created object; [`NO_ID`] when it cannot be retained. `perm` objects
    /// (the special cases) are kept for the pickle's life, with copies of their args.
    pub(crate) fn new_obj(&mut self, mut info: ObjInfo, perm: bool) -> u32 {
        if perm {
            info.args = self.copy_to_perm(info.args, 0);
            info.callee = self.copy_to_perm(info.callee, 0);
        }
        let Some(g) = self.place(size_of::<ObjInfo>(), perm) else {
            return NO_ID;
        };
        let id = if g == Gen::Perm {
            match u32::try_from(self.perm.objs.len()) {
                Ok(i) if i < PERM_BIT => i | PERM_BIT,
                _ => return NO_ID,
            }
        } else {
            let id = self.next_obj;
            if id.saturating_add(1) >= PERM_BIT {
                return NO_ID;
            }
            self.next_obj += 1;
            id
        };
        self.tables_mut(g).objs.push(info);
        id
    }

    pub(crate) fn obj(&self, id: u32) -> Option<&ObjInfo> {
        if id == NO_ID {
            return None;
        }
        if id & PERM_BIT != 0 {
            return self.perm.objs.get((id & !PERM_BIT) as usize);
        }
        [&self.head, &self.cur, &self.old]
            .into_iter()
            .find_map(|t| t.obj_local(id).and_then(|l| t.objs.get(l)))
    }

    /// Sets the BUILD state of object `id` (copied to permanent detail for permanent
    /// objects, whose state the special cases read later).
    pub(crate) fn set_state(&mut self, id: u32, state: Value) {
        if id == NO_ID {
            return;
        }
        if id & PERM_BIT != 0 {
            let state = self.copy_to_perm(state, 0);
            if let Some(o) = self.perm.objs.get_mut((id & !PERM_BIT) as usize) {
                o.state = Some(state);
            }
            return;
        }
        for t in [&mut self.head, &mut self.cur, &mut self.old] {
            if let Some(l) = t.obj_local(id)
                && let Some(o) = t.objs.get_mut(l)
            {
                o.state = Some(state);
                return;
            }
        }
    }

    /// Copies a value's detail into the permanent tables (a few levels deep).
    fn copy_to_perm(&mut self, v: Value, depth: u32) -> Value {
        match v {
            Value::Blob { kind, off, .. } if off & PERM_BIT == 0 => {
                let Some((kept, len)) = self.blob_of(&v, kind) else {
                    return v;
                };
                let kept = kept.to_vec();
                self.blob_in(kind, &kept, len, true)
            }
            Value::Cont { kind, id } if id & PERM_BIT == 0 && depth < 3 => {
                let Some((_, count, items)) = self.cont(id) else {
                    return v;
                };
                let Some(items) = items.map(<[Value]>::to_vec) else {
                    // Contents were dropped: keep the count only.
                    let c = self.new_cont_in(kind, &[], true);
                    if let Value::Cont { id, .. } = c
                        && let Some(info) = self.perm.conts.get_mut((id & !PERM_BIT) as usize)
                    {
                        info.count = count;
                        info.dropped = true;
                    }
                    return c;
                };
                let copied: Vec<Value> = items
                    .into_iter()
                    .map(|i| self.copy_to_perm(i, depth + 1))
                    .collect();
                self.new_cont_in(kind, &copied, true)
            }
            other => other,
        }
    }
}

/// Sign-extends little-endian two's complement bytes (at most 16) to `i128`.
pub(crate) fn i128_from_le(b: &[u8]) -> i128 {
    let neg = b.last().is_some_and(|&x| x & 0x80 != 0);
    let mut buf = [if neg { 0xff } else { 0 }; 16];
    for (dst, src) in buf.iter_mut().zip(b) {
        *dst = *src;
    }
    i128::from_le_bytes(buf)
}

/// Minimal little-endian two's complement bytes of `v`.
pub(crate) fn i128_to_le(v: i128) -> ([u8; 16], usize) {
    let bytes = v.to_le_bytes();
    let mut n = 16;
    while n > 1 {
        let top = bytes.get(n - 1).copied().unwrap_or(0);
        let next = bytes.get(n - 2).copied().unwrap_or(0);
        let redundant = (top == 0 && next & 0x80 == 0) || (top == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        n -= 1;
    }
    (bytes, n)
}

/// Renders values as compact Python-like text for evidence.
pub(crate) struct Render<'a> {
    pub(crate) store: &'a Store,
    pub(crate) imports: &'a [Import],
    pub(crate) out: String,
    pub(crate) max: usize,
}

impl Render<'_> {
    fn full(&self) -> bool {
        self.out.len() > self.max
    }

    /// Truncates the output to `max` characters, marking the cut with `…`.
    pub(crate) fn finish(mut self) -> String {
        if self.out.chars().count() > self.max {
            let cut = self
                .out
                .char_indices()
                .nth(self.max.saturating_sub(1))
                .map_or(self.out.len(), |(i, _)| i);
            self.out.truncate(cut);
            self.out.push('…');
        }
        self.out
    }

    pub(crate) fn global_name(&mut self, i: u32) {
        match self.imports.get(i as usize) {
            Some(imp) => {
                let _ = write!(self.out, "{}.{}", imp.module, imp.name);
            }
            None => self.out.push_str("<global ?>"),
        }
    }

    /// Renders a callable as an expression: `module.name` for a plain global.
    pub(crate) fn callee(&mut self, v: &Value, depth: u32) {
        match v {
            Value::Global(i) if self.imports.get(*i as usize).is_some_and(|m| !m.computed) => {
                self.global_name(*i)
            }
            other => self.value(other, depth),
        }
    }

    /// Renders call arguments as the inside of a call's parentheses.
    pub(crate) fn call_args(&mut self, args: &Value, depth: u32) {
        match self.store.items_of(args) {
            Some((ContKind::Tuple, items)) => self.seq(items, depth),
            _ => {
                self.out.push('*');
                self.value(args, depth);
            }
        }
    }

    fn seq(&mut self, items: &[Value], depth: u32) {
        for (i, item) in items.iter().enumerate() {
            if self.full() {
                return;
            }
            if i > 0 {
                self.out.push_str(", ");
            }
            self.value(item, depth);
        }
    }

    /// Renders one value.
    pub(crate) fn value(&mut self, v: &Value, depth: u32) {
        if self.full() {
            return;
        }
        match v {
            Value::Hole => self.out.push_str("<?>"),
            Value::None => self.out.push_str("None"),
            Value::Bool(b) => self.out.push_str(if *b { "True" } else { "False" }),
            Value::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Float(f) => {
                if f.is_nan() {
                    self.out.push_str("nan");
                } else if f.is_infinite() {
                    self.out.push_str(if *f > 0.0 { "inf" } else { "-inf" });
                } else {
                    let _ = write!(self.out, "{f:?}");
                }
            }
            Value::Inline { kind, .. } | Value::Blob { kind, .. } => self.blob(v, *kind),
            Value::Cont { kind, id } => self.cont(*kind, *id, depth),
            Value::Global(i) => {
                self.out.push_str("<global ");
                self.global_name(*i);
                self.out.push('>');
            }
            Value::Obj { global, info } => self.obj(*global, *info, depth),
            Value::Ext(code) => {
                let _ = write!(self.out, "<extension {code}>");
            }
            Value::Opaque(Opaque::PersId) => self.out.push_str("<persistent id>"),
            Value::Opaque(Opaque::Buffer) => self.out.push_str("<buffer>"),
            Value::Opaque(Opaque::Array) => self.out.push_str("<array>"),
        }
    }

    fn obj(&mut self, global: u32, info: u32, depth: u32) {
        if depth >= RENDER_DEPTH {
            self.out.push('…');
            return;
        }
        match self.store.obj(info) {
            Some(o) => {
                let o = *o;
                self.callee(&o.callee, depth + 1);
                self.out.push('(');
                self.call_args(&o.args, depth + 1);
                self.out.push(')');
            }
            None if global != NO_ID => {
                self.global_name(global);
                self.out.push_str("(…)");
            }
            None => self.out.push_str("<call result>"),
        }
    }

    fn cont(&mut self, kind: ContKind, id: u32, depth: u32) {
        let (open, close) = match kind {
            ContKind::Tuple => ("(", ")"),
            ContKind::List => ("[", "]"),
            ContKind::Dict | ContKind::Set => ("{", "}"),
            ContKind::FrozenSet => ("frozenset({", "})"),
        };
        let Some((_, count, items)) = self.store.cont(id) else {
            let _ = write!(self.out, "{open}…{close}");
            return;
        };
        if kind == ContKind::Set && count == 0 {
            self.out.push_str("set()");
            return;
        }
        self.out.push_str(open);
        match items {
            Some(items) if depth < RENDER_DEPTH => {
                if kind == ContKind::Dict {
                    for (i, pair) in items.chunks(2).enumerate() {
                        if self.full() {
                            break;
                        }
                        if i > 0 {
                            self.out.push_str(", ");
                        }
                        if let [k, v] = pair {
                            self.value(k, depth + 1);
                            self.out.push_str(": ");
                            self.value(v, depth + 1);
                        }
                    }
                } else {
                    self.seq(items, depth + 1);
                    if kind == ContKind::Tuple && items.len() == 1 {
                        self.out.push(',');
                    }
                }
            }
            _ => {
                let n = if kind == ContKind::Dict {
                    count / 2
                } else {
                    count
                };
                let _ = write!(self.out, "…{n} items");
            }
        }
        self.out.push_str(close);
    }

    fn blob(&mut self, v: &Value, kind: BlobKind) {
        let Some((kept, len)) = self.store.blob_of(v, kind) else {
            return;
        };
        let partial = (kept.len() as u64) < len;
        match kind {
            BlobKind::Long => {
                if partial || kept.len() > 16 {
                    let _ = write!(self.out, "<int of {len} bytes>");
                } else {
                    let _ = write!(self.out, "{}", i128_from_le(kept));
                }
            }
            BlobKind::Str => {
                let s = String::from_utf8_lossy(kept);
                let quote = if s.contains('\'') && !s.contains('"') {
                    '"'
                } else {
                    '\''
                };
                self.out.push(quote);
                for ch in s.chars() {
                    if self.full() {
                        break;
                    }
                    match ch {
                        '\\' => self.out.push_str("\\\\"),
                        '\n' => self.out.push_str("\\n"),
                        '\r' => self.out.push_str("\\r"),
                        '\t' => self.out.push_str("\\t"),
                        c if c == quote => {
                            self.out.push('\\');
                            self.out.push(c);
                        }
                        c if c.is_control() => {
                            let _ = write!(self.out, "\\x{:02x}", u32::from(c));
                        }
                        c => self.out.push(c),
                    }
                }
                if partial {
                    let _ = write!(self.out, "…<{len} bytes>");
                }
                self.out.push(quote);
            }
            BlobKind::Bytes | BlobKind::ByteArray => {
                if kind == BlobKind::ByteArray {
                    self.out.push_str("bytearray(");
                }
                self.out.push_str("b'");
                for &b in kept {
                    if self.full() {
                        break;
                    }
                    match b {
                        b'\\' => self.out.push_str("\\\\"),
                        b'\'' => self.out.push_str("\\'"),
                        b'\n' => self.out.push_str("\\n"),
                        b'\r' => self.out.push_str("\\r"),
                        b'\t' => self.out.push_str("\\t"),
                        0x20..=0x7e => self.out.push(char::from(b)),
                        _ => {
                            let _ = write!(self.out, "\\x{b:02x}");
                        }
                    }
                }
                if partial {
                    let _ = write!(self.out, "…<{len} bytes>");
                }
                self.out.push('\'');
                if kind == BlobKind::ByteArray {
                    self.out.push(')');
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_16_bytes() {
        assert_eq!(size_of::<Value>(), 16);
    }

    #[test]
    fn le_round_trip() {
        for v in [
            0i128,
            1,
            -1,
            127,
            128,
            -129,
            0x1950a86a20f9469cfc6c,
            i128::MIN,
        ] {
            let (b, n) = i128_to_le(v);
            assert_eq!(i128_from_le(&b[..n]), v, "{v}");
        }
        assert_eq!(i128_to_le(0x1950a86a20f9469cfc6c).1, 10);
    }

    #[test]
    fn containers_drop_past_cap() {
        let mut s = Store::default();
        let v = s.new_cont(ContKind::List, &[]);
        let Value::Cont { id, .. } = v else { panic!() };
        for i in 0..16 {
            s.extend(id, &[Value::Int(i)]);
        }
        assert_eq!(s.cont(id).unwrap().2.unwrap().len(), 16);
        s.extend(id, &[Value::Int(99)]);
        let (_, count, items) = s.cont(id).unwrap();
        assert_eq!(count, 17);
        assert!(items.is_none());
    }

    #[test]
    fn head_and_recent_window_survive_middle_ages_out() {
        let mut s = Store::default();
        let early = s.blob(BlobKind::Str, &[b'e'; 100], 100);
        // 80 MiB of detail: closes the head and rotates the window several times.
        let mut middle = None;
        for i in 0..(80 << 20) / 1000 {
            let v = s.blob(BlobKind::Str, &[b'm'; 1000], 1000);
            if i == (50 << 20) / 1000 {
                middle = Some(v);
            }
        }
        let recent = s.blob(BlobKind::Str, &[b'r'; 100], 100);
        let t = s.new_cont(ContKind::Tuple, &[recent]);
        assert_eq!(s.full_str(&early), Some(&[b'e'; 100][..]));
        assert_eq!(s.full_str(&recent), Some(&[b'r'; 100][..]));
        assert_eq!(s.items_of(&t).unwrap().1.len(), 1);
        let middle = middle.unwrap();
        assert_eq!(s.blob_of(&middle, BlobKind::Str), Some((&[][..], 1000)));
        assert!(
            s.head.retained() + s.old.retained() + s.cur.retained() <= HEAD_BUDGET + WINDOW_BUDGET
        );
    }

    #[test]
    fn permanent_objects_keep_copies_of_their_args_and_state() {
        let mut s = Store::default();
        let code = s.blob(BlobKind::Str, b"a long dtype code string", 24);
        let args = s.new_cont(ContKind::Tuple, &[code]);
        let id = s.new_obj(
            ObjInfo {
                callee: Value::Global(0),
                args,
                state: None,
                op: 0,
            },
            true,
        );
        assert_ne!(id & PERM_BIT, 0);
        for _ in 0..(80 << 20) / 1000 {
            s.blob(BlobKind::Str, &[b'm'; 1000], 1000);
        }
        let o = *s.obj(id).unwrap();
        let (_, items) = s.items_of(&o.args).unwrap();
        assert_eq!(
            s.full_str(&items[0]),
            Some(&b"a long dtype code string"[..])
        );
    }

    #[test]
    fn renders_python_like() {
        let mut s = Store::default();
        let a = s.blob(BlobKind::Str, b"echo pwned", 10);
        let t = s.new_cont(ContKind::Tuple, &[a]);
        let mut r = Render {
            store: &s,
            imports: &[],
            out: String::new(),
            max: 200,
        };
        r.value(&t, 0);
        assert_eq!(r.finish(), "('echo pwned',)");
    }
}
