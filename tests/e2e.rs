//! End-to-end: the built binary, a pod's environment, the emulator with IAM
//! enforcement. Every scenario also proves the emulator's data did not change.

mod common;

use common::{Agent, Recorder, Run, Scenario, StandIn};

#[test]
fn reference_procedure_passes_and_changes_nothing() {
    let s = Scenario::seed("reference");
    let run = s.run_unchanged(s.pod().args(s.reference_args()));
    run.assert_code(0);
    assert_eq!(
        run.statuses(),
        [
            ("sts:GetCallerIdentity", "pass"),
            ("s3:ListBucket", "pass"),
            ("s3:DeleteObject", "pass"),
            ("s3:GetObject", "pass"),
            ("dynamodb:DescribeTable", "pass"),
            ("dynamodb:DeleteTable", "pass"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let delete = run.result("s3:DeleteObject");
    assert_eq!(delete["observed"], "denied");
    assert_eq!(delete["answer"]["code"], "AccessDenied");
    assert!(
        delete["form"].as_str().unwrap().contains("If-Match"),
        "the report shows the harmless form"
    );
    let drop = run.result("dynamodb:DeleteTable");
    assert_eq!(drop["answer"]["code"], "AccessDeniedException");
    assert_eq!(drop["denied_by"], "no identity-based policy allows it");

    let id = &run.json()["identity"];
    assert!(id["caller_arn"].as_str().unwrap().starts_with(&format!(
        "arn:aws:sts::{}:assumed-role/{}/",
        s.account, s.role_name
    )));
    assert_eq!(id["expected_from"], "AWS_ROLE_ARN");

    // Human report: identity, one line per check with verdict, action, answer.
    assert!(
        run.stdout
            .contains(&format!("expected  {} (from AWS_ROLE_ARN)", s.role_arn)),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("PASS  s3:DeleteObject"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("denied: 403 AccessDenied"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("result: 6 pass, 0 fail, 0 error, 0 skip -> exit 0"),
        "{}",
        run.stdout
    );

    // JUnit: one testcase per check, named by action, classname per service.
    let doc = run.junit_doc();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 6);
    assert_eq!(
        cases[2].attribute("name").unwrap(),
        format!(
            "s3:DeleteObject object {}/irsa-verify-probe/* expect deny",
            s.bucket
        )
    );
    assert_eq!(cases[2].attribute("classname"), Some("irsa-verify.s3"));
    assert_eq!(
        cases[5].attribute("classname"),
        Some("irsa-verify.dynamodb")
    );
    assert!(doc
        .descendants()
        .all(|n| !n.has_tag_name("failure") && !n.has_tag_name("error")));
    let identity_out = cases[0]
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .and_then(|n| n.text())
        .unwrap();
    assert!(
        identity_out.contains(&format!(
            "caller: arn:aws:sts::{}:assumed-role/{}",
            s.account, s.role_name
        )),
        "{identity_out}"
    );
}

#[test]
fn overpermissive_role_fails_the_deny_probes_without_touching_data() {
    let s = Scenario::seed("overpermissive");
    let run = s.run_unchanged(s.pod().args(s.reference_args()));
    run.assert_code(1);
    let delete = run.result("s3:DeleteObject");
    assert_eq!(
        (delete["status"].as_str(), delete["observed"].as_str()),
        (Some("fail"), Some("allowed"))
    );
    assert_eq!(
        delete["answer"]["code"], "NoSuchKey",
        "an allowed conditional delete of a fresh key answers 404"
    );
    let drop = run.result("dynamodb:DeleteTable");
    assert_eq!(
        (drop["status"].as_str(), drop["answer"]["code"].as_str()),
        (Some("fail"), Some("ValidationException"))
    );
    assert_eq!(run.status("s3:ListBucket"), "pass");
    let doc = run.junit_doc();
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        2
    );
    assert!(
        run.stdout.contains("FAIL  dynamodb:DeleteTable"),
        "{}",
        run.stdout
    );
}

#[test]
fn too_strict_role_fails_the_allow_checks() {
    let s = Scenario::seed("toostrict");
    let run = s.run_unchanged(s.pod().args(s.reference_args()));
    run.assert_code(1);
    let describe = run.result("dynamodb:DescribeTable");
    assert_eq!(
        (describe["status"].as_str(), describe["observed"].as_str()),
        (Some("fail"), Some("denied"))
    );
    let drop = run.result("dynamodb:DeleteTable");
    assert_eq!(drop["status"], "skip");
    assert!(
        drop["answer"]["reason"]
            .as_str()
            .unwrap()
            .contains("could not learn whether"),
        "{drop}"
    );
    assert_eq!(run.status("s3:ListBucket"), "pass");
    assert_eq!(run.status("s3:DeleteObject"), "pass");
}

#[test]
fn unprotected_table_is_never_sent_a_delete() {
    let s = Scenario::seed("unprotected");
    let run = s.run_unchanged(s.pod().args(s.reference_args()));
    run.assert_code(0);
    let drop = run.result("dynamodb:DeleteTable");
    assert_eq!(drop["status"], "skip");
    let reason = drop["answer"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("--deletion-protection-enabled") && reason.contains("--allow-destructive"),
        "names both remedies: {reason}"
    );
    let doc = run.junit_doc();
    let skipped: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("skipped"))
        .collect();
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0]
        .attribute("message")
        .unwrap()
        .contains("no deletion protection"));
}

