//! One file, one read: open, hash, detect by content, parse every layer, map to findings.

use std::io::{self, BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use airlock_core::{ByteName, Finding, Location, rules};
use airlock_formats::compress::{self, Codec};
use airlock_formats::detect::{self, Kind};
use airlock_formats::tensorflow::TfKind;
use airlock_formats::{FormatError, LimitKind, Limits, numpy, pickle};
use rayon::prelude::*;

use crate::budget::{self, Budget};
use crate::config::ScanConfig;
use crate::error::ConfigError;
use crate::findings::{self, is_stop_rule};
use crate::hashing::{ErrorTap, HashingReader};
use crate::imports::ImportPolicy;
use crate::report::{FileReport, ScanReport};
use crate::walk;
use crate::{
    gguf_scan, huggingface_scan, keras_scan, onnx_scan, safetensors_scan, sevenz_scan, tar_scan,
    tensorflow_scan, zip_scan,
};

/// Bytes peeked at the start of every layer to detect its format.
const SNIFF_LEN: usize = 4096;

/// Read buffer per file. 1 MiB keeps syscalls rare on multi-gigabyte checkpoints.
const READ_BUFFER: usize = 1 << 20;

/// Progress callbacks for long scans; the CLI draws a bar from them.
pub trait Progress: Sync {
    /// Called once with the totals before any file is read.
    fn start(&self, files: u64, bytes: u64);
    /// Called as bytes are read, from several threads.
    fn advance(&self, bytes: u64);
}

/// A [`Progress`] that ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _files: u64, _bytes: u64) {}
    fn advance(&self, _bytes: u64) {}
}

/// The scan engine: limits and import policy, shared by every file of a run.
pub struct Scanner {
    pub(crate) limits: Limits,
    pub(crate) policy: ImportPolicy,
}

impl Scanner {
    /// Builds a scanner from the `[scan]` config table.
    pub fn new(config: &ScanConfig) -> Result<Self, ConfigError> {
        Ok(Scanner {
            limits: config.limits.to_limits(),
            policy: ImportPolicy::new(config.pickle.allow.clone())?,
        })
    }

    /// Scans files and directories (recursively), in parallel; results sorted by path.
    pub fn scan_paths(&self, paths: &[PathBuf], progress: &dyn Progress) -> ScanReport {
        let walked = walk::collect(paths);
        progress.start(walked.files.len() as u64, walked.bytes);
        let mut files: Vec<FileReport> = walked
            .files
            .par_iter()
            .map(|path| self.scan_file(path, progress))
            .chain(
                walked
                    .errors
                    .into_par_iter()
                    .map(|(path, error)| unreadable(&path, &error)),
            )
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let (allowlist_version, denylist_version) = self.policy.versions();
        ScanReport {
            files,
            allowlist_version: allowlist_version.to_owned(),
            denylist_version: denylist_version.to_owned(),
        }
    }

    /// Scans one file: a single sequential read feeds both the parsers and SHA-256.
    pub fn scan_file(&self, path: &Path, progress: &dyn Progress) -> FileReport {
        let file = match fs_err::File::open(path) {
            Ok(file) => file,
            Err(error) => return unreadable(path, &error),
        };
        let file_len = file.metadata().map(|m| m.len()).ok();
        let on_read = |n| progress.advance(n);
        let location = Location::file(ByteName::from_path(path));
        let mut hashing = HashingReader::new(file, &on_read);
        let budget = Budget::for_file(file_len.unwrap_or(0), &self.limits);
        let mut findings = Vec::new();
        let mut reread = Vec::new();
        let (format, complete) = {
            let mut buffered = BufReader::with_capacity(READ_BUFFER, &mut hashing);
            let mut stream = Layer::new(&mut buffered, Origin::File, budget.clone())
                .with_whole(Whole::Path(path));
            if let Some(len) = file_len {
                stream = stream.with_len(len);
            }
            let format = self.scan_layer(&mut stream, &location, 0, &mut findings, &mut reread);
            // Parsers stop where their format ends (a legacy checkpoint's raw storages
            // follow its pickles): read the rest so the digest covers the whole file.
            let drained = io::copy(&mut buffered, &mut io::sink());
            if let Err(error) = &drained {
                findings.push(read_error(&location, error));
            }
            (format, drained.is_ok())
        };
        if format == "unknown"
            && huggingface_scan::is_config_name(path)
            && let Some(json) = huggingface_scan::read_config(path)
        {
            self.scan_config_json(&json, path.parent(), &location, &mut findings);
        }
        let (digest, size) = hashing.finish();
        let sha256 = complete.then_some(digest);
        if !reread.is_empty() {
            let open = || fs_err::File::open(path).map(BufReader::new);
            zip_scan::revisit(self, &open, &location, reread, &budget, &mut findings);
        }
        findings.extend(budget.finding(&location));
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        FileReport {
            path: location.path,
            size,
            sha256,
            format,
            findings,
        }
    }

