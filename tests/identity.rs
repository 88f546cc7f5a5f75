//! Whose identity the pod really has, and why when it is wrong. Failure modes
//! the emulator can produce run against it; AWS errors it cannot produce come
//! from a loopback replay of AWS's documented error responses (a stand-in,
//! named as such), with S3 and DynamoDB still on the emulator.

mod common;

use common::{Agent, Scenario, StandIn};
use serde_json::json;

/// STS's answer to GetCallerIdentity for the emulator's admin user.
const CALLER_IDENTITY_OK: &str = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/irsa-verify-test-admin</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>";

/// The fake signature scenario.py puts in every token, base64url.
const TOKEN_SIGNATURE: &str = "bm90LWEtcmVhbC1zaWduYXR1cmU";

fn sts_error(status: u16, code: &str, message: &str) -> serde_json::Value {
    json!({
        "match": "*",
        "status": status,
        "headers": {"Content-Type": "text/xml"},
        "body": format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>4c2ad2a8-1f8e-4b3e-9c1d-5f0e2a7b6c11</RequestId></ErrorResponse>"
        )
    })
}

/// The pod of `s`, but STS answered by a replay of `rule`.
fn with_sts_replay(s: &Scenario, rule: serde_json::Value) -> (Agent, StandIn) {
    let replay = StandIn::replay(&json!([rule]));
    let agent = s
        .pod()
        .env("AWS_ENDPOINT_URL_STS", &replay.endpoint)
        .args(["--bucket", &s.bucket]);
    (agent, replay)
}

/// A pod on EKS Pod Identity: the agent stand-in serving the scenario's role,
/// and the pod's token (audience pods.eks.amazonaws.com).
struct PodIdentity {
    agent: StandIn,
    token: std::path::PathBuf,
    issued: std::path::PathBuf,
}

fn pod_identity(s: &Scenario, error: Option<(u16, &str)>) -> PodIdentity {
    let token = s.dir.join("eks-pod-identity-token");
    common::write_token(&token, "irsa-verify", "pods.eks.amazonaws.com", 86400);
    let issued = s.dir.join("issued.jsonl");
    let agent = StandIn::pod_identity_agent(&s.role_arn, &token, &issued, error);
    PodIdentity {
        agent,
        token,
        issued,
    }
}

impl PodIdentity {
    /// The agent with the environment the Pod Identity webhook injects.
    fn pod(&self, s: &Scenario) -> Agent {
        Agent::new(&common::emulator().endpoint, &s.dir)
            .env(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                &format!("{}/v1/credentials", self.agent.endpoint),
            )
            .env(
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                self.token.to_str().unwrap(),
            )
    }
}

/// The agent with the emulator's admin keys, STS answered at `sts`.
fn static_keys(s: &Scenario, sts: &str) -> Agent {
    let (key, secret) = common::admin_keys();
    Agent::new(&common::emulator().endpoint, &s.dir)
        .env("AWS_ENDPOINT_URL_STS", sts)
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
}

#[test]
fn irsa_shows_source_and_token_claims_everywhere_and_no_secret() {
    let s = Scenario::seed("reference");
    let run = s.run_unchanged(s.pod().args([
        "--bucket",
        &s.bucket,
        "--expect-service-account",
        "demo:irsa-verify",
    ]));
    run.assert_code(0);
    let id = &run.json()["identity"];
    assert_eq!(id["source"], "web-identity");
    assert_eq!(
        id["expected_source"], "web-identity",
        "the default when AWS_ROLE_ARN is set"
    );
    assert_eq!(id["token"]["sub"], "system:serviceaccount:demo:irsa-verify");
    assert_eq!(id["token"]["aud"], json!(["sts.amazonaws.com"]));
    assert_eq!(id["token"]["namespace"], "demo");
    assert!(id["clock_skew_seconds"].as_i64().unwrap().abs() < 60);
    assert!(
        run.stdout.contains("source    web identity (IRSA"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "token     sub system:serviceaccount:demo:irsa-verify, aud sts.amazonaws.com"
        ),
        "{}",
        run.stdout
    );
    let junit = run.junit.as_deref().unwrap();
    assert!(
        junit.contains("credential source: web identity")
            && junit.contains("token sub: system:serviceaccount:demo:irsa-verify")
    );
    assert!(
        !run.all_output().contains(TOKEN_SIGNATURE),
        "the token's signature leaked"
    );
}

