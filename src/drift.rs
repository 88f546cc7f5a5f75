//! Drift: how each testcase changed since a baseline run (an earlier
//! `--json` report, or watch mode's first complete run). Pure, apart from
//! reading the baseline file.
//!
//! Testcases are paired by their stable name (the same spec against the same
//! role gives the same names every run), and each pair is judged by
//! `classify` alone.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::answer::Observed;
use crate::check::Expect;
use crate::findings::{Drift, DriftKind, Finding, RunFindings, Seen};
use crate::verdict::Status;

/// How one testcase changed between two runs, from what each run showed.
///
/// Could-not-tell (an error verdict or an unknown observation) on either
/// side is never drift: it says nothing about the permission, and is
/// reported as what it is (an error testcase, exit 3, `last_run_success` 0).
/// For the same reason an attribution changes only when AWS named the kind
/// of policy both times.
pub fn classify(expect: Option<Expect>, before: &Seen, after: &Seen) -> Option<DriftKind> {
    if could_not_tell(before) || could_not_tell(after) {
        return None;
    }
    use Observed::{Allowed, Denied};
    // A mismatch now that was not one before: only a judged failure counts,
    // never a verdict that hangs on conditions the agent cannot evaluate.
    let fails_now = after.status == Status::Fail;
    match (expect, before.observed, after.observed) {
        (Some(Expect::Deny), Denied, Allowed) if fails_now => return Some(DriftKind::Widened),
        (Some(Expect::Allow), Allowed, Denied) if fails_now => return Some(DriftKind::Narrowed),
        _ => {}
    }
    if before.observed == Denied && after.observed == Denied {
        if let (Some(was), Some(now)) = (&before.denied_by, &after.denied_by) {
            if was != now {
                return Some(DriftKind::AttributionChanged);
            }
        }
    }
    if before.status == Status::Pass && after.status == Status::Skip {
        return Some(DriftKind::CoverageLost);
    }
    None
}

fn could_not_tell(s: &Seen) -> bool {
    s.status == Status::Error || s.observed == Observed::Unknown
}

/// What every testcase of a run without an identity counts as: its checks
/// were not sent because the identity could not be established, a
/// could-not-tell, so their skips are no loss of coverage.
fn unknown() -> Seen {
    Seen {
        status: Status::Error,
        observed: Observed::Unknown,
        denied_by: None,
    }
}

/// A testcase that is no longer in the run: nothing proves it now.
fn gone() -> Seen {
    Seen {
        status: Status::Skip,
        observed: Observed::NotAttempted,
        denied_by: None,
    }
}

/// One testcase of the baseline, as drift compares it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Entry {
    pub name: String,
    pub action: String,
    /// Reports before `target` existed name only the resource.
    #[serde(default)]
    pub target: Option<String>,
    pub resource: String,
    pub expect: Option<Expect>,
    pub status: Status,
    pub observed: Observed,
    pub denied_by: Option<String>,
}

impl Entry {
    fn of(f: &Finding) -> Self {
        Entry {
            name: f.name.clone(),
            action: f.action.clone(),
            target: Some(f.target.clone()),
            resource: f.resource.clone(),
            expect: f.expect,
            status: f.status,
            observed: f.observed,
            denied_by: f.denied_by.map(str::to_owned),
        }
    }

    fn seen(&self) -> Seen {
        Seen {
            status: self.status,
            observed: self.observed,
            denied_by: self.denied_by.clone(),
        }
    }
}

/// The run everything is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// When that run started, when known.
    pub started_at: Option<time::OffsetDateTime>,
    /// Whether that run established the identity (else nothing in it tells).
    pub established: bool,
    pub entries: Vec<Entry>,
}

