//! Checks derived from the role's own policies (--from-policy), proven live
//! against the emulator with IAM enforcement; the trust policy (--trust-policy)
//! checked against the pod's token. Every run also proves no data changed.

mod common;

use common::{Run, Scenario};

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The scenario's role, checked as its exported policies imply.
fn derived_run(s: &Scenario) -> Run {
    let (policies, _) = s.export_policies();
    s.run_unchanged(s.pod().args([
        "--from-policy",
        path(&policies),
        "--object",
        "demo-test-file",
    ]))
}

/// Every derived check passes; the only skips are the actions not probed.
fn assert_all_derived_pass(run: &Run) {
    run.assert_code(0);
    for r in run.results() {
        let (action, status) = (r["action"].as_str().unwrap(), r["status"].as_str().unwrap());
        if r["expect"].is_null() {
            assert_eq!(status, "skip", "{action} is reported, not probed");
        } else {
            assert_eq!(status, "pass", "{action} {}\n{}", r["name"], run.stdout);
        }
    }
}

#[test]
fn the_reference_role_passes_every_check_its_policy_implies() {
    let s = Scenario::seed("reference");
    let run = derived_run(&s);
    assert_all_derived_pass(&run);
    let names: Vec<&str> = run
        .results()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    let b = &s.bucket;
    for expected in [
        format!("s3:ListBucket bucket {b} expect allow"),
        format!("s3:GetObject object {b}/demo-test-file expect allow"),
        format!("s3:PutObject object {b}/irsa-verify-probe/* expect deny"),
        format!("s3:DeleteObject object {b}/irsa-verify-probe/* expect deny"),
        format!("dynamodb:DescribeTable table {} expect allow", s.table),
        format!("dynamodb:DeleteTable table {} expect deny", s.table),
        "dynamodb:ListTables account expect deny".to_owned(),
        "s3:GetObjectVersion not probed".to_owned(),
    ] {
        assert!(
            names.contains(&expected.as_str()),
            "no `{expected}` in {names:?}"
        );
    }
}