#[test]
fn wrong_service_account_is_an_identity_failure() {
    let s = Scenario::seed("reference");
    let run = s
        .pod()
        .args(["--expect-service-account", "demo:billing"])
        .run();
    run.assert_code(1);
    assert_eq!(run.result("sts:GetCallerIdentity")["status"], "fail");
    assert!(
        run.identity_notes()
            .contains("not the expected system:serviceaccount:demo:billing"),
        "{}",
        run.identity_notes()
    );
}

#[test]
fn node_role_fallback_is_an_identity_failure_with_the_fix() {
    // AWS_ROLE_ARN is set but the token was never mounted: the chain falls
    // through to instance metadata, served by the emulator's IMDS.
    let s = Scenario::seed("reference");
    let run = s
        .pod()
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            &common::emulator().endpoint,
        )
        .run();
    run.assert_code(1);
    assert_eq!(run.json()["identity"]["source"], "instance-metadata");
    run.assert_identity_note("wrong credential source");
    run.assert_identity_note("node's instance role");
    run.assert_identity_note("rollout restart");
    run.assert_identity_note("hop limit of 1");
}

#[test]
fn static_keys_shadowing_irsa_are_named_and_never_printed() {
    let s = Scenario::seed("reference");
    let (key, secret) = common::admin_keys();
    let run = s
        .pod()
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .run();
    run.assert_code(1);
    assert_eq!(run.json()["identity"]["source"], "environment");
    run.assert_identity_note("static AWS_ACCESS_KEY_ID");
    assert!(!run.all_output().contains(secret), "the secret key leaked");
}

#[test]
fn pod_identity_verifies_end_to_end_without_leaking_credentials() {
    let s = Scenario::seed("reference");
    let pi = pod_identity(&s, None);
    let run = s.run_unchanged(pi.pod(&s).args([
        "--expect-source",
        "pod-identity",
        "--expect-role",
        &s.role_arn,
        "--bucket",
        &s.bucket,
        "--table",
        &s.table,
    ]));
    run.assert_code(0);
    let id = &run.json()["identity"];
    assert_eq!(id["source"], "pod-identity");
    assert_eq!(id["token"]["aud"], json!(["pods.eks.amazonaws.com"]));
    let issued = std::fs::read_to_string(&pi.issued).unwrap();
    let creds: serde_json::Value = serde_json::from_str(issued.lines().next().unwrap()).unwrap();
    let out = run.all_output();
    for secret in [
        creds["SecretAccessKey"].as_str().unwrap(),
        creds["Token"].as_str().unwrap(),
        TOKEN_SIGNATURE,
    ] {
        assert!(!out.contains(secret), "a secret leaked: {secret}");
    }
    // The same pod expecting IRSA is told it is on Pod Identity instead.
    let run = pi.pod(&s).args(["--expect-source", "web-identity"]).run();
    run.assert_code(1);
    run.assert_identity_note("eks.amazonaws.com/role-arn");
}

#[test]
fn pod_identity_trust_policy_error_names_the_fix() {
    let s = Scenario::seed("reference");
    let pi = pod_identity(
        &s,
        Some((
            400,
            "EKS does not have permissions to assume the associated role.",
        )),
    );
    let run = pi.pod(&s).args(["--expect-source", "pod-identity"]).run();
    run.assert_code(3);
    run.assert_identity_note("pods.eks.amazonaws.com");
    run.assert_identity_note("sts:TagSession");
}