/// Why a --baseline file cannot be used (invalid input: nothing is sent).
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("--baseline: cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--baseline: {} is {size} bytes, over the {MAX_BYTES}-byte bound", path.display())]
    TooLarge { path: PathBuf, size: u64 },
    #[error("--baseline: {} is not an irsa-verify JSON report (the --json output): {source}", path.display())]
    NotAReport {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("--baseline: {} was written by {tool}, not irsa-verify", path.display())]
    OtherTool { path: PathBuf, tool: String },
}

/// A report of thousands of testcases is a few MiB.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Deserialize)]
struct Report {
    tool: String,
    #[serde(default)]
    started_at: Option<String>,
    identity: ReportIdentity,
    results: Vec<Entry>,
}

#[derive(Deserialize)]
struct ReportIdentity {
    caller_arn: Option<String>,
}

impl Baseline {
    /// A run's own findings as a baseline (watch mode's first complete run).
    pub fn of(run: &RunFindings) -> Self {
        Baseline {
            started_at: Some(run.started_at),
            established: run.identity.caller_arn.is_some(),
            entries: run.results.iter().map(Entry::of).collect(),
        }
    }

    /// An earlier `--json` report.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, BaselineError> {
        let report: Report =
            serde_json::from_slice(bytes).map_err(|source| BaselineError::NotAReport {
                path: path.to_owned(),
                source,
            })?;
        if report.tool != env!("CARGO_PKG_NAME") {
            return Err(BaselineError::OtherTool {
                path: path.to_owned(),
                tool: report.tool,
            });
        }
        use time::format_description::well_known::Rfc3339;
        let started_at = report
            .started_at
            .and_then(|t| time::OffsetDateTime::parse(&t, &Rfc3339).ok());
        Ok(Baseline {
            started_at,
            established: report.identity.caller_arn.is_some(),
            entries: report.results,
        })
    }

    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        use crate::file::{read_limited, LimitedError};
        let bytes = read_limited(path, MAX_BYTES).map_err(|e| match e {
            LimitedError::Io(source) => BaselineError::Read {
                path: path.to_owned(),
                source,
            },
            LimitedError::TooLarge(size) => BaselineError::TooLarge {
                path: path.to_owned(),
                size,
            },
        })?;
        Baseline::parse(&bytes, path)
    }
}

/// Every drift of `now` against `baseline`, in the baseline's order.
/// Testcases new since the baseline have nothing to drift from.
pub fn compare(baseline: &Baseline, now: &RunFindings) -> Vec<Drift> {
    let established = now.identity.caller_arn.is_some();
    // Names are unique in practice; should two testcases share one, they are
    // paired in order.
    let mut current: HashMap<&str, VecDeque<&Finding>> = HashMap::new();
    for f in &now.results {
        current.entry(f.name.as_str()).or_default().push_back(f);
    }
    let mut out = Vec::new();
    for entry in &baseline.entries {
        let before = if baseline.established {
            entry.seen()
        } else {
            unknown()
        };
        let found = current
            .get_mut(entry.name.as_str())
            .and_then(VecDeque::pop_front);
        let drift = match found {
            Some(f) => {
                let after = if established { Seen::of(f) } else { unknown() };
                classify(f.expect, &before, &after).map(|kind| Drift {
                    kind,
                    name: f.name.clone(),
                    action: f.action.clone(),
                    resource: f.target.clone(),
                    expect: f.expect,
                    message: message(kind, f.expect, &before, Some(&after)),
                    before: before.clone(),
                    after: Some(after),
                })
            }
            None => classify(entry.expect, &before, &gone()).map(|kind| Drift {
                kind,
                name: entry.name.clone(),
                action: entry.action.clone(),
                resource: entry
                    .target
                    .clone()
                    .unwrap_or_else(|| entry.resource.clone()),
                expect: entry.expect,
                message: message(kind, entry.expect, &before, None),
                before: before.clone(),
                after: None,
            }),
        };
        out.extend(drift);
    }
    out
}

/// The run with its drift against `baseline`, when there is one.
pub fn against(baseline: Option<&Baseline>, run: RunFindings) -> RunFindings {
    match baseline {
        Some(b) => {
            let drift = compare(b, &run);
            run.with_drift(drift)
        }
        None => run,
    }
}