    /// Scans in-memory bytes as if they were a file named `name` (tests, fuzzing, embedding).
    pub fn scan_bytes(&self, name: &str, bytes: &[u8]) -> Vec<Finding> {
        let location = Location::file(ByteName::from(name));
        let mut findings = Vec::new();
        let mut reader = bytes;
        let budget = Budget::for_file(bytes.len() as u64, &self.limits);
        let mut stream = Layer::new(&mut reader, Origin::File, budget.clone())
            .with_len(bytes.len() as u64)
            .with_whole(Whole::Bytes(bytes));
        let mut reread = Vec::new();
        let format = self.scan_layer(&mut stream, &location, 0, &mut findings, &mut reread);
        if format == "unknown" && huggingface_scan::is_config_name(Path::new(name)) {
            self.scan_config_json(bytes, None, &location, &mut findings);
        }
        let open = || Ok(Cursor::new(bytes));
        zip_scan::revisit(self, &open, &location, reread, &budget, &mut findings);
        findings.extend(budget.finding(&location));
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings
    }

    /// A `*config.json` file: the code a Hugging Face loader would import for it, and the
    /// Keras checks when it is a Keras config (Keras-Hub presets). `folder` holds the
    /// modules it names, when the file is on disk.
    fn scan_config_json(
        &self,
        json: &[u8],
        folder: Option<&Path>,
        location: &Location,
        out: &mut Vec<Finding>,
    ) {
        huggingface_scan::scan_config(json, folder, location, out);
        keras_scan::scan_config(self, json, "config.json", location, false, out);
    }

