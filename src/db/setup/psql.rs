//! `--setup-with psql`: each setup file applied by psql itself, for files that use what only
//! psql does (`\i`, `\set`, `\if`, `\gexec`, variables): `psql -X -v ON_ERROR_STOP=1 -f FILE`
//! against the throwaway server, one psql run (so one session) per file. psql's output is
//! dropped (pgvet's stdout is the report); its messages are kept for the error.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::{SetupError, Target};

/// At most this many of psql's last lines of messages go into an error.
const MESSAGE_LINES: usize = 20;

/// Runs psql on one setup file. psql sees none of the user's `PG*` variables (the connection
/// string says everything) and no `~/.psqlrc`; it never prompts for a password.
pub async fn apply(psql: &Path, target: &Target, path: &Path) -> Result<(), SetupError> {
    // psql reads standard input for `-f -`; a file of that name is `./-`.
    let file = if path == Path::new("-") {
        PathBuf::from("./-")
    } else {
        path.to_path_buf()
    };
    let mut command = tokio::process::Command::new(psql);
    command
        .args(["-X", "-q", "-w", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(&target.conninfo)
        .arg("-f")
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Ctrl-C drops the setup work: psql goes with it.
        .kill_on_drop(true);
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if name_text.starts_with("PG") || name_text.starts_with("PSQL") {
            command.env_remove(&name);
        }
    }
    // The same client encoding as pgvet's own sessions: setup files are UTF-8.
    command.env("PGCLIENTENCODING", "UTF8");
    let output = command.output().await.map_err(|e| SetupError::Psql {
        path: path.into(),
        message: format!("could not run {}: {e}", psql.display()),
    })?;
    let messages = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        for line in messages.lines() {
            tracing::info!("psql: {line}");
        }
        return Ok(());
    }
    Err(SetupError::Psql {
        path: path.into(),
        message: format!(
            "psql exited with {}: {}",
            output
                .status
                .code()
                .map_or_else(|| output.status.to_string(), |c| format!("status {c}")),
            last_lines(&messages, MESSAGE_LINES)
        ),
    })
}

/// The last `n` non-blank lines of psql's messages, joined on one line each.
fn last_lines(messages: &str, n: usize) -> String {
    let lines: Vec<&str> = messages
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let skip = lines.len().saturating_sub(n);
    let mut text = lines[skip..].join("\n");
    if skip > 0 {
        text = format!("(… {skip} lines before)\n{text}");
    }
    if text.is_empty() {
        text = "no message".to_string();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_last_lines_of_psql_are_kept() {
        let many: String = (1..=30).map(|i| format!("line {i}\n\n")).collect();
        let kept = super::last_lines(&many, 20);
        assert!(kept.starts_with("(… 10 lines before)\nline 11\n"), "{kept}");
        assert!(kept.ends_with("line 30"), "{kept}");
        assert_eq!(super::last_lines("", 20), "no message");
    }
}
