//! `route53:GetChange` proven on a change the run made that leaves the zone
//! as it was (issue 17): the zone's first TXT record set deleted and created
//! again as listed, in one batch, then its status read. The built binary
//! runs against the emulator (moto, patched in tests/emulator/fidelity.py to
//! validate a batch's changes in order and to give each change its own ID,
//! as AWS does); no run changes any data.

mod common;

use common::Scenario;
use std::sync::Mutex;

/// The two tests write to one emulator, and each asserts that its own run
/// changes nothing there: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const READS: &str = r#"{"Effect":"Allow","Action":["route53:ListHostedZones","route53:ListResourceRecordSets"],"Resource":"*"}"#;

fn policy(extra: &str) -> String {
    Scenario::policy_of(&format!("{READS}{extra}"))
}

fn spec(s: &Scenario, expect: &str) -> String {
    s.one_check_spec("route53:GetChange", expect)
}

#[test]
fn a_change_that_leaves_the_zone_as_it_was_proves_get_change() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
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

/// `route53:ChangeResourceRecordSets` writes one record back as listed: the
/// zone's first TXT record set deleted and created again in one batch, and
/// in a zone without one, its SOA upserted. Neither changes the zone.
#[test]
fn a_record_is_written_back_as_listed_a_txt_record_first() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let base = Scenario::seed("reference");
    let seeded = base.seed_addons();
    let with_txt = seeded["hosted_zone"].as_str().expect("seeded zone");
    let s = Scenario::seed_with(
        "reference",
        Some(&policy(
            r#",{"Effect":"Allow","Action":"route53:ChangeResourceRecordSets","Resource":"*"}"#,
        )),
    );
    let without_txt = s
        .admin_python(
            "import uuid\nz = client('route53').create_hosted_zone(Name='no-txt.irsa-verify.test.', CallerReference=str(uuid.uuid4()))\n\
             print(z['HostedZone']['Id'].split('/')[-1])",
        )
        .trim()
        .to_owned();
    for (zone, says) in [
        (with_txt, "deletes and creates again the TXT record set"),
        (
            without_txt.as_str(),
            "lists no TXT record set: writes back the SOA record",
        ),
    ] {
        let p = s.dir.join(format!("change-{zone}.yaml"));
        std::fs::write(
            &p,
            format!("checks:\n  - {{action: route53:ChangeResourceRecordSets, resource: {zone}, expect: allow}}\n"),
        )
        .expect("write spec");
        let run = s.run_unchanged_everywhere(s.pod().args(["--spec", p.to_str().expect("utf-8")]));
        run.assert_code(0);
        let r = run.only("route53:ChangeResourceRecordSets");
        assert_eq!(r["status"], "pass", "{}", run.stdout);
        assert!(r["notes"].to_string().contains(says), "{zone}: {r}");
    }
}