    /// Detects the format of one layer (a file, an archive member, a decompressed stream)
    /// and dispatches to its parser. Returns the detected format's name.
    pub(crate) fn scan_layer(
        &self,
        stream: &mut Layer<'_>,
        location: &Location,
        depth: u32,
        out: &mut Vec<Finding>,
        reread: &mut Vec<zip_scan::Revisit>,
    ) -> &'static str {
        let origin = stream.origin;
        let prefix = match stream.peek() {
            Ok(prefix) => prefix,
            Err(error) => {
                out.push(read_error(location, &error));
                return "unknown";
            }
        };
        match detect::sniff(prefix) {
            Kind::Zip => {
                zip_scan::scan_zip(self, stream, location, depth, out, reread);
                "zip"
            }
            Kind::Npy => {
                self.scan_npy(stream, location, depth, out);
                "npy"
            }
            Kind::Compressed(codec) => self.scan_compressed(codec, stream, location, depth, out),
            Kind::Tar => {
                tar_scan::scan_tar(self, stream, location, depth, out);
                "tar"
            }
            Kind::SevenZip => {
                sevenz_scan::scan_sevenz(self, stream, location, depth, out);
                "7z"
            }
            Kind::Gguf => {
                gguf_scan::scan_gguf(self, stream, location, out);
                "gguf"
            }
            Kind::Hdf5 => {
                keras_scan::scan_hdf5(self, stream, location, out);
                "hdf5"
            }
            Kind::Onnx => {
                onnx_scan::scan_onnx(self, stream, location, out);
                "onnx"
            }
            Kind::TfSavedModel => {
                tensorflow_scan::scan_graph(self, TfKind::SavedModel, stream, location, out);
                "tensorflow-savedmodel"
            }
            Kind::TfGraphDef => {
                tensorflow_scan::scan_graph(self, TfKind::GraphDef, stream, location, out);
                "tensorflow-graphdef"
            }
            Kind::TfMetaGraph => {
                tensorflow_scan::scan_graph(self, TfKind::MetaGraph, stream, location, out);
                "tensorflow-metagraph"
            }
            Kind::KerasMetadata => {
                tensorflow_scan::scan_keras_metadata(self, stream, location, out);
                "keras-metadata"
            }
            Kind::Safetensors => {
                safetensors_scan::scan_safetensors(self, stream, location, out);
                "safetensors"
            }
            // A PROTO magic is two bytes, which tensor data inside a checkpoint starts
            // with by chance: there the prefix must also parse like a pickle.
            Kind::Pickle | Kind::Unknown
                if if origin == Origin::ArchiveMember {
                    pickle::looks_like_pickle_in_data(prefix)
                } else {
                    pickle::looks_like_pickle(prefix)
                } =>
            {
                self.scan_pickle(stream, location, 0, out);
                "pickle"
            }
            _ => "unknown",
        }
    }

    /// Whether one more level of nesting is allowed; reports SCN902 when it is not.
    pub(crate) fn enter(&self, depth: u32, location: &Location, out: &mut Vec<Finding>) -> bool {
        if depth >= self.limits.max_depth {
            out.push(Finding::new(
                &rules::SCN902_CONTAINER_DEPTH_LIMIT,
                location.clone(),
                format!(
                    "containers nested more than {} levels deep; the content below was not scanned",
                    self.limits.max_depth
                ),
            ));
            return false;
        }
        true
    }

    fn scan_pickle(
        &self,
        stream: &mut Layer<'_>,
        location: &Location,
        base: u64,
        out: &mut Vec<Finding>,
    ) {
        let analysis = pickle::analyze(stream.reader(), &self.limits);
        findings::pickle(&self.policy, &analysis, location, base, out);
    }

    fn scan_npy(
        &self,
        stream: &mut Layer<'_>,
        location: &Location,
        depth: u32,
        out: &mut Vec<Finding>,
    ) {
        let mut reader = stream.reader();
        match numpy::read_header(&mut reader) {
            Ok(header) if header.is_object => {
                out.push(
                    Finding::new(
                        &rules::NPY201_NUMPY_OBJECT_ARRAY,
                        location.at(Some(0), None),
                        "array of Python objects: loading it runs the pickle that follows the header",
                    )
                    .with_evidence(format!("descr {:?}, shape {:?}", header.descr, header.shape)),
                );
                if self.enter(depth, location, out) {
                    let analysis = pickle::analyze(&mut reader, &self.limits);
                    findings::pickle(&self.policy, &analysis, location, header.header_len, out);
                }
            }
            Ok(header) => {
                // np.load reads exactly this many bytes; fewer means a truncated array.
                if let Some(expected) = header.data_len {
                    match io::copy(&mut (&mut reader).take(expected), &mut io::sink()) {
                        Ok(found) if found < expected => out.push(Finding::new(
                            &rules::NPY501_NUMPY_MALFORMED,
                            location.at(Some(header.header_len + found), None),
                            format!(
                                "array data ends after {found} of the {expected} bytes its header declares"
                            ),
                        )),
                        Ok(_) => {}
                        Err(error) => out.push(read_error(location, &error)),
                    }
                }
            }
            Err(error) => out.push(Finding::new(
                &rules::NPY501_NUMPY_MALFORMED,
                location.at(Some(error.offset()), None),
                format!("NumPy header could not be parsed: {error}"),
            )),
        }
    }

    /// Scans a compressed layer; returns the name of the layer's format.
    fn scan_compressed(
        &self,
        codec: Codec,
        stream: &mut Layer<'_>,
        location: &Location,
        depth: u32,
        out: &mut Vec<Finding>,
    ) -> &'static str {
        if !self.enter(depth, location, out) {
            return codec.name();
        }
        let origin = stream.origin;
        let inner_location = location.member(ByteName::from(format!("<{codec}>").as_str()));
        let budget = stream.budget.clone();
        let mut decoder = compress::decoder(codec, stream.reader(), &self.limits);
        let mut charged = budget.charge(&mut decoder);
        let mut tap = ErrorTap::new(&mut charged);
        let mut inner = Vec::new();
        let inner_format = {
            let mut layer = Layer::new(&mut tap, Origin::Decoded, budget.clone());
            let format = self.scan_layer(
                &mut layer,
                &inner_location,
                depth + 1,
                &mut inner,
                &mut Vec::new(),
            );
            // Decode to the end so corruption past what the parsers needed is seen too;
            // the tap keeps the error.
            let _ = io::copy(&mut layer.reader(), &mut io::sink());
            format
        };
        if let Some(error) = tap.take_error() {
            if budget::is_exhausted(&error) {
                inner.retain(|finding| !is_stop_rule(finding.rule));
                out.extend(inner);
                return codec.name();
            }
            // zlib and lzma-alone magics are two or three bytes, which tensor data inside a
            // checkpoint starts with by chance: there, a stream that breaks before decoding
            // into anything recognisable is opaque data, not a corrupt layer.
            if origin == Origin::ArchiveMember
                && matches!(codec, Codec::Zlib | Codec::Lzma)
                && inner_format == "unknown"
                && compress::limit_error(&error).is_none()
            {
                return "unknown";
            }
            inner.retain(|finding| !is_stop_rule(finding.rule));
            out.push(layer_error(&inner_location, codec.name(), &error));
        }
        out.extend(inner);
        codec.name()
    }
}

