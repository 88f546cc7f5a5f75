//! Watch mode end to end: the built binary as a long-running pod against the
//! emulator, scraped over loopback (and, where Debian's prometheus package is
//! installed, checked by promtool and scraped by a real Prometheus).
//! Every wait is a poll with a generous deadline, never a timing assertion.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Scenario, StandIn};
use serde_json::Value;

/// A process this test started, killed if the test ends early.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GET over loopback: (status, body), or None while nothing answers.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    let out = String::from_utf8(out).ok()?;
    let (head, body) = out.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// Polls until `ready` holds for what `probe` returns, or fails after `limit`.
fn poll<T>(limit: Duration, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(started.elapsed() < limit, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn metrics(port: u16) -> Option<String> {
    match get(port, "/metrics")? {
        (200, body) => Some(body),
        _ => None,
    }
}

/// The value of the one series whose line starts with `prefix`.
fn value(text: &str, prefix: &str) -> Option<String> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .map(str::to_owned)
}

/// The `name` label of every irsa_verify_check_passed series.
fn check_series(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("irsa_verify_check_passed{name=\""))
        .map(|rest| rest.split("\",action=").next().unwrap_or("").to_owned())
        .collect()
}

fn testcases(report: &Value) -> BTreeSet<String> {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

fn report(port: u16) -> Value {
    let (status, body) = get(port, "/report.json").expect("/report.json answers");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("/report.json is JSON")
}

/// promtool's lint of a scrape, when Debian's prometheus package is here.
fn promtool_check(scrape: &str) {
    let spawned = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped: promtool check metrics needs Debian's prometheus package (scripts/test.sh installs it)");
            return;
        }
        Err(e) => panic!("promtool: {e}"),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(scrape.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}\n{scrape}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A real Prometheus on loopback scraping `target` every second, or None
/// without the binary.
fn prometheus(dir: &Path, target: u16) -> Option<(Started, u16)> {
    let port = common::free_port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
             scrape_configs:\n  - job_name: irsa-verify\n    static_configs: [{{targets: [\"127.0.0.1:{target}\"]}}]\n"
        ),
    )
    .expect("write prometheus.yml");
    let log = std::fs::File::create(dir.join("prometheus.log")).expect("log");
    let spawned = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn();
    match spawned {
        Ok(child) => Some((Started(child), port)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped: the live Prometheus scrape needs Debian's prometheus package (scripts/test.sh installs it)");
            None
        }
        Err(e) => panic!("prometheus: {e}"),
    }
}

/// An instant query's result vector, once Prometheus answers.
fn query(port: u16, promql: &str) -> Option<Vec<Value>> {
    let encoded: String = promql
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let (status, body) = get(port, &format!("/api/v1/query?query={encoded}"))?;
    if status != 200 {
        return None;
    }
    let v: Value = serde_json::from_str(&body).ok()?;
    v["data"]["result"].as_array().cloned()
}

#[test]
fn watch_serves_every_testcase_turns_a_widened_grant_into_drift_and_stops_on_sigterm() {
    let limit = Duration::from_secs(120);
    let s = Scenario::seed("reference");
    let before = s.snapshot();
    let port = common::free_port();
    let log = s.dir.join("watch.log");
    let mut agent = Started(
        s.pod()
            .args(s.reference_args())
            .args(["--watch", "1s", "--listen", &format!("127.0.0.1:{port}")])
            .spawn(&log),
    );

    // The first complete run: every testcase a series, each passed.
    let scrape = poll(limit, "a complete run", || {
        metrics(port).filter(|m| value(m, "irsa_verify_last_run_success ").as_deref() == Some("1"))
    });
    let first = report(port);
    let names = testcases(&first);
    assert_eq!(names.len(), 6, "{first}");
    assert_eq!(
        check_series(&scrape),
        names,
        "the metric set is the testcase set"
    );
    assert!(
        scrape
            .lines()
            .filter(|l| l.starts_with("irsa_verify_check_passed{"))
            .all(|l| l.ends_with(" 1")),
        "{scrape}"
    );
    assert!(scrape.contains("irsa_verify_baseline_timestamp_seconds "));
    promtool_check(&scrape);
    let (status, junit) = get(port, "/junit.xml").expect("/junit.xml answers");
    assert_eq!(status, 200);
    common::assert_well_formed(&junit);
    assert_eq!(get(port, "/healthz").map(|(s, _)| s), Some(200));
    assert_eq!(get(port, "/nothing").map(|(s, _)| s), Some(404));

    // A real Prometheus scrapes the same series.
    let prom_dir = common::scratch("prometheus");
    let prom = prometheus(&prom_dir, port);
    if let Some((_, prom_port)) = &prom {
        let count = poll(limit, "Prometheus to scrape the watch", || {
            let result = query(*prom_port, "count(irsa_verify_check_passed == 1)")?;
            let n = result.first()?["value"][1]
                .as_str()?
                .parse::<usize>()
                .ok()?;
            (n == names.len()).then_some(n)
        });
        assert_eq!(count, 6);
    }

    // The role may now delete objects: within a few runs, the deny check's
    // series is 0 and a widened drift is 1.
    s.attach_policy(
        "delete-objects",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::{}/*"}}]}}"#,
            s.bucket
        ),
    );
    let delete = names
        .iter()
        .find(|n| n.starts_with("s3:DeleteObject "))
        .expect("the DeleteObject testcase")
        .clone();
    let widened = poll(limit, "the widened drift", || {
        metrics(port).filter(|m| {
            value(m, &format!("irsa_verify_check_passed{{name=\"{delete}\"")).as_deref()
                == Some("0")
                && m.lines().any(|l| {
                    l.starts_with("irsa_verify_drift{")
                        && l.contains("action=\"s3:DeleteObject\"")
                        && l.contains("kind=\"widened\"")
                        && l.ends_with(" 1")
                })
        })
    });
    assert_eq!(check_series(&widened), names, "still the testcase set");
    assert_eq!(
        value(&widened, "irsa_verify_last_run_success "),
        Some("1".to_owned()),
        "a failing check is a complete run"
    );
    promtool_check(&widened);
    let now = report(port);
    assert_eq!(testcases(&now), names);
    assert_eq!(now["drift"][0]["kind"], "widened", "{}", now["drift"]);
    let (_, junit) = get(port, "/junit.xml").expect("/junit.xml answers");
    common::assert_well_formed(&junit);
    assert!(
        junit.contains(&format!("name=\"drift widened: {delete}\"")),
        "{junit}"
    );
    if let Some((_, prom_port)) = &prom {
        poll(limit, "Prometheus to see the drift", || {
            let result = query(*prom_port, "irsa_verify_drift{kind=\"widened\"}")?;
            (result.len() == 1 && result[0]["metric"]["action"] == "s3:DeleteObject").then_some(())
        });
    }
    drop(prom);

    // SIGTERM: it exits by itself, with 0, within a bounded wait.
    let pid = agent.0.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = poll(
        Duration::from_secs(30),
        "the agent to exit on SIGTERM",
        || agent.0.try_wait().expect("wait"),
    );
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(output.contains("stopped by signal"), "{output}");
    assert_eq!(before, s.snapshot(), "the runs changed the emulator's data");
}

/// Never a stale pass: while the endpoint is down every check series is 0
/// and the run is not a success, the server keeps answering (the reports
/// still the last complete run's), and when the endpoint is back the next
/// runs recover by themselves.
#[test]
fn an_outage_zeroes_every_check_and_the_watch_recovers_by_itself() {
    let limit = Duration::from_secs(120);
    let s = Scenario::seed("reference");
    let endpoint_port = common::free_port();
    let proxy = StandIn::passthrough_proxy_at(endpoint_port);
    let port = common::free_port();
    let _agent = Started(
        s.pod()
            .env("AWS_ENDPOINT_URL", &proxy.endpoint)
            .args(s.reference_args())
            .args(["--watch", "1s", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--timeout", "5"])
            .spawn(&s.dir.join("watch.log")),
    );
    let all = |text: &str, v: &str| {
        let series: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("irsa_verify_check_passed{"))
            .collect();
        series.len() == 6 && series.iter().all(|l| l.ends_with(&format!(" {v}")))
    };
    let success = |text: &str| value(text, "irsa_verify_last_run_success ");
    poll(limit, "a complete run", || {
        metrics(port).filter(|m| success(m).as_deref() == Some("1") && all(m, "1"))
    });

    drop(proxy);
    let down = poll(limit, "a run against the stopped endpoint", || {
        metrics(port).filter(|m| success(m).as_deref() == Some("0"))
    });
    assert!(all(&down, "0"), "every check 0, the same series:\n{down}");
    assert!(
        !down.contains("irsa_verify_drift{"),
        "could-not-tell is no drift:\n{down}"
    );
    promtool_check(&down);
    assert_eq!(get(port, "/healthz").map(|(s, _)| s), Some(200));
    // Runs are sequential: once one has failed, every later one starts
    // after the outage began, so the served report can no longer change.
    let complete = report(port);
    assert_eq!(
        complete["summary"]["error"], 0,
        "a complete run's: {complete}"
    );
    let runs = |m: &str| value(m, "irsa_verify_runs_total ").and_then(|v| v.parse::<u64>().ok());
    let seen = runs(&down).expect("runs_total");
    poll(limit, "another run against the stopped endpoint", || {
        metrics(port).filter(|m| runs(m) > Some(seen) && success(m).as_deref() == Some("0"))
    });
    assert_eq!(
        report(port)["started_at"],
        complete["started_at"],
        "the reports stay the last complete run's"
    );

    let _back = StandIn::passthrough_proxy_at(endpoint_port);
    poll(limit, "the watch to recover", || {
        metrics(port).filter(|m| success(m).as_deref() == Some("1") && all(m, "1"))
    });
    assert_ne!(report(port)["started_at"], complete["started_at"]);
}

/// Every series of a scrape, by name and labels: its value.
fn series(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn runs_total(text: &str) -> Option<u64> {
    value(text, "irsa_verify_runs_total ")?.parse().ok()
}

/// The reference policy without its s3:ListBucket statement: the grant
/// comes in a policy of its own, to be detached mid-watch.
const REFERENCE_BUT_LIST_BUCKET: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Sid":"ListAndDescribe","Effect":"Allow","Action":["dynamodb:List*","dynamodb:Describe*"],"Resource":"arn:aws:dynamodb:*:*:table/YOUR_TABLE"},
    {"Sid":"List","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::YOUR_BUCKET/*"}]}"#;

/// The role loses a grant mid-watch: within a bounded number of runs, that
/// allow check's series is 0, a narrowed drift is 1 (the only drift), and
/// every other check still passes.
#[test]
fn a_grant_removed_mid_watch_is_a_narrowed_drift() {
    let limit = Duration::from_secs(120);
    let s = Scenario::seed_with("reference", Some(REFERENCE_BUT_LIST_BUCKET));
    s.attach_policy(
        "list-bucket",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::{}"}}]}}"#,
            s.bucket
        ),
    );
    let before = s.snapshot();
    let port = common::free_port();
    let _agent = Started(
        s.pod()
            .args(s.reference_args())
            .args(["--watch", "250ms", "--listen", &format!("127.0.0.1:{port}")])
            .spawn(&s.dir.join("watch.log")),
    );
    let passed = |text: &str, name: &str| {
        value(text, &format!("irsa_verify_check_passed{{name=\"{name}\"")).unwrap_or_default()
    };
    let first = poll(limit, "a complete run, every check passed", || {
        metrics(port).filter(|m| {
            value(m, "irsa_verify_last_run_success ").as_deref() == Some("1")
                && m.lines()
                    .filter(|l| l.starts_with("irsa_verify_check_passed{"))
                    .all(|l| l.ends_with(" 1"))
        })
    });
    let names = testcases(&report(port));
    assert_eq!(names.len(), 6);
    assert_eq!(check_series(&first), names);
    let list = names
        .iter()
        .find(|n| n.starts_with("s3:ListBucket "))
        .expect("the ListBucket testcase")
        .clone();
    assert_eq!(passed(&first, &list), "1", "{first}");

    s.detach_policy("list-bucket");
    let narrowed = poll(limit, "the narrowed drift", || {
        metrics(port).filter(|m| {
            passed(m, &list) == "0"
                && m.lines().any(|l| {
                    l.starts_with("irsa_verify_drift{")
                        && l.contains("action=\"s3:ListBucket\"")
                        && l.contains("kind=\"narrowed\"")
                        && l.ends_with(" 1")
                })
        })
    });
    let drift: Vec<&str> = narrowed
        .lines()
        .filter(|l| l.starts_with("irsa_verify_drift{"))
        .collect();
    assert_eq!(drift.len(), 1, "the only drift:\n{narrowed}");
    assert_eq!(check_series(&narrowed), names, "still the testcase set");
    for name in names.iter().filter(|n| **n != list) {
        assert_eq!(passed(&narrowed, name), "1", "{name}:\n{narrowed}");
    }
    assert_eq!(
        value(&narrowed, "irsa_verify_last_run_success "),
        Some("1".to_owned()),
        "a failing check is a complete run"
    );
    promtool_check(&narrowed);
    let now = report(port);
    assert_eq!(now["drift"].as_array().map(Vec::len), Some(1), "{now}");
    assert_eq!(now["drift"][0]["kind"], "narrowed");
    assert_eq!(now["drift"][0]["action"], "s3:ListBucket");
    assert_eq!(now["drift"][0]["before"]["observed"], "allowed");
    assert_eq!(now["drift"][0]["after"]["observed"], "denied");
    assert_eq!(before, s.snapshot(), "the runs changed the emulator's data");
}

/// Nothing changes: over 50 runs, scraped after each, no drift series is
/// ever 1 and no check series ever changes value (nor appears or goes).
#[test]
fn an_unchanged_role_never_flaps_over_50_runs() {
    let limit = Duration::from_secs(300);
    let s = Scenario::seed("reference");
    let port = common::free_port();
    let _agent = Started(
        s.pod()
            .args(s.reference_args())
            .args(["--watch", "100ms", "--listen", &format!("127.0.0.1:{port}")])
            .spawn(&s.dir.join("watch.log")),
    );
    let checks = |text: &str| -> BTreeMap<String, String> {
        series(text)
            .into_iter()
            .filter(|(k, _)| k.starts_with("irsa_verify_check_passed{"))
            .collect()
    };
    let first = poll(limit, "a complete run", || {
        metrics(port).filter(|m| value(m, "irsa_verify_last_run_success ").as_deref() == Some("1"))
    });
    let expected = checks(&first);
    assert_eq!(expected.len(), 6, "{first}");
    assert!(expected.values().all(|v| v == "1"), "{first}");

    // Polled far more often than runs come, so each run is seen (a run
    // missed between two scrapes is not counted).
    let started = Instant::now();
    let mut seen = runs_total(&first).expect("runs_total");
    let mut scraped = 0;
    while scraped < 50 {
        assert!(
            started.elapsed() < limit,
            "gave up after {scraped} runs scraped"
        );
        let Some(m) = metrics(port) else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let Some(runs) = runs_total(&m).filter(|r| *r > seen) else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        seen = runs;
        scraped += 1;
        let all = series(&m);
        let drifted: Vec<_> = all
            .iter()
            .filter(|(k, v)| k.starts_with("irsa_verify_drift{") && *v != "0")
            .collect();
        assert!(drifted.is_empty(), "run {runs}: drift {drifted:?}\n{m}");
        assert_eq!(
            checks(&m),
            expected,
            "run {runs}: a check series changed\n{m}"
        );
        assert_eq!(
            all.get("irsa_verify_last_run_success").map(String::as_str),
            Some("1"),
            "run {runs}\n{m}"
        );
    }
}
