//! Watch mode: the same checks every interval in one long-running process,
//! the results served over HTTP (`http`): /metrics, /healthz, and the last
//! complete run's /report.json and /junit.xml.
//!
//! `Watcher` is the state between runs, plain data updated by `record` and
//! `abandon` and rendered by `pages`, so every rule here is tested without a
//! network. The state is bounded: the latest run, the baseline, the deny
//! checks' last verdicts and the last complete run's two reports; no history.

pub mod http;

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::check::Expect;
use crate::drift::{self, Baseline};
use crate::findings::{Finding, RunFindings};
use crate::report::{self, metrics};
use crate::run::Plan;
use crate::verdict::ExitCode;
use http::Pages;

/// The command line's watch settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub interval: Duration,
    pub listen: SocketAddr,
    /// Deny checks are sent on every Nth run only (allow checks on every run).
    pub deny_every: u32,
}

/// Past --timeout, run() has given up by itself; this only guards against a
/// run that hangs anyway.
const GRACE: Duration = Duration::from_secs(10);

/// A run completed when its identity was established and no check was
/// could-not-tell (an error verdict): only then is a pass reported, the
/// run's reports served, or the run taken as the baseline.
pub fn completed(run: &RunFindings) -> bool {
    run.identity.caller_arn.is_some() && run.summary.error == 0
}

/// The wait after a run: the interval plus up to a tenth of it (`fraction`
/// in [0, 1)), so pods started together drift apart, and runs never come
/// more often than the interval asks (nor the calls CloudTrail records).
pub fn jittered(interval: Duration, fraction: f64) -> Duration {
    interval + interval.mul_f64(0.1 * fraction.clamp(0.0, 1.0))
}

/// The state between runs.
#[derive(Debug)]
pub struct Watcher {
    deny_every: u32,
    suite_name: Option<String>,
    /// --baseline's report, or the first complete run.
    baseline: Option<Baseline>,
    runs_total: u64,
    /// The deny checks' findings from the last run that sent them and
    /// completed, and when it started. None: the next run sends them.
    carried: Option<(OffsetDateTime, Vec<Finding>)>,
    /// The testcase names in the order of the last run that sent every check.
    order: Vec<String>,
    latest: Option<RunFindings>,
    /// The latest run's outcome, for the log and the metrics.
    complete: bool,
    abandoned: bool,
    sent_deny: bool,
    finished_at: Option<OffsetDateTime>,
    /// The last complete run's reports.
    reports: Option<Reports>,
}

/// A complete run's JSON and JUnit documents, shared with every response.
#[derive(Debug)]
struct Reports {
    json: Arc<Vec<u8>>,
    junit: Arc<Vec<u8>>,
}

impl Watcher {
    pub fn new(baseline: Option<Baseline>, deny_every: u32, suite_name: Option<String>) -> Self {
        Watcher {
            deny_every: deny_every.max(1),
            suite_name,
            baseline,
            runs_total: 0,
            carried: None,
            order: Vec::new(),
            latest: None,
            complete: false,
            abandoned: false,
            sent_deny: false,
            finished_at: None,
            reports: None,
        }
    }

    /// Whether the next run sends the deny checks: every Nth run, and every
    /// run until their verdicts are known from a complete run.
    pub fn sends_deny(&self) -> bool {
        self.carried.is_none() || self.runs_total.is_multiple_of(u64::from(self.deny_every))
    }

    /// The plan for the next run: without its deny checks when they are not sent.
    pub fn plan_for(&self, plan: &Plan) -> Plan {
        let mut plan = plan.clone();
        if !self.sends_deny() {
            plan.checks.retain(|c| c.expect() != Expect::Deny);
            for hop in &mut plan.chain {
                hop.checks.retain(|c| c.expect() != Expect::Deny);
            }
        }
        plan
    }

    /// A finished run: `sent_deny` as `sends_deny` said before it.
    pub fn record(&mut self, fresh: RunFindings, sent_deny: bool, finished_at: OffsetDateTime) {
        let run = if sent_deny {
            self.order = fresh.results.iter().map(|r| r.name.clone()).collect();
            fresh
        } else {
            self.merge(fresh)
        };
        let complete = completed(&run);
        if sent_deny {
            self.carried = complete.then(|| {
                let deny = run
                    .results
                    .iter()
                    .filter(|r| r.expect == Some(Expect::Deny))
                    .cloned()
                    .collect();
                (run.started_at, deny)
            });
        }
        if self.baseline.is_none() && complete {
            self.baseline = Some(Baseline::of(&run));
        }
        let run = drift::against(self.baseline.as_ref(), run);
        if complete {
            let json = report::json::render(&run);
            let junit = report::junit::render(&run, self.suite_name.as_deref());
            self.reports = Some(Reports {
                json: Arc::new(json),
                junit: Arc::new(junit),
            });
        }
        self.runs_total += 1;
        self.complete = complete;
        self.abandoned = false;
        self.sent_deny = sent_deny;
        self.finished_at = Some(finished_at);
        self.latest = Some(run);
    }