#[test]
fn no_credentials_is_could_not_verify_and_says_why() {
    let s = Scenario::seed("reference");
    let run =
        s.run_unchanged(Agent::new(&common::emulator().endpoint, &s.dir).args(s.reference_args()));
    run.assert_code(3);
    let id = run.result("sts:GetCallerIdentity");
    assert_eq!(id["status"], "error");
    let notes = id["notes"].to_string();
    assert!(notes.contains("sources tried"), "{notes}");
    assert!(
        notes.contains("AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are both absent"),
        "{notes}"
    );
    assert!(notes.contains("eks.amazonaws.com/role-arn"), "{notes}");
    assert!(
        run.results()[1..].iter().all(|r| r["status"] == "skip"),
        "nothing is probed without an identity"
    );
    let doc = run.junit_doc();
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("error"))
            .count(),
        1
    );
    assert!(
        run.stdout.contains("ERROR sts:GetCallerIdentity"),
        "{}",
        run.stdout
    );
}

#[test]
fn unreadable_token_file_is_named() {
    let s = Scenario::seed("reference");
    let missing = s.dir.join("no-such-token");
    let run = s
        .pod()
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", missing.to_str().unwrap())
        .args(s.reference_args())
        .run();
    run.assert_code(3);
    let notes = run.result("sts:GetCallerIdentity")["notes"].to_string();
    assert!(
        notes.contains("cannot be read") && notes.contains("did not mount it"),
        "{notes}"
    );
}

#[test]
fn pod_running_as_another_role_is_an_identity_failure() {
    let expected = Scenario::seed("reference");
    let other = Scenario::seed("overpermissive");
    // The pod's token and AWS_ROLE_ARN are the other role's; the user expects `expected`.
    let run = other
        .pod()
        .args(["--expect-role", &expected.role_arn])
        .args(other.reference_args())
        .run();
    run.assert_code(1);
    let id = run.result("sts:GetCallerIdentity");
    assert_eq!(id["status"], "fail");
    let detail = id["answer"]["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!(
            "role `{}` is not the expected `{}`",
            other.role_name, expected.role_name
        )),
        "{detail}"
    );
    assert_eq!(run.json()["identity"]["expected_from"], "--expect-role");
}

#[test]
fn expected_role_by_bare_name_ignores_the_role_path() {
    let s = Scenario::seed("reference");
    // The role has path /eks/; the assumed-role ARN drops it.
    let run = s.pod().args(["--expect-role", &s.role_name]).run();
    run.assert_code(0);
    assert_eq!(
        run.statuses().len(),
        1,
        "no targets: only the identity check"
    );
    assert!(
        run.stdout.contains("only the identity was checked"),
        "a run with nothing but the identity says so\n{}",
        run.stdout
    );
}