#[test]
fn missing_oidc_provider() {
    let s = Scenario::seed("reference");
    let (agent, _replay) = with_sts_replay(&s, sts_error(400, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"));
    let run = agent.run();
    run.assert_code(3);
    run.assert_identity_note("cause: this AWS account has no IAM OIDC provider");
    run.assert_identity_note("create-open-id-connect-provider --url https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE");
    assert!(run.results()[1..].iter().all(|r| r["status"] == "skip"));
}

#[test]
fn trust_policy_refusal_prints_what_the_conditions_must_say() {
    let s = Scenario::seed("reference");
    let (agent, _replay) = with_sts_replay(
        &s,
        sts_error(
            403,
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        ),
    );
    let run = agent.run();
    run.assert_code(3);
    run.assert_identity_note(r#"oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub\": \"system:serviceaccount:demo:irsa-verify"#);
    run.assert_identity_note("aud sts.amazonaws.com");
    run.assert_identity_note("StringLike");
}

#[test]
fn incorrect_token_audience() {
    let s = Scenario::seed("reference");
    common::write_token(
        &s.token_file,
        "irsa-verify",
        "https://kubernetes.default.svc",
        86400,
    );
    let (agent, _replay) = with_sts_replay(
        &s,
        sts_error(400, "InvalidIdentityToken", "Incorrect token audience"),
    );
    let run = agent.run();
    run.assert_code(3);
    run.assert_identity_note("aud is https://kubernetes.default.svc");
    run.assert_identity_note("eks.amazonaws.com/audience");
}

#[test]
fn expired_token() {
    let s = Scenario::seed("reference");
    common::write_token(&s.token_file, "irsa-verify", "sts.amazonaws.com", -600);
    let (agent, _replay) = with_sts_replay(&s, sts_error(400, "ExpiredTokenException", "Token expired: current date/time 1795924000 must be before the expiration date/time1795923400"));
    let run = agent.run();
    run.assert_code(3);
    run.assert_identity_note("re-read");
    run.assert_identity_note("the token expired");
}

#[test]
fn region_scoped_signature_error() {
    let s = Scenario::seed("reference");
    let replay = StandIn::replay(&json!([sts_error(
        403,
        "SignatureDoesNotMatch",
        "Credential should be scoped to a valid region. "
    )]));
    let run = static_keys(&s, &replay.endpoint).run();
    run.assert_code(3);
    run.assert_identity_note("AWS_REGION");
}

#[test]
fn clock_skew_is_measured_from_the_sts_date() {
    let s = Scenario::seed("reference");
    let ok = CALLER_IDENTITY_OK;
    let an_hour_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 3600;
    let date = aws_smithy_types::DateTime::from_secs(an_hour_ago)
        .fmt(aws_smithy_types::date_time::Format::HttpDate)
        .unwrap();
    let replay = StandIn::replay(
        &json!([{"match": "*", "status": 200, "headers": {"Content-Type": "text/xml", "Date": date}, "body": ok}]),
    );
    let run = static_keys(&s, &replay.endpoint).run();
    let skew = run.json()["identity"]["clock_skew_seconds"]
        .as_i64()
        .unwrap();
    assert!((3500..3700).contains(&skew), "{skew}");
    assert!(
        run.identity_notes().contains("local clock is") && run.identity_notes().contains("chrony"),
        "{}",
        run.identity_notes()
    );
    assert!(run.stdout.contains("clock     "), "{}", run.stdout);
}

#[test]
fn token_unreadable_for_a_non_root_user_points_at_fs_group() {
    // Tests run as root, which reads any file: drop to nobody to get the
    // kernel's real EACCES, as a non-root container would.
    if !std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
    {
        eprintln!("skipped: needs root to switch to an unprivileged user");
        return;
    }
    let s = Scenario::seed("reference");
    let private = s.dir.join("private-token");
    std::fs::copy(&s.token_file, &private).unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&private).unwrap().permissions(),
        0o600,
    );
    std::fs::set_permissions(
        &private,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let out = common::output_within(
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_irsa-verify"))
            .env_clear()
            .env("HOME", "/tmp")
            .env("AWS_REGION", common::REGION)
            .env("AWS_ENDPOINT_URL", &common::emulator().endpoint)
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1")
            .env("AWS_ROLE_ARN", &s.role_arn)
            .env("AWS_WEB_IDENTITY_TOKEN_FILE", &private),
        std::time::Duration::from_secs(60),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("Permission denied") && stdout.contains("fsGroup"),
        "{stdout}"
    );
}

#[test]
fn imds_check_passes_fails_or_errs_never_hangs() {
    let s = Scenario::seed("reference");
    // Reachable: the emulator serves instance metadata with a role.
    let run = s
        .pod()
        .env(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            &common::emulator().endpoint,
        )
        .args(["--expect-no-imds"])
        .run();
    run.assert_code(1);
    let imds = run.result("imds:Unreachable");
    assert_eq!(imds["status"], "fail");
    assert!(imds["notes"]
        .to_string()
        .contains("a pod without IRSA would silently use it"));
    // Out of reach: nothing listens.
    let run = s.pod().args(["--expect-no-imds"]).run();
    run.assert_code(0);
    assert_eq!(run.result("imds:Unreachable")["status"], "pass");
    // An endpoint that answers 500: could not tell.
    let replay = StandIn::replay(&json!([{"match": "*", "status": 500, "body": "boom"}]));
    let run = s
        .pod()
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &replay.endpoint)
        .args(["--expect-no-imds"])
        .run();
    run.assert_code(3);
    assert_eq!(run.result("imds:Unreachable")["status"], "error");
}

/// The IMDS stand-in (tests/emulator/stand_ins.py `imds`, a loopback stand-in
/// for a node's 169.254.169.254) behind `--expect-no-imds`: the run and the
/// requests the stand-in saw.
fn imds_run(
    s: &Scenario,
    token: common::ImdsToken,
    v1_allowed: bool,
) -> (common::Run, Vec<(String, String, bool)>) {
    let log = s.dir.join("imds-requests.jsonl");
    let _ = std::fs::remove_file(&log);
    let imds = StandIn::imds(token, v1_allowed, &log);
    let run = s
        .pod()
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.endpoint)
        .args(["--expect-no-imds"])
        .run();
    drop(imds);
    (run, common::imds_requests(&log))
}

