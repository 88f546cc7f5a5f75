//! Reporters: pure functions from a `RunFindings` to bytes.

pub mod human;
pub mod json;
pub mod junit;
pub mod metrics;

use crate::findings::RunFindings;
use crate::verdict::Status;

/// Kubernetes keeps at most 4096 bytes of a termination message.
const TERMINATION_MESSAGE_MAX: usize = 4096;

/// One line for the pod's termination message (`kubectl get pod`/`describe`).
pub fn summary_line(report: &RunFindings) -> String {
    let s = &report.summary;
    let mut line = format!(
        "irsa-verify exit {}: {} pass, {} fail, {} error, {} skip",
        report.exit_code.code(),
        s.pass,
        s.fail,
        s.error,
        s.skip
    );
    for (label, status) in [("failed", Status::Fail), ("error", Status::Error)] {
        let names: Vec<&str> = report
            .results
            .iter()
            .filter(|r| r.status == status)
            .map(|r| r.action.as_str())
            .collect();
        if !names.is_empty() {
            line.push_str(&format!("; {label}: {}", names.join(", ")));
        }
    }
    if let Some(drift) = &report.drift {
        line.push_str(&format!("; drift: {}", human::drift_counts(drift)));
    }
    if report.coverage.granted > 0 {
        line.push_str(&format!(
            "; proven {} of {} granted actions",
            report.coverage.proven, report.coverage.granted
        ));
    }
    if let Some(caller) = &report.identity.caller_arn {
        line.push_str(&format!("; caller {caller}"));
    }
    if line.len() > TERMINATION_MESSAGE_MAX {
        let mut cut = TERMINATION_MESSAGE_MAX - 3;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line.push_str("...");
    }
    line
}

/// The JUnit document framed for a log: marker lines carry a per-run nonce and
/// the document's byte count, so a reader can cut it out of any surrounding
/// output and check it arrived whole.
pub fn framed(document: &[u8], nonce: &str) -> Vec<u8> {
    let mut out = format!("===== irsa-verify junit begin {nonce} =====\n").into_bytes();
    out.extend_from_slice(document);
    if !document.ends_with(b"\n") {
        out.push(b'\n');
    }
    let len = document.len() + usize::from(!document.ends_with(b"\n"));
    out.extend_from_slice(
        format!("===== irsa-verify junit end {nonce} bytes={len} =====\n").as_bytes(),
    );
    out
}

/// A Unix time as RFC 3339, for the reports (the number itself if out of range).
pub fn rfc3339(unix: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_nonce_and_length() {
        let f = String::from_utf8(framed(b"<a>\n</a>", "n1")).unwrap();
        assert_eq!(f, "===== irsa-verify junit begin n1 =====\n<a>\n</a>\n===== irsa-verify junit end n1 bytes=9 =====\n");
    }
}
