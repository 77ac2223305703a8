//! One bound on everything a file expands into, across members and nesting levels.
//!
//! Each decompressed layer and archive member has its own size and ratio bounds, but a
//! bomb can stay under them by spreading over many members or levels (or, in a zip, by
//! pointing many central-directory records at the same compressed data). Every byte a
//! nested layer produces is charged to its file's budget: `max_compression_ratio` times
//! the file's size, never less than the 16 MiB under which ratios are not checked.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use airlock_core::{Finding, Location, rules};
use airlock_formats::compress::{self, RATIO_CHECK_AFTER};
use airlock_formats::{FormatError, LimitKind, Limits};

/// The bytes one file's nested layers may still produce; shared by all its layers.
#[derive(Clone)]
pub(crate) struct Budget {
    used: Rc<Cell<u64>>,
    max: u64,
}

impl Budget {
    /// The budget of a file of `len` bytes.
    pub(crate) fn for_file(len: u64, limits: &Limits) -> Self {
        Budget {
            used: Rc::new(Cell::new(0)),
            max: len
                .saturating_mul(limits.max_compression_ratio)
                .max(RATIO_CHECK_AFTER),
        }
    }

    /// `inner` with every byte read from it charged to this budget.
    pub(crate) fn charge<'a>(&self, inner: &'a mut dyn Read) -> Charged<'a> {
        Charged {
            inner,
            budget: self.clone(),
        }
    }

    /// An error once the budget is spent, so that archive walks stop instead of going on
    /// decoding members nobody will scan.
    pub(crate) fn check(&self) -> io::Result<()> {
        let used = self.used.get();
        if used > self.max {
            return Err(io::Error::other(FormatError::LimitExceeded {
                limit: LimitKind::TotalExpansion,
                value: used,
                max: self.max,
                offset: 0,
            }));
        }
        Ok(())
    }

    /// SCN901 for the file if its nested layers ran out of budget.
    pub(crate) fn finding(&self, location: &Location) -> Option<Finding> {
        (self.used.get() > self.max).then(|| {
            Finding::new(
                &rules::SCN901_DECOMPRESSION_LIMIT,
                location.clone(),
                format!(
                    "archive members and decompressed layers expand to more than {} bytes \
                     (max-compression-ratio times the file's size); the rest was not scanned",
                    self.max
                ),
            )
        })
    }
}

/// Whether `error` is this bound being hit: it is reported once, for the whole file, by
/// [`Budget::finding`], never where a nested layer happened to cross it.
pub(crate) fn is_exhausted(error: &io::Error) -> bool {
    compress::limit_error(error).is_some_and(is_exhausted_stop)
}

/// [`is_exhausted`] for a parser's stop.
pub(crate) fn is_exhausted_stop(stop: &FormatError) -> bool {
    match stop {
        FormatError::LimitExceeded { limit, .. } => *limit == LimitKind::TotalExpansion,
        FormatError::Io { source, .. } => is_exhausted(source),
        _ => false,
    }
}

/// A nested layer's reader that charges its bytes to the file's budget.
pub(crate) struct Charged<'a> {
    inner: &'a mut dyn Read,
    budget: Budget,
}

impl Read for Charged<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.budget.check()?;
        let n = self.inner.read(buf)?;
        let used = &self.budget.used;
        used.set(used.get().saturating_add(n as u64));
        Ok(n)
    }
}
