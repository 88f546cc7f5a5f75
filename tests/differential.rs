//! Differential test of the derivation (--from-policy) against the emulator.
//!
//! Random identity policies, in the resource forms real policies use, over
//! Secrets Manager, Parameter Store, EC2, S3 and DynamoDB, are each put on
//! the pod's role exactly as written (the role's one inline policy) and
//! given to the binary with `--from-policy`. The emulator authorizes every
//! probe against the ARN of the resource the request names, as AWS does
//! (tests/emulator/fidelity.py), so a check whose status is "fail" is a
//! disagreement: the derivation expected one thing, IAM did another.
//!
//! IRSA_DIFF_SEED (else the clock) and IRSA_DIFF_COUNT (default 200) choose
//! the policies; IRSA_DIFF_ONLY=N replays policy N of a seed alone;
//! IRSA_DIFF_KEEP=1 keeps each run's JSON report beside its policy file (in
//! target/e2e-scratch). The resources are seeded once per run
//! (tests/emulator/differential.py).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use common::{Run, Scenario};
use serde_json::{json, Value};

// --------------------------------------------------------------------------
// A seeded PRNG (splitmix64)
// --------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    /// Policy `i` of a run has its own stream: it can be replayed alone.
    fn for_policy(seed: u64, i: usize) -> Rng {
        let mut r = Rng(seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// --------------------------------------------------------------------------
// The seeded world: one scenario, its role, and the resources policies name
// --------------------------------------------------------------------------

/// What tests/emulator/differential.py seeded.
struct Resources {
    account: String,
    region: String,
    bucket: String,
    table: String,
    instances: Vec<String>,
    volumes: Vec<String>,
    /// (name, full ARN with the suffix the emulator gave it)
    secrets: Vec<(String, String)>,
}

/// Puts policies on the role: one Python process for the whole run.
struct PolicyServer {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl PolicyServer {
    /// Replaces the role's inline policy with `text`, byte for byte.
    fn put(&mut self, text: &str) -> Result<(), String> {
        // One line each way: the document travels as a JSON string.
        writeln!(self.stdin, "{}", Value::String(text.to_owned()))
            .expect("write to differential.py serve");
        self.stdin.flush().expect("flush");
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("read from differential.py serve");
        match line.trim() {
            "ok" => Ok(()),
            "" => Err("differential.py serve exited".to_owned()),
            other => Err(other.to_owned()),
        }
    }
}

struct World {
    scenario: Scenario,
    res: Resources,
    /// Held while the role carries one test's policy.
    role: Mutex<PolicyServer>,
}

fn differential_py(args: &[&str]) -> Command {
    let emu = common::emulator();
    let (key, secret) = common::admin_keys();
    let mut cmd = Command::new(common::python());
    cmd.arg(common::root().join("tests/emulator/differential.py"))
        .args(args)
        .args(["--endpoint", &emu.endpoint])
        .env("IRSA_TEST_ADMIN_KEY", key)
        .env("IRSA_TEST_ADMIN_SECRET", secret);
    cmd
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let scenario = Scenario::seed("reference");
        let out = differential_py(&[
            "seed",
            "--role-name",
            &scenario.role_name,
            "--bucket",
            &scenario.bucket,
            "--table",
            &scenario.table,
        ])
        .output()
        .expect("run differential.py seed");
        assert!(
            out.status.success(),
            "differential.py seed failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("seed JSON");
        let strings = |k: &str| -> Vec<String> {
            v[k].as_array()
                .unwrap_or_else(|| panic!("seed answer lacks {k}"))
                .iter()
                .map(|s| s.as_str().expect("string").to_owned())
                .collect()
        };
        let res = Resources {
            account: v["account"].as_str().expect("account").to_owned(),
            region: v["region"].as_str().expect("region").to_owned(),
            bucket: scenario.bucket.clone(),
            table: scenario.table.clone(),
            instances: strings("instances"),
            volumes: strings("volumes"),
            secrets: v["secrets"]
                .as_object()
                .expect("secrets")
                .iter()
                .map(|(name, arn)| (name.clone(), arn.as_str().expect("arn").to_owned()))
                .collect(),
        };
        let mut child = differential_py(&["serve", "--role-name", &scenario.role_name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start differential.py serve");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        World {
            scenario,
            res,
            role: Mutex::new(PolicyServer {
                _child: child,
                stdin,
                stdout,
            }),
        }
    })
}

// --------------------------------------------------------------------------
// The policy generator
// --------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Service {
    Secrets,
    Ssm,
    Ec2,
    S3,
    Dynamodb,
    Logs,
}

const SERVICES: [Service; 6] = [
    Service::Secrets,
    Service::Ssm,
    Service::Ec2,
    Service::S3,
    Service::Dynamodb,
    Service::Logs,
];

impl Service {
    /// Single actions and the wildcards real policies write.
    fn actions(self) -> &'static [&'static str] {
        match self {
            Service::Secrets => &[
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:ListSecretVersionIds",
                "secretsmanager:GetResourcePolicy",
                "secretsmanager:ListSecrets",
                "secretsmanager:Describe*",
                "secretsmanager:Get*",
                "secretsmanager:List*",
                "secretsmanager:*",
            ],
            Service::Ssm => &[
                "ssm:GetParameter",
                "ssm:GetParameters",
                "ssm:GetParametersByPath",
                "ssm:DescribeParameters",
                "ssm:GetParameter*",
                "ssm:Get*",
                "ssm:Describe*",
            ],
            Service::Ec2 => &[
                "ec2:TerminateInstances",
                "ec2:DescribeInstances",
                "ec2:DescribeVolumes",
                "ec2:AttachVolume",
                "ec2:DetachVolume",
                "ec2:DeleteVolume",
                "ec2:CreateTags",
                "ec2:Describe*",
                "ec2:*Volume",
                "ec2:*",
            ],
            Service::S3 => &[
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:ListBucket",
                "s3:Get*",
                "s3:List*",
                "s3:*Object",
                "s3:*",
            ],
            Service::Dynamodb => &[
                "dynamodb:DescribeTable",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:DeleteItem",
                "dynamodb:DeleteTable",
                "dynamodb:ListTables",
                "dynamodb:Describe*",
                "dynamodb:*Item",
                "dynamodb:Get*",
                "dynamodb:*",
            ],
            Service::Logs => &[
                "logs:DescribeLogStreams",
                "logs:DescribeLogGroups",
                "logs:Describe*",
            ],
        }
    }

    /// A resource of this service, in one of the forms policies give it.
    fn resource(self, rng: &mut Rng, r: &Resources) -> String {
        let (region, account) = (r.region.as_str(), r.account.as_str());
        // Terraform and CDK write the region and account; hand-written
        // policies often leave them to `*`.
        let (reg, acc) = match rng.below(4) {
            0 | 1 => (region, account),
            2 => ("*", "*"),
            _ => (region, "*"),
        };
        match self {
            Service::Secrets => {
                let (name, full) = rng.pick(&r.secrets).clone();
                let top = name.split('/').next().unwrap_or(&name).to_owned();
                match rng.below(8) {
                    // The full ARN, suffix and all, as Terraform's `.arn` gives it.
                    0..=2 => full,
                    3 => format!("arn:aws:secretsmanager:{reg}:{acc}:secret:{name}-??????"),
                    4 => format!("arn:aws:secretsmanager:{reg}:{acc}:secret:{name}-*"),
                    5 => format!("arn:aws:secretsmanager:{reg}:{acc}:secret:{top}/*"),
                    6 => format!("arn:aws:secretsmanager:{reg}:{acc}:secret:*"),
                    // The name alone: a common mistake that matches no secret.
                    _ => format!("arn:aws:secretsmanager:{reg}:{acc}:secret:{name}"),
                }
            }
            Service::Ssm => {
                let tail = *rng.pick(&[
                    // Full ARNs of /app/db, /app/cache/url, /other/token.
                    "app/db",
                    "app/cache/url",
                    "other/token",
                    // Everything under a path.
                    "app/*",
                    "app/cache/*",
                    "other/*",
                    // The path itself (what GetParametersByPath is authorized on).
                    "app",
                    "app/cache",
                    "other",
                    "*",
                ]);
                format!("arn:aws:ssm:{reg}:{acc}:parameter/{tail}")
            }
            Service::Ec2 => {
                let tail = match rng.below(7) {
                    0 => format!("instance/{}", r.instances[0]),
                    1 => format!("instance/{}", r.instances[1]),
                    2 => "instance/*".to_owned(),
                    3 => format!("volume/{}", r.volumes[0]),
                    4 => format!("volume/{}", r.volumes[1]),
                    5 => "volume/*".to_owned(),
                    _ => return "*".to_owned(),
                };
                format!("arn:aws:ec2:{reg}:{acc}:{tail}")
            }
            Service::S3 => {
                let b = &r.bucket;
                match rng.below(7) {
                    0 => format!("arn:aws:s3:::{b}"),
                    1 => format!("arn:aws:s3:::{b}/*"),
                    2 => format!("arn:aws:s3:::{b}/logs/*"),
                    3 => format!("arn:aws:s3:::{b}/public/*"),
                    4 => format!("arn:aws:s3:::{b}/logs/app.log"),
                    5 => format!("arn:aws:s3:::{b}/data.csv"),
                    _ => "arn:aws:s3:::*".to_owned(),
                }
            }
            Service::Dynamodb => {
                let t = &r.table;
                match rng.below(5) {
                    0 | 1 => format!("arn:aws:dynamodb:{region}:{account}:table/{t}"),
                    2 => format!("arn:aws:dynamodb:{reg}:{acc}:table/{t}"),
                    3 => format!("arn:aws:dynamodb:{reg}:{acc}:table/{t}/index/*"),
                    _ => format!("arn:aws:dynamodb:{reg}:{acc}:table/*"),
                }
            }
            Service::Logs => {
                let g = *rng.pick(&["differential-app", "differential-other"]);
                match rng.below(6) {
                    // The bare group, which does not cover the calls on it.
                    0 => format!("arn:aws:logs:{reg}:{acc}:log-group:{g}"),
                    // What DescribeLogGroups returns as the group's `arn`.
                    1 | 2 => format!("arn:aws:logs:{reg}:{acc}:log-group:{g}:*"),
                    3 => format!("arn:aws:logs:{reg}:{acc}:log-group:{g}:log-stream:*"),
                    4 => format!("arn:aws:logs:{reg}:{acc}:log-group:*"),
                    _ => "*".to_owned(),
                }
            }
        }
    }
}

/// A string when there is one, a list otherwise (both forms are common).
fn one_or_list(rng: &mut Rng, items: Vec<String>) -> Value {
    if items.len() == 1 && rng.chance(50) {
        Value::String(items[0].clone())
    } else {
        json!(items)
    }
}

fn distinct(rng: &mut Rng, n: usize, mut gen: impl FnMut(&mut Rng) -> String) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for _ in 0..n * 3 {
        if out.len() == n {
            break;
        }
        let v = gen(rng);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Does the derivation surely find something to probe here? A concrete
/// bucket or table does; so does any EC2 action (EC2's checks name the
/// account). Without one, "nothing to probe" (exit 2) would be right.
fn anchored(statements: &[Value], r: &Resources) -> bool {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    statements.iter().any(|s| {
        list(&s["Action"]).iter().any(|a| a.starts_with("ec2:"))
            || list(&s["Resource"]).iter().any(|res| {
                res.starts_with(&format!("arn:aws:s3:::{}", r.bucket))
                    || (res.starts_with("arn:aws:dynamodb:")
                        && res.contains(&format!("table/{}", r.table)))
            })
    })
}

/// One random identity policy.
fn generate(rng: &mut Rng, r: &Resources) -> Value {
    let mut statements: Vec<Value> = Vec::new();
    // (service, resource) pairs named so far: Deny statements reuse them.
    let mut named: Vec<(Service, String)> = Vec::new();
    let n = 1 + rng.below(4);
    for i in 0..n {
        let deny = i > 0 && rng.chance(30);
        let (service, mut resources) = if deny && !named.is_empty() && rng.chance(70) {
            let (s, res) = rng.pick(&named).clone();
            (s, vec![res])
        } else {
            let s = *rng.pick(&SERVICES);
            (s, Vec::new())
        };
        if rng.chance(10) {
            resources = vec!["*".to_owned()];
        } else {
            let more = if resources.is_empty() {
                1 + rng.below(3)
            } else {
                rng.below(2)
            };
            for res in distinct(rng, more, |rng| service.resource(rng, r)) {
                if !resources.contains(&res) {
                    resources.push(res);
                }
            }
        }
        let how_many = 1 + rng.below(3);
        let mut actions = distinct(rng, how_many, |rng| rng.pick(service.actions()).to_string());
        for res in &resources {
            named.push((service, res.clone()));
        }
        // Now and then a statement mixes services, as hand-written ones do.
        if rng.chance(12) {
            let other = *rng.pick(&SERVICES);
            if other != service {
                actions.push(rng.pick(other.actions()).to_string());
                if resources != ["*"] {
                    let res = other.resource(rng, r);
                    if !resources.contains(&res) {
                        named.push((other, res.clone()));
                        resources.push(res);
                    }
                }
            }
        }
        let mut s = serde_json::Map::new();
        if rng.chance(30) {
            s.insert("Sid".into(), json!(format!("S{i}")));
        }
        s.insert("Effect".into(), json!(if deny { "Deny" } else { "Allow" }));
        s.insert("Action".into(), one_or_list(rng, actions));
        s.insert("Resource".into(), one_or_list(rng, resources));
        statements.push(Value::Object(s));
    }
    // What real policies put beside scoped grants: EC2's Describe* on "*"
    // (Describe actions take no resource, and they let the probes find a
    // real instance and volume), S3's ListBucket on the bucket.
    let uses = |svc: Service| named.iter().any(|(s, _)| *s == svc);
    if uses(Service::Ec2) && rng.chance(50) {
        let actions = if rng.chance(50) {
            json!("ec2:Describe*")
        } else {
            json!(["ec2:DescribeInstances", "ec2:DescribeVolumes"])
        };
        statements.push(json!({"Effect": "Allow", "Action": actions, "Resource": "*"}));
    }
    if uses(Service::S3) && rng.chance(50) {
        statements.push(json!({
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": format!("arn:aws:s3:::{}", r.bucket),
        }));
    }
    if !anchored(&statements, r) {
        let service = *rng.pick(&[Service::S3, Service::Dynamodb, Service::Ec2]);
        let resource = loop {
            let res = service.resource(rng, r);
            if anchored(&[json!({"Action": [], "Resource": res})], r) || service == Service::Ec2 {
                break res;
            }
        };
        let how_many = 1 + rng.below(2);
        let actions = distinct(rng, how_many, |rng| rng.pick(service.actions()).to_string());
        statements.push(json!({
            "Effect": if rng.chance(25) { "Deny" } else { "Allow" },
            "Action": one_or_list(rng, actions),
            "Resource": resource,
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

// --------------------------------------------------------------------------
// Running one policy
// --------------------------------------------------------------------------

/// The binary's verdicts for one policy file, with the role carrying `attached`.
struct Outcome {
    run: Run,
    results: Vec<Value>,
}

impl Outcome {
    /// The checks that were probed and decided (pass or fail), identity aside.
    fn decided(&self) -> impl Iterator<Item = &Value> {
        self.results.iter().filter(|r| {
            !r["expect"].is_null()
                && r["action"] != "sts:GetCallerIdentity"
                && (r["status"] == "pass" || r["status"] == "fail")
        })
    }

    fn probed(&self) -> impl Iterator<Item = &Value> {
        self.results
            .iter()
            .filter(|r| !r["expect"].is_null() && r["action"] != "sts:GetCallerIdentity")
    }
}

fn run_policy(
    w: &World,
    server: &mut PolicyServer,
    label: &str,
    file_text: &str,
    attached: &str,
) -> Result<Outcome, String> {
    server
        .put(attached)
        .map_err(|e| format!("IAM refused the policy: {e}"))?;
    let file = w.scenario.dir.join(format!("{label}.json"));
    std::fs::write(&file, file_text).expect("write policy");
    let run = w
        .scenario
        .pod()
        .no_report_files()
        .args(["--from-policy", path(&file), "--json", "-"])
        .run();
    if std::env::var_os("IRSA_DIFF_KEEP").is_some() {
        std::fs::write(
            w.scenario.dir.join(format!("{label}.report.json")),
            &run.stdout,
        )
        .expect("keep report");
    }
    let report: Value = serde_json::from_str(&run.stdout).map_err(|e| {
        format!(
            "exit {}: stdout is not a JSON report ({e})\nstdout:\n{}\nstderr:\n{}",
            run.code, run.stdout, run.stderr
        )
    })?;
    let results = report["results"].as_array().cloned().unwrap_or_default();
    Ok(Outcome { run, results })
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {v:?}"))
    })
}

/// An undecided check, told by its action, expectation and the start of
/// why (IDs and random names cut off, so alike ones count together).
fn undecided_kind(r: &Value) -> String {
    let why = r["unsure"]
        .as_str()
        .or_else(|| r["answer"]["reason"].as_str())
        .map(str::to_owned)
        .or_else(|| r["notes"][0].as_str().map(str::to_owned))
        .unwrap_or_else(|| {
            format!(
                "{} {}",
                r["answer"]["status"],
                r["answer"]["code"].as_str().unwrap_or("")
            )
        });
    let why: String = why.chars().take(90).collect();
    format!(
        "{} expect {}: {why}",
        r["action"].as_str().unwrap_or("?"),
        r["expect"].as_str().unwrap_or("?")
    )
}

fn clock_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    // Short enough to type back.
    (now.as_nanos() as u64 ^ u64::from(std::process::id())) % 1_000_000_000_000
}

/// One check the derivation and the emulator disagree on.
struct Disagreement {
    index: usize,
    policy: String,
    result: Value,
}

impl Disagreement {
    fn key(&self) -> String {
        let r = &self.result;
        format!(
            "{} expect {} observed {}",
            r["action"].as_str().unwrap_or("?"),
            r["expect"].as_str().unwrap_or("?"),
            r["observed"].as_str().unwrap_or("?")
        )
    }

    fn describe(&self, replay: &str) -> String {
        let r = &self.result;
        let answer = &r["answer"];
        format!(
            "--- disagreement in policy #{i} ({replay} IRSA_DIFF_ONLY={i})\n\
             check:    {action} on {resource}\n\
             expected: {expect}\n\
             observed: {observed} ({status} {code}: {message})\n\
             request:  {form}\n\
             notes:    {notes}\n\
             policy:\n{policy}\n",
            i = self.index,
            action = r["action"].as_str().unwrap_or("?"),
            resource = r["resource"].as_str().unwrap_or("?"),
            expect = r["expect"].as_str().unwrap_or("?"),
            observed = r["observed"].as_str().unwrap_or("?"),
            status = answer["status"],
            code = answer["code"]
                .as_str()
                .unwrap_or(answer["kind"].as_str().unwrap_or("")),
            message = answer["message"].as_str().unwrap_or(""),
            form = r["form"].as_str().unwrap_or(""),
            notes = r["notes"],
            policy = self.policy,
        )
    }
}

// --------------------------------------------------------------------------
// The tests
// --------------------------------------------------------------------------

#[test]
fn random_policies_derived_checks_agree_with_the_emulator() {
    let seed = env_u64("IRSA_DIFF_SEED").unwrap_or_else(clock_seed);
    let count = env_u64("IRSA_DIFF_COUNT").unwrap_or(200) as usize;
    let only = env_u64("IRSA_DIFF_ONLY").map(|i| i as usize);
    let replay =
        format!("IRSA_DIFF_SEED={seed} IRSA_DIFF_COUNT={count} cargo test --test differential --");
    eprintln!(
        "differential: IRSA_DIFF_SEED={seed} IRSA_DIFF_COUNT={count}{}",
        only.map(|i| format!(" IRSA_DIFF_ONLY={i}"))
            .unwrap_or_default()
    );
    println!("differential: IRSA_DIFF_SEED={seed} IRSA_DIFF_COUNT={count}");

    let w = world();
    let mut server = w.role.lock().unwrap_or_else(|e| e.into_inner());
    let before = w.scenario.snapshot_all();

    let mut disagreements: Vec<Disagreement> = Vec::new();
    let mut broken: Vec<String> = Vec::new();
    let mut exits: BTreeMap<i32, usize> = BTreeMap::new();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut undecided: BTreeMap<String, usize> = BTreeMap::new();
    let indices: Vec<usize> = match only {
        Some(i) => vec![i],
        None => (0..count).collect(),
    };
    for &i in &indices {
        let policy = generate(&mut Rng::for_policy(seed, i), &w.res);
        let text = serde_json::to_string_pretty(&policy).expect("policy JSON");
        let outcome = match run_policy(w, &mut server, &format!("policy-{i}"), &text, &text) {
            Ok(o) => o,
            Err(e) => {
                broken.push(format!("policy #{i}: {e}\npolicy:\n{text}"));
                continue;
            }
        };
        let code = outcome.run.code;
        *exits.entry(code).or_default() += 1;
        for r in &outcome.results {
            *statuses
                .entry(r["status"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
        }
        // 1: some check failed; 0: none; 3: none failed, some undecided. A
        // run that decides nothing it probed, or refuses the policy (2), or
        // dies, is broken whatever the verdicts.
        let decided = outcome.decided().count();
        let probed = outcome.probed().count();
        if !matches!(code, 0 | 1 | 3) || (code == 3 && decided == 0) {
            broken.push(format!(
                "policy #{i}: exit {code} ({decided} of {probed} probed checks decided)\npolicy:\n{text}\nstderr:\n{}",
                outcome.run.stderr
            ));
        }
        for r in outcome.results.iter().filter(|r| r["status"] == "error") {
            *undecided.entry(undecided_kind(r)).or_default() += 1;
        }
        for r in outcome.results.iter().filter(|r| r["status"] == "fail") {
            disagreements.push(Disagreement {
                index: i,
                policy: text.clone(),
                result: r.clone(),
            });
        }
    }
    let after = w.scenario.snapshot_all();
    drop(server);

    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for d in &disagreements {
        *by_kind.entry(d.key()).or_default() += 1;
    }
    let summary = format!(
        "differential: IRSA_DIFF_SEED={seed} IRSA_DIFF_COUNT={count}: {} policies, exit codes {exits:?}, check statuses {statuses:?}, \
         {} disagreements in {} policies, {} broken runs\nreplay: {replay}\ndisagreements by kind:\n{}\n\
         undecided checks (status error: not disagreements) by kind:\n{}",
        indices.len(),
        disagreements.len(),
        disagreements.iter().map(|d| d.index).collect::<std::collections::BTreeSet<_>>().len(),
        broken.len(),
        by_kind.iter().map(|(k, n)| format!("  {n:4}  {k}")).collect::<Vec<_>>().join("\n"),
        undecided.iter().map(|(k, n)| format!("  {n:4}  {k}")).collect::<Vec<_>>().join("\n"),
    );
    println!("{summary}");
    for d in &disagreements {
        println!("{}", d.describe(&replay));
    }
    for b in &broken {
        println!("--- broken run ({replay})\n{b}\n");
    }
    assert_eq!(
        before, after,
        "the runs changed the emulator's data ({replay})"
    );
    assert!(
        broken.is_empty() && disagreements.is_empty(),
        "{} disagreements between the derivation and the emulator and {} broken runs \
         (IRSA_DIFF_SEED={seed} IRSA_DIFF_COUNT={count}; each is printed above)\n{summary}",
        disagreements.len(),
        broken.len(),
    );
}

/// The comparison is sensitive: a derivation that misreads one statement's
/// Effect (simulated by giving the binary the policy with that Effect
/// flipped, while the role keeps the policy as written) is caught. Every
/// check that the honest run decided and whose expectation the misreading
/// changed comes back "fail".
#[test]
fn a_derivation_that_misreads_a_statement_is_caught() {
    const SEED: u64 = 20_240_601;
    let w = world();
    let mut server = w.role.lock().unwrap_or_else(|e| e.into_inner());
    let mut flipped_checks = 0;
    let mut caught = 0;
    let mut missed = Vec::new();
    for i in 0..12 {
        let mut rng = Rng::for_policy(SEED, i);
        let policy = generate(&mut rng, &w.res);
        let text = serde_json::to_string_pretty(&policy).expect("policy JSON");
        let mut misread = policy.clone();
        let statements = misread["Statement"].as_array_mut().expect("statements");
        let k = rng.below(statements.len());
        let effect = if statements[k]["Effect"] == "Allow" {
            "Deny"
        } else {
            "Allow"
        };
        statements[k]["Effect"] = json!(effect);
        let misread_text = serde_json::to_string_pretty(&misread).expect("policy JSON");

        let honest = run_policy(w, &mut server, &format!("honest-{i}"), &text, &text)
            .unwrap_or_else(|e| panic!("{e}"));
        let wrong = run_policy(
            w,
            &mut server,
            &format!("misread-{i}"),
            &misread_text,
            &text,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        for h in honest.decided() {
            // The same probe in the misreading run, by action and resource.
            let Some(m) = wrong
                .probed()
                .find(|m| m["action"] == h["action"] && m["resource"] == h["resource"])
            else {
                continue;
            };
            if m["expect"] == h["expect"] || h["status"] != "pass" {
                continue;
            }
            flipped_checks += 1;
            if m["status"] == "fail" {
                caught += 1;
            } else {
                missed.push(format!(
                    "policy #{i}, statement {k} read as {effect}: {} on {} expected {} now, status {}\n{misread_text}",
                    m["action"], m["resource"], m["expect"], m["status"]
                ));
            }
        }
    }
    drop(server);
    println!(
        "misread statements changed {flipped_checks} decided expectations; {caught} came back fail"
    );
    assert!(
        missed.is_empty(),
        "changed expectations not caught:\n{}",
        missed.join("\n")
    );
    assert!(
        flipped_checks >= 5,
        "only {flipped_checks} expectations changed: the demonstration proves little"
    );
}
