//! JUnit XML through junit-report, with its gaps closed: it writes CDATA
//! without splitting `]]>`, and passes through characters XML 1.0 forbids.

use junit_report::{ReportBuilder, TestCase, TestSuite};

use super::observed_label;
use crate::results::{CheckResult, RunReport};
use crate::verdict::Status;

pub fn render(report: &RunReport, suite_name: Option<&str>) -> Vec<u8> {
    let name = suite_name
        .map(str::to_owned)
        .unwrap_or_else(|| default_suite_name(report));
    let mut suite = TestSuite::new(&xml_text(&name));
    suite.set_timestamp(report.started_at);
    for (i, r) in report.results.iter().enumerate() {
        let mut tc = testcase(r);
        let mut out = details(r);
        if i == 0 {
            out = format!("{}{out}", identity_details(report));
        }
        tc.set_system_out(&cdata(&out));
        suite.add_testcase(tc);
    }
    let mut buf = Vec::new();
    // Writing to a Vec only fails on a bug in the writer.
    if let Err(e) = ReportBuilder::new()
        .add_testsuite(suite)
        .build()
        .write_xml(&mut buf)
    {
        return format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites><!-- {} --></testsuites>\n",
            xml_text(&e.to_string()).replace("--", "- -")
        )
        .into_bytes();
    }
    buf.push(b'\n');
    buf
}

fn default_suite_name(report: &RunReport) -> String {
    match report.identity.caller_arn.as_deref() {
        Some(arn) => format!("irsa-verify {arn}"),
        None => "irsa-verify".to_owned(),
    }
}

fn testcase(r: &CheckResult) -> TestCase {
    let name = xml_text(&r.name);
    let time = time::Duration::try_from(r.duration).unwrap_or(time::Duration::ZERO);
    let message = xml_text(&format!(
        "expected {}, {}: {}",
        r.expect.as_str(),
        observed_label(r.observed),
        r.answer.summary()
    ));
    let mut tc = match r.status {
        Status::Pass => TestCase::success(&name, time),
        Status::Fail => TestCase::failure(&name, time, "mismatch", &message),
        Status::Error => TestCase::error(&name, time, "could-not-tell", &message),
        Status::Skip => {
            TestCase::skipped_with_cause(&name, "not-attempted", &xml_text(&r.answer.summary()))
        }
    };
    tc.set_classname(&format!("irsa-verify.{}", r.service));
    tc
}

fn details(r: &CheckResult) -> String {
    let mut s = format!(
        "action: {}\nresource: {}\nexpect: {}\nobserved: {}\nanswer: {}\nform: {}\n",
        r.action,
        r.resource,
        r.expect.as_str(),
        observed_label(r.observed),
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

fn identity_details(report: &RunReport) -> String {
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
        id.expected_from.unwrap_or("(none)"),
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
            c.exp.map(super::human::rfc3339).unwrap_or_default(),
            c.iat.map(super::human::rfc3339).unwrap_or_default(),
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

    fn hostile_report(text: &str) -> RunReport {
        use crate::identity::PodEnv;
        use crate::outcome::Answer;
        use crate::probe::{lookup, Probed};
        use crate::results::CheckResult;
        use crate::verdict::Expect;
        let answer = Answer::ServiceError {
            status: Some(403),
            code: Some("AccessDenied".into()),
            message: Some(text.into()),
        };
        let probed = Probed::new(answer, &[], text).note(text);
        let result = |status| {
            CheckResult::new(
                lookup("s3:ListBucket").unwrap(),
                format!("arn:aws:s3:::{text}"),
                Expect::Allow,
                Some(text.into()),
                status,
                probed.clone(),
                std::time::Duration::from_millis(3),
            )
        };
        let expect = crate::identity::Expectations {
            role: None,
            source: crate::identity::ExpectSource::Any,
            service_account: None,
        };
        let mut identity = expect.blank_identity(PodEnv {
            aws_role_arn: Some(text.into()),
            ..PodEnv::default()
        });
        identity.caller_arn = Some(text.into());
        RunReport::new(
            time::OffsetDateTime::UNIX_EPOCH,
            std::time::Duration::from_millis(9),
            identity,
            vec![
                result(Status::Fail),
                result(Status::Error),
                result(Status::Skip),
                result(Status::Pass),
            ],
        )
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
