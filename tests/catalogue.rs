//! The probe catalogue beyond S3 and DynamoDB, proven live against the
//! emulator with IAM enforcement (patched to authorize against real resource
//! ARNs and answer in each service's shape: tests/emulator/fidelity.py).
//! Every run also proves that no data of any service changed.

mod common;

use std::sync::Mutex;

use common::{Agent, Scenario};

/// The whole-emulator snapshot sees every test's seeding: one test at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn write_policy(s: &Scenario, name: &str, policy: &str) -> std::path::PathBuf {
    let p = s.dir.join(name);
    std::fs::write(&p, policy).expect("write policy");
    p
}

const EC2_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["ec2:DescribeVolumes","ec2:DescribeInstances","ec2:DescribeVpcs","ec2:DescribeSecurityGroups","ec2:DescribeSnapshots","ec2:CreateSnapshot"],"Resource":"*"},
  {"Effect":"Allow","Action":"ec2:AttachVolume","Resource":["arn:aws:ec2:*:*:volume/*","arn:aws:ec2:*:*:instance/*"]}]}"#;

/// An instance and a volume for the DryRun requests to name.
fn seed_ec2(s: &Scenario) {
    s.admin_python(
        "ec2 = client('ec2')\n\
         if not ec2.describe_volumes()['Volumes']:\n    ec2.create_volume(AvailabilityZone=REGION + 'a', Size=1)\n\
         if not [i for r in ec2.describe_instances()['Reservations'] for i in r['Instances']]:\n    ec2.run_instances(ImageId='ami-12c6146b', MinCount=1, MaxCount=1)\n",
    );
}

#[test]
fn an_ec2_only_policy_is_proven_through_dry_run_and_its_destructive_actions_denied() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let s = Scenario::seed_with("reference", Some(EC2_POLICY));
    seed_ec2(&s);
    let policy = write_policy(&s, "ec2.json", EC2_POLICY);
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", path(&policy)]));
    run.assert_code(0);
    for action in [
        "ec2:DescribeVolumes",
        "ec2:CreateSnapshot",
        "ec2:AttachVolume",
    ] {
        assert_eq!(run.status(action), "pass", "{action}\n{}", run.stdout);
        assert_eq!(run.result(action)["expect"], "allow", "{action}");
        assert!(
            run.result(action)["form"]
                .as_str()
                .unwrap()
                .contains("DryRun=true"),
            "{action}"
        );
    }
    for action in [
        "ec2:DeleteVolume",
        "ec2:TerminateInstances",
        "ec2:DetachVolume",
        "ec2:DeleteSnapshot",
    ] {
        assert_eq!(run.status(action), "pass", "{action}\n{}", run.stdout);
        assert_eq!(run.result(action)["expect"], "deny", "{action}");
    }
    // No S3 or DynamoDB testcase when no policy names them.
    assert!(
        !run.results()
            .iter()
            .any(|r| r["action"].as_str().unwrap().starts_with("s3:")),
        "{}",
        run.stdout
    );
    // AttachVolume's instance was a real one, found by DescribeInstances.
    assert!(
        run.result("ec2:AttachVolume")["form"]
            .as_str()
            .unwrap()
            .contains("InstanceId=i-"),
        "{}",
        run.stdout
    );

    // The same file, but the role now also carries ec2:* in the emulator.
    s.attach_policy("ec2-everything", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#);
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", path(&policy)]));
    run.assert_code(1);
    for action in [
        "ec2:DeleteVolume",
        "ec2:TerminateInstances",
        "ec2:DetachVolume",
    ] {
        assert_eq!(run.status(action), "fail", "{action}\n{}", run.stdout);
    }
}

const SECRETS_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue"],"Resource":"arn:aws:secretsmanager:eu-west-1:ACCOUNT:secret:app-db-??????"},
  {"Effect":"Allow","Action":"ssm:GetParametersByPath","Resource":"arn:aws:ssm:eu-west-1:ACCOUNT:parameter/app/*"}]}"#;

const SECRET_VALUE: &str = "s3cr3t-VALUE-never-printed";
const PARAMETER_VALUE: &str = "p4ram-VALUE-never-printed";

