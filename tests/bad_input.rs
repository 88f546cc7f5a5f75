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
        &["--bucket", "Bad_Name"],
        "--bucket: `Bad_Name` is not a valid S3 bucket name",
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
    let mut c = case(&[], "--bucket: `UPPER` is not a valid S3 bucket name");
    c.env.push(("IRSA_VERIFY_BUCKET", "UPPER".into()));
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
