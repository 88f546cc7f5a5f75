//! Role chains (`--chain`) and sts:AssumeRole checks, end to end: the pod's
//! role in one account assumes roles in a second account (the emulator's
//! 222233334444), each target judged by its own trust policy
//! (tests/emulator/fidelity.py trust_allows).

mod common;

use common::{Agent, Recorder, Run, Scenario};

const SECOND_ACCOUNT: &str = "222233334444";

fn allow(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
    )
}

/// A policy file in the scenario's directory.
fn policy_file(s: &Scenario, name: &str, policy: &str) -> String {
    let path = s.dir.join(name);
    std::fs::write(&path, policy).expect("write policy");
    path.to_str().expect("utf-8 path").to_owned()
}

/// The result named `name`, which must exist.
fn named<'a>(run: &'a Run, name: &str) -> &'a serde_json::Value {
    run.results()
        .iter()
        .find(|r| r["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no testcase `{name}`\n{}", run.stdout))
}

/// No credential STS issued for an AssumeRole is in any output.
fn assert_no_credential(s: &Scenario, run: &Run) {
    let issued = s.assumed_role_credentials();
    assert!(!issued.is_empty(), "the emulator issued no session");
    let out = run.all_output();
    for value in &issued {
        assert!(
            !out.contains(value.as_str()),
            "a credential value STS issued appears in the output"
        );
    }
}

#[test]
fn a_chain_across_accounts_proves_each_hop_and_prints_no_credential() {
    let s = Scenario::seed("reference");
    let hop2_arn = format!("arn:aws:iam::{SECOND_ACCOUNT}:role/{}-hop2", s.role_name);
    // hop 1 trusts the pod's role; hop 2 trusts hop 1; each may ListTables.
    let hop1_policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
          {{"Effect":"Allow","Action":"dynamodb:ListTables","Resource":"*"}},
          {{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{hop2_arn}"}}]}}"#
    );
    let hop2_policy = allow("dynamodb:ListTables", "*");
    // hop 2's trust policy names hop 1's role only: it passes only if hop 2
    // is assumed with hop 1's session, not the pod's.
    let hop1 = s.second_account_role("hop1", &s.role_arn, &hop1_policy);
    let hop2 = s.second_account_role("hop2", &hop1, &hop2_policy);
    assert_eq!(hop2, hop2_arn);
    s.attach_policy("assume-hop1", &allow("sts:AssumeRole", &hop1));
    let file1 = policy_file(&s, "hop1.json", &hop1_policy);
    let file2 = policy_file(&s, "hop2.json", &hop2_policy);
    let run = s.run_unchanged(s.pod().args([
        "--chain",
        &format!("{hop1}={file1}"),
        "--chain",
        &format!("{hop2}={file2}"),
    ]));
    run.assert_code(0);

    let session = |role: &str| {
        format!(
            "arn:aws:sts::{SECOND_ACCOUNT}:assumed-role/{}/irsa-verify-",
            role.rsplit('/').next().unwrap()
        )
    };
    let h1 = named(
        &run,
        &format!("sts:AssumeRole chain hop 1 to {hop1} expect allow"),
    );
    assert_eq!(h1["status"], "pass", "{h1}");
    assert_eq!(h1["hop"], 1);
    let h1_session = h1["resource"].as_str().unwrap();
    assert!(h1_session.starts_with(&session(&hop1)), "{h1}");
    let h2 = named(
        &run,
        &format!("sts:AssumeRole chain hop 2 to {hop2} expect allow"),
    );
    assert_eq!(h2["status"], "pass", "{h2}");
    assert!(
        h2["resource"]
            .as_str()
            .unwrap()
            .starts_with(&session(&hop2)),
        "{h2}"
    );
    // Each hop's own checks ran as that hop: the pod's role may not
    // ListTables, the hops may.
    for n in [1, 2] {
        let r = named(
            &run,
            &format!("dynamodb:ListTables account as chain hop {n} expect allow"),
        );
        assert_eq!(r["status"], "pass", "{r}");
        assert_eq!(r["hop"], n);
    }
    let derived = named(
        &run,
        &format!("sts:AssumeRole role {hop2} as chain hop 1 expect allow"),
    );
    assert_eq!(derived["status"], "pass", "{derived}");

    // The second identity, in every report.
    let chain = run.json()["chain"]
        .as_array()
        .expect("chain in the JSON report");
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0]["account"], SECOND_ACCOUNT);
    assert_eq!(chain[0]["caller_arn"], h1_session);
    assert_eq!(chain[0]["role"], hop1.as_str());
    assert_eq!(chain[1]["status"], "pass");
    assert!(
        run.stdout.contains(&format!(
            "  hop 1     {h1_session} (account {SECOND_ACCOUNT}), as {hop1}"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "PASS  [hop 1] sts:AssumeRole {h1_session} expect allow"
        )),
        "{}",
        run.stdout
    );
    let junit = run.junit.as_deref().unwrap();
    assert!(
        junit.contains(&format!(
            r#"<property name="irsa-verify.chain.1.caller-arn" value="{h1_session}"/>"#
        )),
        "{junit}"
    );
    assert!(
        !run.stdout.contains("only the identity was checked"),
        "a chain is a check: {}",
        run.stdout
    );
    // Stable names: no session in them.
    for r in run.results() {
        assert!(
            !r["name"].as_str().unwrap().contains("irsa-verify-"),
            "{}",
            r["name"]
        );
    }
    assert_no_credential(&s, &run);
}

