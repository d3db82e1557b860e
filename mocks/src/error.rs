//! Errors of the mock library.

/// What can go wrong starting or driving a mock board.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// Reading or writing a file, or binding a socket.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A fixture file that does not parse.
    #[error("invalid fixture: {0}")]
    Fixture(#[from] serde_json::Error),
    /// A fixture with an unsupported format version or inconsistent content.
    #[error("invalid dataset: {0}")]
    Dataset(String),
    /// A BRIN the board does not know.
    #[error("unknown school {0}")]
    UnknownSchool(String),
}
