//! The hashing engine: one streaming read per file, every requested digest fed from the
//! same buffer, files spread over rayon's threads (largest first, so one big file does not
//! start last), BLAKE3 itself parallel within each buffer.

use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::IntegrityError;

/// Bytes read at a time: memory stays flat (one buffer per thread) whatever the file size,
/// and BLAKE3 gets chunks large enough to spread over threads.
pub const BUFFER_SIZE: usize = 1 << 20;

/// Told how far hashing got, so a caller can draw a progress bar over a long run.
pub trait Progress: Sync {
    /// Called once with the totals before any file is read.
    fn start(&self, files: u64, bytes: u64);
    /// Called as bytes are hashed, from several threads.
    fn advance(&self, bytes: u64);
}

/// A [`Progress`] that ignores everything, for callers that draw nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _files: u64, _bytes: u64) {}
    fn advance(&self, _bytes: u64) {}
}

/// What to compute for one file; SHA-256 is always computed because OMS and the lockfile
/// name files by it.
#[derive(Debug, Clone)]
pub struct HashJob {
    /// The file to read (symbolic links are followed).
    pub path: PathBuf,
    /// Also compute BLAKE3 (fast fingerprints for CycloneDX/SPDX and the lockfile).
    pub blake3: bool,
    /// Also compute the git blob SHA-1 (`sha1("blob <len>\0" + content)`), which names
    /// non-LFS blobs in a Hugging Face cache.
    pub git_sha1: bool,
}

/// The digests of one file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigests {
    /// Bytes read.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: [u8; 32],
    /// BLAKE3 of the content, when asked for.
    pub blake3: Option<[u8; 32]>,
    /// Git blob SHA-1, when asked for.
    pub git_sha1: Option<[u8; 20]>,
}

/// Hashes one file in a single streaming pass.
pub fn hash_file(job: &HashJob, progress: &dyn Progress) -> Result<FileDigests, IntegrityError> {
    let mut sha256 = Sha256::new();
    let mut blake3 = job.blake3.then(blake3::Hasher::new);
    let mut git_sha1 = if job.git_sha1 {
        // The header needs the length up front; a file that changes while it is read
        // then simply gets a digest that matches nothing.
        let len = std::fs::metadata(&job.path)
            .map_err(|source| IntegrityError::Io {
                path: job.path.clone(),
                source,
            })?
            .len();
        let mut hasher = Sha1::new();
        hasher.update(format!("blob {len}\0").as_bytes());
        Some(hasher)
    } else {
        None
    };
    let size = read_chunks(&job.path, None, progress, |chunk| {
        sha256.update(chunk);
        if let Some(hasher) = blake3.as_mut() {
            hasher.update_rayon(chunk);
        }
        if let Some(hasher) = git_sha1.as_mut() {
            hasher.update(chunk);
        }
    })?;
    Ok(FileDigests {
        size,
        sha256: sha256.finalize().into(),
        blake3: blake3.map(|hasher| *hasher.finalize().as_bytes()),
        git_sha1: git_sha1.map(|hasher| hasher.finalize().into()),
    })
}

/// Streams `range` of a file (all of it when `None`) through `consume` one buffer at a
/// time, so every digest in the crate reads files the same flat-memory way. Returns the
/// bytes read.
pub fn read_chunks(
    path: &Path,
    range: Option<Range<u64>>,
    progress: &dyn Progress,
    mut consume: impl FnMut(&[u8]),
) -> Result<u64, IntegrityError> {
    let io_err = |source| IntegrityError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io_err)?;
    let mut remaining = match &range {
        Some(range) => {
            file.seek(SeekFrom::Start(range.start)).map_err(io_err)?;
            range.end.saturating_sub(range.start)
        }
        None => u64::MAX,
    };
    let mut buffer = vec![0u8; BUFFER_SIZE];
    let mut size = 0u64;
    while remaining > 0 {
        let want = usize::try_from(remaining).map_or(BUFFER_SIZE, |left| left.min(BUFFER_SIZE));
        let read = match file.read(&mut buffer[..want]) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(io_err(err)),
        };
        consume(&buffer[..read]);
        size += read as u64;
        remaining -= read as u64;
        progress.advance(read as u64);
    }
    Ok(size)
}

/// Hashes many files in parallel; results come back in the order of `jobs`. `sizes` (same
/// order, from metadata) only schedules the work and sizes the progress bar.
pub fn hash_files(
    jobs: &[HashJob],
    sizes: &[u64],
    progress: &dyn Progress,
) -> Vec<Result<FileDigests, IntegrityError>> {
    in_parallel(jobs, sizes, progress, |job| hash_file(job, progress))
}

/// Runs `work` over `jobs` on rayon's threads, largest first (so one big file does not
/// start last), and returns the results in the order of `jobs`.
pub fn in_parallel<J: Sync, R: Send>(
    jobs: &[J],
    sizes: &[u64],
    progress: &dyn Progress,
    work: impl Fn(&J) -> R + Sync,
) -> Vec<R> {
    progress.start(jobs.len() as u64, sizes.iter().sum());
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&index| std::cmp::Reverse(sizes.get(index).copied().unwrap_or(0)));
    let mut results: Vec<(usize, R)> = order
        .into_par_iter()
        .with_max_len(1)
        .map(|index| (index, work(&jobs[index])))
        .collect();
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// SHA-256 of a byte string, for digests over digests.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Convenience for tests and callers with a single path.
pub fn sha256_file(path: &Path) -> Result<[u8; 32], IntegrityError> {
    let job = HashJob {
        path: path.to_path_buf(),
        blake3: false,
        git_sha1: false,
    };
    Ok(hash_file(&job, &NoProgress)?.sha256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_across_buffer_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let content: Vec<u8> = (0..(BUFFER_SIZE * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&path, &content).unwrap();
        let job = HashJob {
            path: path.clone(),
            blake3: true,
            git_sha1: true,
        };
        let digests = hash_file(&job, &NoProgress).unwrap();
        assert_eq!(digests.size, content.len() as u64);
        assert_eq!(digests.sha256, sha256(&content));
        assert_eq!(digests.blake3, Some(*blake3::hash(&content).as_bytes()));
        let mut header = format!("blob {}\0", content.len()).into_bytes();
        header.extend_from_slice(&content);
        assert_eq!(digests.git_sha1, Some(Sha1::digest(&header).into()));
    }

    #[test]
    fn git_blob_sha1_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello");
        std::fs::write(&path, b"hello\n").unwrap();
        let job = HashJob {
            path,
            blake3: false,
            git_sha1: true,
        };
        let digests = hash_file(&job, &NoProgress).unwrap();
        assert_eq!(
            hex::encode(digests.git_sha1.unwrap()),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn parallel_results_keep_job_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut jobs = Vec::new();
        let mut sizes = Vec::new();
        for i in 0..20usize {
            let path = dir.path().join(format!("f{i}"));
            std::fs::write(&path, vec![i as u8; i * 1000]).unwrap();
            jobs.push(HashJob {
                path,
                blake3: false,
                git_sha1: false,
            });
            sizes.push((i * 1000) as u64);
        }
        let results = hash_files(&jobs, &sizes, &NoProgress);
        for (i, result) in results.into_iter().enumerate() {
            assert_eq!(result.unwrap().sha256, sha256(&vec![i as u8; i * 1000]));
        }
    }
}
