//! The report a person reads in the pod log.

use std::fmt::Write;

use crate::findings::{Finding, RunFindings};
use crate::verdict::Status;

pub fn render(report: &RunFindings) -> String {
    let mut out = String::new();
    let id = &report.identity;
    let _ = writeln!(
        out,
        "{} {}: the pod's AWS identity and permissions",
        report.tool, report.version
    );
    let _ = writeln!(
        out,
        "  caller    {}",
        id.caller_arn.as_deref().unwrap_or("(unknown: no identity)")
    );
    let _ = writeln!(
        out,
        "  account   {}",
        id.account.as_deref().unwrap_or("(unknown)")
    );
    match (&id.expected_role, id.expected_from) {
        (Some(r), Some(from)) => {
            let _ = writeln!(out, "  expected  {} (from {})", r.raw, from.label());
        }
        _ => {
            let _ = writeln!(out, "  expected  (no expected role given)");
        }
    }
    match id.source {
        Some(source) => {
            let _ = writeln!(
                out,
                "  source    {} (expected: {})",
                source.label(),
                id.expected_source.as_str()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  source    (no credentials) (expected: {})",
                id.expected_source.as_str()
            );
        }
    }
    if let Some(c) = &id.token {
        let _ = writeln!(out, "  token     {}", token_line(c));
    } else if let Some(e) = &id.token_error {
        let _ = writeln!(out, "  token     {e}");
    }
    if let Some(skew) = id.clock_skew_seconds.filter(|s| s.abs() > 5) {
        let _ = writeln!(out, "  clock     {skew}s off AWS's");
    }
    for hop in &report.chain {
        let who = match (&hop.caller_arn, &hop.account) {
            (Some(arn), Some(account)) => format!("{arn} (account {account})"),
            _ => format!("(not assumed: {})", hop.status.label()),
        };
        let _ = writeln!(out, "  hop {:<5} {who}, as {}", hop.hop, hop.role);
    }
    out.push('\n');
    for r in &report.results {
        line(&mut out, r);
    }
    if let Some(drift) = &report.drift {
        let _ = writeln!(out, "\ndrift since the baseline: {}", drift_counts(drift));
        for d in drift {
            let _ = writeln!(out, "DRIFT {} -> {}", d.name, d.message);
        }
    }
    let s = &report.summary;
    let meaning = report.exit_code.meaning();
    if let Some(coverage) = report.coverage.line() {
        let _ = write!(out, "\ncoverage: {coverage}");
        for area in report.coverage.area_lines() {
            let _ = write!(out, "\n  {area}");
        }
    }
    let _ = writeln!(
        out,
        "\nresult: {} pass, {} fail, {} error, {} skip -> exit {} ({meaning}) in {} ms",
        s.pass,
        s.fail,
        s.error,
        s.skip,
        report.exit_code.code(),
        report.duration.as_millis()
    );
    out
}

/// "1 widened, 2 coverage-lost", or "none".
pub fn drift_counts(drift: &[crate::findings::Drift]) -> String {
    use crate::findings::DriftKind;
    let counts: Vec<String> = DriftKind::ALL
        .iter()
        .map(|k| (k, drift.iter().filter(|d| d.kind == *k).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{n} {}", k.as_str()))
        .collect();
    if counts.is_empty() {
        "none".to_owned()
    } else {
        counts.join(", ")
    }
}

/// The claims a person needs; never the signature.
pub fn token_line(c: &crate::identity::token::Claims) -> String {
    let or = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".to_owned());
    let exp = c.exp.map(super::rfc3339).unwrap_or_else(|| "?".to_owned());
    format!(
        "sub {}, aud {}, iss {}, expires {exp}",
        or(&c.sub),
        c.aud.join(","),
        or(&c.iss)
    )
}

fn line(out: &mut String, r: &Finding) {
    let outcome = match r.status {
        Status::Skip => r.skip_message(),
        _ => format!("{}: {}", r.observed.label(), r.answer.summary()),
    };
    let name = r
        .display_name
        .as_ref()
        .map(|n| format!(" \"{n}\""))
        .unwrap_or_default();
    // A chain hop's testcases say which hop they are about.
    let hop = r.hop.map(|n| format!("[hop {n}] ")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{:<5} {hop}{}{name} {}{} -> {outcome} [{} ms]",
        r.status.label(),
        r.action,
        r.resource,
        r.expect
            .map(|e| format!(" expect {}", e.as_str()))
            .unwrap_or_default(),
        r.duration.as_millis()
    );
    if let Some(by) = r.denied_by {
        let _ = writeln!(out, "      denied by: {by}");
    }
    if r.status != Status::Skip || r.skip_reason.is_some() {
        let _ = writeln!(out, "      via {}", r.form);
    }
    if r.skip_reason.is_some() {
        let _ = writeln!(
            out,
            "      observed: {}: {}",
            r.observed.label(),
            r.answer.summary()
        );
    }
    for note in &r.notes {
        let _ = writeln!(out, "      note: {note}");
    }
}