#[test]
fn endpoint_down_is_could_not_verify() {
    let s = Scenario::seed("reference");
    let closed = format!("http://127.0.0.1:{}", common::free_port());
    let run = s
        .pod()
        .env("AWS_ENDPOINT_URL", &closed)
        .args(["--timeout", "8"])
        .args(s.reference_args())
        .run();
    run.assert_code(3);
    assert_eq!(run.result("sts:GetCallerIdentity")["status"], "error");
    assert!(
        run.junit.is_some(),
        "the JUnit file is written for exit 3 too"
    );
}

#[test]
fn flags_can_come_from_the_environment() {
    let s = Scenario::seed("reference");
    let run = s.run_unchanged(
        s.pod()
            .env("IRSA_VERIFY_BUCKET", &s.bucket)
            .env("IRSA_VERIFY_TABLE", &s.table)
            .env("IRSA_VERIFY_EXPECT_ROLE", &s.role_arn),
    );
    run.assert_code(0);
    assert_eq!(run.statuses().len(), 5);
    assert_eq!(run.json()["identity"]["expected_from"], "--expect-role");
}

#[test]
fn junit_on_stdout_moves_the_human_report_to_stderr() {
    let s = Scenario::seed("reference");
    let run = s
        .pod()
        .no_report_files()
        .args(["--junit", "-"])
        .args(s.reference_args())
        .run();
    run.assert_code(0);
    common::assert_well_formed(&run.stdout);
    assert!(run.stdout.starts_with("<?xml"), "{}", run.stdout);
    assert!(run.stderr.contains("result: 6 pass"), "{}", run.stderr);
}

fn catalogue_spec(s: &Scenario) -> String {
    format!(
        "expect_role: {role}
checks:
  - {{action: sts:GetCallerIdentity, expect: allow, name: who am I}}
  - {{action: s3:ListBucket, bucket: {b}, expect: allow}}
  - {{action: s3:GetObject, bucket: {b}, key: demo-test-file, expect: allow}}
  - {{action: s3:GetObject, bucket: {b}, key: no-such-object, expect: allow, name: read of a missing key}}
  - {{action: s3:PutObject, bucket: {b}, expect: deny}}
  - {{action: s3:PutObject, bucket: {b}, key: demo-test-file, expect: deny, name: never overwrite the demo file}}
  - {{action: s3:DeleteObject, bucket: {b}, expect: deny}}
  - {{action: s3:DeleteObject, bucket: {b}, key: demo-test-file, expect: deny, name: named object}}
  - {{action: dynamodb:DescribeTable, table: {t}, expect: allow}}
  - {{action: dynamodb:ListTables, expect: deny}}
  - {{action: dynamodb:GetItem, table: {t}, expect: deny}}
  - {{action: dynamodb:PutItem, table: {t}, expect: deny}}
  - {{action: dynamodb:PutItem, table: {t}, key: {{demo: first}}, expect: deny, name: never overwrite the first item}}
  - {{action: dynamodb:DeleteItem, table: {t}, key: {{demo: first}}, expect: deny, name: never delete the first item}}
  - {{action: dynamodb:DeleteTable, table: {t}, expect: deny}}
",
        role = s.role_arn,
        b = s.bucket,
        t = s.table
    )
}

#[test]
fn spec_covers_the_whole_catalogue_on_the_reference_role() {
    let s = Scenario::seed("reference");
    let spec = s.dir.join("spec.yaml");
    std::fs::write(&spec, catalogue_spec(&s)).unwrap();
    let run = s.run_unchanged(s.pod().args(["--spec", spec.to_str().unwrap()]));
    run.assert_code(0);
    let by_name = |n: &str| {
        run.results()
            .iter()
            .find(|r| r["display_name"] == n)
            .unwrap_or_else(|| panic!("{n}"))
            .clone()
    };
    assert_eq!(by_name("who am I")["status"], "pass");
    assert_eq!(
        by_name("read of a missing key")["answer"]["code"],
        "NoSuchKey"
    );
    assert_eq!(
        by_name("named object")["status"],
        "skip",
        "a real object is only deleted with --allow-destructive"
    );
    assert_eq!(
        by_name("never overwrite the demo file")["status"],
        "skip",
        "a real object is only written to with --allow-destructive"
    );
    assert_eq!(
        run.json()["summary"],
        serde_json::json!({"pass": 13, "fail": 0, "error": 0, "skip": 2})
    );
    assert_eq!(
        run.results().len(),
        15,
        "the spec's sts check is the identity check, not a second one"
    );
}