/// Where a layer's bytes come from, which decides how much a short magic is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A file on disk (or bytes handed to [`Scanner::scan_bytes`]).
    File,
    /// The content of an archive member: in a checkpoint, mostly raw tensor data.
    ArchiveMember,
    /// The output of a decompression layer.
    Decoded,
}

/// A layer's byte stream with its first bytes peeked for format detection.
pub(crate) struct Layer<'r> {
    prefix: Vec<u8>,
    peeked: bool,
    rest: &'r mut dyn Read,
    origin: Origin,
    /// Total length when it is a fact (a file's size), not a header's claim.
    pub(crate) len: Option<u64>,
    /// The same bytes again with random access, when the layer is a whole file.
    whole: Option<Whole<'r>>,
    /// What the file's nested layers may still expand into.
    pub(crate) budget: Budget,
}

/// Where a whole top-level layer can be read again from its first byte.
#[derive(Clone, Copy)]
pub(crate) enum Whole<'a> {
    /// A file on disk, reopened.
    Path(&'a Path),
    /// Bytes handed to [`Scanner::scan_bytes`].
    Bytes(&'a [u8]),
}

/// A seekable reader, for formats whose index is not at the start (7z).
pub(crate) trait ReadSeek: Read + Seek {}

impl<T: Read + Seek> ReadSeek for T {}

impl<'r> Layer<'r> {
    pub(crate) fn new(rest: &'r mut dyn Read, origin: Origin, budget: Budget) -> Self {
        Layer {
            budget,
            prefix: Vec::new(),
            peeked: false,
            rest,
            origin,
            len: None,
            whole: None,
        }
    }

    /// The same layer, readable again with random access from `whole`.
    pub(crate) fn with_whole(mut self, whole: Whole<'r>) -> Self {
        self.whole = Some(whole);
        self
    }

    /// Random access to a whole-file layer (the file reopened, or the caller's bytes);
    /// None for a nested layer. The sequential stream is left for the caller to drain.
    pub(crate) fn whole_file(&self) -> Option<io::Result<Box<dyn ReadSeek + 'r>>> {
        match self.whole? {
            Whole::Path(path) => Some(
                fs_err::File::open(path)
                    .map(|file| Box::new(BufReader::new(file)) as Box<dyn ReadSeek + 'r>),
            ),
            Whole::Bytes(bytes) => Some(Ok(Box::new(Cursor::new(bytes)))),
        }
    }

    /// Random access to the whole layer: [`Layer::whole_file`], or, for a nested layer,
    /// its bytes read into memory up to `max_buffered` (a limit error past that).
    pub(crate) fn random_access(
        &mut self,
        max_buffered: u64,
    ) -> io::Result<Box<dyn ReadSeek + 'r>> {
        match self.whole_file() {
            Some(whole) => whole,
            None => {
                let mut buffer = Vec::new();
                self.reader()
                    .take(max_buffered.saturating_add(1))
                    .read_to_end(&mut buffer)?;
                let read = buffer.len() as u64;
                if read > max_buffered {
                    return Err(io::Error::other(FormatError::LimitExceeded {
                        limit: LimitKind::BufferedBytes,
                        value: read,
                        max: max_buffered,
                        offset: 0,
                    }));
                }
                Ok(Box::new(Cursor::new(buffer)))
            }
        }
    }

    /// The file on disk this layer is, when it is a whole file (ONNX external data sits
    /// beside it).
    pub(crate) fn file(&self) -> Option<&'r Path> {
        match self.whole {
            Some(Whole::Path(path)) => Some(path),
            _ => None,
        }
    }

    /// The same layer with its total length known.
    pub(crate) fn with_len(mut self, len: u64) -> Self {
        self.len = Some(len);
        self
    }

    /// The first [`SNIFF_LEN`] bytes (fewer if the layer is shorter).
    fn peek(&mut self) -> io::Result<&[u8]> {
        if !self.peeked {
            self.peeked = true;
            (&mut *self.rest)
                .take(SNIFF_LEN as u64)
                .read_to_end(&mut self.prefix)?;
        }
        Ok(&self.prefix)
    }

    /// The whole layer from its first byte, peeked part included.
    pub(crate) fn reader(&mut self) -> impl Read + '_ {
        Cursor::new(std::mem::take(&mut self.prefix)).chain(&mut *self.rest)
    }
}