    /// A run that did not finish: nothing is known, so no check counts as
    /// passed and no drift is shown; the testcases stay those of the run before.
    pub fn abandon(&mut self, sent_deny: bool, finished_at: OffsetDateTime) {
        if sent_deny {
            self.carried = None;
        }
        if let Some(latest) = &mut self.latest {
            latest.drift = None;
        }
        self.runs_total += 1;
        self.complete = false;
        self.abandoned = true;
        self.sent_deny = sent_deny;
        self.finished_at = Some(finished_at);
    }

    /// A run without its deny checks, completed by their last verdicts, in
    /// the order of the last run that sent every check.
    fn merge(&self, fresh: RunFindings) -> RunFindings {
        let RunFindings {
            started_at,
            duration,
            identity,
            results,
            chain,
            ..
        } = fresh;
        let mut pool: HashMap<String, VecDeque<Finding>> = HashMap::new();
        let mut leftover_order: Vec<String> = Vec::new();
        for f in results {
            leftover_order.push(f.name.clone());
            pool.entry(f.name.clone()).or_default().push_back(f);
        }
        if let Some((at, deny)) = &self.carried {
            let when = report::rfc3339(at.unix_timestamp());
            for f in deny {
                let mut f = f.clone();
                f.notes.push(format!(
                    "not sent this run (--deny-every {}): the verdict of the run started at {when}",
                    self.deny_every
                ));
                leftover_order.push(f.name.clone());
                pool.entry(f.name.clone()).or_default().push_back(f);
            }
        }
        let mut merged = Vec::new();
        for name in self.order.iter().chain(&leftover_order) {
            if let Some(f) = pool.get_mut(name).and_then(VecDeque::pop_front) {
                merged.push(f);
            }
        }
        RunFindings::new(started_at, duration, identity, merged).with_chain(chain)
    }

    /// What the server answers with now.
    pub fn pages(&self) -> Pages {
        let state = metrics::RunState {
            runs_total: self.runs_total,
            complete: self.complete,
            finished_at: self.finished_at,
            baseline_started_at: self.baseline.as_ref().and_then(|b| b.started_at),
        };
        Pages {
            metrics: Arc::new(metrics::render(self.latest.as_ref(), &state)),
            report_json: self.reports.as_ref().map(|r| r.json.clone()),
            junit: self.reports.as_ref().map(|r| r.junit.clone()),
        }
    }

    /// One line per run for the log.
    pub fn log_line(&self) -> String {
        let outcome = if self.abandoned {
            "did not finish"
        } else if self.complete {
            "complete"
        } else {
            "incomplete"
        };
        let deny = if self.sent_deny {
            ""
        } else {
            " (deny checks: the last verdicts)"
        };
        let summary = match (&self.latest, self.abandoned) {
            (Some(run), false) => report::summary_line(run),
            _ => "no findings: the run outlived --timeout".to_owned(),
        };
        format!(
            "irsa-verify watch: run {} {outcome}{deny}: {summary}",
            self.runs_total
        )
    }
}

