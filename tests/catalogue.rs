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
    // Granted on a pattern: asked of a made-up secret of the name, by its
    // full ARN (AWS answers it by the permissions), never of the real one,
    // and judged on that ARN.
    let real =
        s.admin_python("print(client('secretsmanager').describe_secret(SecretId='app-db')['ARN'])");
    let get = run.result("secretsmanager:GetSecretValue");
    assert_eq!(get["status"], "pass", "{}", run.stdout);
    let probed = get["resource"].as_str().unwrap_or_default();
    let prefix = format!(
        "arn:aws:secretsmanager:eu-west-1:{}:secret:app-db-",
        seed.account
    );
    assert!(
        probed.starts_with(&prefix) && probed.len() == prefix.len() + 6 && probed != real.trim(),
        "{probed} (the real one: {real})"
    );
    let form = get["form"].as_str().unwrap_or_default();
    assert!(
        form.contains(probed) && !form.contains("VersionId"),
        "{form}"
    );
    assert_eq!(get["answer"]["code"], "ResourceNotFoundException", "{get}");
    assert!(get["notes"].to_string().contains("made-up secret"), "{get}");
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

/// `irsa-verify --list-probes ARGS`: its stdout, after exit 0 (nothing is sent).
fn list_probes(args: &[&str]) -> String {
    let dir = common::scratch("list-probes");
    let run = Agent::new("http://127.0.0.1:9", &dir)
        .no_report_files()
        .args(["--list-probes"])
        .args(args)
        .run();
    run.assert_code(0);
    run.stdout
}

#[test]
fn list_probes_lists_every_rows_basis() {
    let stdout = list_probes(&[]);
    for action in [
        "ec2:AttachVolume",
        "secretsmanager:GetSecretValue",
        "ssm:GetParametersByPath",
        "s3:DeleteObject",
    ] {
        let at = stdout
            .find(&format!("\n{action}"))
            .unwrap_or_else(|| panic!("{action} listed\n{stdout}"));
        let entry = &stdout[at..];
        let basis = entry
            .lines()
            .find(|l| l.trim_start().starts_with("basis:"))
            .expect("a basis line");
        assert!(basis.len() > "  basis:    ".len() + 10, "{action}: {basis}");
    }
    assert!(
        stdout.contains("sqs:ReceiveMessage: "),
        "never-probed actions are listed with their reason"
    );
}

/// The whole listing is reviewed as a file: a row changed anywhere shows up
/// in the diff of tests/snapshots/, where a reviewer sees it.
#[test]
fn list_probes_text_matches_its_snapshot() {
    assert_snapshot("list-probes.txt", &list_probes(&[]));
}