const NODE_ROLE_LISTING: &str = "/latest/meta-data/iam/security-credentials/";
const NODE_ROLE_CREDENTIALS: &str = "/latest/meta-data/iam/security-credentials/node-role";

/// The node's credentials were never asked for, and nothing of them was printed.
fn assert_no_credentials_requested(run: &common::Run, requests: &[(String, String, bool)]) {
    assert!(
        !requests
            .iter()
            .any(|(_, path, _)| path.starts_with(NODE_ROLE_CREDENTIALS)),
        "the node role's credentials were requested: {requests:?}"
    );
    let out = run.all_output();
    for secret in ["STAND-IN-NODE-SECRET", "ASIASTANDINNODEROLE0"] {
        assert!(
            !out.contains(secret),
            "node credential text in the output: {secret}"
        );
    }
}

#[test]
fn imds_v1_answering_after_an_unanswered_token_request_fails_the_check() {
    // Behind a hop limit of 1 the token's answer never arrives, but with
    // HttpTokens=optional a tokenless GET still lists the node role.
    let s = Scenario::seed("reference");
    let (run, requests) = imds_run(&s, common::ImdsToken::Hang, true);
    run.assert_code(1);
    let imds = run.result("imds:Unreachable");
    assert_eq!(imds["status"], "fail", "{imds}");
    let notes = imds["notes"].to_string();
    for text in [
        "IMDSv1 answered without a token",
        "node-role",
        "--http-tokens required --http-put-response-hop-limit 1",
        "HttpTokens: required",
    ] {
        assert!(
            notes.contains(text),
            "the note should say `{text}`: {notes}"
        );
    }
    assert!(
        requests
            .iter()
            .any(|(m, p, _)| m == "PUT" && p == "/latest/api/token"),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|(m, p, token)| m == "GET" && p == NODE_ROLE_LISTING && !token),
        "no tokenless listing was made: {requests:?}"
    );
    assert_no_credentials_requested(&run, &requests);
}

#[test]
fn imds_v1_refused_after_an_unanswered_token_request_passes() {
    // HttpTokens=required and a hop limit of 1: the role is out of the pod's reach.
    let s = Scenario::seed("reference");
    let (run, requests) = imds_run(&s, common::ImdsToken::Hang, false);
    run.assert_code(0);
    let imds = run.result("imds:Unreachable");
    assert_eq!(imds["status"], "pass", "{imds}");
    assert!(
        imds["notes"].to_string().contains("IMDSv1 is refused"),
        "{imds}"
    );
    assert_no_credentials_requested(&run, &requests);
}

#[test]
fn imds_v2_listing_the_role_fails_without_asking_for_its_credentials() {
    let s = Scenario::seed("reference");
    let (run, requests) = imds_run(&s, common::ImdsToken::Answer, false);
    run.assert_code(1);
    let imds = run.result("imds:Unreachable");
    assert_eq!(imds["status"], "fail", "{imds}");
    assert!(
        imds["notes"]
            .to_string()
            .contains("a pod without IRSA would silently use it"),
        "{imds}"
    );
    assert!(
        requests
            .iter()
            .any(|(m, p, token)| m == "GET" && p == NODE_ROLE_LISTING && *token),
        "no listing with the token: {requests:?}"
    );
    assert_no_credentials_requested(&run, &requests);
}

fn dynamodb_denial(message: &str) -> serde_json::Value {
    json!({
        "match": "*",
        "status": 400,
        "headers": {"Content-Type": "application/x-amz-json-1.0"},
        "body": json!({"__type": "com.amazonaws.dynamodb.v20120810#AccessDeniedException", "Message": message}).to_string()
    })
}

