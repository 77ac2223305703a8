//! Every environment variable airlock reads, declared once.

/// Path of the config file, as `--config`.
pub const AIRLOCK_CONFIG: &str = "AIRLOCK_CONFIG";

/// Any value disables the progress bar, as `--no-progress`.
pub const AIRLOCK_NO_PROGRESS: &str = "AIRLOCK_NO_PROGRESS";

/// Passphrase of an encrypted signing key, for `keygen --passphrase` and `sign`.
pub const AIRLOCK_KEY_PASSPHRASE: &str = "AIRLOCK_KEY_PASSPHRASE";