#[test]
fn list_probes_json_matches_its_snapshot() {
    let json = list_probes(&["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("one JSON document");
    assert!(doc["rows"].as_array().is_some_and(|r| !r.is_empty()));
    assert_snapshot("list-probes.json", &json);
}

/// --format means nothing without --list-probes: clap refuses it (exit 2)
/// rather than ignoring it, so a typo'd invocation does not run checks.
#[test]
fn list_probes_format_is_refused_without_list_probes() {
    let dir = common::scratch("format-alone");
    let run = Agent::new("http://127.0.0.1:9", &dir)
        .no_report_files()
        .args(["--format", "json", "--bucket", "some-bucket"])
        .run();
    run.assert_code(2);
    assert!(run.stderr.contains("--list-probes"), "{}", run.stderr);
    let run = Agent::new("http://127.0.0.1:9", &dir)
        .no_report_files()
        .args(["--list-probes", "--format", "yaml"])
        .run();
    run.assert_code(2);
}

/// The README's catalogue table gives per-service counts ("EC2 (40
/// actions)"); rows are added under it, so each figure is held to the
/// catalogue.
#[test]
fn readme_action_counts_match_the_catalogue() {
    // The names the README gives services, and their IAM prefixes.
    const SERVICES: &[(&str, &str)] = &[
        ("S3", "s3"),
        ("DynamoDB", "dynamodb"),
        ("EC2", "ec2"),
        ("ELBv2", "elasticloadbalancing"),
        ("Auto Scaling", "autoscaling"),
        ("ACM", "acm"),
        ("IAM", "iam"),
        ("Logs", "logs"),
        ("ECR", "ecr"),
        ("Route 53", "route53"),
        ("EKS", "eks"),
        ("WAFv2", "wafv2"),
        ("Shield", "shield"),
        ("Secrets Manager", "secretsmanager"),
        ("SSM", "ssm"),
        ("KMS", "kms"),
        ("SQS", "sqs"),
        ("SNS", "sns"),
        ("STS", "sts"),
        ("X-Ray", "xray"),
        ("EFS", "elasticfilesystem"),
        ("Pricing", "pricing"),
        ("Cognito", "cognito-idp"),
    ];
    let doc: serde_json::Value =
        serde_json::from_str(&list_probes(&["--format", "json"])).expect("JSON");
    let rows = doc["rows"].as_array().expect("rows");
    // Actions, not rows: a later row of an action aims the same request at
    // another resource type (ec2:CreateTags on a security group).
    let count = |prefix: &str| {
        rows.iter()
            .filter(|r| r["service"] == prefix)
            .filter_map(|r| r["action"].as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let readme = std::fs::read_to_string(common::root().join("README.md")).expect("README.md");
    let mut figures = Vec::new();
    // Every "NAME (N action" in the README: NAME runs back to a '|' or ','.
    for (open, _) in readme.match_indices('(') {
        let rest = &readme[open + 1..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 || !rest[digits..].starts_with(" action") {
            continue;
        }
        let n: usize = rest[..digits].parse().expect("a count");
        let before = &readme[..open];
        let name = before[before.rfind(['|', ',', '\n']).map_or(0, |i| i + 1)..].trim();
        let prefix = SERVICES
            .iter()
            .find(|(shown, _)| *shown == name)
            .map(|(_, p)| *p)
            .unwrap_or_else(|| panic!("README.md counts actions of `{name}`, which this test cannot map to a service: add it to SERVICES"));
        assert_eq!(
            n,
            count(prefix),
            "README.md says {name} ({n} actions); the catalogue has {} {prefix} actions",
            count(prefix)
        );
        figures.push(name);
    }
    assert!(
        figures.contains(&"EC2"),
        "no count found in README.md: {figures:?}"
    );
}

/// Compares `actual` with tests/snapshots/NAME; with UPDATE_SNAPSHOTS=1 it
/// rewrites the file instead, for a change that is meant.
fn assert_snapshot(name: &str, actual: &str) {
    let path = common::root().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create tests/snapshots");
        std::fs::write(&path, actual).expect("write the snapshot");
        eprintln!("updated {}", path.display());
        return;
    }
    // A missing file compares as empty, so the hint shows all of it.
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        panic!(
            "{} differs from the output:\n{}\nIf the change is meant, accept it with:\n  UPDATE_SNAPSHOTS=1 cargo test --test catalogue list_probes\nand commit the file.",
            path.display(),
            diff_hint(&expected, actual)
        );
    }
}

/// The lines between the common head and tail, as `-` (the file) and `+`
/// (the output) with three lines of context: enough to see what changed
/// without a diff crate.
fn diff_hint(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let head = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let tail = old[head..]
        .iter()
        .rev()
        .zip(new[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (old_mid, new_mid) = (&old[head..old.len() - tail], &new[head..new.len() - tail]);
    let from = head.saturating_sub(3);
    let mut out = format!(
        "@@ -{},{} +{},{} @@\n",
        head + 1,
        old_mid.len(),
        head + 1,
        new_mid.len()
    );
    for l in &old[from..head] {
        out.push_str(&format!(" {l}\n"));
    }
    const MAX: usize = 40;
    for (sign, lines) in [('-', old_mid), ('+', new_mid)] {
        for l in lines.iter().take(MAX) {
            out.push_str(&format!("{sign}{l}\n"));
        }
        if lines.len() > MAX {
            out.push_str(&format!("{sign}... {} more lines\n", lines.len() - MAX));
        }
    }
    for l in new[new.len() - tail..].iter().take(3) {
        out.push_str(&format!(" {l}\n"));
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str("(the final newline differs)\n");
    }
    out
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
