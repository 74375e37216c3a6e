//! Output helpers: aligned columns for people, JSON for machines.

use super::CliError;

/// Formats rows as left-aligned columns separated by two spaces; the first
/// row is the header. Trailing spaces are trimmed.
pub fn columns(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            line.push_str(c);
            if i + 1 < r.len() {
                let pad = widths[i] - c.chars().count() + 2;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Prints `value` as pretty JSON on stdout (printed even with `-q`: the
/// operator asked for it).
pub fn json(value: &serde_json::Value) -> Result<(), CliError> {
    let s = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failure(format!("cannot render JSON: {e}")))?;
    print(&format!("{s}\n"));
    Ok(())
}

/// Prints text as is (no trailing newline added beyond the text's own).
///
/// Every line jackin writes to stdout goes through here: a closed stdout
/// (`jackin ps | head -1`) ends jackin quietly with exit 0, like other Unix
/// tools, instead of `print!`'s panic and backtrace; another write error
/// is reported as `error: cannot write to stdout: …` with exit 1.
pub fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {}", e.kind());
        std::process::exit(1);
    }
}

/// [`print`] with a newline.
pub fn println(text: impl std::fmt::Display) {
    print(&format!("{text}\n"));
}
