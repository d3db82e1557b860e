//! Mock servers.
