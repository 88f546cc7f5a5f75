//! Invalid input exits 2 with a message naming the input, and sends nothing:
//! every case runs against a loopback listener that counts connections.

mod common;

use common::{Agent, Recorder};

struct Case {
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    /// The message must contain this.
    says: &'static str,
}

fn case(args: &[&str], says: &'static str) -> Case {
    Case {
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        says,
    }
}

fn spec_case(name: &str, content: &[u8], says: &'static str) -> Case {
    let dir = common::scratch("spec");
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    Case {
        args: vec!["--spec".into(), path.to_string_lossy().into_owned()],
        env: Vec::new(),
        says,
    }
}

fn assert_invalid(c: Case) {
    let rec = Recorder::start();
    let dir = common::scratch("bad");
    let mut agent = Agent::new(&rec.endpoint, &dir)
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &rec.endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-secret")
        .no_report_files()
        .args(&c.args);
    for (k, v) in &c.env {
        agent = agent.env(k, v);
    }
    let run = agent.run();
    assert_eq!(
        run.code, 2,
        "{:?}: exit code\nstdout:{}\nstderr:{}",
        c.args, run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains(c.says),
        "{:?}: stderr should say `{}`:\n{}",
        c.args,
        c.says,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(
        rec.connections(),
        0,
        "{:?}: a request was sent for invalid input",
        c.args
    );
}

#[test]
fn bad_flags() {
    assert_invalid(case(&["--buckt", "b-1"], "--buckt"));
    assert_invalid(case(
        &["--bucket", "Bad Name"],
        "--bucket: `Bad Name` is not an S3 bucket name",
    ));
    assert_invalid(case(
        &["--table", "t"],
        "--table: `t` is not a valid DynamoDB table name",
    ));
    assert_invalid(case(&["--object", "k"], "--object: needs --bucket"));
    assert_invalid(case(&["--timeout", "0"], "--timeout"));
    assert_invalid(case(&["--timeout", "soon"], "is not a number of seconds"));
    assert_invalid(case(&["--concurrency", "0"], "--concurrency"));
    assert_invalid(case(
        &["--spec", "x.yaml", "--bucket", "b-1"],
        "cannot be used with",
    ));
    assert_invalid(case(
        &["--junit", "/nonexistent-dir/junit.xml"],
        "--junit: directory /nonexistent-dir does not exist",
    ));
    assert_invalid(case(
        &["--junit", "-", "--json", "-"],
        "cannot both take standard output",
    ));
    assert_invalid(case(
        &["--expect-role", "arn:aws:s3:::bucket"],
        "--expect-role: `arn:aws:s3:::bucket` is not an IAM role ARN",
    ));
    assert_invalid(case(&["--expect-role", "two words"], "--expect-role"));
}

#[test]
fn bad_environment() {
    let mut c = case(&[], "--bucket: `no/slash` is not an S3 bucket name");
    c.env.push(("IRSA_VERIFY_BUCKET", "no/slash".into()));
    assert_invalid(c);
    let mut c = case(
        &[],
        "AWS_ROLE_ARN: `not-an-arn:x` is neither a role ARN nor a role name",
    );
    c.env.push(("AWS_ROLE_ARN", "not-an-arn:x".into()));
    assert_invalid(c);
    let mut c = case(&[], "--timeout");
    c.env.push(("IRSA_VERIFY_TIMEOUT", "-1".into()));
    assert_invalid(c);
}

#[test]
fn bad_spec_files() {
    assert_invalid(case(
        &["--spec", "/nonexistent/spec.yaml"],
        "cannot read spec file /nonexistent/spec.yaml",
    ));
    assert_invalid(spec_case(
        "s.yaml",
        b"checks:\n  - action: s3:ListBucket\n    bucket: b-1\n    expct: allow\n",
        "s.yaml:4:",
    ));
    assert_invalid(spec_case(
        "s.yaml",
        b"checks:\n  - action: s3:Nope\n    bucket: b-1\n    expect: allow\n",
        "action `s3:Nope` is unknown",
    ));
    assert_invalid(spec_case(
        "s.yaml",
        b"checks:\n  - action: s3:ListBucket\n    bucket: b-1\n    expect: perhaps\n",
        "checks[0].expect",
    ));
    assert_invalid(spec_case(
        "s.yaml",
        b"checks:\n  - action: dynamodb:DeleteTable\n    expect: deny\n",
        "s.yaml:2:1: checks[0].table: dynamodb:DeleteTable needs `table`",
    ));
    assert_invalid(spec_case("s.yaml", b"checks: []\n", "the list is empty"));
    assert_invalid(spec_case("s.yaml", b"checks: [\n", "s.yaml"));
    assert_invalid(spec_case(
        "s.json",
        b"{\"checks\": [{\"action\": \"s3:ListBucket\", \"expect\": \"allow\"}]}",
        "needs `bucket`",
    ));
    assert_invalid(spec_case(
        "s.yaml",
        b"checks:\n  - action: s3:ListBucket\n    bucket: \xff\xfe\n",
        "stream did not contain valid UTF-8",
    ));
    assert_invalid(spec_case(
        "s.yaml",
        b"checks: {action: s3:ListBucket}\n",
        "checks",
    ));
    let huge = format!(
        "checks:\n{}",
        "  - {action: s3:ListBucket, bucket: b-1, expect: allow}\n".repeat(30_000)
    );
    assert_invalid(spec_case("huge.yaml", huge.as_bytes(), "a spec is at most"));
    let deep = format!("checks: {}{}\n", "[".repeat(2000), "]".repeat(2000));
    assert_invalid(spec_case("deep.yaml", deep.as_bytes(), "deep.yaml"));
}

/// A token file that is no projected token: the identity fails, with the file
/// named, before anything is sent to STS.
#[test]
fn bad_token_files() {
    let huge = vec![b'a'; 200 * 1024];
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty", b"", "it is empty"),
        ("not-a-jwt", b"hello world", "it has 1 dot-separated parts"),
        ("binary", &[0xff, 0x00, 0xfe, 0x2e, 0x01], "it is not text"),
        ("huge", &huge, "too large for a projected token"),
    ];
    for (name, content, says) in cases {
        let rec = Recorder::start();
        let dir = common::scratch("token");
        let token = dir.join(name);
        std::fs::write(&token, content).unwrap();
        let run = Agent::new(&rec.endpoint, &dir)
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &rec.endpoint)
            .env("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/app")
            .env("AWS_WEB_IDENTITY_TOKEN_FILE", token.to_str().unwrap())
            .args(["--bucket", "b-1"])
            .run();
        assert_eq!(run.code, 1, "{name}: {}", run.stdout);
        assert!(
            run.stdout.contains(says) && run.stdout.contains(token.to_str().unwrap()),
            "{name}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("aws-iam-token"),
            "{name}: the fix names the volume: {}",
            run.stdout
        );
        assert_eq!(rec.connections(), 0, "{name}: a request was sent");
    }
}

