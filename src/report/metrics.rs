//! Watch mode's metrics in the Prometheus text exposition format 0.0.4: a
//! pure function of the last run and the watch's counters.
//!
//! Names are stable and per-run values go in sample values, never in names
//! or labels: the `resource` label is the testcase's target as its name says
//! it (the exact ARN a probe picked this run is in /report.json).

use std::collections::BTreeMap;
use std::fmt::Write;

use time::OffsetDateTime;

use crate::findings::RunFindings;
use crate::verdict::Status;

/// The Content-Type of format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the watch knows besides the last run's findings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunState {
    /// Runs finished since the process started (complete or not).
    pub runs_total: u64,
    /// Whether the last run completed (see `watch::completed`): only then
    /// does any check count as passed.
    pub complete: bool,
    pub finished_at: Option<OffsetDateTime>,
    /// When the baseline run started; None until there is one.
    pub baseline_started_at: Option<OffsetDateTime>,
}

/// The whole scrape. Without a run yet, only the run-level series.
pub fn render(run: Option<&RunFindings>, state: &RunState) -> Vec<u8> {
    let mut out = String::new();
    family(
        &mut out,
        "irsa_verify_check_passed",
        "gauge",
        "1 if the testcase passed in the last run and that run completed, else 0; one series per testcase.",
    );
    // Label sets are unique per testcase name; two testcases of one name
    // (a spec listing a check twice) are one series, passed only if both are.
    let mut checks: BTreeMap<[&str; 4], bool> = BTreeMap::new();
    for r in run.map(|r| r.results.as_slice()).unwrap_or_default() {
        let labels = [
            r.name.as_str(),
            r.action.as_str(),
            r.target.as_str(),
            r.expect.map_or("none", |e| e.as_str()),
        ];
        let passed = state.complete && r.status == Status::Pass;
        let entry = checks.entry(labels).or_insert(true);
        *entry = *entry && passed;
    }
    for (labels, passed) in &checks {
        sample(
            &mut out,
            "irsa_verify_check_passed",
            &[
                ("name", labels[0]),
                ("action", labels[1]),
                ("resource", labels[2]),
                ("expect", labels[3]),
            ],
            if *passed { "1" } else { "0" },
        );
    }

    family(
        &mut out,
        "irsa_verify_drift",
        "gauge",
        "1 for each change since the baseline present in the last run (kind: widened, narrowed, attribution-changed, coverage-lost); absent otherwise.",
    );
    let mut drift: BTreeMap<[&str; 4], ()> = BTreeMap::new();
    for d in run.map(|r| r.drift()).unwrap_or_default() {
        drift.insert(
            [
                d.name.as_str(),
                d.action.as_str(),
                d.resource.as_str(),
                d.kind.as_str(),
            ],
            (),
        );
    }
    for labels in drift.keys() {
        sample(
            &mut out,
            "irsa_verify_drift",
            &[
                ("name", labels[0]),
                ("action", labels[1]),
                ("resource", labels[2]),
                ("kind", labels[3]),
            ],
            "1",
        );
    }

    family(
        &mut out,
        "irsa_verify_last_run_success",
        "gauge",
        "1 if the last run completed: the identity was established and no check was could-not-tell (error); else 0.",
    );
    sample(
        &mut out,
        "irsa_verify_last_run_success",
        &[],
        if state.complete { "1" } else { "0" },
    );

    if let Some(t) = state.finished_at {
        family(
            &mut out,
            "irsa_verify_last_run_timestamp_seconds",
            "gauge",
            "When the last run finished, complete or not, in seconds since the Unix epoch.",
        );
        sample(
            &mut out,
            "irsa_verify_last_run_timestamp_seconds",
            &[],
            &unix_seconds(t),
        );
    }

    if let Some(t) = state.baseline_started_at {
        family(
            &mut out,
            "irsa_verify_baseline_timestamp_seconds",
            "gauge",
            "When the run drift is measured against started, in seconds since the Unix epoch; absent until there is a baseline.",
        );
        sample(
            &mut out,
            "irsa_verify_baseline_timestamp_seconds",
            &[],
            &unix_seconds(t),
        );
    }

    if let Some(run) = run {
        let c = &run.coverage;
        // Nothing granted leaves nothing unproven; an incomplete run proves nothing.
        let ratio = match (state.complete, c.granted) {
            (false, _) => 0.0,
            (true, 0) => 1.0,
            (true, granted) => c.proven as f64 / granted as f64,
        };
        family(
            &mut out,
            "irsa_verify_coverage_ratio",
            "gauge",
            "Granted actions an allow check proved in the last run, over the actions granted (1 when none is granted, 0 when the run did not complete).",
        );
        sample(
            &mut out,
            "irsa_verify_coverage_ratio",
            &[],
            &format!("{ratio}"),
        );
    }

    family(
        &mut out,
        "irsa_verify_runs_total",
        "counter",
        "Runs finished since the process started, complete or not.",
    );
    sample(
        &mut out,
        "irsa_verify_runs_total",
        &[],
        &state.runs_total.to_string(),
    );
    out.into_bytes()
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: &str) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape_label(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Label values: backslash, double quote and line feed escaped (format 0.0.4).
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text: backslash and line feed escaped.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Seconds since the epoch, to the millisecond.
fn unix_seconds(t: OffsetDateTime) -> String {
    let ms = t.unix_timestamp_nanos() / 1_000_000;
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::{Answer, Observation, Observed};
    use crate::check::Expect;
    use crate::findings::{Drift, DriftKind, Finding, Seen, Subject};
    use crate::identity::{ExpectSource, Expectations, Identity, PodEnv};
    use std::collections::BTreeSet;
    use std::time::Duration;

    fn finding(action: &str, label: &str, expect: Option<Expect>, status: Status) -> Finding {
        Finding::new(
            Subject {
                action: action.into(),
                service: "s3".into(),
                label: label.into(),
                resource: "arn:aws:s3:::picked-this-run".into(),
                expect,
                display_name: None,
            },
            status,
            Observation::new(Answer::success(200, ""), &[], "f"),
            Duration::ZERO,
        )
    }

    fn run() -> RunFindings {
        let expect = Expectations {
            role: None,
            source: ExpectSource::Any,
            service_account: None,
        };
        let identity = Identity::blank(&expect, PodEnv::default());
        RunFindings::new(
            OffsetDateTime::UNIX_EPOCH,
            Duration::ZERO,
            identity,
            vec![
                finding(
                    "sts:GetCallerIdentity",
                    "caller",
                    Some(Expect::Allow),
                    Status::Pass,
                ),
                finding(
                    "s3:ListBucket",
                    "bucket a\"b\\c\nd",
                    Some(Expect::Allow),
                    Status::Pass,
                ),
                finding(
                    "s3:DeleteObject",
                    "bucket x",
                    Some(Expect::Deny),
                    Status::Fail,
                ),
                finding(
                    "s3:GetObject",
                    "bucket x",
                    Some(Expect::Allow),
                    Status::Error,
                ),
                finding("kms:Decrypt", "not probed", None, Status::Skip),
            ],
        )
    }

    fn state(complete: bool) -> RunState {
        RunState {
            runs_total: 3,
            complete,
            finished_at: Some(
                OffsetDateTime::UNIX_EPOCH + Duration::from_millis(1_733_400_000_042),
            ),
            baseline_started_at: None,
        }
    }

    /// name -> value of every series of one family.
    fn series(text: &str, family: &str) -> BTreeMap<String, String> {
        text.lines()
            .filter(|l| {
                l.starts_with(&format!("{family}{{")) || l.starts_with(&format!("{family} "))
            })
            .map(|l| {
                let (k, v) = l.rsplit_once(' ').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    #[test]
    fn one_check_series_per_testcase_and_passes_only_from_a_complete_run() {
        let run = run();
        let text = String::from_utf8(render(Some(&run), &state(true))).unwrap();
        let checks = series(&text, "irsa_verify_check_passed");
        let names: BTreeSet<String> = checks
            .keys()
            .map(|k| {
                let start = k.find("name=\"").unwrap() + 6;
                let end = k[start..].find("\",action=").unwrap();
                k[start..start + end].to_owned()
            })
            .collect();
        let testcases: BTreeSet<String> = run
            .results
            .iter()
            .map(|r| {
                r.name
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            })
            .collect();
        assert_eq!(names, testcases, "the metric set is the testcase set");
        assert_eq!(checks.values().filter(|v| *v == "1").count(), 2, "{text}");
        assert!(
            text.contains(r#"irsa_verify_check_passed{name="s3:ListBucket bucket a\"b\\c\nd expect allow",action="s3:ListBucket",resource="bucket a\"b\\c\nd",expect="allow"} 1"#),
            "labels escaped, the stable target as resource:\n{text}"
        );
        assert!(text.contains(r#"expect="none"} 0"#), "{text}");
        assert!(
            !text.contains("picked-this-run"),
            "no per-run value in a label"
        );
        assert!(text.contains("irsa_verify_last_run_success 1\n"));
        assert!(
            text.contains("irsa_verify_last_run_timestamp_seconds 1733400000.042\n"),
            "{text}"
        );
        assert!(text.contains("irsa_verify_runs_total 3\n"));
        assert!(text.contains("# TYPE irsa_verify_runs_total counter\n"));
        assert!(
            text.contains("irsa_verify_coverage_ratio 0.3333333333333333\n"),
            "1 of 3 granted actions proven:\n{text}"
        );

        // Never a stale pass: the same findings from a run that did not
        // complete count nothing as passed.
        let text = String::from_utf8(render(Some(&run), &state(false))).unwrap();
        let checks = series(&text, "irsa_verify_check_passed");
        assert_eq!(checks.len(), names.len(), "the same series");
        assert!(checks.values().all(|v| v == "0"), "{text}");
        assert!(text.contains("irsa_verify_last_run_success 0\n"));
        assert!(text.contains("irsa_verify_coverage_ratio 0\n"), "{text}");
    }

    #[test]
    fn drift_is_a_series_while_present_and_every_family_is_described() {
        let before = Seen {
            status: Status::Pass,
            observed: Observed::Denied,
            denied_by: None,
        };
        let drift = Drift {
            kind: DriftKind::Widened,
            name: "s3:DeleteObject bucket x expect deny".into(),
            action: "s3:DeleteObject".into(),
            resource: "bucket x".into(),
            expect: Some(Expect::Deny),
            before,
            after: None,
            message: "m".into(),
        };
        let run = run().with_drift(vec![drift]);
        let mut s = state(true);
        s.baseline_started_at = Some(OffsetDateTime::UNIX_EPOCH);
        let text = String::from_utf8(render(Some(&run), &s)).unwrap();
        assert!(text.contains("irsa_verify_drift{name=\"s3:DeleteObject bucket x expect deny\",action=\"s3:DeleteObject\",resource=\"bucket x\",kind=\"widened\"} 1\n"), "{text}");
        assert!(
            text.contains("irsa_verify_baseline_timestamp_seconds 0.000\n"),
            "{text}"
        );
        // Every sample's family has HELP and TYPE lines before it.
        let mut described = BTreeSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                described.insert(rest.split(' ').next().unwrap().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(described.contains(name), "{name} undescribed");
            }
        }
        assert!(text.ends_with('\n'));

        // Before any run: the run-level series only.
        let text = String::from_utf8(render(None, &RunState::default())).unwrap();
        assert!(text.contains("irsa_verify_last_run_success 0\n"));
        assert!(text.contains("irsa_verify_runs_total 0\n"));
        assert!(!text.contains("irsa_verify_check_passed{"));
        assert!(!text.contains("irsa_verify_last_run_timestamp_seconds "));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(escape_help("a\\b\nc"), "a\\\\b\\nc");
    }
}