#[test]
fn spec_on_an_overpermissive_role_fails_every_write_and_writes_nothing() {
    let s = Scenario::seed("overpermissive");
    let spec = s.dir.join("spec.yaml");
    std::fs::write(&spec, catalogue_spec(&s)).unwrap();
    // The data snapshot proves the conditional forms held: the demo file is not
    // overwritten, the first item neither overwritten nor deleted, the table kept.
    let run = s.run_unchanged(s.pod().args(["--spec", spec.to_str().unwrap()]));
    run.assert_code(1);
    let failed: Vec<_> = run
        .results()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(failed.len(), 7, "{failed:#?}");
    for action in [
        "s3:PutObject",
        "s3:DeleteObject",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:DeleteTable",
    ] {
        assert!(
            failed.iter().any(|n| n.starts_with(action)),
            "{action} should fail: {failed:#?}"
        );
    }
    let overwrite = run
        .results()
        .iter()
        .find(|r| r["display_name"] == "never overwrite the demo file")
        .unwrap();
    assert_eq!(
        overwrite["status"], "skip",
        "a named key is written to only with --allow-destructive"
    );
    let item = run
        .results()
        .iter()
        .find(|r| r["display_name"] == "never delete the first item")
        .unwrap();
    assert_eq!(item["answer"]["code"], "ConditionalCheckFailedException");
}

#[test]
fn wrong_identity_never_gets_destructive_probes() {
    let expected = Scenario::seed("unprotected");
    let other = Scenario::seed("overpermissive");
    let run = other
        .pod()
        .args([
            "--expect-role",
            &expected.role_arn,
            "--allow-destructive",
            "--table",
            &other.table,
            "--bucket",
            &other.bucket,
        ])
        .run();
    run.assert_code(1);
    // The overpermissive role could drop its (protected) table; with the wrong
    // identity the opt-in is withdrawn, so only the harmless form ran.
    assert!(run.result("dynamodb:DeleteTable")["form"]
        .as_str()
        .unwrap()
        .contains("deletion protection"));
    assert!(
        other.snapshot()["table"].is_object(),
        "the table still exists"
    );
}

#[test]
fn recorder_sees_connections() {
    // Guards the guard used by the bad-input tests: a run that does send is seen.
    let rec = Recorder::start();
    let dir = common::scratch("recorder");
    let run = Agent::new(&rec.endpoint, &dir)
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args(["--timeout", "5"])
        .run();
    run.assert_code(3);
    assert!(rec.connections() > 0);
}

#[test]
fn termination_message_and_framed_junit_for_kubectl() {
    let s = Scenario::seed("overpermissive");
    let message = s.dir.join("termination-log");
    let run = s
        .pod()
        .args([
            "--junit-log",
            "--termination-log",
            message.to_str().unwrap(),
        ])
        .args(s.reference_args())
        .run();
    run.assert_code(1);
    let line = std::fs::read_to_string(&message).unwrap();
    assert!(line.starts_with("irsa-verify exit 1: 4 pass, 2 fail, 0 error, 0 skip; failed: s3:DeleteObject, dynamodb:DeleteTable"), "{line}");
    assert!(!line.contains('\n'));
    // The framed document: cut out by its markers, whole, well-formed, same as the file.
    let begin = run
        .stdout
        .lines()
        .position(|l| l.starts_with("===== irsa-verify junit begin "))
        .expect("begin marker");
    let nonce = run
        .stdout
        .lines()
        .nth(begin)
        .unwrap()
        .split_whitespace()
        .nth(4)
        .unwrap()
        .to_owned();
    let lines: Vec<&str> = run.stdout.lines().collect();
    let end = lines
        .iter()
        .position(|l| l.starts_with(&format!("===== irsa-verify junit end {nonce} bytes=")))
        .expect("end marker");
    let doc = lines[begin + 1..end].join("\n") + "\n";
    let declared: usize = lines[end]
        .split("bytes=")
        .nth(1)
        .unwrap()
        .trim_end_matches(" =====")
        .parse()
        .unwrap();
    assert_eq!(doc.len(), declared);
    common::assert_well_formed(&doc);
    assert_eq!(
        roxmltree::Document::parse(&doc)
            .unwrap()
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        2
    );
}

