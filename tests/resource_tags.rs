//! A grant conditioned on a resource's own tags (issue 17) is probed, with
//! DryRun, on a resource found carrying tags that meet it, and the role is
//! proven unable to do the same to one found without them; none found: the
//! check is skipped, naming the tag. The built binary runs against the
//! emulator, which evaluates `ec2:ResourceTag/K` against the resource's
//! tags (tests/emulator/fidelity.py); no run changes any data.

mod common;

use std::sync::Mutex;

use common::{Scenario, StandIn};
use serde_json::Value;

/// The whole-emulator snapshot sees every test's seeding: one test at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn write_policy(s: &Scenario, name: &str, policy: &str) -> String {
    let p = s.dir.join(name);
    std::fs::write(&p, policy).expect("write policy");
    p.to_str().expect("utf-8 path").to_owned()
}

/// The results of one action, in order.
fn of<'a>(run: &'a common::Run, action: &str) -> Vec<&'a Value> {
    run.results()
        .iter()
        .filter(|r| r["action"] == action)
        .collect()
}

fn field<'a>(r: &'a Value, key: &str) -> &'a str {
    r[key].as_str().unwrap_or_default()
}

/// A volume tagged `key=value` and an untagged one, each found by its Name
/// tag before it is made: (tagged, untagged).
fn volumes(s: &Scenario, key: &str, value: &str) -> (String, String) {
    let out = s.admin_python(&format!(
        "ec2 = client('ec2')\n\
         def volume(name, tags):\n    \
             for v in ec2.describe_volumes()['Volumes']:\n        \
                 if {{'Key': 'Name', 'Value': name}} in (v.get('Tags') or []):\n            \
                     return v['VolumeId']\n    \
             spec = [{{'ResourceType': 'volume', 'Tags': [{{'Key': 'Name', 'Value': name}}] + tags}}]\n    \
             return ec2.create_volume(AvailabilityZone=REGION + 'a', Size=1, TagSpecifications=spec)['VolumeId']\n\
         print(volume('tagged-{key}', [{{'Key': {key:?}, 'Value': {value:?}}}]), volume('untagged-{key}', []))\n"
    ));
    let mut ids = out.split_whitespace().map(str::to_owned);
    (ids.next().expect("tagged"), ids.next().expect("untagged"))
}