#[test]
fn denials_say_which_policy_refused_and_whom() {
    let s = Scenario::seed("reference");
    // The caller's session name is not known before the run; the role is.
    let scp = format!(
        "User: arn:aws:sts::{}:assumed-role/{}/SESSION is not authorized to perform: dynamodb:DescribeTable on resource: arn:aws:dynamodb:eu-west-1:{}:table/{} with an explicit deny in a service control policy",
        s.account, s.role_name, s.account, s.table
    );
    let replay = StandIn::replay(&json!([dynamodb_denial(&scp)]));
    let run = s
        .pod()
        .env("AWS_ENDPOINT_URL_DYNAMODB", &replay.endpoint)
        .args(["--table", &s.table])
        .run();
    let describe = run.result("dynamodb:DescribeTable");
    // The replayed message names SESSION, not the real session: another principal.
    assert_eq!(describe["status"], "error", "{describe}");
    assert!(
        describe["notes"]
            .to_string()
            .contains("WARNING: AWS denied"),
        "{describe}"
    );

    let node = format!(
        "User: arn:aws:sts::{}:assumed-role/eks-node-role/i-0abc123 is not authorized to perform: dynamodb:DescribeTable on resource: arn:aws:dynamodb:eu-west-1:{}:table/{} because no identity-based policy allows the dynamodb:DescribeTable action",
        s.account, s.account, s.table
    );
    let replay = StandIn::replay(&json!([dynamodb_denial(&node)]));
    let run = s
        .pod()
        .env("AWS_ENDPOINT_URL_DYNAMODB", &replay.endpoint)
        .args(["--table", &s.table])
        .run();
    run.assert_code(3);
    assert!(
        run.stdout.contains(
            "WARNING: AWS denied arn:aws:sts::123456789012:assumed-role/eks-node-role/i-0abc123"
        ),
        "{}",
        run.stdout
    );

    // An SCP denial of the caller itself: denied, with the policy type named.
    let replay = StandIn::replay(&json!([dynamodb_denial(
        "Access denied with an explicit deny in a service control policy"
    )]));
    let run = s
        .pod()
        .env("AWS_ENDPOINT_URL_DYNAMODB", &replay.endpoint)
        .args(["--table", &s.table])
        .run();
    let describe = run.result("dynamodb:DescribeTable");
    assert_eq!(
        (describe["status"].as_str(), describe["denied_by"].as_str()),
        (Some("fail"), Some("service control policy (explicit deny)"))
    );
    assert!(
        run.stdout
            .contains("denied by: service control policy (explicit deny)"),
        "{}",
        run.stdout
    );
}

#[test]
fn https_endpoints_are_verified_against_the_trusted_roots() {
    // Every other test talks plain HTTP on loopback; this one proves the TLS
    // stack: a certificate from a CA the agent trusts (SSL_CERT_FILE) works, and
    // the same endpoint without that trust is refused, as could-not-tell.
    let s = Scenario::seed("reference");
    let ok = CALLER_IDENTITY_OK;
    let tls = s.dir.join("tls");
    let replay = StandIn::replay_tls(
        &json!([{"match": "*", "status": 200, "headers": {"Content-Type": "text/xml"}, "body": ok}]),
        &tls,
    );
    let agent = || static_keys(&s, &replay.endpoint).args(["--timeout", "10"]);
    let trusted = agent()
        .env("SSL_CERT_FILE", tls.join("ca.pem").to_str().unwrap())
        .run();
    trusted.assert_code(0);
    assert_eq!(
        trusted.json()["identity"]["caller_arn"],
        "arn:aws:iam::123456789012:user/irsa-verify-test-admin"
    );
    let untrusted = agent()
        .env(
            "SSL_CERT_FILE",
            s.dir.join("no-such-bundle.pem").to_str().unwrap(),
        )
        .run();
    untrusted.assert_code(3);
    assert_eq!(untrusted.result("sts:GetCallerIdentity")["status"], "error");
    assert!(
        untrusted
            .identity_notes()
            .contains("no CA certificate could be loaded"),
        "{}",
        untrusted.stdout
    );
    // A bundle that loads but does not hold this CA: the handshake is refused.
    let other = agent()
        .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
        .run();
    other.assert_code(3);
    assert!(
        other.stdout.contains("invalid peer certificate"),
        "{}",
        other.stdout
    );
}