/// The testcase and testsuite names of one run, and the JUnit document.
fn junit_names(run: &Run) -> Vec<String> {
    let doc = run.junit_doc();
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase") || n.has_tag_name("testsuite"))
        .map(|n| n.attribute("name").unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn junit_names_are_stable_and_the_identity_is_in_properties() {
    let s = Scenario::seed("reference");
    let first = s.pod().args(s.reference_args()).run();
    let second = s.pod().args(s.reference_args()).run();
    first.assert_code(0);
    second.assert_code(0);
    let names = junit_names(&first);
    assert_eq!(
        names,
        junit_names(&second),
        "the same spec against the same role"
    );
    let caller = first.json()["identity"]["caller_arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let session = caller.rsplit('/').next().unwrap();
    assert!(
        names.iter().all(|n| !n.contains(session)),
        "no session name in {names:?}"
    );
    assert_eq!(names[0], format!("irsa-verify {}", s.role_arn));

    let doc = first.junit_doc();
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("package"), None);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(suite.attribute("hostname"), Some(host.trim()));
    let property = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name))
            .and_then(|n| n.attribute("value"))
            .unwrap_or_else(|| panic!("no property {name}"))
            .to_owned()
    };
    assert_eq!(property("irsa-verify.caller-arn"), caller);
    assert_eq!(property("irsa-verify.account"), s.account);
    assert_eq!(property("irsa-verify.expected-role"), s.role_arn);
    assert!(property("irsa-verify.credential-source").contains("IRSA"));
    assert_eq!(
        property("irsa-verify.token-sub"),
        "system:serviceaccount:demo:irsa-verify"
    );
    assert_eq!(property("irsa-verify.token-aud"), "sts.amazonaws.com");
    for tc in doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") || n.has_tag_name("testsuite"))
    {
        let t = tc.attribute("time").unwrap();
        let (secs, ms) = t.split_once('.').unwrap_or_else(|| panic!("{t}"));
        assert!(
            secs.parse::<u64>().is_ok() && ms.len() == 3,
            "time {t}: whole milliseconds"
        );
    }
}

#[test]
fn legacy_bucket_names_are_checked_with_a_note() {
    let s = Scenario::seed("reference");
    let dry = s
        .pod()
        .args(["--validate-only", "--bucket", "Old_Bucket_2017"])
        .run();
    dry.assert_code(0);
    assert!(dry.stdout.contains("before 2018-03-01"), "{}", dry.stdout);
    // Sent for real, with keys allowed everything: S3 answers that no such
    // bucket exists, which is could-not-tell; the name was not refused as input.
    let (key, secret) = common::admin_keys();
    let agent = Agent::new(&common::emulator().endpoint, &s.dir)
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .args(["--bucket", "Old_Bucket_2017"]);
    let run = agent.run();
    run.assert_code(3);
    let list = run.result("s3:ListBucket");
    assert_eq!(list["status"], "error", "{}", run.stdout);
    assert_eq!(list["answer"]["code"], "NoSuchBucket", "{list}");
    assert!(
        list["notes"].to_string().contains("legacy naming rules"),
        "{list}"
    );
}