fn policy(condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[
  {{"Effect":"Allow","Action":"ec2:DescribeVolumes","Resource":"*"}},
  {{"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"arn:aws:ec2:*:*:volume/*"{condition}}}]}}"#
    )
}

#[test]
fn a_grant_on_tagged_volumes_is_proven_on_one_so_tagged_and_refused_on_another() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    const KEY: &str = "irsa-verify-test/owner";
    let s = Scenario::seed("reference");
    let (tagged, untagged) = volumes(&s, KEY, "team-a");
    let policy = policy(&format!(
        r#","Condition":{{"StringEquals":{{"ec2:ResourceTag/{KEY}":"team-a"}}}}"#
    ));
    let s = Scenario::seed_with("reference", Some(&policy));
    let file = write_policy(&s, "tagged-only.json", &policy);
    let arn = |id: &str| format!("arn:aws:ec2:{}:{}:volume/{id}", common::REGION, s.account);

    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", &file]));
    run.assert_code(0);
    let delete = of(&run, "ec2:DeleteVolume");
    assert_eq!(delete.len(), 2, "{}", run.stdout);
    let (allow, deny) = (delete[0], delete[1]);
    assert_eq!(
        (
            field(allow, "name"),
            field(allow, "status"),
            field(allow, "resource")
        ),
        (
            format!("ec2:DeleteVolume a volume tagged {KEY}=team-a expect allow").as_str(),
            "pass",
            arn(&tagged).as_str()
        ),
        "{}",
        run.stdout
    );
    assert!(
        allow["notes"].to_string().contains(&format!(
            "{tagged} was picked as a volume tagged {KEY}=team-a: DescribeVolumes lists it with the tag(s) {KEY}=team-a"
        )),
        "{allow}"
    );
    assert_eq!(
        (field(deny, "name"), field(deny, "status")),
        (
            format!("ec2:DeleteVolume a volume not tagged {KEY}=team-a expect deny").as_str(),
            "pass"
        ),
        "{}",
        run.stdout
    );
    assert!(field(deny, "resource").starts_with(&arn("vol-")));
    assert_ne!(field(deny, "resource"), arn(&tagged), "{deny}");
    assert_eq!(field(deny, "observed"), "denied", "{deny}");

    // The role may now delete any volume: the deny check on the untagged
    // one fails, the allow check still passes, and nothing is deleted.
    s.attach_policy(
        "delete-any-volume",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"*"}]}"#,
    );
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", &file]));
    run.assert_code(1);
    let delete = of(&run, "ec2:DeleteVolume");
    assert_eq!(
        delete
            .iter()
            .map(|r| (field(r, "expect"), field(r, "status")))
            .collect::<Vec<_>>(),
        [("allow", "pass"), ("deny", "fail")],
        "{}",
        run.stdout
    );
    s.detach_policy("delete-any-volume");

    // No volume so tagged: the grant is skipped, naming the tag it looked for.
    s.admin_python(&format!(
        "client('ec2').delete_tags(Resources=[{tagged:?}], Tags=[{{'Key': {KEY:?}}}])\n"
    ));
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", &file]));
    s.admin_python(&format!(
        "client('ec2').create_tags(Resources=[{tagged:?}], Tags=[{{'Key': {KEY:?}, 'Value': 'team-a'}}])\n"
    ));
    run.assert_code(0);
    let delete = of(&run, "ec2:DeleteVolume");
    let allow = delete[0];
    assert_eq!(
        (field(allow, "status"), field(allow, "skip_group")),
        ("skip", "not-attempted"),
        "{allow}"
    );
    assert!(
        allow["answer"]
            .to_string()
            .contains(&format!("no volume tagged {KEY}=team-a among the")),
        "{allow}"
    );
    assert_eq!(field(delete[1], "status"), "pass", "{}", run.stdout);
    let _ = untagged;
}

#[test]
fn a_grant_on_every_volume_still_gets_one_plain_check() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let s = Scenario::seed("reference");
    volumes(&s, "irsa-verify-test/plain", "x");
    let policy = policy("");
    let s = Scenario::seed_with("reference", Some(&policy));
    let file = write_policy(&s, "every-volume.json", &policy);
    let run = s.run_unchanged_everywhere(s.pod().args(["--from-policy", &file]));
    run.assert_code(0);
    let delete = of(&run, "ec2:DeleteVolume");
    assert_eq!(
        delete
            .iter()
            .map(|r| (field(r, "name"), field(r, "status")))
            .collect::<Vec<_>>(),
        [(
            "ec2:DeleteVolume the first volume listed expect allow",
            "pass"
        )],
        "{}",
        run.stdout
    );
}

/// A lookup lists EC2 resources a page at a time (moto pages
/// DescribeInstances by reservation, 100 a page), and a tagged pick lists
/// only those carrying a key it needs (the `tag-key` filter): the one
/// instance tagged as the grant asks, launched after 100 others carrying
/// the same key with another value, is on that listing's second page and
/// is still found. Recorded by the fault proxy in front of the emulator.
#[test]
fn a_tagged_instance_past_the_first_page_is_found() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    const KEY: &str = "irsa-verify-test/paged";
    let s = Scenario::seed("reference");
    let tagged = s.admin_python(&format!(
        "ec2 = client('ec2')\n\
         def tagged():\n    \
             pages = ec2.get_paginator('describe_instances').paginate()\n    \
             for r in [r for p in pages for r in p['Reservations']]:\n        \
                 for i in r['Instances']:\n            \
                     if {{'Key': {KEY:?}, 'Value': 'yes'}} in (i.get('Tags') or []):\n                \
                         return i['InstanceId']\n\
         if tagged() is None:\n    \
             other = [{{'ResourceType': 'instance', 'Tags': [{{'Key': {KEY:?}, 'Value': 'no'}}]}}]\n    \
             for _ in range(100):\n        \
                 ec2.run_instances(ImageId='ami-12345678', MinCount=1, MaxCount=1, TagSpecifications=other)\n    \
             spec = [{{'ResourceType': 'instance', 'Tags': [{{'Key': {KEY:?}, 'Value': 'yes'}}]}}]\n    \
             ec2.run_instances(ImageId='ami-12345678', MinCount=1, MaxCount=1, TagSpecifications=spec)\n\
         first = ec2.describe_instances(MaxResults=100, Filters=[{{'Name': 'tag-key', 'Values': [{KEY:?}]}}])\n\
         ids = [i['InstanceId'] for r in first['Reservations'] for i in r['Instances']]\n\
         assert 'NextToken' in first and tagged() not in ids, 'the tagged instance is not past the first page'\n\
         print(tagged())\n"
    ));
    let tagged = tagged.trim();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
  {{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}},
  {{"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"arn:aws:ec2:*:*:instance/*",
    "Condition":{{"StringEquals":{{"ec2:ResourceTag/{KEY}":"yes"}}}}}}]}}"#
    );
    let s = Scenario::seed_with("reference", Some(&policy));
    let file = write_policy(&s, "paged.json", &policy);
    let record = s.dir.join("paged-requests.jsonl");
    let proxy = StandIn::recording_proxy(&serde_json::json!([]), &record);
    let run = s.run_unchanged_everywhere(
        s.pod()
            .env("AWS_ENDPOINT_URL", &proxy.endpoint)
            .args(["--from-policy", &file]),
    );
    run.assert_code(0);
    // The listing narrowed to the key, read past its first page.
    let narrowed: Vec<String> = std::fs::read_to_string(&record)
        .expect("the proxy recorded requests")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
        .filter(|r| r["action"] == "DescribeInstances")
        .filter_map(|r| r["body"].as_str().map(str::to_owned))
        .filter(|b| b.contains("Filter.1.Name=tag-key"))
        .collect();
    assert!(
        narrowed.iter().any(|b| b.contains("NextToken=")),
        "{narrowed:#?}"
    );
    let terminate = of(&run, "ec2:TerminateInstances");
    assert_eq!(
        terminate
            .iter()
            .map(|r| (field(r, "expect"), field(r, "status")))
            .collect::<Vec<_>>(),
        [("allow", "pass"), ("deny", "pass")],
        "{}",
        run.stdout
    );
    assert_eq!(
        field(terminate[0], "resource"),
        format!(
            "arn:aws:ec2:{}:{}:instance/{tagged}",
            common::REGION,
            s.account
        ),
        "{}",
        terminate[0]
    );
}