fn say(line: &str) {
    // A closed stdout must not stop the watch.
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Runs until SIGTERM or SIGINT; exit 0 then. A --listen address that cannot
/// be bound is invalid input (exit 2), before anything is sent.
pub async fn watch(
    plan: &Plan,
    opts: &Options,
    baseline: Option<Baseline>,
    suite_name: Option<String>,
) -> ExitCode {
    use tokio::signal::unix::{signal, SignalKind};
    let listener = match tokio::net::TcpListener::bind(opts.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("irsa-verify: --listen {}: {e}", opts.listen);
            return ExitCode::InvalidInput;
        }
    };
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("irsa-verify: cannot handle SIGTERM/SIGINT: {e}");
            return ExitCode::Unverified;
        }
    };
    let mut watcher = Watcher::new(baseline, opts.deny_every, suite_name);
    let (pages, served) = tokio::sync::watch::channel(Arc::new(watcher.pages()));
    let addr = listener.local_addr().unwrap_or(opts.listen);
    let server = tokio::spawn(http::serve(listener, served));
    say(&format!(
        "irsa-verify watch: /metrics, /healthz, /report.json, /junit.xml on http://{addr}; a run every {}s (plus up to 10%), deny checks every {} run(s)",
        opts.interval.as_secs_f64(),
        opts.deny_every
    ));
    let runs = async {
        loop {
            let sent_deny = watcher.sends_deny();
            let this = watcher.plan_for(plan);
            let ran = tokio::time::timeout(plan.timeout + GRACE, crate::run::run(&this)).await;
            let now = OffsetDateTime::now_utc();
            match ran {
                Ok(fresh) => watcher.record(fresh, sent_deny, now),
                Err(_) => watcher.abandon(sent_deny, now),
            }
            pages.send_replace(Arc::new(watcher.pages()));
            say(&watcher.log_line());
            tokio::time::sleep(jittered(opts.interval, crate::random::fraction())).await;
        }
    };
    // A signal drops the run in flight: its requests are harmless probes,
    // and nothing is left half-written.
    tokio::select! {
        () = runs => {}
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    server.abort();
    say("irsa-verify watch: stopped by signal");
    ExitCode::Ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::Observed;
    use crate::findings::DriftKind;
    use crate::identity::{ExpectSource, Expectations, Identity, PodEnv};
    use crate::verdict::Status;

    fn finding(action: &str, expect: Expect, observed: Observed) -> Finding {
        crate::findings::observed_finding(action, expect, observed, "denied", "arn:aws:s3:::b")
    }

    /// A run of the identity check, ListBucket (allow) and DeleteObject
    /// (deny, when sent), each observed as given; None: AWS unreachable.
    fn run(list: Option<Observed>, delete: Option<Option<Observed>>) -> RunFindings {
        let expect = Expectations {
            role: None,
            source: ExpectSource::Any,
            service_account: None,
        };
        let mut identity = Identity::blank(&expect, PodEnv::default());
        let reachable = list.is_some();
        if reachable {
            identity.caller_arn = Some("arn:aws:sts::1:assumed-role/r/s".into());
        }
        let id = if reachable {
            Observed::Allowed
        } else {
            Observed::Unknown
        };
        let mut results = vec![finding("sts:GetCallerIdentity", Expect::Allow, id)];
        results.push(finding(
            "s3:ListBucket",
            Expect::Allow,
            list.unwrap_or(Observed::Unknown),
        ));
        if let Some(delete) = delete {
            results.push(finding(
                "s3:DeleteObject",
                Expect::Deny,
                delete.unwrap_or(Observed::Unknown),
            ));
        }
        RunFindings::new(OffsetDateTime::now_utc(), Duration::ZERO, identity, results)
    }

    fn scrape(w: &Watcher) -> String {
        String::from_utf8(w.pages().metrics.to_vec()).unwrap()
    }

    fn passed(text: &str) -> Vec<(String, String)> {
        text.lines()
            .filter(|l| l.starts_with("irsa_verify_check_passed{"))
            .map(|l| {
                let action = l.split("action=\"").nth(1).unwrap();
                let action = action.split('"').next().unwrap().to_owned();
                (action, l.rsplit(' ').next().unwrap().to_owned())
            })
            .collect()
    }

    use Observed::{Allowed, Denied};

    #[test]
    fn an_outage_zeroes_every_check_and_a_later_run_recovers() {
        let mut w = Watcher::new(None, 1, None);
        let t = OffsetDateTime::now_utc();
        assert!(w.pages().report_json.is_none());
        w.record(run(Some(Allowed), Some(Some(Denied))), true, t);
        let good = scrape(&w);
        assert_eq!(
            passed(&good),
            [
                ("s3:DeleteObject".into(), "1".into()),
                ("s3:ListBucket".into(), "1".into()),
                ("sts:GetCallerIdentity".into(), "1".into())
            ]
        );
        assert!(good.contains("irsa_verify_last_run_success 1\n"));
        let report = w.pages().report_json.unwrap();

        // The endpoint is down: same series, all 0, the reports still the
        // last complete run's.
        w.record(run(None, Some(None)), true, t);
        let down = scrape(&w);
        assert_eq!(passed(&down).len(), 3);
        assert!(passed(&down).iter().all(|(_, v)| v == "0"), "{down}");
        assert!(down.contains("irsa_verify_last_run_success 0\n"));
        assert!(down.contains("irsa_verify_runs_total 2\n"));
        assert_eq!(w.pages().report_json.unwrap(), report);
        assert!(
            w.log_line().contains("run 2 incomplete"),
            "{}",
            w.log_line()
        );

        // A run that hung past --timeout: the same.
        w.abandon(true, t);
        assert!(passed(&scrape(&w)).iter().all(|(_, v)| v == "0"));
        assert!(w.log_line().contains("did not finish"));

        // Recovered by itself on the next run that completes.
        w.record(run(Some(Allowed), Some(Some(Denied))), true, t);
        let back = scrape(&w);
        assert!(passed(&back).iter().all(|(_, v)| v == "1"), "{back}");
        assert!(back.contains("irsa_verify_last_run_success 1\n"));
        assert!(back.contains("irsa_verify_runs_total 4\n"));
    }

    #[test]
    fn the_first_complete_run_is_the_baseline() {
        let mut w = Watcher::new(None, 1, None);
        let t = OffsetDateTime::now_utc();
        w.record(run(None, Some(None)), true, t);
        assert!(!scrape(&w).contains("irsa_verify_baseline_timestamp_seconds "));
        w.record(run(Some(Allowed), Some(Some(Denied))), true, t);
        assert!(scrape(&w).contains("irsa_verify_baseline_timestamp_seconds "));
        assert_eq!(w.latest.as_ref().unwrap().drift(), []);
        w.record(run(Some(Allowed), Some(Some(Allowed))), true, t);
        let text = scrape(&w);
        assert!(
            text.contains("kind=\"widened\"} 1\n") && text.contains("action=\"s3:DeleteObject\""),
            "{text}"
        );
        assert_eq!(
            w.latest.as_ref().unwrap().drift()[0].kind,
            DriftKind::Widened
        );
        // Present while it lasts, gone when it is.
        w.record(run(Some(Allowed), Some(Some(Denied))), true, t);
        assert!(!scrape(&w).contains("irsa_verify_drift{"));
    }

    #[test]
    fn deny_checks_every_nth_run_keep_the_testcase_set() {
        let mut w = Watcher::new(None, 3, None);
        let t = OffsetDateTime::now_utc();
        let mut sent = Vec::new();
        for i in 0..7 {
            let deny = w.sends_deny();
            sent.push(deny);
            // Run 4 cannot reach AWS: deny checks go out again on the next.
            let list = if i == 3 { None } else { Some(Allowed) };
            let delete = deny.then_some(list.map(|_| Denied));
            w.record(run(list, delete), deny, t);
            let names: Vec<&str> = w
                .latest
                .as_ref()
                .unwrap()
                .results
                .iter()
                .map(|r| r.action.as_str())
                .collect();
            assert_eq!(
                names,
                ["sts:GetCallerIdentity", "s3:ListBucket", "s3:DeleteObject"],
                "run {i}: the same testcases in the same order"
            );
            assert_eq!(passed(&scrape(&w)).len(), 3);
        }
        assert_eq!(sent, [true, false, false, true, true, false, true]);
    }

    #[test]
    fn a_carried_deny_verdict_says_so_and_the_plan_leaves_it_out() {
        let mut w = Watcher::new(None, 2, None);
        let t = OffsetDateTime::now_utc();
        w.record(run(Some(Allowed), Some(Some(Denied))), true, t);
        assert!(!w.sends_deny());
        w.record(run(Some(Allowed), None), false, t);
        let results = &w.latest.as_ref().unwrap().results;
        assert_eq!(results[2].status, Status::Pass);
        assert!(
            results[2]
                .notes
                .iter()
                .any(|n| n.contains("not sent this run (--deny-every 2)")),
            "{:?}",
            results[2].notes
        );
        assert!(w.log_line().contains("deny checks: the last verdicts"));
        // The note is added to a copy: it does not pile up run after run.
        w.record(run(Some(Allowed), Some(Some(Denied))), true, t);
        w.record(run(Some(Allowed), None), false, t);
        let notes = &w.latest.as_ref().unwrap().results[2].notes;
        assert_eq!(
            notes.iter().filter(|n| n.contains("--deny-every")).count(),
            1
        );
    }

    #[test]
    fn the_wait_is_the_interval_plus_at_most_a_tenth() {
        let i = Duration::from_secs(60);
        assert_eq!(jittered(i, 0.0), i);
        assert_eq!(jittered(i, 0.5), Duration::from_secs(63));
        assert!(jittered(i, 0.999_999) < Duration::from_secs(66));
        assert_eq!(
            jittered(Duration::from_secs(1), 1.5),
            Duration::from_millis(1100)
        );
        // The shortest interval --watch takes keeps the same rule.
        let short = Duration::from_millis(100);
        assert_eq!(jittered(short, 0.0), short);
        assert_eq!(jittered(short, 1.0), Duration::from_millis(110));
    }
}
