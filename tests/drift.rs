//! Drift against a baseline, end to end: the built binary, the emulator, a
//! policy attached between runs.

mod common;

use common::{Agent, Recorder, Scenario};

#[test]
fn a_grant_added_since_the_baseline_is_a_failing_widened_drift() {
    let s = Scenario::seed("reference");
    let first = s.run_unchanged(s.pod().args(s.reference_args()));
    first.assert_code(0);
    assert!(
        first.json().get("drift").is_none(),
        "no baseline, no drift key"
    );
    let baseline = s.dir.join("baseline.json");
    std::fs::write(&baseline, first.json().to_string()).expect("write baseline");
    let with_baseline = || {
        s.pod()
            .args(s.reference_args())
            .args(["--baseline", baseline.to_str().expect("utf-8")])
    };

    // Unchanged: compared, and nothing drifted.
    let same = s.run_unchanged(with_baseline());
    same.assert_code(0);
    assert_eq!(same.json()["drift"], serde_json::json!([]));
    assert!(
        same.stdout.contains("drift since the baseline: none"),
        "{}",
        same.stdout
    );

    // The role may now delete objects: the deny check on DeleteObject widened.
    s.attach_policy(
        "delete-objects",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::{}/*"}}]}}"#,
            s.bucket
        ),
    );
    let widened = s.run_unchanged(with_baseline());
    widened.assert_code(1);
    let drift = widened.json()["drift"].as_array().expect("drift array");
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(drift[0]["kind"], "widened");
    assert_eq!(drift[0]["action"], "s3:DeleteObject");
    assert_eq!(drift[0]["before"]["observed"], "denied");
    assert_eq!(drift[0]["after"]["observed"], "allowed");
    assert_eq!(
        drift[0]["name"],
        widened.result("s3:DeleteObject")["name"],
        "named by the testcase it happened to"
    );

    // JUnit: a failing drift testcase, the document still valid (checked by run()).
    let doc = widened.junit_doc();
    let case = doc
        .descendants()
        .find(|n| n.attribute("classname") == Some("irsa-verify.drift"))
        .expect("a drift testcase");
    assert_eq!(
        case.attribute("name").unwrap_or(""),
        format!("drift widened: {}", drift[0]["name"].as_str().unwrap_or(""))
    );
    let failure = case
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("widened fails");
    assert_eq!(failure.attribute("type"), Some("widened"));
    assert!(
        widened
            .stdout
            .contains("drift since the baseline: 1 widened"),
        "{}",
        widened.stdout
    );
}

#[test]
fn a_baseline_that_is_no_report_is_invalid_input_and_nothing_is_sent() {
    let rec = Recorder::start();
    let dir = common::scratch("bad-baseline");
    let bad = dir.join("not-a-report.json");
    std::fs::write(&bad, "{\"results\": 1}").expect("write");
    let run = Agent::new(&rec.endpoint, &dir)
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-secret")
        .args([
            "--bucket",
            "b-1",
            "--baseline",
            bad.to_str().expect("utf-8"),
        ])
        .run();
    run.assert_code(2);
    assert!(
        run.stderr.contains("is not an irsa-verify JSON report"),
        "{}",
        run.stderr
    );
    assert_eq!(rec.connections(), 0);
}
