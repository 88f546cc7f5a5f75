//! The IRSA policies that well-known EKS add-ons publish
//! (tests/fixtures/addons, sources in SOURCES.md), each attached to the
//! pod's role in the emulator and checked with `--from-policy` on the file as
//! published: every run exits 0, changes no data, and together they prove
//! at least 65% of their unconditional grants live; every other grant is a
//! skipped testcase with its reason.

mod common;

use std::collections::BTreeSet;

use common::{Run, Scenario};
use serde_json::Value;

const ADDONS: &[&str] = &[
    "aws-load-balancer-controller",
    "aws-ebs-csi-driver",
    "cluster-autoscaler",
    "external-dns",
    "external-secrets",
    "cert-manager",
];

/// The actions of the policy's Allow statements that carry no Condition.
fn unconditional_grants(policy: &Value) -> BTreeSet<String> {
    let statements = match &policy["Statement"] {
        Value::Array(list) => list.clone(),
        one => vec![one.clone()],
    };
    let mut out = BTreeSet::new();
    for s in statements
        .iter()
        .filter(|s| s["Effect"] == "Allow" && s.get("Condition").is_none())
    {
        match &s["Action"] {
            Value::String(a) => {
                out.insert(a.clone());
            }
            Value::Array(list) => {
                out.extend(list.iter().filter_map(|a| a.as_str().map(str::to_owned)))
            }
            _ => {}
        }
    }
    out
}

/// (proven, unconditional grants, each grant not proven with why) of one
/// run, asserting that every grant not proven is a skipped testcase with a
/// reason.
fn figure(addon: &str, policy: &Value, run: &Run) -> (usize, usize, Vec<String>) {
    let grants = unconditional_grants(policy);
    let mut proven = 0;
    let mut unproven = Vec::new();
    for action in &grants {
        let of_action: Vec<&Value> = run
            .results()
            .iter()
            .filter(|r| r["action"] == action.as_str())
            .collect();
        if of_action
            .iter()
            .any(|r| r["expect"] == "allow" && r["status"] == "pass")
        {
            proven += 1;
            continue;
        }
        let skip = of_action
            .iter()
            .find(|r| r["status"] == "skip")
            .unwrap_or_else(|| {
                panic!(
                    "{addon}: {action} is neither proven nor a skipped testcase\n{}",
                    run.stdout
                )
            });
        let reason = skip["skip_reason"]
            .as_str()
            .or_else(|| skip["answer"]["reason"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| skip["answer"].to_string());
        assert!(
            reason.len() > 20,
            "{addon}: {action} skipped without a reason: {skip}"
        );
        assert!(
            !skip["skip_group"].is_null(),
            "{addon}: {action} skipped without a group: {skip}"
        );
        unproven.push(format!(
            "  not proven: {action} [{}]: {reason}",
            skip["skip_group"].as_str().unwrap_or_default()
        ));
    }
    (proven, grants.len(), unproven)
}

#[test]
fn real_add_on_policies_are_proven_live() {
    let base = Scenario::seed("reference");
    base.seed_addons();
    let (mut proven, mut total) = (0, 0);
    let mut lines = Vec::new();
    for addon in ADDONS {
        let file = common::root().join(format!("tests/fixtures/addons/{addon}.json"));
        // external-secrets' published example names account 111122223333 in
        // us-west-2; the emulator's account and region stand in for them.
        let text = std::fs::read_to_string(&file)
            .expect("fixture")
            .replace("111122223333", &base.account)
            .replace("us-west-2", common::REGION);
        let policy: Value = serde_json::from_str(&text).expect("fixture JSON");
        let s = Scenario::seed_with("reference", Some(&text));
        let path = s.dir.join(format!("{addon}.json"));
        std::fs::write(&path, &text).expect("write policy");
        let run = s.run_unchanged_everywhere(
            s.pod()
                .args(["--from-policy", path.to_str().expect("utf-8")]),
        );
        run.assert_code(0);
        let (p, t, unproven) = figure(addon, &policy, &run);
        lines.push(format!(
            "{addon}: {p} of {t} unconditional grants proven live"
        ));
        println!("{}\n{}", lines.last().expect("a line"), unproven.join("\n"));
        proven += p;
        total += t;
    }
    let share = proven as f64 / total as f64;
    println!("all six: {proven} of {total} ({:.0}%)", share * 100.0);
    assert!(
        share >= 0.65,
        "{proven} of {total} unconditional grants proven live:\n{}",
        lines.join("\n")
    );
}
