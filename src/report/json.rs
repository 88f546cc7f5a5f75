//! The same data as JSON, for scripts.

use crate::findings::RunFindings;

pub fn render(report: &RunFindings) -> Vec<u8> {
    // Serializing plain data with string keys cannot fail.
    let mut out = serde_json::to_vec_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}").into_bytes());
    out.push(b'\n');
    out
}
