//! JUnit XML through junit-report, with its gaps closed so the document
//! validates against the Surefire/xunit schema (tests/schema/junit-10.xsd):
//! CDATA split at `]]>`, characters XML 1.0 forbids replaced, times in whole
//! milliseconds, no `package`, the pod's hostname, and the run's identity as
//! testsuite `<properties>` (junit-report writes none of these).

use std::borrow::Cow;
use std::time::Duration;

use junit_report::{ReportBuilder, TestCase, TestSuite};
use quick_xml::events::{BytesEnd, BytesStart, Event};

use crate::findings::{Drift, DriftKind, Finding, RunFindings};
use crate::verdict::SkipGroup;
use crate::verdict::Status;

pub fn render(report: &RunFindings, suite_name: Option<&str>) -> Vec<u8> {
    let name = suite_name
        .map(str::to_owned)
        .unwrap_or_else(|| default_suite_name(report));
    let mut suite = TestSuite::new(&xml_text(&name));
    suite.set_timestamp(report.started_at);
    suite.hostname = xml_text(
        report
            .identity
            .env
            .hostname
            .as_deref()
            .unwrap_or("localhost"),
    );
    for (i, r) in report.results.iter().enumerate() {
        let mut tc = testcase(r);
        let mut out = details(r);
        if i == 0 {
            out = format!("{}{out}", identity_details(report));
        }
        tc.set_system_out(&cdata(&out));
        suite.add_testcase(tc);
    }
    for d in report.drift() {
        suite.add_testcase(drift_testcase(d));
    }
    let mut buf = Vec::new();
    // Writing to a Vec only fails on a bug in the writer.
    let built = ReportBuilder::new()
        .add_testsuite(suite)
        .build()
        .write_xml(&mut buf);
    match built
        .map_err(RewriteError::from)
        .and_then(|()| finish(&buf, report))
    {
        Ok(mut doc) => {
            doc.push(b'\n');
            doc
        }
        Err(e) => format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites><!-- {} --></testsuites>\n",
            xml_text(&e.to_string()).replace("--", "- -")
        )
        .into_bytes(),
    }
}

/// Stable for the same spec against the same role: no session name in it.
fn default_suite_name(report: &RunFindings) -> String {
    match &report.identity.expected_role {
        Some(role) => format!("irsa-verify {}", role.raw),
        None => "irsa-verify".to_owned(),
    }
}