#[test]
fn directory_buckets_are_skipped_never_passed() {
    let s = Scenario::seed("reference");
    let run = s
        .pod()
        .args(["--bucket", "data--usw2-az1--x-s3", "--table", &s.table])
        .run();
    run.assert_code(0);
    for action in ["s3:ListBucket", "s3:DeleteObject"] {
        let r = run.result(action);
        assert_eq!(r["status"], "skip", "{}", run.stdout);
        assert!(
            r["answer"]["reason"]
                .as_str()
                .unwrap()
                .contains("s3express:CreateSession"),
            "{r}"
        );
    }
    assert_eq!(run.status("dynamodb:DescribeTable"), "pass");
}

#[test]
fn a_missing_bucket_or_table_is_never_a_pass() {
    // Admin keys: authorized for everything, so only existence can refuse.
    let s = Scenario::seed("reference");
    let (key, secret) = common::admin_keys();
    let spec = s.dir.join("missing.yaml");
    std::fs::write(
        &spec,
        "checks:
  - {action: s3:ListBucket, bucket: irsa-verify-no-such-bucket, expect: allow}
  - {action: s3:GetObject, bucket: irsa-verify-no-such-bucket, key: k, expect: allow}
  - {action: s3:PutObject, bucket: irsa-verify-no-such-bucket, expect: deny}
  - {action: s3:DeleteObject, bucket: irsa-verify-no-such-bucket, expect: deny}
  - {action: dynamodb:DescribeTable, table: irsa-verify-no-such-table, expect: allow}
  - {action: dynamodb:PutItem, table: irsa-verify-no-such-table, key: {id: x}, expect: deny}
  - {action: dynamodb:DeleteItem, table: irsa-verify-no-such-table, key: {id: x}, expect: allow}
  - {action: dynamodb:DeleteTable, table: irsa-verify-no-such-table, expect: deny}
",
    )
    .unwrap();
    let agent = Agent::new(&common::emulator().endpoint, &s.dir)
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .args(["--spec", spec.to_str().unwrap()]);
    let run = s.run_unchanged(agent);
    run.assert_code(3);
    let statuses = run.statuses();
    assert_eq!(
        statuses[0],
        ("sts:GetCallerIdentity".to_owned(), "pass".to_owned())
    );
    for (action, status) in &statuses[1..] {
        let expected = if action == "dynamodb:DeleteTable" {
            "skip"
        } else {
            "error"
        };
        assert_eq!(
            status, expected,
            "{action}: a missing resource proves nothing\n{}",
            run.stdout
        );
    }
}

#[test]
fn a_write_denial_that_may_be_get_objects_is_could_not_tell() {
    // Without s3:GetObject the 403 on an ETag-conditional write may be GetObject's.
    let s = Scenario::seed("listonly");
    let spec = s.dir.join("writes.yaml");
    std::fs::write(
        &spec,
        format!(
            "checks:
  - {{action: s3:PutObject, bucket: {b}, expect: deny}}
  - {{action: s3:DeleteObject, bucket: {b}, expect: deny}}
",
            b = s.bucket
        ),
    )
    .unwrap();
    let run = s.run_unchanged(s.pod().args(["--spec", spec.to_str().unwrap()]));
    run.assert_code(3);
    for action in ["s3:PutObject", "s3:DeleteObject"] {
        let r = run.result(action);
        assert_eq!(r["status"], "error", "{}", run.stdout);
        assert!(r["notes"].to_string().contains("may be GetObject's"), "{r}");
    }
}