#[test]
fn a_trust_policy_that_refuses_fails_the_hop_with_the_fix_and_skips_the_rest() {
    let s = Scenario::seed("reference");
    let someone_else = format!("arn:aws:iam::{}:role/someone-else", s.account);
    let refusing = s.second_account_role(
        "refusing",
        &someone_else,
        &allow("dynamodb:ListTables", "*"),
    );
    let later = s.second_account_role("later", &refusing, &allow("dynamodb:ListTables", "*"));
    let grant = allow("sts:AssumeRole", &refusing);
    s.attach_policy("assume-refusing", &grant);
    let grant_file = policy_file(&s, "grant.json", &grant);
    let hop_file = policy_file(&s, "hop.json", &allow("dynamodb:ListTables", "*"));
    let run = s.run_unchanged(s.pod().args([
        "--from-policy",
        &grant_file,
        "--chain",
        &format!("{refusing}={hop_file}"),
        "--chain",
        &later,
    ]));
    run.assert_code(1);

    let fix = format!(
        "the target role's trust policy must allow Principal AWS {} Action sts:AssumeRole",
        s.role_arn
    );
    // The hop, and the check --from-policy derived from the same grant.
    for name in [
        format!("sts:AssumeRole chain hop 1 to {refusing} expect allow"),
        format!("sts:AssumeRole role {refusing} expect allow"),
    ] {
        let r = named(&run, &name);
        assert_eq!(r["status"], "fail", "{r}");
        assert_eq!(r["observed"], "denied", "{r}");
        assert_eq!(
            r["denied_by"], "the target role's trust policy (or no such role)",
            "{r}"
        );
        let notes = r["notes"].to_string();
        assert!(
            notes.contains("cause: the trust policy refused") && notes.contains(&fix),
            "{name}: {notes}"
        );
    }
    let mine = named(
        &run,
        "dynamodb:ListTables account as chain hop 1 expect allow",
    );
    assert_eq!(mine["status"], "skip", "{mine}");
    let later_hop = named(
        &run,
        &format!("sts:AssumeRole chain hop 2 to {later} expect allow"),
    );
    assert_eq!(later_hop["status"], "skip", "{later_hop}");
    let why = format!("not attempted: chain hop 1 ({refusing}) was not assumed");
    assert!(
        later_hop["answer"].to_string().contains(&why),
        "{later_hop}"
    );
    assert!(mine["answer"].to_string().contains(&why), "{mine}");
    let chain = run.json()["chain"].as_array().unwrap();
    assert_eq!(
        (
            chain[0]["status"].as_str(),
            chain[0]["caller_arn"].is_null()
        ),
        (Some("fail"), true)
    );
    assert_eq!(chain[1]["status"], "skip");
    assert!(
        run.stdout
            .contains("denied by: the target role's trust policy")
            && run.stdout.contains(&fix),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("  hop 1     (not assumed: FAIL), as {refusing}")),
        "{}",
        run.stdout
    );
}

