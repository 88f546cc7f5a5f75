//! A create proven allowed by sending back, with the same settings, a
//! resource the role finds (issue 17): `elasticloadbalancing:CreateListener`
//! with every setting of a listener the load balancer has, which AWS
//! documents as succeeding and creating nothing. The built binary runs
//! against the emulator (moto, patched in tests/emulator/fidelity.py to keep
//! one listener per port, as AWS does); no run changes any data.

mod common;

use common::Scenario;

const READS: &str = r#"{"Effect":"Allow","Action":["elasticloadbalancing:DescribeLoadBalancers","elasticloadbalancing:DescribeListeners"],"Resource":"*"}"#;

fn policy(extra: &str) -> String {
    Scenario::policy_of(&format!("{READS}{extra}"))
}

fn spec(s: &Scenario, expect: &str) -> String {
    s.one_check_spec("elasticloadbalancing:CreateListener", expect)
}

#[test]
fn a_listener_sent_back_with_its_own_settings_proves_the_create_and_creates_nothing() {
    let base = Scenario::seed("reference");
    let seeded = base.seed_addons();
    let balancer = seeded["load_balancer_arn"]
        .as_str()
        .expect("seeded load balancer");
    let listener = seeded["listener_arn"].as_str().expect("seeded listener");

    // Allowed: the request names the load balancer found and every setting
    // of its first listener, and the emulator answers with that listener.
    let allowed = policy(
        r#",{"Effect":"Allow","Action":"elasticloadbalancing:CreateListener","Resource":"*"}"#,
    );
    let s = Scenario::seed_with("reference", Some(&allowed));
    let run = s.run_unchanged_everywhere(s.pod().args(["--spec", &spec(&s, "allow")]));
    run.assert_code(0);
    let r = run.only("elasticloadbalancing:CreateListener");
    assert_eq!(r["status"], "pass", "{}", run.stdout);
    let text = r.to_string();
    assert!(
        text.contains(&format!("sends back the settings of {listener}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("LoadBalancerArn={balancer}")),
        "{text}"
    );
    assert!(!text.contains("CREATED"), "{text}");
    // Reported on the load balancer the request named, not a pattern.
    assert_eq!(r["resource"], balancer, "{r}");

    // Denied: the same request, refused naming the action.
    let s = Scenario::seed_with("reference", Some(&policy("")));
    let run = s.run_unchanged_everywhere(s.pod().args(["--spec", &spec(&s, "deny")]));
    run.assert_code(0);
    let r = run.only("elasticloadbalancing:CreateListener");
    assert_eq!(r["status"], "pass", "{}", run.stdout);
    assert_eq!(r["answer"]["code"], "AccessDenied", "{r}");
}
