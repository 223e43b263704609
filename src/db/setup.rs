//! Applying SQL files to a throwaway database (`check --ephemeral --setup`, the demo): each file
//! is sent as one script, and a failure names the file, the line the server points at and the
//! server's message.

use std::path::{Path, PathBuf};

use tokio_postgres::Client;
use tokio_postgres::error::ErrorPosition;

use crate::input::{self, InputError};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("setup file {0}")]
    Read(#[from] InputError),
    #[error("setup file {}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Failed {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
}

/// Reads a setup file: a regular file of UTF-8 SQL, up to PostgreSQL's 1 GB per query (a byte
/// order mark at the start is dropped).
pub fn read_file(path: &Path) -> Result<String, SetupError> {
    Ok(input::read_source(path, &input::SETUP)?)
}

/// Applies SQL text that came from `path` (named in errors).
pub async fn apply_sql(client: &Client, path: &Path, sql: &str) -> Result<(), SetupError> {
    client.batch_execute(sql).await.map_err(|e| {
        let line = e.as_db_error().and_then(|db| match db.position() {
            Some(ErrorPosition::Original(p)) => Some(line_of_char(sql, *p as usize)),
            _ => None,
        });
        SetupError::Failed {
            path: path.into(),
            line,
            message: super::session::QueryError::from(e).message,
        }
    })
}

/// 1-based line of a 1-based character position.
fn line_of_char(text: &str, position: usize) -> usize {
    text.chars()
        .take(position.saturating_sub(1))
        .filter(|&c| c == '\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    #[test]
    fn character_positions_map_to_lines() {
        let sql = "SELECT 1;\nSELEC 2;\n";
        assert_eq!(super::line_of_char(sql, 1), 1);
        assert_eq!(super::line_of_char(sql, 11), 2);
        assert_eq!(super::line_of_char("é\nx", 3), 2);
    }
}
