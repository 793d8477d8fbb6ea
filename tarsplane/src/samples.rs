//! The files `tarsplane up` writes on first start, so a fresh data directory shows what goes
//! where: the registry's resources and the config service's TConfigs.

use std::path::{Path, PathBuf};

/// The sample registry file.
pub const REGISTRY_SAMPLE: &str = include_str!("registry-sample.yaml");

/// The sample config file.
pub const CONFIG_SAMPLE: &str = include_str!("config-sample.yaml");

/// A sample that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("write the sample {path}")]
pub struct SampleError {
    /// The file.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: std::io::Error,
}

/// Writes `text` to `path` unless a file is there.
///
/// # Errors
/// The directory or the file cannot be written.
pub fn write_sample(path: &Path, text: &str) -> Result<(), SampleError> {
    if path.exists() {
        return Ok(());
    }
    let failed = |source| SampleError {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    std::fs::write(path, text).map_err(failed)
}