#[test]
fn an_extra_policy_attached_to_the_role_is_caught_though_the_file_did_not_change() {
    let s = Scenario::seed("reference");
    let (policies, _) = s.export_policies();
    s.attach_policy(
        "extra-delete",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::{}/*"}}]}}"#,
            s.bucket
        ),
    );
    let run = s.run_unchanged(s.pod().args(["--from-policy", path(&policies)]));
    run.assert_code(1);
    let failed: Vec<(String, String)> = run
        .statuses()
        .into_iter()
        .filter(|(_, st)| st == "fail")
        .collect();
    assert_eq!(
        failed,
        [("s3:DeleteObject".to_owned(), "fail".to_owned())],
        "{}",
        run.stdout
    );
    let r = run.result("s3:DeleteObject");
    assert!(
        r["notes"]
            .to_string()
            .contains("a policy attached to it grants this"),
        "{r}"
    );
}

/// s3:Get*, NotAction, a prefix grant and an explicit Deny: what IAM's rules
/// derive (unit-tested in src/policy) is what the live run observes.
const MIXED: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::YOUR_BUCKET/*"},
  {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::YOUR_BUCKET"},
  {"Effect":"Allow","NotAction":["s3:DeleteObject","s3:Get*","s3:ListBucket"],"Resource":"arn:aws:s3:::YOUR_BUCKET/uploads/*"},
  {"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::YOUR_BUCKET/uploads/private/*"},
  {"Effect":"Allow","Action":"dynamodb:Describe*","Resource":"arn:aws:dynamodb:*:*:table/YOUR_TABLE"}]}"#;

#[test]
fn get_star_not_action_prefix_and_explicit_deny_agree_live() {
    let s = Scenario::seed_with("reference", Some(MIXED));
    let run = derived_run(&s);
    assert_all_derived_pass(&run);
    let b = &s.bucket;
    let expect = |name: &str| {
        run.results()
            .iter()
            .find(|r| r["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no {name}\n{}", run.stdout))["status"]
            .clone()
    };
    // The boundary of the prefix grant, from both sides, and the deny inside it.
    for name in [
        format!("s3:PutObject object {b}/uploads/irsa-verify-probe/* expect allow"),
        format!("s3:PutObject object {b}/irsa-verify-probe/* expect deny"),
        format!("s3:PutObject object {b}/uploads/private/irsa-verify-probe/* expect deny"),
        format!("s3:DeleteObject object {b}/uploads/irsa-verify-probe/* expect deny"),
        format!("s3:GetObject object {b}/demo-test-file expect allow"),
    ] {
        assert_eq!(expect(&name), "pass", "{name}");
    }
}

#[test]
fn print_spec_read_back_gives_the_same_checks() {
    let s = Scenario::seed("reference");
    let (policies, _) = s.export_policies();
    let args = [
        "--from-policy",
        path(&policies),
        "--object",
        "demo-test-file",
    ];
    let printed = s
        .pod()
        .no_report_files()
        .args(args)
        .args(["--print-spec"])
        .run();
    printed.assert_code(0);
    assert!(printed.stdout.contains("checks:"), "{}", printed.stdout);
    let spec = s.dir.join("derived.yaml");
    std::fs::write(&spec, &printed.stdout).unwrap();
    let checks = |run: &Run| -> Vec<String> {
        run.stdout
            .lines()
            .filter(|l| l.ends_with(" expect allow") || l.ends_with(" expect deny"))
            .map(str::to_owned)
            .collect()
    };
    let derived = s
        .pod()
        .no_report_files()
        .args(args)
        .args(["--validate-only"])
        .run();
    let read_back = s
        .pod()
        .no_report_files()
        .args(["--spec", path(&spec), "--validate-only"])
        .run();
    read_back.assert_code(0);
    assert_eq!(checks(&derived), checks(&read_back));
    assert!(checks(&derived).len() >= 10, "{}", derived.stdout);
    // And it runs: the same verdicts as the derivation.
    let live = s.run_unchanged(s.pod().args(["--spec", path(&spec)]));
    live.assert_code(0);
}

#[test]
fn a_spec_entry_overrides_the_derived_one() {
    let s = Scenario::seed("reference");
    let (policies, _) = s.export_policies();
    let spec = s.dir.join("override.yaml");
    std::fs::write(
        &spec,
        format!(
            "checks:\n  - {{action: s3:ListBucket, bucket: {}, expect: deny, name: we expect no listing}}\n",
            s.bucket
        ),
    )
    .unwrap();
    let run =
        s.run_unchanged(
            s.pod()
                .args(["--from-policy", path(&policies), "--spec", path(&spec)]),
        );
    run.assert_code(1);
    let list: Vec<_> = run
        .results()
        .iter()
        .filter(|r| r["action"] == "s3:ListBucket")
        .collect();
    assert_eq!(list.len(), 1, "the spec entry replaces the derived one");
    assert_eq!(list[0]["display_name"], "we expect no listing");
    assert_eq!(list[0]["status"], "fail");
}

#[test]
fn a_conditional_grant_is_run_and_reported_as_skipped() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::YOUR_BUCKET","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}},
      {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::YOUR_BUCKET/*"}]}"#;
    let s = Scenario::seed_with("reference", Some(policy));
    let (policies, _) = s.export_policies();
    let run = s.run_unchanged(s.pod().args(["--from-policy", path(&policies)]));
    run.assert_code(0);
    let r = run.result("s3:ListBucket");
    assert_eq!(r["status"], "skip", "{}", run.stdout);
    assert_ne!(r["observed"], "not_attempted", "the check ran");
    let reason = r["skip_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("condition") && reason.contains("aws:SourceIp"),
        "{reason}"
    );
    let junit = run.junit.as_deref().unwrap();
    assert!(junit.contains("type=\"condition\""), "{junit}");
}

/// The pod's token (scenario.py): issuer oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE…,
/// sub system:serviceaccount:demo:irsa-verify, aud sts.amazonaws.com.
const HOST: &str = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

fn trust_doc(account: &str, provider_host: &str, op: &str, sub: &str, aud: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{account}:oidc-provider/{provider_host}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"{op}":{{"{HOST}:sub":"{sub}","{HOST}:aud":"{aud}"}}}}}}]}}"#
    )
}

fn trust_run(s: &Scenario, doc: &str, extra: &[&str]) -> Run {
    let file = s.dir.join(format!("trust-{}.json", common::free_port()));
    std::fs::write(&file, doc).unwrap();
    s.run_unchanged(s.pod().args(["--trust-policy", path(&file)]).args(extra))
}

#[test]
fn the_trust_policy_is_checked_against_the_token_and_each_failure_named() {
    let s = Scenario::seed("reference");
    let sub = "system:serviceaccount:demo:irsa-verify";
    let aud = "sts.amazonaws.com";
    let a = &s.account;
    // The role's real trust policy, as aws iam get-role prints it.
    let (_, trust) = s.export_policies();
    let run = s.run_unchanged(s.pod().args(["--trust-policy", path(&trust)]));
    run.assert_code(0);
    let t = run.result("sts:AssumeRoleWithWebIdentity");
    assert_eq!(t["status"], "pass", "{}", run.stdout);
    assert!(
        t["name"]
            .as_str()
            .unwrap()
            .starts_with("sts:AssumeRoleWithWebIdentity trust policy of "),
        "{t}"
    );

    let cases = [
        (
            trust_doc(
                a,
                HOST,
                "StringEquals",
                "system:serviceaccount:demo:other",
                aud,
            ),
            "the token's sub is `system:serviceaccount:demo:irsa-verify`",
        ),
        (
            trust_doc(
                a,
                HOST,
                "StringEquals",
                sub,
                "https://kubernetes.default.svc",
            ),
            "the token's aud is `sts.amazonaws.com`",
        ),
        (
            trust_doc(a, HOST, "StringEquals", "system:serviceaccount:demo:*", aud),
            "StringEquals compares literally",
        ),
        (
            trust_doc(
                a,
                "oidc.eks.us-east-1.amazonaws.com/id/OTHER",
                "StringEquals",
                sub,
                aud,
            ),
            "not the OIDC provider of the token's issuer",
        ),
    ];
    for (doc, says) in cases {
        let run = trust_run(&s, &doc, &[]);
        run.assert_code(1);
        let t = run.result("sts:AssumeRoleWithWebIdentity");
        assert_eq!(t["status"], "fail", "{}", run.stdout);
        assert!(
            t["answer"]["reason"].as_str().unwrap().contains(says),
            "{says}: {t}"
        );
        // The emulator does not check trust policies: STS itself still answers.
        assert_eq!(run.status("sts:GetCallerIdentity"), "pass");
    }
    let good = trust_doc(a, HOST, "StringLike", "system:serviceaccount:demo:*", aud);
    trust_run(&s, &good, &[]).assert_code(0);
}

#[test]
fn pod_identity_trust_without_tag_session_is_named() {
    let s = Scenario::seed("reference");
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let run = trust_run(&s, doc, &["--expect-source", "pod-identity"]);
    run.assert_code(1);
    let t = run.result("sts:AssumeRole");
    assert_eq!(t["status"], "fail");
    assert!(
        t["answer"]["reason"]
            .as_str()
            .unwrap()
            .contains("do not allow sts:TagSession"),
        "{t}"
    );
}

/// Without --object, GetObject reads a fresh key: with s3:ListBucket proven
/// in the same probe, a 404 NoSuchKey is allowed and a 403 GetObject's own.
#[test]
fn get_object_is_proven_both_ways_without_an_object() {
    for (kind, expect) in [("reference", "allow"), ("listonly", "deny")] {
        let s = Scenario::seed(kind);
        let (policies, _) = s.export_policies();
        let run = s.run_unchanged(s.pod().args(["--from-policy", path(&policies)]));
        let name = format!(
            "s3:GetObject object {}/irsa-verify-probe/* expect {expect}",
            s.bucket
        );
        let r = run
            .results()
            .iter()
            .find(|r| r["name"].as_str() == Some(&name))
            .unwrap_or_else(|| panic!("no {name}\n{}", run.stdout));
        assert_eq!(r["status"], "pass", "{kind}: {r}\n{}", run.stdout);
        assert!(r["form"].as_str().unwrap().contains("ListObjectsV2"), "{r}");
        assert!(
            !run.results()
                .iter()
                .any(|r| r["action"] == "s3:GetObject" && r["expect"].is_null()),
            "no 'not probed' GetObject"
        );
    }
}

/// Section 8 of issue 12, found by differential testing: a table ARN in
/// another region is probed there, and the same name in two regions is two
/// tables with their own expectations and testcase names.
#[test]
fn a_table_in_another_region_is_probed_where_its_arn_says() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-east-1:*:table/YOUR_TABLE"},
      {"Effect":"Allow","Action":"dynamodb:DescribeTable","Resource":"arn:aws:dynamodb:eu-west-1:*:table/YOUR_TABLE"},
      {"Effect":"Deny","Action":"dynamodb:DeleteItem","Resource":"arn:aws:dynamodb:eu-west-1:*:table/YOUR_TABLE"}]}"#;
    let s = Scenario::seed_with("reference", Some(policy));
    s.admin_python(&format!(
        "ddb = client('dynamodb', 'us-east-1')\n\
         ddb.create_table(TableName={:?}, KeySchema=[{{'AttributeName': 'pk', 'KeyType': 'HASH'}}], \
         AttributeDefinitions=[{{'AttributeName': 'pk', 'AttributeType': 'S'}}], BillingMode='PAY_PER_REQUEST', DeletionProtectionEnabled=True)\n",
        s.table
    ));
    let file = s.dir.join("regions.json");
    std::fs::write(&file, policy.replace("YOUR_TABLE", &s.table)).unwrap();
    let run = s.run_unchanged(s.pod().args(["--from-policy", path(&file)]));
    let status = |name: String| {
        run.results()
            .iter()
            .find(|r| r["name"].as_str() == Some(&name))
            .unwrap_or_else(|| panic!("no {name}\n{}", run.stdout))["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let t = &s.table;
    // us-east-1's table: allowed there, and probed there (eu-west-1 would deny).
    assert_eq!(
        status(format!(
            "dynamodb:DescribeTable table {t} (us-east-1) expect allow"
        )),
        "pass",
        "{}",
        run.stdout
    );
    assert_eq!(
        status(format!(
            "dynamodb:DeleteItem item {t} (us-east-1) (random key) expect allow"
        )),
        "pass",
        "{}",
        run.stdout
    );
    // eu-west-1's table is another table: its DeleteItem is explicitly denied.
    assert_eq!(
        status(format!(
            "dynamodb:DeleteItem item {t} (eu-west-1) (random key) expect deny"
        )),
        "pass",
        "{}",
        run.stdout
    );
    run.assert_code(0);
}

/// An access point's ARN names no bucket: its grants are skipped with why,
/// and no probe goes to a bucket called `accesspoint`.
#[test]
fn an_access_point_arn_is_never_taken_for_a_bucket() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::YOUR_BUCKET"},
      {"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::YOUR_BUCKET/*"},
      {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:eu-west-1:123456789012:accesspoint/my-ap/object/*"}]}"#;
    let s = Scenario::seed_with("reference", Some(policy));
    let file = s.dir.join("ap.json");
    std::fs::write(&file, policy.replace("YOUR_BUCKET", &s.bucket)).unwrap();
    let run = s.run_unchanged(s.pod().args(["--from-policy", path(&file)]));
    run.assert_code(0);
    assert!(
        !run.all_output().contains("bucket accesspoint"),
        "{}",
        run.stdout
    );
    assert!(run
        .results()
        .iter()
        .all(|r| !r["resource"].as_str().unwrap().contains(":::accesspoint")));
    let put = run
        .results()
        .iter()
        .find(|r| r["action"] == "s3:PutObject" && r["expect"].is_null())
        .unwrap_or_else(|| panic!("the access point grant is reported\n{}", run.stdout));
    assert!(
        put["skip_reason"]
            .to_string()
            .contains("accesspoint ARN, not a bucket")
            || put["answer"]
                .to_string()
                .contains("accesspoint ARN, not a bucket"),
        "{put}"
    );
}

/// A `?` in a prefix grant: the inside probe's key matches the pattern.
#[test]
fn a_question_mark_prefix_is_proven_inside_the_grant() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::YOUR_BUCKET"},
      {"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::YOUR_BUCKET/*"},
      {"Effect":"Allow","Action":["s3:PutObject"],"Resource":"arn:aws:s3:::YOUR_BUCKET/upl?ads/*"}]}"#;
    let s = Scenario::seed_with("reference", Some(policy));
    let file = s.dir.join("q.json");
    std::fs::write(&file, policy.replace("YOUR_BUCKET", &s.bucket)).unwrap();
    let run = s.run_unchanged(s.pod().args(["--from-policy", path(&file)]));
    let b = &s.bucket;
    let inside = format!("s3:PutObject object {b}/uplxads/irsa-verify-probe/* expect allow");
    let r = run
        .results()
        .iter()
        .find(|r| r["name"].as_str() == Some(&inside))
        .unwrap_or_else(|| panic!("no {inside}\n{}", run.stdout));
    assert_eq!(r["status"], "pass", "{r}\n{}", run.stdout);
    run.assert_code(0);
}

/// The bucket reads the add-on policies use are proven where granted.
#[test]
fn bucket_reads_are_proven_live() {
    let policy = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation","s3:ListBucketMultipartUploads","s3:ListBucketVersions"],"Resource":"arn:aws:s3:::YOUR_BUCKET"},
      {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::YOUR_BUCKET/*"}]}"#;
    let s = Scenario::seed_with("reference", Some(policy));
    let file = s.dir.join("reads.json");
    std::fs::write(&file, policy.replace("YOUR_BUCKET", &s.bucket)).unwrap();
    let run = s.run_unchanged(s.pod().args(["--from-policy", path(&file)]));
    run.assert_code(0);
    for action in [
        "s3:GetBucketLocation",
        "s3:ListBucketMultipartUploads",
        "s3:ListBucketVersions",
    ] {
        assert_eq!(run.status(action), "pass", "{action}\n{}", run.stdout);
    }
}