#[test]
fn an_identity_policy_without_assume_role_fails_the_hop_saying_so() {
    let s = Scenario::seed("reference");
    let target = s.second_account_role("trusting", &s.role_arn, &allow("dynamodb:ListTables", "*"));
    let run = s.run_unchanged(s.pod().args(["--chain", &target]));
    run.assert_code(1);
    let r = named(
        &run,
        &format!("sts:AssumeRole chain hop 1 to {target} expect allow"),
    );
    assert_eq!(r["status"], "fail", "{r}");
    assert_eq!(r["denied_by"], "no identity-based policy allows it", "{r}");
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("cause: the identity policy lacks it")
            && notes.contains(&format!(
                "no identity-based policy of {} allows sts:AssumeRole on {target}",
                s.role_arn
            )),
        "{notes}"
    );
    assert!(
        run.stdout
            .contains("denied by: no identity-based policy allows it"),
        "{}",
        run.stdout
    );
}

#[test]
fn from_policy_proves_assume_role_on_a_named_role_and_skips_a_wildcard_with_why() {
    let s = Scenario::seed("reference");
    let target = s.second_account_role("named", &s.role_arn, &allow("dynamodb:ListTables", "*"));
    let grant = allow("sts:AssumeRole", &target);
    s.attach_policy("assume-named", &grant);
    let file = policy_file(&s, "grant.json", &grant);
    let run = s.run_unchanged(s.pod().args(["--from-policy", &file]));
    run.assert_code(0);
    let r = named(&run, &format!("sts:AssumeRole role {target} expect allow"));
    assert_eq!(r["status"], "pass", "{r}");
    assert!(
        r["form"]
            .as_str()
            .unwrap()
            .contains("RoleSessionName=irsa-verify-")
            && r["form"].as_str().unwrap().contains("DurationSeconds=900"),
        "{r}"
    );
    assert_eq!(run.json()["coverage"]["proven"], 1);
    assert_no_credential(&s, &run);

    let wildcard = policy_file(
        &s,
        "wildcard.json",
        &allow(
            "sts:AssumeRole",
            &format!("arn:aws:iam::{SECOND_ACCOUNT}:role/*"),
        ),
    );
    let run = s.run_unchanged(s.pod().args(["--from-policy", &wildcard]));
    run.assert_code(0);
    let r = run.result("sts:AssumeRole");
    assert_eq!(r["status"], "skip", "{r}");
    assert_eq!(r["skip_group"], "no-resource-named", "{r}");
    assert!(
        r["answer"]
            .to_string()
            .contains("no concrete role is named"),
        "{r}"
    );
}

#[test]
fn a_chain_is_planned_offline_and_a_bad_one_is_invalid_input_sending_nothing() {
    let rec = Recorder::start();
    let dir = common::scratch("chain-input");
    let hop = "arn:aws:iam::222233334444:role/team/x";
    let policy = dir.join("hop.json");
    std::fs::write(&policy, allow("dynamodb:ListTables", "*")).unwrap();
    let agent = |args: &[&str]| {
        Agent::new(&rec.endpoint, &dir)
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &rec.endpoint)
            .no_report_files()
            .args(args)
            .run()
    };
    let with_policy = format!("{hop}={}", policy.display());
    let run = agent(&["--validate-only", "--chain", &with_policy, "--chain", hop]);
    run.assert_code(0);
    for line in [
        format!("  chain hop 1: sts:AssumeRole {hop} (with the pod's credentials), then sts:GetCallerIdentity as the session; 1 check(s) as it, derived from {}", policy.display()),
        "    dynamodb:ListTables account as chain hop 1 expect allow".to_owned(),
        format!("  chain hop 2: sts:AssumeRole {hop} (with hop 1's session), then sts:GetCallerIdentity as the session; 0 check(s) as it"),
    ] {
        assert!(run.stdout.contains(&line), "{line}\n{}", run.stdout);
    }
    for (args, says) in [
        (vec!["--chain", "x"], "is not an IAM role ARN"),
        (
            vec!["--chain", "arn:aws:iam::222233334444:role/*"],
            "is not an IAM role ARN",
        ),
        (
            vec!["--chain", "arn:aws:iam::222233334444:role/x="],
            "nothing after `=`",
        ),
        (
            vec![
                "--chain",
                "arn:aws:iam::222233334444:role/x=/no/such/policy.json",
            ],
            "--chain arn:aws:iam::222233334444:role/x",
        ),
    ] {
        let run = agent(&args);
        run.assert_code(2);
        assert!(
            run.stderr.contains("invalid input: --chain") && run.stderr.contains(says),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(rec.connections(), 0, "invalid input sends nothing");
}