#[test]
fn a_put_to_a_named_key_is_not_sent_without_allow_destructive() {
    // Only If-Match would keep an allowed PutObject from overwriting a named
    // object, and some S3-compatible stores ignore it. S3 goes through the
    // fault proxy (a loopback stand-in, tests/emulator/stand_ins.py) with a
    // pass-through rule that counts every PUT to the named key.
    let s = Scenario::seed("overpermissive");
    let spec = s.dir.join("named-put.yaml");
    std::fs::write(
        &spec,
        format!(
            "checks:
  - {{action: s3:PutObject, bucket: {b}, key: demo-test-file, expect: deny, name: named put}}
  - {{action: s3:PutObject, bucket: {b}, expect: deny, name: fresh put}}
",
            b = s.bucket
        ),
    )
    .unwrap();
    let object = |snapshot: &serde_json::Value| {
        snapshot["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["key"] == "demo-test-file")
            .cloned()
            .expect("the demo file exists")
    };
    let run_through_proxy = |extra: &[&str]| {
        let proxy = StandIn::fault_proxy(&serde_json::json!([
            {"service": "s3", "action": "PutObject", "path": "/demo-test-file", "fault": "none"}
        ]));
        let before = object(&s.snapshot());
        let run = s.run_unchanged(
            s.pod()
                .env("AWS_ENDPOINT_URL_S3", &proxy.endpoint)
                .args(["--spec", spec.to_str().unwrap()])
                .args(extra),
        );
        assert_eq!(
            before,
            object(&s.snapshot()),
            "the demo file's ETag and size"
        );
        (run, proxy.proxy_injected())
    };
    let by_name = |run: &Run, n: &str| {
        run.results()
            .iter()
            .find(|r| r["display_name"] == n)
            .unwrap_or_else(|| panic!("{n}\n{}", run.stdout))
            .clone()
    };

    let (run, puts_to_named_key) = run_through_proxy(&[]);
    assert_eq!(
        puts_to_named_key, 0,
        "a PUT reached the named key\n{}",
        run.stdout
    );
    let named = by_name(&run, "named put");
    assert_eq!(named["status"], "skip", "{named}");
    let reason = named["answer"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("not attempted") && reason.contains("--allow-destructive"),
        "{reason}"
    );
    // Fresh random keys are still probed: the overpermissive role may write.
    assert_eq!(
        by_name(&run, "fresh put")["status"],
        "fail",
        "{}",
        run.stdout
    );

    // With the opt-in the same conditional PutObject is sent (the proxy counts
    // it), and If-Match keeps the object as it was on this emulator.
    let (run, puts_to_named_key) = run_through_proxy(&["--allow-destructive"]);
    assert_eq!(puts_to_named_key, 1, "{}", run.stdout);
    let named = by_name(&run, "named put");
    assert_eq!(named["status"], "fail", "{named}");
    assert_eq!(named["answer"]["code"], "PreconditionFailed", "{named}");
}

#[test]
fn delete_table_reads_deletion_protection_again_right_before_the_call() {
    // The overpermissive role may delete the table; its protection is what
    // keeps the probe harmless. DynamoDB goes through the fault proxy (a
    // loopback stand-in, tests/emulator/stand_ins.py), which lets the first
    // DescribeTable through and reports protection off on the next: as if
    // someone turned it off after the run's first read. A DeleteTable sent
    // on the first read alone would be counted by the second rule.
    let s = Scenario::seed("overpermissive");
    let spec = s.dir.join("delete-table.yaml");
    std::fs::write(
        &spec,
        format!(
            "checks:
  - {{action: dynamodb:DescribeTable, table: {t}, expect: allow}}
  - {{action: dynamodb:DeleteTable, table: {t}, expect: deny}}
",
            t = s.table
        ),
    )
    .unwrap();
    let proxy = StandIn::fault_proxy(&serde_json::json!([
        {"service": "dynamodb", "action": "DescribeTable", "after": 1, "times": 1, "fault": "rewrite",
         "set": {"Table.DeletionProtectionEnabled": false}},
        {"service": "dynamodb", "action": "DeleteTable", "fault": "none"}
    ]));
    let run = s.run_unchanged(
        s.pod()
            .env("AWS_ENDPOINT_URL_DYNAMODB", &proxy.endpoint)
            // In spec order: the DescribeTable check reads first.
            .args(["--concurrency", "1", "--spec", spec.to_str().unwrap()]),
    );
    assert_eq!(
        proxy.proxy_injected(),
        1,
        "the second read was rewritten and no DeleteTable was sent\n{}",
        run.stdout
    );
    let delete = run.result("dynamodb:DeleteTable");
    assert_eq!(delete["status"], "skip", "{delete}");
    assert!(
        delete["answer"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("deletion protection"),
        "{delete}"
    );
}
