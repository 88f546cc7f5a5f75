//! Every check is judged on the exact resource its request is authorized on,
//! never on a pattern: each case below was once a false verdict (issue 16).
//! The built binary runs against the emulator, which authorizes on the ARN
//! AWS would name (tests/emulator/fidelity.py); no run changes any data.

mod common;

use std::sync::Mutex;

use common::Scenario;
use serde_json::Value;

/// The whole-emulator snapshot sees every test's seeding: one test at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn write_policy(s: &Scenario, name: &str, policy: &str) -> String {
    let p = s.dir.join(name);
    std::fs::write(&p, policy).expect("write policy");
    p.to_str().expect("utf-8 path").to_owned()
}

/// The results of one action, each as (expect, status, resource).
fn of(run: &common::Run, action: &str) -> Vec<(String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    run.results()
        .iter()
        .filter(|r| r["action"] == action)
        .map(|r| (s(&r["expect"]), s(&r["status"]), s(&r["resource"])))
        .collect()
}

#[test]
fn a_grant_on_a_secrets_full_arn_proves_it_readable_and_never_shows_its_value() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let s = Scenario::seed("reference");
    const VALUE: &str = "exact-s3cr3t-never-printed";
    let arn = s.admin_python(&format!(
        "sm = client('secretsmanager')\n\
         try:\n    print(sm.create_secret(Name='exact/db', SecretString={VALUE:?})['ARN'])\n\
         except sm.exceptions.ResourceExistsException:\n    print(sm.describe_secret(SecretId='exact/db')['ARN'])\n"
    ));
    let arn = arn.trim();
    // What `aws_secretsmanager_secret.x.arn` and CDK give: the full ARN.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue"],"Resource":"{arn}"}}]}}"#
    );
    let s = Scenario::seed_with("reference", Some(&policy));
    let file = write_policy(&s, "secret.json", &policy);
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", &file]));
    run.assert_code(0);
    assert_eq!(
        of(&run, "secretsmanager:DescribeSecret"),
        [("allow".into(), "pass".into(), arn.to_owned())],
        "{}",
        run.stdout
    );
    assert!(
        run.result("secretsmanager:DescribeSecret")["form"]
            .as_str()
            .unwrap()
            .contains(arn),
        "the request names the secret by its ARN"
    );
    // No check expects a denial on the granted secret.
    assert!(
        run.results()
            .iter()
            .all(|r| r["expect"] != "deny" || r["resource"] != arn),
        "{}",
        run.stdout
    );
    assert!(!run.all_output().contains(VALUE));
}

/// Two instances for the DryRun requests to name; their IDs.
fn two_instances(s: &Scenario) -> (String, String) {
    let out = s.admin_python(
        "ec2 = client('ec2')\n\
         ids = [i['InstanceId'] for r in ec2.describe_instances()['Reservations'] for i in r['Instances']]\n\
         while len(ids) < 2:\n    ids.append(ec2.run_instances(ImageId='ami-12c6146b', MinCount=1, MaxCount=1)['Instances'][0]['InstanceId'])\n\
         print(ids[0], ids[1])\n",
    );
    let mut ids = out.split_whitespace().map(str::to_owned);
    (
        ids.next().expect("an instance"),
        ids.next().expect("another"),
    )
}

#[test]
fn a_grant_on_one_instance_is_proven_on_it_and_refused_on_another() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let s = Scenario::seed("reference");
    let (granted, other) = two_instances(&s);
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
  {{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}},
  {{"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"arn:aws:ec2:*:*:instance/{granted}"}}]}}"#
    );
    let s = Scenario::seed_with("reference", Some(&policy));
    let file = write_policy(&s, "one-instance.json", &policy);
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", &file]));
    run.assert_code(0);
    let arn = |id: &str| format!("arn:aws:ec2:{}:{}:instance/{id}", common::REGION, s.account);
    let mut terminate = of(&run, "ec2:TerminateInstances");
    terminate.sort();
    assert_eq!(
        terminate,
        [
            ("allow".into(), "pass".into(), arn(&granted)),
            ("deny".into(), "pass".into(), arn(&other)),
        ],
        "{}",
        run.stdout
    );
    // The deny check's name claims no more than an instance outside the grant.
    let names: Vec<&str> = run
        .results()
        .iter()
        .filter(|r| r["action"] == "ec2:TerminateInstances")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.contains(&format!("other than {granted}"))),
        "{names:?}"
    );

    // The same file, but the role may now terminate any instance: the deny
    // check on the other instance fails, and nothing is terminated.
    s.attach_policy(
        "terminate-any",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"*"}]}"#,
    );
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", &file]));
    run.assert_code(1);
    assert!(
        of(&run, "ec2:TerminateInstances").contains(&("deny".into(), "fail".into(), arn(&other))),
        "{}",
        run.stdout
    );
}

