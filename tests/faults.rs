//! Faults between the agent and AWS: a loopback proxy (a stand-in, see
//! tests/emulator/stand_ins.py) in front of the emulator delays, fails, resets,
//! truncates or garbles answers. The affected checks must end as errors (never
//! pass, never fail), the others unaffected, exit 3, in time, JUnit well-formed,
//! and no data changed.

mod common;

use common::{Run, Scenario, StandIn};
use serde_json::{json, Value};

fn s3_error(status: u16, code: &str, message: &str) -> Value {
    json!({"fault": "status", "status": status, "headers": {"Content-Type": "application/xml"},
           "body": format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>")})
}

/// Runs the reference checks with S3 (or DynamoDB) behind the fault proxy.
fn run_with(service: &str, rules: Vec<Value>, extra: &[&str]) -> (Scenario, Run) {
    let (s, run, _) = run_through(service, rules, extra);
    (s, run)
}

/// The reference checks with `service` behind the fault proxy; the proxy
/// is returned so a test can ask what it injected.
fn run_through(service: &str, mut rules: Vec<Value>, extra: &[&str]) -> (Scenario, Run, StandIn) {
    for r in &mut rules {
        r["service"] = json!(service);
    }
    let s = Scenario::seed("reference");
    let proxy = StandIn::fault_proxy(&json!(rules));
    let var = if service == "s3" {
        "AWS_ENDPOINT_URL_S3"
    } else {
        "AWS_ENDPOINT_URL_DYNAMODB"
    };
    let agent = s
        .pod()
        .env(var, &proxy.endpoint)
        .args(s.reference_args())
        .args(if extra.contains(&"--timeout") {
            &[][..]
        } else {
            &["--timeout", "20"][..]
        })
        .args(extra);
    let run = s.run_unchanged(agent);
    (s, run, proxy)
}

fn assert_s3_errors_others_pass(run: &Run, s3_actions: &[&str]) {
    run.assert_code(3);
    for a in s3_actions {
        assert_eq!(run.status(a), "error", "{a}\n{}", run.stdout);
    }
    for a in [
        "sts:GetCallerIdentity",
        "dynamodb:DescribeTable",
        "dynamodb:DeleteTable",
    ] {
        assert_eq!(
            run.status(a),
            "pass",
            "{a} should be unaffected\n{}",
            run.stdout
        );
    }
    assert!(!run.stderr.contains("panicked"));
}

const ALL_S3: &[&str] = &["s3:ListBucket", "s3:DeleteObject", "s3:GetObject"];

#[test]
fn slow_down_past_the_retries() {
    let (_, run) = run_with(
        "s3",
        vec![s3_error(
            503,
            "SlowDown",
            "Please reduce your request rate.",
        )],
        &[],
    );
    assert_s3_errors_others_pass(&run, ALL_S3);
    assert_eq!(run.result("s3:ListBucket")["answer"]["code"], "SlowDown");
}

#[test]
fn internal_errors() {
    let (_, run) = run_with(
        "s3",
        vec![s3_error(
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
        )],
        &[],
    );
    assert_s3_errors_others_pass(&run, ALL_S3);
}

#[test]
fn expired_credentials_mid_run() {
    let (_, run) = run_with(
        "s3",
        vec![s3_error(
            400,
            "ExpiredToken",
            "The provided token has expired.",
        )],
        &[],
    );
    assert_s3_errors_others_pass(&run, ALL_S3);
}

#[test]
fn connection_resets() {
    let (_, run) = run_with("s3", vec![json!({"fault": "reset"})], &[]);
    assert_s3_errors_others_pass(&run, ALL_S3);
}

#[test]
fn truncated_and_garbled_bodies() {
    // Only answers whose body carries the verdict: a listing and a denial.
    for fault in ["truncate", "garbage"] {
        let rules = vec![
            json!({"fault": fault, "action": "ListObjectsV2"}),
            json!({"fault": fault, "action": "DeleteObject"}),
        ];
        let (_, run) = run_with("s3", rules, &[]);
        assert_s3_errors_others_pass(&run, &["s3:ListBucket", "s3:DeleteObject"]);
        assert_eq!(
            run.status("s3:GetObject"),
            "pass",
            "{fault}: GetObject is not affected"
        );
    }
}

#[test]
fn a_hanging_endpoint_ends_in_time() {
    let (_, run) = run_with(
        "s3",
        vec![json!({"fault": "delay", "seconds": 60})],
        &["--timeout", "4"],
    );
    assert_s3_errors_others_pass(&run, ALL_S3);
    assert!(
        run.result("s3:ListBucket")["answer"]["detail"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{}",
        run.stdout
    );
}

#[test]
fn throttled_dynamodb_is_unknown_and_delete_table_is_not_sent() {
    let throttled = json!({"fault": "status", "status": 400, "headers": {"Content-Type": "application/x-amz-json-1.0"},
        "body": json!({"__type": "com.amazon.coral.availability#ThrottlingException", "message": "Rate of requests exceeds the allowed throughput."}).to_string()});
    let (_, run) = run_with("dynamodb", vec![throttled], &[]);
    run.assert_code(3);
    assert_eq!(run.status("dynamodb:DescribeTable"), "error");
    assert_eq!(
        run.status("dynamodb:DeleteTable"),
        "skip",
        "no protection known: not sent"
    );
    for a in ALL_S3 {
        assert_eq!(run.status(a), "pass", "{a}");
    }
}

#[test]
fn a_fault_the_retries_absorb_is_no_fault() {
    let mut once = s3_error(503, "SlowDown", "Please reduce your request rate.");
    once["action"] = json!("ListObjectsV2");
    once["times"] = json!(1);
    let (_, run, proxy) = run_through("s3", vec![once], &[]);
    run.assert_code(0);
    assert_eq!(
        proxy.proxy_injected(),
        1,
        "the 503 was injected, and retried past"
    );
}

#[test]
fn sts_unreachable_while_s3_is_reachable() {
    let s = Scenario::seed("reference");
    let closed = format!("http://127.0.0.1:{}", common::free_port());
    let run = s.run_unchanged(s.pod().env("AWS_ENDPOINT_URL_STS", &closed).args([
        "--bucket",
        &s.bucket,
        "--timeout",
        "10",
    ]));
    run.assert_code(3);
    assert_eq!(run.status("sts:GetCallerIdentity"), "error");
    assert!(run.results()[1..].iter().all(|r| r["status"] == "skip"));
}

#[test]
fn concurrency_is_bounded_and_hundreds_of_checks_complete() {
    let s = Scenario::seed("reference");
    let proxy = StandIn::fault_proxy(&json!([{"service": "s3", "fault": "delay", "seconds": 0.1}]));
    let mut spec = String::from("checks:\n");
    for i in 0..120 {
        spec.push_str(&format!(
            "  - {{action: s3:ListBucket, bucket: {}, expect: allow, name: list {i}}}\n",
            s.bucket
        ));
    }
    for i in 0..80 {
        spec.push_str(&format!("  - {{action: dynamodb:DescribeTable, table: {}, expect: allow, name: describe {i}}}\n", s.table));
    }
    let path = s.dir.join("many.yaml");
    std::fs::write(&path, spec).unwrap();
    let run = s.run_unchanged(s.pod().env("AWS_ENDPOINT_URL_S3", &proxy.endpoint).args([
        "--spec",
        path.to_str().unwrap(),
        "--concurrency",
        "4",
        "--timeout",
        "120",
    ]));
    run.assert_code(0);
    assert_eq!(run.results().len(), 201);
    let (max, total) = proxy.proxy_stats();
    assert_eq!(total, 120, "one request per S3 check");
    assert!(
        (2..=4).contains(&max),
        "at most --concurrency requests at once, and more than one: {max}"
    );
}

#[test]
fn a_denial_naming_another_action_is_could_not_tell() {
    // As S3 answers when the bucket's KMS key refuses the caller.
    let kms = "User: is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-1:111122223333:key/k because no identity-based policy allows the kms:GenerateDataKey action";
    let mut rule = s3_error(403, "AccessDenied", kms);
    rule["action"] = json!("DeleteObject");
    let (_, run) = run_with("s3", vec![rule], &[]);
    run.assert_code(3);
    let r = run.result("s3:DeleteObject");
    assert_eq!(r["status"], "error", "{}", run.stdout);
    assert!(
        r["notes"]
            .to_string()
            .contains("AWS denied kms:GenerateDataKey, not s3:DeleteObject"),
        "{r}"
    );
    assert_eq!(run.status("s3:ListBucket"), "pass");
}

#[test]
fn a_conditional_delete_answered_204_names_the_key_it_may_have_marked() {
    // Some S3-compatible stores ignore If-Match and delete anyway.
    let rule = json!({"action": "DeleteObject", "fault": "status", "status": 204});
    let (s, run) = run_with("s3", vec![rule], &[]);
    run.assert_code(1);
    let r = run.result("s3:DeleteObject");
    assert_eq!(r["status"], "fail", "{}", run.stdout);
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("ignored If-Match")
            && notes.contains("delete marker")
            && notes.contains(&format!("{}/irsa-verify-probe/", s.bucket)),
        "{notes}"
    );
}
