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
    println!("{s}");
    Ok(())
}

/// Prints text as is (no trailing newline added beyond the text's own).
pub fn print(text: &str) {
    print!("{text}");
}
