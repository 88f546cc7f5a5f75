//! `route53:GetChange` proven on a change the run made that leaves the zone
//! as it was (issue 17): the zone's first TXT record set deleted and created
//! again as listed, in one batch, then its status read. The built binary
//! runs against the emulator (moto, patched in tests/emulator/fidelity.py to
//! validate a batch's changes in order and to give each change its own ID,
//! as AWS does); no run changes any data.

mod common;

use common::Scenario;

const READS: &str = r#"{"Effect":"Allow","Action":["route53:ListHostedZones","route53:ListResourceRecordSets"],"Resource":"*"}"#;

fn policy(extra: &str) -> String {
    Scenario::policy_of(&format!("{READS}{extra}"))
}

fn spec(s: &Scenario, expect: &str) -> String {
    s.one_check_spec("route53:GetChange", expect)
}

#[test]
fn a_change_that_leaves_the_zone_as_it_was_proves_get_change() {
    let base = Scenario::seed("reference");
    base.seed_addons();

    // Allowed, by a role that may write only TXT records (cert-manager's
    // grant): the change is made and its status read.
    let allowed = policy(
        r#",{"Effect":"Allow","Action":"route53:GetChange","Resource":"arn:aws:route53:::change/*"},
            {"Effect":"Allow","Action":"route53:ChangeResourceRecordSets","Resource":"arn:aws:route53:::hostedzone/*",
             "Condition":{"ForAllValues:StringEquals":{"route53:ChangeResourceRecordSetsRecordTypes":["TXT"]}}}"#,
    );
    let s = Scenario::seed_with("reference", Some(&allowed));
    let run = s.run_unchanged_everywhere(s.pod().args(["--spec", &spec(&s, "allow")]));
    run.assert_code(0);
    let r = run.only("route53:GetChange");
    assert_eq!(r["status"], "pass", "{}", run.stdout);
    let resource = r["resource"].as_str().unwrap_or_default();
    let id = resource
        .strip_prefix("arn:aws:route53:::change/C")
        .unwrap_or_else(|| panic!("judged on the change's own ARN: {r}"));
    assert!(!id.is_empty() && !id.contains('*'), "{r}");
    assert!(
        r["form"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("/change/C{id}")),
        "{r}"
    );
    assert!(
        r["notes"]
            .to_string()
            .contains("which this run made right before"),
        "{r}"
    );

    // Allowed, but the role may not make a change: no change to ask about,
    // and a made-up ID would only be "not found": not attempted, naming
    // the write refused.
    let s = Scenario::seed_with(
        "reference",
        Some(&policy(
            r#",{"Effect":"Allow","Action":"route53:GetChange","Resource":"*"}"#,
        )),
    );
    let run = s.run_unchanged_everywhere(s.pod().args(["--spec", &spec(&s, "allow")]));
    let r = run.only("route53:GetChange");
    assert_eq!(r["status"], "skip", "{}", run.stdout);
    let why = r["answer"]["reason"].as_str().unwrap_or_default();
    assert!(
        why.contains("not attempted") && why.contains("route53:ChangeResourceRecordSets"),
        "{r}"
    );
    assert_eq!(
        r["name"], "route53:GetChange a Route 53 change this run makes expect allow",
        "the same testcase name on every run"
    );

    // Denied, where no change can be made either: a made-up ID, refused.
    let s = Scenario::seed_with("reference", Some(&policy("")));
    let run = s.run_unchanged_everywhere(s.pod().args(["--spec", &spec(&s, "deny")]));
    run.assert_code(0);
    let r = run.only("route53:GetChange");
    assert_eq!(r["status"], "pass", "{}", run.stdout);
    assert_eq!(r["answer"]["code"], "AccessDenied", "{r}");
    assert!(
        r["form"]
            .as_str()
            .unwrap_or_default()
            .contains("/change/irsa-verify-probe-"),
        "{r}"
    );
}