/// What a person reads: the change, then what it usually means.
fn message(kind: DriftKind, expect: Option<Expect>, before: &Seen, after: Option<&Seen>) -> String {
    let now = after.map_or_else(|| "no longer checked".to_owned(), describe);
    let meaning = match kind {
        DriftKind::Widened => {
            "the role may now do what it must not: since the baseline a grant was added or a deny removed"
        }
        DriftKind::Narrowed => {
            "the role may no longer do what it must: since the baseline a grant was removed or a deny added"
        }
        DriftKind::AttributionChanged => {
            "denied both times, now by another kind of policy"
        }
        DriftKind::CoverageLost => "proven in the baseline, not proven now",
    };
    format!(
        "{}: expected {}; baseline {}, now {now}: {meaning}",
        kind.as_str(),
        expect.map_or("nothing", Expect::as_str),
        describe(before)
    )
}

/// "pass (denied: no identity-based policy allows it)", "fail (allowed)".
fn describe(s: &Seen) -> String {
    let by = s
        .denied_by
        .as_ref()
        .map(|by| format!(": {by}"))
        .unwrap_or_default();
    format!(
        "{} ({}{by})",
        s.status.label().to_lowercase(),
        s.observed.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{ExpectSource, Expectations, Identity, PodEnv};
    use crate::verdict::judge;
    use std::time::Duration;

    const IDENTITY: &str = "no identity-based policy allows it";
    const SCP: &str = "service control policy (explicit deny)";

    fn seen(status: Status, observed: Observed, denied_by: Option<&str>) -> Seen {
        Seen {
            status,
            observed,
            denied_by: denied_by.map(str::to_owned),
        }
    }

    /// The states a testcase with `expect` can show, as the table names them:
    /// A allowed, D denied (Di by no identity policy, Ds by an SCP), ~ its
    /// verdict hangs on conditions (skip), ? could not tell, - not attempted.
    fn states(expect: Expect) -> [(&'static str, Seen); 8] {
        use Observed::*;
        [
            ("A", seen(judge(expect, Allowed), Allowed, None)),
            ("A~", seen(Status::Skip, Allowed, None)),
            ("D", seen(judge(expect, Denied), Denied, None)),
            ("Di", seen(judge(expect, Denied), Denied, Some(IDENTITY))),
            ("Ds", seen(judge(expect, Denied), Denied, Some(SCP))),
            ("D~", seen(Status::Skip, Denied, Some(IDENTITY))),
            ("?", seen(Status::Error, Unknown, None)),
            ("-", seen(Status::Skip, NotAttempted, None)),
        ]
    }

    /// Every pair of states, for both expectations: rows are the baseline,
    /// columns now. W widened, N narrowed, B attribution changed, C coverage
    /// lost, . no drift.
    #[test]
    fn drift_table() {
        //            now:  A   A~  D   Di  Ds  D~  ?   -
        let deny = [
            /* A  */ ".   .   .   .   .   .   .   .",
            /* A~ */ ".   .   .   .   .   .   .   .",
            /* D  */ "W   C   .   .   .   C   .   C",
            /* Di */ "W   C   .   .   B   C   .   C",
            /* Ds */ "W   C   .   B   .   B   .   C",
            /* D~ */ "W   .   .   .   B   .   .   .",
            /* ?  */ ".   .   .   .   .   .   .   .",
            /* -  */ ".   .   .   .   .   .   .   .",
        ];
        //            now:  A   A~  D   Di  Ds  D~  ?   -
        let allow = [
            /* A  */ ".   C   N   N   N   C   .   C",
            /* A~ */ ".   .   N   N   N   .   .   .",
            /* D  */ ".   .   .   .   .   .   .   .",
            /* Di */ ".   .   .   .   B   .   .   .",
            /* Ds */ ".   .   .   B   .   B   .   .",
            /* D~ */ ".   .   .   .   B   .   .   .",
            /* ?  */ ".   .   .   .   .   .   .   .",
            /* -  */ ".   .   .   .   .   .   .   .",
        ];
        for (expect, table) in [(Expect::Deny, deny), (Expect::Allow, allow)] {
            let states = states(expect);
            for (row, line) in table.iter().enumerate() {
                let cells: Vec<&str> = line.split_whitespace().collect();
                assert_eq!(cells.len(), states.len());
                for (col, cell) in cells.iter().enumerate() {
                    let (b, before) = &states[row];
                    let (a, after) = &states[col];
                    let got = match classify(Some(expect), before, after) {
                        Some(DriftKind::Widened) => "W",
                        Some(DriftKind::Narrowed) => "N",
                        Some(DriftKind::AttributionChanged) => "B",
                        Some(DriftKind::CoverageLost) => "C",
                        None => ".",
                    };
                    assert_eq!(
                        got,
                        *cell,
                        "expect {}: baseline {b}, now {a}",
                        expect.as_str()
                    );
                }
            }
        }
    }

    /// Every combination, consistent or not (each status with each
    /// observation and attribution, each expectation), on both sides: the
    /// rules hold for all of them.
    #[test]
    fn every_pair_keeps_the_rules() {
        use Observed::*;
        let statuses = [Status::Pass, Status::Fail, Status::Error, Status::Skip];
        let observations = [Allowed, Denied, Unknown, NotAttempted];
        let blames = [None, Some(IDENTITY), Some(SCP)];
        let mut all = Vec::new();
        for s in statuses {
            for o in observations {
                for b in blames {
                    all.push(seen(s, o, b));
                }
            }
        }
        assert_eq!(all.len(), 48);
        let mut seen_kinds = std::collections::BTreeSet::new();
        for expect in [Some(Expect::Allow), Some(Expect::Deny), None] {
            for before in &all {
                for after in &all {
                    let kind = classify(expect, before, after);
                    let why = format!("{expect:?} {before:?} -> {after:?}: {kind:?}");
                    if could_not_tell(before) || could_not_tell(after) {
                        assert_eq!(kind, None, "could-not-tell is never drift: {why}");
                    }
                    if before == after {
                        assert_eq!(kind, None, "no change, no drift: {why}");
                    }
                    match kind {
                        Some(DriftKind::Widened) => assert!(
                            expect == Some(Expect::Deny)
                                && before.observed == Denied
                                && after.observed == Allowed
                                && after.status == Status::Fail,
                            "{why}"
                        ),
                        Some(DriftKind::Narrowed) => assert!(
                            expect == Some(Expect::Allow)
                                && before.observed == Allowed
                                && after.observed == Denied
                                && after.status == Status::Fail,
                            "{why}"
                        ),
                        Some(DriftKind::AttributionChanged) => assert!(
                            before.observed == Denied
                                && after.observed == Denied
                                && before.denied_by.is_some()
                                && after.denied_by.is_some()
                                && before.denied_by != after.denied_by,
                            "{why}"
                        ),
                        Some(DriftKind::CoverageLost) => assert!(
                            before.status == Status::Pass && after.status == Status::Skip,
                            "{why}"
                        ),
                        None => {}
                    }
                    // A pass that is no longer proven is always reported.
                    if before.status == Status::Pass
                        && after.status == Status::Skip
                        && !could_not_tell(before)
                        && !could_not_tell(after)
                    {
                        assert!(kind.is_some(), "{why}");
                    }
                    seen_kinds.extend(kind);
                }
            }
        }
        assert_eq!(seen_kinds.len(), DriftKind::ALL.len());
    }

    fn finding(action: &str, expect: Expect, observed: Observed, message: &str) -> Finding {
        let resource = format!("arn:aws:s3:::b/{}", crate::random::random_token());
        crate::findings::observed_finding(action, expect, observed, message, &resource)
    }

    fn run(established: bool, results: Vec<Finding>) -> RunFindings {
        let expect = Expectations {
            role: None,
            source: ExpectSource::Any,
            service_account: None,
        };
        let mut identity = Identity::blank(&expect, PodEnv::default());
        if established {
            identity.caller_arn = Some("arn:aws:sts::1:assumed-role/r/s".into());
        }
        RunFindings::new(
            time::OffsetDateTime::UNIX_EPOCH,
            Duration::ZERO,
            identity,
            results,
        )
    }

    #[test]
    fn runs_are_paired_by_name_and_a_json_report_is_a_baseline() {
        use Observed::*;
        let denied = "because no identity-based policy allows the s3:DeleteObject action";
        let before = run(
            true,
            vec![
                finding("s3:DeleteObject", Expect::Deny, Denied, denied),
                finding("s3:ListBucket", Expect::Allow, Allowed, ""),
                finding("s3:GetObject", Expect::Allow, Allowed, ""),
            ],
        );
        let now = run(
            true,
            vec![
                finding("s3:ListBucket", Expect::Allow, Allowed, ""),
                finding("s3:DeleteObject", Expect::Deny, Allowed, ""),
                finding("s3:PutObject", Expect::Deny, Allowed, ""),
            ],
        );
        // Through the JSON report, as --baseline reads it.
        let json = crate::report::json::render(&before);
        let baseline = Baseline::parse(&json, Path::new("b.json")).unwrap();
        assert_eq!(baseline, Baseline::of(&before));
        let drift = compare(&baseline, &now);
        let kinds: Vec<_> = drift.iter().map(|d| (d.kind, d.action.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (DriftKind::Widened, "s3:DeleteObject"),
                (DriftKind::CoverageLost, "s3:GetObject"),
            ],
            "a new testcase has nothing to drift from"
        );
        assert_eq!(
            drift[0].resource, "bucket b",
            "the stable target, not the ARN"
        );
        assert_eq!(drift[1].after, None);
        assert!(
            drift[1].message.contains("no longer checked"),
            "{}",
            drift[1].message
        );
        assert!(
            drift[0].message.starts_with("widened: expected deny; baseline pass (denied: no identity-based policy allows it), now fail (allowed)"),
            "{}",
            drift[0].message
        );
        assert_eq!(now.clone().with_drift(drift).exit_code.code(), 1);
        assert_eq!(compare(&Baseline::of(&now), &now), []);
    }

    #[test]
    fn a_run_without_an_identity_tells_nothing_on_either_side() {
        use Observed::*;
        let good = run(
            true,
            vec![finding("s3:ListBucket", Expect::Allow, Allowed, "")],
        );
        let mut skipped = finding("s3:ListBucket", Expect::Allow, NotAttempted, "");
        skipped.status = Status::Skip;
        let lost = run(false, vec![skipped]);
        assert_eq!(compare(&Baseline::of(&good), &lost), []);
        assert_eq!(compare(&Baseline::of(&lost), &good), []);
        let mut id = run(true, vec![]);
        id.results = lost.results.clone();
        assert_eq!(
            compare(&Baseline::of(&good), &id)[0].kind,
            DriftKind::CoverageLost,
            "with an identity, a skip after a pass is lost coverage"
        );
    }

    #[test]
    fn a_baseline_must_be_an_irsa_verify_report() {
        let p = Path::new("x.json");
        assert!(matches!(
            Baseline::parse(b"{}", p),
            Err(BaselineError::NotAReport { .. })
        ));
        let other = br#"{"tool": "other", "identity": {"caller_arn": null}, "results": []}"#;
        assert!(matches!(
            Baseline::parse(other, p),
            Err(BaselineError::OtherTool { .. })
        ));
        assert!(matches!(
            Baseline::load(Path::new("/nonexistent/b.json")),
            Err(BaselineError::Read { .. })
        ));
    }
}