#[test]
fn secrets_and_parameters_are_proven_and_their_values_never_printed() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let seed = Scenario::seed("reference");
    let policy_text = SECRETS_POLICY.replace("ACCOUNT", &seed.account);
    let s = Scenario::seed_with("reference", Some(&policy_text));
    s.admin_python(&format!(
        "sm = client('secretsmanager')\n\
         try:\n    sm.create_secret(Name='app-db', SecretString={SECRET_VALUE:?})\nexcept sm.exceptions.ResourceExistsException:\n    pass\n\
         client('ssm').put_parameter(Name='/app/db/password', Value={PARAMETER_VALUE:?}, Type='SecureString', Overwrite=True)\n"
    ));
    let policy = write_policy(&s, "secrets.json", &policy_text);
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", path(&policy)]));
    run.assert_code(0);
    assert_eq!(
        run.status("secretsmanager:DescribeSecret"),
        "pass",
        "{}",
        run.stdout
    );
    // `parameter/app/*` does not cover `Path=/app` (authorized on
    // parameter/app): the workload's own call is denied, and so is the probe.
    assert_eq!(
        run.status("ssm:GetParametersByPath"),
        "pass",
        "{}",
        run.stdout
    );
    assert_eq!(run.result("ssm:GetParametersByPath")["expect"], "deny");
    // Granted, but AWS does not document that it authorizes before it looks
    // the version up: reported, never passed.
    assert_eq!(
        run.status("secretsmanager:GetSecretValue"),
        "skip",
        "{}",
        run.stdout
    );
    assert!(
        !run.all_output().contains(SECRET_VALUE) && !run.all_output().contains(PARAMETER_VALUE)
    );

    // Even with everything allowed, no value reaches any output.
    s.attach_policy("everything", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:*","ssm:*"],"Resource":"*"}]}"#);
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", path(&policy)]));
    let all = run.all_output();
    assert!(
        !all.contains(SECRET_VALUE) && !all.contains(PARAMETER_VALUE),
        "a value was printed:\n{all}"
    );
}

#[test]
fn the_catalogue_is_listed_with_every_rows_basis() {
    let dir = common::scratch("list-probes");
    let run = Agent::new("http://127.0.0.1:9", &dir)
        .no_report_files()
        .args(["--list-probes"])
        .run();
    run.assert_code(0);
    for action in [
        "ec2:AttachVolume",
        "secretsmanager:GetSecretValue",
        "ssm:GetParametersByPath",
        "s3:DeleteObject",
    ] {
        let at = run
            .stdout
            .find(&format!("\n{action}"))
            .unwrap_or_else(|| panic!("{action} listed\n{}", run.stdout));
        let entry = &run.stdout[at..];
        let basis = entry
            .lines()
            .find(|l| l.trim_start().starts_with("basis:"))
            .expect("a basis line");
        assert!(basis.len() > "  basis:    ".len() + 10, "{action}: {basis}");
    }
    assert!(
        run.stdout.contains("sqs:ReceiveMessage: "),
        "never-probed actions are listed with their reason"
    );
}

#[test]
fn queues_and_topics_named_by_the_policy_are_read_live() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let base = Scenario::seed("reference");
    let policy = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":["sqs:GetQueueUrl","sqs:GetQueueAttributes"],"Resource":"arn:aws:sqs:eu-west-1:ACCOUNT:irsa-jobs"},
      {"Effect":"Allow","Action":"sns:GetTopicAttributes","Resource":"arn:aws:sns:eu-west-1:ACCOUNT:irsa-events"},
      {"Effect":"Allow","Action":"sqs:GetQueueAttributes","Resource":"arn:aws:sqs:eu-west-1:ACCOUNT:irsa-other"}]}"#
        .replace("ACCOUNT", &base.account);
    let s = Scenario::seed_with("reference", Some(&policy));
    s.admin_python(
        "client('sqs').create_queue(QueueName='irsa-jobs')\nclient('sqs').create_queue(QueueName='irsa-other')\nclient('sns').create_topic(Name='irsa-events')\n",
    );
    let file = write_policy(&s, "queues.json", &policy);
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", path(&file)]));
    run.assert_code(0);
    for name in [
        "sqs:GetQueueUrl queue irsa-jobs (eu-west-1, ACCOUNT) expect allow",
        "sqs:GetQueueAttributes queue irsa-jobs (eu-west-1, ACCOUNT) expect allow",
        "sqs:GetQueueAttributes queue irsa-other (eu-west-1, ACCOUNT) expect allow",
        "sqs:GetQueueUrl queue irsa-other (eu-west-1, ACCOUNT) expect deny",
        "sns:GetTopicAttributes topic irsa-events (eu-west-1, ACCOUNT) expect allow",
    ] {
        let name = name.replace("ACCOUNT", &s.account);
        let r = run
            .results()
            .iter()
            .find(|r| r["name"].as_str() == Some(&name))
            .unwrap_or_else(|| panic!("no {name}\n{}", run.stdout));
        assert_eq!(r["status"], "pass", "{r}\n{}", run.stdout);
    }
}

/// A topic whose ARN names another region is probed there, its ARN built in
/// that region.
#[test]
fn a_topic_in_another_region_is_read_there() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let base = Scenario::seed("reference");
    let policy = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":"sns:GetTopicAttributes","Resource":"arn:aws:sns:us-east-1:ACCOUNT:irsa-far"}]}"#
        .replace("ACCOUNT", &base.account);
    let s = Scenario::seed_with("reference", Some(&policy));
    s.admin_python("client('sns', 'us-east-1').create_topic(Name='irsa-far')\n");
    let file = write_policy(&s, "far.json", &policy);
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", path(&file)]));
    run.assert_code(0);
    let r = run.result("sns:GetTopicAttributes");
    assert_eq!(r["status"], "pass", "{r}\n{}", run.stdout);
    assert!(
        r["form"]
            .as_str()
            .unwrap()
            .contains("arn:aws:sns:us-east-1:"),
        "{r}"
    );
}