/// SCN901 when a decompression bound stopped the layer, SCN502 for corrupt data.
pub(crate) fn layer_error(location: &Location, what: &str, error: &io::Error) -> Finding {
    if let Some(limit) = compress::limit_error(error) {
        return Finding::new(
            &rules::SCN901_DECOMPRESSION_LIMIT,
            location.at(Some(limit.offset()), None),
            format!("{what} data was not scanned past the limit: {limit}"),
        );
    }
    Finding::new(
        &rules::SCN502_COMPRESSED_STREAM_MALFORMED,
        location.clone(),
        format!("{what} stream does not decode: {error}"),
    )
}

/// SCN501 for a read that failed partway.
pub(crate) fn read_error(location: &Location, error: &io::Error) -> Finding {
    Finding::new(
        &rules::SCN501_FILE_UNREADABLE,
        location.clone(),
        format!("read failed: {error}"),
    )
}

fn unreadable(path: &Path, error: &dyn std::fmt::Display) -> FileReport {
    let location = Location::file(ByteName::from_path(path));
    FileReport {
        path: location.path.clone(),
        size: 0,
        sha256: None,
        format: "unknown",
        findings: vec![Finding::new(
            &rules::SCN501_FILE_UNREADABLE,
            location,
            format!("could not read: {error}"),
        )],
    }
}
