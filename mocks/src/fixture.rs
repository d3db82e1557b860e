//! Reading and writing fixture files (`--fixture`, `--dump-fixture`, `--emit-expected`):
//! compact JSON with a trailing newline, so the same seed gives byte-identical files.

use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use crate::error::MockError;
use crate::generator::Expected;
use crate::model::{Dataset, FORMAT_VERSION};

/// Reads a fixture file.
pub fn load(path: &Path) -> Result<Dataset, MockError> {
    let file = std::fs::File::open(path)?;
    let ds: Dataset = serde_json::from_reader(BufReader::new(file))?;
    if ds.format != FORMAT_VERSION {
        return Err(MockError::Dataset(format!(
            "unsupported fixture format {}",
            ds.format
        )));
    }
    Ok(ds)
}

/// Serialises a dataset to bytes (what `dump` writes).
pub fn to_bytes(ds: &Dataset) -> Result<Vec<u8>, MockError> {
    let mut out = serde_json::to_vec(ds)?;
    out.push(b'\n');
    Ok(out)
}

/// Writes a fixture file.
pub fn dump(ds: &Dataset, path: &Path) -> Result<(), MockError> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer(&mut w, ds)?;
    w.write_all(b"\n")?;
    w.flush()?;
    Ok(())
}

/// Writes the planted-case expectations (pretty JSON array).
pub fn write_expected(expected: &[Expected], path: &Path) -> Result<(), MockError> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer_pretty(&mut w, expected)?;
    w.write_all(b"\n")?;
    w.flush()?;
    Ok(())
}
