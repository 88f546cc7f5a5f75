//! Every request the agent sends names it in its User-Agent: SDK clients,
//! the credential provider's own STS call, and the signed-request path.
//! Recorded by the fault proxy (stand_ins.py --record) in front of the
//! emulator.

mod common;

use common::{Scenario, StandIn};
use serde_json::{json, Value};

#[test]
fn every_request_carries_the_tool_and_its_version() {
    let s = Scenario::seed("reference");
    let record = s.dir.join("requests.jsonl");
    let proxy = StandIn::recording_proxy(&json!([]), &record);
    // ListBucket through the S3 SDK client, DescribeVolumes through the
    // signed path (the role may not: its verdict does not matter here).
    let policy = s.dir.join("policy.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","ec2:DescribeVolumes"],"Resource":"*"}]}"#,
    )
    .expect("write policy");
    let run = s
        .pod()
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .args([
            "--from-policy",
            policy.to_str().expect("utf-8"),
            "--bucket",
            &s.bucket,
        ])
        .run();
    assert_eq!(run.status("s3:ListBucket"), "pass", "{}", run.stdout);
    let requests: Vec<Value> = std::fs::read_to_string(&record)
        .expect("the proxy recorded requests")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let wanted = format!("irsa-verify/{}", env!("CARGO_PKG_VERSION"));
    for r in &requests {
        let ua = r["user_agent"].as_str().unwrap_or("");
        assert!(
            ua.split(' ').any(|part| part == wanted),
            "{wanted} missing from {r}"
        );
    }
    let sent = |action: &str, signed_for: Value| {
        requests
            .iter()
            .any(|r| r["action"] == action && r["signed_for"] == signed_for)
    };
    assert!(
        sent("AssumeRoleWithWebIdentity", Value::Null),
        "the credential provider's unsigned STS call: {requests:?}"
    );
    assert!(sent("GetCallerIdentity", json!("sts")), "{requests:?}");
    assert!(
        sent("ListObjectsV2", json!("s3")),
        "the S3 SDK client: {requests:?}"
    );
    assert!(
        sent("DescribeVolumes", json!("ec2")),
        "the signed path: {requests:?}"
    );
    // The SDK's own User-Agent stays in front of ours.
    let sdk = requests
        .iter()
        .find(|r| r["signed_for"] == "s3")
        .and_then(|r| r["user_agent"].as_str())
        .unwrap_or("");
    assert!(sdk.starts_with("aws-sdk-rust/"), "{sdk}");
}