#[test]
fn log_groups_and_parameter_paths_are_judged_where_aws_authorizes_them() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let s = Scenario::seed("reference");
    s.admin_python(
        "logs = client('logs')\n\
         try:\n    logs.create_log_group(logGroupName='exact-app')\nexcept logs.exceptions.ResourceAlreadyExistsException:\n    pass\n\
         client('ssm').put_parameter(Name='/exact/db', Value='v', Type='String', Overwrite=True)\n",
    );
    // The `arn` DescribeLogGroups itself returns, and the path form most
    // policies use for parameters.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
  {{"Effect":"Allow","Action":"logs:DescribeLogStreams","Resource":"arn:aws:logs:{r}:{a}:log-group:exact-app:*"}},
  {{"Effect":"Allow","Action":"ssm:GetParametersByPath","Resource":"arn:aws:ssm:{r}:{a}:parameter/exact/*"}}]}}"#,
        r = common::REGION,
        a = Scenario::seed("reference").account
    );
    let s = Scenario::seed_with("reference", Some(&policy));
    let file = write_policy(&s, "paths.json", &policy);
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", &file]));
    run.assert_code(0);
    let (r, a) = (common::REGION, &s.account);
    assert_eq!(
        of(&run, "logs:DescribeLogStreams"),
        [(
            "allow".into(),
            "pass".into(),
            format!("arn:aws:logs:{r}:{a}:log-group:exact-app:log-stream:")
        )],
        "{}",
        run.stdout
    );
    // `Path=/exact` is authorized on parameter/exact, which the grant does
    // not cover: the workload's own call is denied, and so is the probe.
    assert_eq!(
        of(&run, "ssm:GetParametersByPath"),
        [(
            "deny".into(),
            "pass".into(),
            format!("arn:aws:ssm:{r}:{a}:parameter/exact")
        )],
        "{}",
        run.stdout
    );
    // Granted on the path itself: proven allowed, with no value read.
    s.attach_policy(
        "path-itself",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"ssm:GetParametersByPath","Resource":"arn:aws:ssm:{r}:{a}:parameter/exact"}}]}}"#
        ),
    );
    let both = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"ssm:GetParametersByPath","Resource":["arn:aws:ssm:{r}:{a}:parameter/exact","arn:aws:ssm:{r}:{a}:parameter/exact/*"]}}]}}"#
    );
    let file = write_policy(&s, "path-itself.json", &both);
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", &file]));
    run.assert_code(0);
    assert_eq!(
        of(&run, "ssm:GetParametersByPath"),
        [(
            "allow".into(),
            "pass".into(),
            format!("arn:aws:ssm:{r}:{a}:parameter/exact")
        )],
        "{}",
        run.stdout
    );
}

#[test]
fn a_policy_with_nothing_to_probe_is_run_and_an_action_iam_lacks_fails() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Amazon Managed Prometheus' remote write: nothing the catalogue probes.
    let aps = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["aps:RemoteWrite"],"Resource":"*"}]}"#;
    let s = Scenario::seed_with("reference", Some(aps));
    let file = write_policy(&s, "aps.json", aps);
    let run = s.pod().args(["--from-policy", &file]).run();
    run.assert_code(0);
    assert_eq!(run.status("sts:GetCallerIdentity"), "pass");
    assert_eq!(run.status("aps:RemoteWrite"), "skip", "{}", run.stdout);

    // external-secrets' Parameter Store example grants an SDK method name.
    let sdk_name = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameterWithContext"],"Resource":"*"}]}"#;
    let file = write_policy(&s, "sdk-name.json", sdk_name);
    let run = s.pod().args(["--from-policy", &file]).run();
    run.assert_code(1);
    let r = run.result("ssm:GetParameterWithContext");
    assert_eq!(r["status"], "fail", "{}", run.stdout);
    assert!(
        r.to_string().contains("ssm:GetParameter;")
            || r.to_string()
                .contains("closest real action is ssm:GetParameter"),
        "{r}"
    );
    let junit = run.junit.as_deref().unwrap_or_default();
    assert!(
        junit.contains("ssm:GetParameterWithContext") && junit.contains("<failure"),
        "{junit}"
    );
}