#[test]
fn more_bad_spec_shapes() {
    assert_invalid(spec_case(
        "t.yaml",
        b"checks:\n  - {action: s3:ListBucket, bucket: [1, 2], expect: allow}\n",
        "checks[0].bucket",
    ));
    assert_invalid(spec_case(
        "t.yaml",
        b"checks:\n  - {action: s3:ListBucket, bucket: b-1, expect: 5}\n",
        "checks[0].expect",
    ));
    assert_invalid(spec_case(
        "t.yaml",
        b"checks:\n  - {action: s3:GetObject, bucket: b-1, key: \"a\\u0007b\", expect: allow}\n",
        "control characters",
    ));
    assert_invalid(spec_case(
        "t.yaml",
        b"checks:\n  - {action: s3:ListBucket, bucket: b-1}\n",
        "needs `expect`",
    ));
    assert_invalid(spec_case(
        "t.yaml",
        b"checks:\n  - {action: imds:Unreachable, expect: allow}\n",
        "use `expect: deny`",
    ));
    assert_invalid(spec_case(
        "t.yaml",
        b"expect_source: node\nchecks:\n  - {action: s3:ListBucket, bucket: b-1, expect: allow}\n",
        "expect_source",
    ));
    assert_invalid(spec_case("t.yaml", b"expect_service_account: nocolon\nchecks:\n  - {action: s3:ListBucket, bucket: b-1, expect: allow}\n", "NAMESPACE:SERVICEACCOUNT"));
    assert_invalid(spec_case(
        "t.yaml",
        b"checks:\n  - {action: s3:ListBucket, bucket: b-1, expect: allow}\n---\nchecks: []\n",
        "t.yaml",
    ));
    assert_invalid(case(
        &["--expect-service-account", "Bad:Name"],
        "--expect-service-account",
    ));
    assert_invalid(case(&["--expect-source", "node"], "--expect-source"));
}

fn policy_case(name: &str, content: &[u8], says: &'static str) -> Case {
    let dir = common::scratch("policy");
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    Case {
        args: vec!["--from-policy".into(), path.to_string_lossy().into_owned()],
        env: Vec::new(),
        says,
    }
}

#[test]
fn bad_policy_files() {
    assert_invalid(policy_case(
        "a.json",
        b"not json at all",
        "a.json: not JSON",
    ));
    assert_invalid(policy_case(
        "b.json",
        br#"{"checks": []}"#,
        "b.json: not a policy: no `Statement`",
    ));
    assert_invalid(policy_case(
        "c.json",
        br#"{"Version": "2012-10-17", "Statement": []}"#,
        "c.json: the policy has no statements",
    ));
    assert_invalid(policy_case(
        "d.json",
        br#"{"Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}"#,
        "d.json: d.json statement 1: unknown Effect `Maybe`",
    ));
    let mut huge =
        br#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": ""#.to_vec();
    huge.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    huge.extend(br#""}]}"#);
    assert_invalid(policy_case("e.json", &huge, "e.json: the file is 10485"));
    let empty = common::scratch("policy-dir");
    std::fs::write(empty.join("notes.txt"), "not a policy").unwrap();
    assert_invalid(case(
        &["--from-policy", empty.to_str().unwrap()],
        "no .json files in this directory",
    ));
    // A policy with nothing to probe is no bad input (tests/exact.rs).
    assert_invalid(case(
        &[
            "--trust-policy",
            "/nonexistent/trust.json",
            "--bucket",
            "b-1",
        ],
        "--trust-policy: cannot read policy file /nonexistent/trust.json",
    ));
}