/// Seconds with at most three decimals, as the schema's SUREFIRE_TIME wants.
pub fn seconds(d: Duration) -> String {
    let ms = d.as_millis();
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The run's identity, where JUnit viewers show it.
fn properties(report: &RunFindings) -> Vec<(String, String)> {
    let id = &report.identity;
    let token = id.token.as_ref();
    [
        ("irsa-verify.caller-arn", id.caller_arn.clone()),
        ("irsa-verify.account", id.account.clone()),
        (
            "irsa-verify.expected-role",
            id.expected_role.as_ref().map(|r| r.raw.clone()),
        ),
        (
            "irsa-verify.credential-source",
            id.source.map(|s| s.label().to_owned()),
        ),
        (
            "irsa-verify.expected-source",
            Some(id.expected_source.as_str().to_owned()),
        ),
        ("irsa-verify.token-sub", token.and_then(|c| c.sub.clone())),
        ("irsa-verify.token-aud", token.map(|c| c.aud.join(","))),
        (
            "irsa-verify.expected-serviceaccount",
            id.expected_service_account.as_ref().map(|s| s.to_string()),
        ),
        ("irsa-verify.version", Some(report.version.to_owned())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .chain(
        coverage(report)
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v)),
    )
    .chain(chain(report))
    .filter_map(|(k, v)| v.map(|v| (k, xml_text(&v))))
    .collect()
}

/// Each `--chain` hop's role and session, when it was assumed.
fn chain(report: &RunFindings) -> Vec<(String, Option<String>)> {
    report
        .chain
        .iter()
        .flat_map(|h| {
            [
                (
                    format!("irsa-verify.chain.{}.role", h.hop),
                    Some(h.role.clone()),
                ),
                (
                    format!("irsa-verify.chain.{}.caller-arn", h.hop),
                    h.caller_arn.clone(),
                ),
                (
                    format!("irsa-verify.chain.{}.account", h.hop),
                    h.account.clone(),
                ),
            ]
        })
        .collect()
}

/// The coverage figures, when any grant was checked.
fn coverage(report: &RunFindings) -> Vec<(Cow<'static, str>, Option<String>)> {
    let c = &report.coverage;
    if c.granted == 0 {
        return Vec::new();
    }
    let mut out: Vec<(Cow<'static, str>, Option<String>)> = vec![
        (
            "irsa-verify.coverage.granted".into(),
            Some(c.granted.to_string()),
        ),
        (
            "irsa-verify.coverage.proven".into(),
            Some(c.proven.to_string()),
        ),
    ];
    // Per area, named by a slug of its stable name.
    for (area, a) in &c.areas {
        let slug: String = area
            .chars()
            .filter(|ch| ch.is_ascii_alphanumeric() || *ch == ' ')
            .map(|ch| {
                if ch == ' ' {
                    '-'
                } else {
                    ch.to_ascii_lowercase()
                }
            })
            .collect();
        out.push((
            format!("irsa-verify.coverage.area.{slug}.granted").into(),
            Some(a.granted.to_string()),
        ));
        out.push((
            format!("irsa-verify.coverage.area.{slug}.proven").into(),
            Some(a.proven.to_string()),
        ));
    }
    for (group, n) in &c.skipped {
        let name = match group {
            SkipGroup::Conditions => "irsa-verify.coverage.skipped.conditions",
            SkipGroup::NotAttempted => "irsa-verify.coverage.skipped.not-attempted",
            SkipGroup::DenialOnly => "irsa-verify.coverage.skipped.deny-only",
            SkipGroup::NoProbe => "irsa-verify.coverage.skipped.no-harmless-probe",
            SkipGroup::NeverProbed => "irsa-verify.coverage.skipped.never-probed",
            SkipGroup::UnknownAction => "irsa-verify.coverage.skipped.unknown-action",
            SkipGroup::NoResourceNamed => "irsa-verify.coverage.skipped.no-resource-named",
        };
        out.push((name.into(), Some(n.to_string())));
    }
    out
}

/// Rewrites junit-report's document: the testsuite gets exact times, a
/// `skipped` count and properties, and loses `package`; testcases get exact times.
/// Why junit-report's document could not be rewritten (a bug, never input:
/// the document is ours).
#[derive(Debug, thiserror::Error)]
enum RewriteError {
    #[error("junit-report wrote no UTF-8: {0}")]
    Utf8(#[from] std::str::Utf8Error),
    #[error("reading junit-report's document: {0}")]
    Read(#[from] quick_xml::Error),
    #[error("an attribute of junit-report's document: {0}")]
    Attribute(#[from] quick_xml::events::attributes::AttrError),
    #[error("writing the document: {0}")]
    Write(#[from] std::io::Error),
    #[error("junit-report: {0}")]
    Build(#[from] junit_report::Error),
}

fn finish(doc: &[u8], report: &RunFindings) -> Result<Vec<u8>, RewriteError> {
    let text = std::str::from_utf8(doc)?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut w = quick_xml::Writer::new(Vec::with_capacity(doc.len() + 1024));
    // Drift testcases compare two runs: they take no time of their own.
    let mut case_times = report
        .results
        .iter()
        .map(|r| seconds(r.duration))
        .chain(report.drift().iter().map(|_| seconds(Duration::ZERO)));
    let whole_ms: Duration = report
        .results
        .iter()
        .map(|r| Duration::from_millis(r.duration.as_millis() as u64))
        .sum();
    let suite_time = seconds(whole_ms);
    let lost = report
        .drift()
        .iter()
        .filter(|d| d.kind == DriftKind::CoverageLost)
        .count();
    let skipped = (report.summary.skip + lost).to_string();
    loop {
        match reader.read_event()? {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testsuite" => {
                let was_empty = e.is_empty();
                let start = rewrite(
                    &e,
                    &[("time", &suite_time), ("skipped", &skipped)],
                    &["package"],
                )?;
                w.write_event(Event::Start(start.borrow()))?;
                w.write_event(Event::Start(BytesStart::new("properties")))?;
                for (name, value) in properties(report) {
                    let prop = BytesStart::new("property")
                        .with_attributes([("name", name.as_str()), ("value", value.as_str())]);
                    w.write_event(Event::Empty(prop))?;
                }
                w.write_event(Event::End(BytesEnd::new("properties")))?;
                if was_empty {
                    w.write_event(Event::End(BytesEnd::new("testsuite")))?;
                }
            }
            Event::Start(e) if e.name().as_ref() == b"testcase" => {
                let t = case_times.next().unwrap_or_default();
                w.write_event(Event::Start(rewrite(&e, &[("time", &t)], &[])?))?;
            }
            Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                let t = case_times.next().unwrap_or_default();
                w.write_event(Event::Empty(rewrite(&e, &[("time", &t)], &[])?))?;
            }
            other => w.write_event(other)?,
        }
    }
    Ok(w.into_inner())
}

/// The same element with `set` attributes replaced (or added) and `drop` removed.
fn rewrite(
    e: &BytesStart<'_>,
    set: &[(&str, &str)],
    drop: &[&str],
) -> Result<BytesStart<'static>, RewriteError> {
    let mut out = BytesStart::new(String::from_utf8_lossy(e.name().as_ref()).into_owned());
    for a in e.attributes() {
        let a = a?;
        let key = a.key.as_ref();
        let replaced = set.iter().any(|(k, _)| k.as_bytes() == key);
        if !replaced && !drop.iter().any(|d| d.as_bytes() == key) {
            out.push_attribute(a);
        }
    }
    for attr in set {
        out.push_attribute(*attr);
    }
    Ok(out)
}

fn testcase(r: &Finding) -> TestCase {
    let name = xml_text(&r.name);
    // The exact value is written by `finish`.
    let time = time::Duration::ZERO;
    let mut message = format!(
        "expected {}, {}: {}",
        r.expect.map_or("nothing", |e| e.as_str()),
        r.observed.label(),
        r.answer.summary()
    );
    if let Some(why) = &r.unsure {
        message.push_str(&format!(" ({why})"));
    }
    let message = xml_text(&message);
    let mut tc = match r.status {
        Status::Pass => TestCase::success(&name, time),
        Status::Fail => TestCase::failure(&name, time, "mismatch", &message),
        Status::Error => TestCase::error(&name, time, "could-not-tell", &message),
        Status::Skip => {
            let kind = if r.skip_reason.is_some() {
                "condition"
            } else {
                "not-attempted"
            };
            TestCase::skipped_with_cause(&name, kind, &xml_text(&r.skip_message()))
        }
    };
    tc.set_classname(&format!("irsa-verify.{}", r.service));
    tc
}

/// A drift as its own testcase, named after the testcase it happened to so
/// CI keeps its history. Widened and narrowed fail: an expectation that held
/// no longer does. Lost coverage is skipped, with why: this run proved less
/// than the baseline, which is what a skip says. A changed attribution
/// passes: the verdict still holds, and the change is in its output.
fn drift_testcase(d: &Drift) -> TestCase {
    let name = xml_text(&format!("drift {}: {}", d.kind.as_str(), d.name));
    let message = xml_text(&d.message);
    let time = time::Duration::ZERO;
    let mut tc = match d.kind {
        DriftKind::Widened | DriftKind::Narrowed => {
            TestCase::failure(&name, time, d.kind.as_str(), &message)
        }
        DriftKind::CoverageLost => TestCase::skipped_with_cause(&name, d.kind.as_str(), &message),
        DriftKind::AttributionChanged => TestCase::success(&name, time),
    };
    tc.set_classname("irsa-verify.drift");
    let out = format!(
        "drift: {}\naction: {}\nresource: {}\nexpect: {}\n{}\n",
        d.kind.as_str(),
        d.action,
        d.resource,
        d.expect.map_or("(not probed)", |e| e.as_str()),
        d.message
    );
    tc.set_system_out(&cdata(&out));
    tc
}

fn details(r: &Finding) -> String {
    let mut s = format!(
        "action: {}\nresource: {}\nexpect: {}\nobserved: {}\nanswer: {}\nform: {}\n",
        r.action,
        r.resource,
        r.expect.map_or("(not probed)", |e| e.as_str()),
        r.observed.label(),
        r.answer.summary(),
        r.form
    );
    if let Some(by) = r.denied_by {
        s.push_str(&format!("denied by: {by}\n"));
    }
    for n in &r.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    s
}

fn identity_details(report: &RunFindings) -> String {
    let id = &report.identity;
    let or = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".to_owned());
    let mut s = format!(
        "caller: {}\naccount: {}\nuser id: {}\nexpected role: {}\nexpected from: {}\n",
        or(&id.caller_arn),
        or(&id.account),
        or(&id.user_id),
        id.expected_role
            .as_ref()
            .map(|r| r.raw.clone())
            .unwrap_or_else(|| "(none)".to_owned()),
        id.expected_from.map_or("(none)", |o| o.label()),
    );
    s.push_str(&format!(
        "credential source: {}\nexpected source: {}\n",
        id.source.map(|s| s.label()).unwrap_or("(none)"),
        id.expected_source.as_str()
    ));
    for a in &id.providers {
        s.push_str(&format!("provider {}: {}\n", a.source.label(), a.outcome));
    }
    if let Some(c) = &id.token {
        s.push_str(&format!(
            "token iss: {}\ntoken sub: {}\ntoken aud: {}\ntoken exp: {}\ntoken iat: {}\ntoken namespace: {}\ntoken serviceaccount: {}\n",
            or(&c.iss),
            or(&c.sub),
            c.aud.join(","),
            c.exp.map(super::rfc3339).unwrap_or_default(),
            c.iat.map(super::rfc3339).unwrap_or_default(),
            or(&c.namespace),
            or(&c.service_account),
        ));
    }
    if let Some(e) = &id.token_error {
        s.push_str(&format!("token: {e}\n"));
    }
    if let Some(sa) = &id.expected_service_account {
        s.push_str(&format!("expected serviceaccount: {sa}\n"));
    }
    if let Some(host) = &id.env.hostname {
        s.push_str(&format!("hostname: {host}\n"));
    }
    if let Some(skew) = id.clock_skew_seconds {
        s.push_str(&format!("clock skew: {skew}s\n"));
    }
    s.push_str(&format!(
        "AWS_ROLE_ARN: {}\nAWS_WEB_IDENTITY_TOKEN_FILE: {}\nAWS_CONTAINER_CREDENTIALS_FULL_URI: {}\nAWS_REGION: {}\n",
        or(&id.env.aws_role_arn),
        or(&id.env.aws_web_identity_token_file),
        or(&id.env.aws_container_credentials_full_uri),
        or(&id.env.aws_region),
    ));
    s
}

/// Replaces characters XML 1.0 cannot carry at all (not even as references).
pub fn xml_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Text for a CDATA section that junit-report writes verbatim: a `]]>` would
/// end it early, so it is split across two sections, the standard way.
pub fn cdata(s: &str) -> String {
    xml_text(s).replace("]]>", "]]]]><![CDATA[>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_replaced() {
        assert_eq!(
            xml_text("a\u{1}b\u{1b}[31m\tc\u{FFFF}"),
            "a\u{FFFD}b\u{FFFD}[31m\tc\u{FFFD}"
        );
    }

    #[test]
    fn cdata_terminators_are_split() {
        assert_eq!(cdata("x]]>y"), "x]]]]><![CDATA[>y");
    }

    fn hostile_report(text: &str) -> RunFindings {
        use crate::answer::{Answer, Observation};
        use crate::check::Expect;
        use crate::findings::Subject;
        use crate::identity::{ExpectSource, Expectations, Identity, PodEnv};
        let answer = Answer::ServiceError {
            status: Some(403),
            code: Some("AccessDenied".into()),
            message: Some(text.into()),
        };
        let probed = Observation::new(answer, &[], text).note(text);
        let result = |status, ms| {
            Finding::new(
                Subject {
                    action: "s3:ListBucket".to_owned(),
                    service: "s3".to_owned(),
                    label: format!("bucket {text}"),
                    resource: format!("arn:aws:s3:::{text}"),
                    expect: Some(Expect::Allow),
                    display_name: Some(text.into()),
                },
                status,
                probed.clone(),
                Duration::from_nanos(ms),
            )
        };
        let expect = Expectations {
            role: None,
            source: ExpectSource::Any,
            service_account: None,
        };
        let mut identity = Identity::blank(
            &expect,
            PodEnv {
                aws_role_arn: Some(text.into()),
                hostname: Some(format!("pod-{text}")),
                ..PodEnv::default()
            },
        );
        identity.caller_arn = Some(text.into());
        RunFindings::new(
            time::OffsetDateTime::UNIX_EPOCH,
            Duration::from_millis(9),
            identity,
            vec![
                result(Status::Fail, 194_239_424),
                result(Status::Error, 100_000_001),
                result(Status::Skip, 0),
                result(Status::Pass, 1_500_999_999),
            ],
        )
    }

    #[test]
    fn a_could_not_tell_message_carries_its_short_reason() {
        let mut report = hostile_report("x");
        report.results[1].unsure = Some("the 403 may be s3:GetObject's".to_owned());
        let xml = String::from_utf8(render(&report, None)).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let error = doc
            .descendants()
            .find(|n| n.has_tag_name("error"))
            .expect("an error testcase");
        let message = error.attribute("message").unwrap();
        assert!(
            message.starts_with("expected allow, denied: 403 AccessDenied")
                && message.ends_with("(the 403 may be s3:GetObject's)"),
            "{message}"
        );
    }

    #[test]
    fn drift_testcases_fail_skip_or_pass_and_validate() {
        use crate::answer::Observed;
        use crate::check::Expect;
        use crate::findings::Seen;
        let seen = |status, observed| Seen {
            status,
            observed,
            denied_by: Some("a <policy> ]]>".to_owned()),
        };
        let drift: Vec<Drift> = DriftKind::ALL
            .iter()
            .map(|&kind| Drift {
                kind,
                name: "s3:ListBucket bucket x expect allow".to_owned(),
                action: "s3:ListBucket".to_owned(),
                resource: "bucket x".to_owned(),
                expect: Some(Expect::Allow),
                before: seen(Status::Pass, Observed::Allowed),
                after: None,
                message: format!("{} <&> ]]> \u{0}", kind.as_str()),
            })
            .collect();
        let report = hostile_report("x").with_drift(drift);
        let xml = render(&report, None);
        validate(&xml);
        let xml = String::from_utf8(xml).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let cases: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("classname") == Some("irsa-verify.drift"))
            .collect();
        let outcome = |n: &roxmltree::Node| {
            n.children()
                .find(|c| c.is_element() && c.tag_name().name() != "system-out")
                .map_or("pass".to_owned(), |c| c.tag_name().name().to_owned())
        };
        let got: Vec<(String, String)> = cases
            .iter()
            .map(|n| (n.attribute("name").unwrap().to_owned(), outcome(n)))
            .collect();
        let name = |k: &str| format!("drift {k}: s3:ListBucket bucket x expect allow");
        assert_eq!(
            got,
            [
                (name("widened"), "failure".to_owned()),
                (name("narrowed"), "failure".to_owned()),
                (name("attribution-changed"), "pass".to_owned()),
                (name("coverage-lost"), "skipped".to_owned()),
            ]
        );
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        assert_eq!(
            suite.attribute("skipped"),
            Some("2"),
            "the run's and the drift's"
        );
        assert_eq!(suite.attribute("tests"), Some("8"));
    }

    #[test]
    fn coverage_goes_into_the_suite_properties() {
        let report = hostile_report("x");
        let xml = String::from_utf8(render(&report, None)).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let prop = |name: &str| {
            doc.descendants()
                .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name))
                .and_then(|n| n.attribute("value"))
                .map(str::to_owned)
        };
        assert_eq!(prop("irsa-verify.coverage.granted").as_deref(), Some("1"));
        assert_eq!(prop("irsa-verify.coverage.proven").as_deref(), Some("1"));
        assert_eq!(
            prop("irsa-verify.coverage.area.s3.granted").as_deref(),
            Some("1")
        );
        assert_eq!(
            prop("irsa-verify.coverage.area.s3.proven").as_deref(),
            Some("1")
        );
    }

    #[test]
    fn any_text_gives_well_formed_xml_that_round_trips() {
        let text = "a]]>b <&\"'> \u{0}\u{1b}[31mred\u{7} ]]]]> \u{FFFF} ok";
        let xml = String::from_utf8(render(&hostile_report(text), None)).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let expected = xml_text(text);
        let failure = doc
            .descendants()
            .find(|n| n.has_tag_name("failure"))
            .unwrap();
        assert!(failure.attribute("message").unwrap().contains(&expected));
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("error"))
                .count(),
            1
        );
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("skipped"))
                .count(),
            1
        );
        // CDATA split across sections still reads back as the original text.
        let out: String = doc
            .descendants()
            .find(|n| n.has_tag_name("system-out"))
            .unwrap()
            .descendants()
            .filter_map(|n| n.text())
            .collect();
        assert!(out.contains(&format!("caller: {expected}")), "{out}");
        assert!(out.contains(&format!("note: {expected}")), "{out}");
        let caller = doc
            .descendants()
            .find(|n| n.attribute("name") == Some("irsa-verify.caller-arn"))
            .expect("the caller is a property");
        assert_eq!(caller.attribute("value"), Some(expected.as_str()));
    }

    #[test]
    fn times_are_milliseconds_and_the_suite_is_stable_and_local() {
        let xml = String::from_utf8(render(&hostile_report("x"), None)).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        assert_eq!(suite.attribute("time"), Some("1.794"), "{xml}");
        assert_eq!(suite.attribute("package"), None);
        assert_eq!(suite.attribute("hostname"), Some("pod-x"));
        assert_eq!(suite.attribute("skipped"), Some("1"));
        assert_eq!(suite.attribute("name"), Some("irsa-verify"));
        let times: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .map(|n| n.attribute("time").unwrap())
            .collect();
        assert_eq!(times, ["0.194", "0.100", "0.000", "1.500"]);
        let first = suite.first_element_child().unwrap();
        assert!(first.has_tag_name("properties"), "properties come first");
    }

    #[test]
    fn every_document_validates_against_the_strict_schema() {
        for text in ["plain", "a]]>b <&\"'> \u{0}\u{1b}[31mred ]]]]> \u{FFFF}"] {
            let xml = render(&hostile_report(text), Some(text));
            validate(&xml);
        }
    }

    /// Validates with xmllint (libxml2) against tests/schema/junit-10.xsd.
    pub fn validate(xml: &[u8]) {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let xsd = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schema/junit-10.xsd");
        let spawned = Command::new("xmllint")
            .args(["--noout", "--schema", xsd, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("skipped: the strict-schema check needs xmllint (Debian package libxml2-utils; scripts/test.sh installs it)");
                return;
            }
            Err(e) => panic!("xmllint: {e}"),
        };
        child.stdin.take().unwrap().write_all(xml).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "the JUnit document does not validate: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(xml)
        );
    }

    #[test]
    fn junit_report_alone_would_break_on_cdata_terminators() {
        // The gap this module closes: unguarded, the document does not parse.
        let mut tc = TestCase::success("x", time::Duration::ZERO);
        tc.set_system_out("a]]>b");
        let mut suite = TestSuite::new("s");
        suite.add_testcase(tc);
        let mut buf = Vec::new();
        ReportBuilder::new()
            .add_testsuite(suite)
            .build()
            .write_xml(&mut buf)
            .unwrap();
        assert!(roxmltree::Document::parse(std::str::from_utf8(&buf).unwrap()).is_err());
    }
}
