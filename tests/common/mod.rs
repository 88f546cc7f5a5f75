//! Test bed: the real binary, run with a pod's environment against moto (with
//! IAM enforcement) started by our launcher, and the emulator's data compared
//! before and after every run.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const REGION: &str = "eu-west-1";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The emulator venv's python: IRSA_VERIFY_PYTHON, or `.venv-moto`, set up
/// on first use by the same helper scripts/test.sh uses (so a plain
/// `cargo test` on a fresh clone works with only cargo and python3).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("IRSA_VERIFY_PYTHON") {
        return PathBuf::from(p);
    }
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let venv = root().join(".venv-moto");
        let wanted = std::fs::read(root().join("tests/emulator/requirements.txt")).expect("requirements.txt");
        let ready = venv.join("bin/python").exists() && std::fs::read(venv.join(".requirements")).ok().as_deref() == Some(&wanted[..]);
        if !ready {
            eprintln!(
                "irsa-verify tests: setting up the emulator venv {} from tests/emulator/requirements.txt (PyPI; a minute or two, once), \
                 with scripts/lib.sh's ensure_venv as scripts/test.sh does",
                venv.display()
            );
            // One test process at a time sets it up (cargo nextest runs several).
            std::fs::create_dir_all(root().join("target")).expect("target dir");
            let status = Command::new("bash")
                .current_dir(root())
                .args(["-c", "exec 9>target/.venv-moto.lock && flock 9 && . scripts/lib.sh && ensure_venv"])
                .status()
                .expect("run bash");
            assert!(status.success(), "setting up {} failed; run scripts/test.sh, or set IRSA_VERIFY_PYTHON", venv.display());
        }
        venv.join("bin/python")
    })
    .clone()
}

/// A scratch directory unique to this test process and call.
pub fn scratch(label: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = root().join("target/e2e-scratch").join(format!(
        "{}-{}-{label}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Starts one of tests/emulator's servers on `port`; it exits with this process.
fn spawn_helper(script: &str, args: &[&str], port: u16, stderr: Stdio) -> Child {
    let child = Command::new(python())
        .arg(root().join("tests/emulator").join(script))
        .args(args)
        .args([
            "--port",
            &port.to_string(),
            "--parent-pid",
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("start {script}: {e}"));
    wait_for_port(port, script);
    child
}

/// Waits up to 60 s for a helper to listen on a loopback port.
fn wait_for_port(port: u16, what: &str) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what} did not listen within 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub struct Emulator {
    pub endpoint: String,
    admin_key: String,
    admin_secret: String,
    /// The second account's admin keys (scenario.py SECOND_ACCOUNT).
    second_key: String,
    second_secret: String,
    _child: Child,
}

/// One emulator per test binary, started on first use. It exits by itself when
/// this process does (--parent-pid).
static EMULATOR: OnceLock<Emulator> = OnceLock::new();

pub fn emulator() -> &'static Emulator {
    EMULATOR.get_or_init(|| {
        let port = free_port();
        let log = std::fs::File::create(scratch("moto").join("moto.log")).expect("moto log");
        let child = spawn_helper("moto_server.py", &[], port, Stdio::from(log));
        let endpoint = format!("http://127.0.0.1:{port}");
        let boot = helper(&endpoint, None, &["bootstrap"]);
        Emulator {
            endpoint,
            admin_key: boot["key"].as_str().expect("key").to_owned(),
            admin_secret: boot["secret"].as_str().expect("secret").to_owned(),
            second_key: boot["second"]["key"]
                .as_str()
                .expect("second key")
                .to_owned(),
            second_secret: boot["second"]["secret"]
                .as_str()
                .expect("second secret")
                .to_owned(),
            _child: child,
        }
    })
}

/// Runs tests/emulator/scenario.py and parses its JSON answer.
fn helper(endpoint: &str, admin: Option<(&str, &str)>, args: &[&str]) -> Value {
    let mut cmd = Command::new(python());
    cmd.arg(root().join("tests/emulator/scenario.py"))
        .args(args)
        .args(["--endpoint", endpoint]);
    if let Some((k, s)) = admin {
        cmd.env("IRSA_TEST_ADMIN_KEY", k)
            .env("IRSA_TEST_ADMIN_SECRET", s);
    }
    if let Some(emu) = EMULATOR.get() {
        cmd.env("IRSA_TEST_SECOND_KEY", &emu.second_key)
            .env("IRSA_TEST_SECOND_SECRET", &emu.second_secret);
    }
    let out = cmd.output().expect("run scenario.py");
    assert!(
        out.status.success(),
        "scenario.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("scenario.py JSON")
}

/// A seeded scenario: role, policy, bucket, table and the pod's token file.
pub struct Scenario {
    pub kind: String,
    pub role_arn: String,
    pub role_name: String,
    pub bucket: String,
    pub table: String,
    pub account: String,
    pub dir: PathBuf,
    pub token_file: PathBuf,
}

impl Scenario {
    /// A spec file with one check, `action` expected `expect`, in the
    /// scenario's directory: its path.
    pub fn one_check_spec(&self, action: &str, expect: &str) -> String {
        let file = action.replace(':', "-");
        let p = self.dir.join(format!("{file}-{expect}.yaml"));
        std::fs::write(
            &p,
            format!("checks:\n  - {{action: {action}, expect: {expect}}}\n"),
        )
        .expect("write spec");
        p.to_str().expect("utf-8 path").to_owned()
    }

    /// A policy document of `statements` (JSON objects, comma-separated).
    pub fn policy_of(statements: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
    }

    /// kind: reference | overpermissive | toostrict | unprotected | listonly
    pub fn seed(kind: &str) -> Scenario {
        Scenario::seed_with(kind, None)
    }

    /// A scenario whose role has `policy` (YOUR_BUCKET, YOUR_TABLE replaced).
    pub fn seed_with(kind: &str, policy: Option<&str>) -> Scenario {
        static N: AtomicUsize = AtomicUsize::new(0);
        let emu = emulator();
        let suffix = format!(
            "{kind}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let dir = scratch(&suffix);
        let token_file = dir.join("token");
        let v = helper(
            &emu.endpoint,
            Some((&emu.admin_key, &emu.admin_secret)),
            &[
                "seed",
                "--kind",
                kind,
                "--suffix",
                &suffix,
                "--token-file",
                token_file.to_str().expect("utf-8 path"),
            ]
            .into_iter()
            .chain(policy.map(|p| ["--policy", p]).into_iter().flatten())
            .collect::<Vec<_>>(),
        );
        let s = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("seed answer lacks {k}"))
                .to_owned()
        };
        Scenario {
            kind: kind.to_owned(),
            role_arn: s("role_arn"),
            role_name: s("role_name"),
            bucket: s("bucket"),
            table: s("table"),
            account: s("account"),
            dir,
            token_file,
        }
    }

    /// The role's policies as the aws CLI prints them: (policy files' directory, trust policy file).
    pub fn export_policies(&self) -> (PathBuf, PathBuf) {
        let emu = emulator();
        let dir = self.dir.join("policies");
        let v = helper(
            &emu.endpoint,
            Some((&emu.admin_key, &emu.admin_secret)),
            &[
                "export",
                "--role-name",
                &self.role_name,
                "--dir",
                dir.to_str().expect("utf-8 path"),
            ],
        );
        (dir, PathBuf::from(v["trust"].as_str().expect("trust file")))
    }

    /// Attaches one more managed policy to the role, in the emulator.
    pub fn attach_policy(&self, name: &str, policy: &str) {
        let emu = emulator();
        helper(
            &emu.endpoint,
            Some((&emu.admin_key, &emu.admin_secret)),
            &[
                "attach",
                "--role-name",
                &self.role_name,
                "--name",
                name,
                "--policy",
                policy,
            ],
        );
    }

    /// Detaches the role's managed policy `name` (as attach_policy named
    /// it) and deletes it, in the emulator.
    pub fn detach_policy(&self, name: &str) {
        let emu = emulator();
        helper(
            &emu.endpoint,
            Some((&emu.admin_key, &emu.admin_secret)),
            &["detach", "--role-name", &self.role_name, "--name", name],
        );
    }

    /// A role in the emulator's second account (222233334444) whose trust
    /// policy lets `trust` (a role ARN, an account root) sts:AssumeRole, with
    /// `policy` inline; its ARN. Names are made unique per scenario.
    pub fn second_account_role(&self, name: &str, trust: &str, policy: &str) -> String {
        let emu = emulator();
        let v = helper(
            &emu.endpoint,
            Some((&emu.admin_key, &emu.admin_secret)),
            &[
                "second-role",
                "--role-name",
                &format!("{}-{name}", self.role_name),
                "--trust",
                trust,
                "--policy",
                policy,
            ],
        );
        v["role_arn"].as_str().expect("role_arn").to_owned()
    }

    /// Every credential value STS has issued for an sts:AssumeRole so far
    /// (access key ID, secret key, session token), read from the emulator:
    /// none may appear in any output.
    pub fn assumed_role_credentials(&self) -> Vec<String> {
        let out = self.admin_python(
            "import urllib.request\n\
             data = json.load(urllib.request.urlopen(ENDPOINT + '/moto-api/data.json'))\n\
             for r in data.get('sts', {}).get('AssumedRole', []):\n\
             \x20   print(json.dumps([r['access_key_id'], r['secret_access_key'], r['session_token'], r['session_name']]))\n",
        );
        out.lines()
            .map(|l| serde_json::from_str::<Vec<String>>(l).expect("a credentials line"))
            .filter(|v| v[3].starts_with("irsa-verify-"))
            .flat_map(|v| v.into_iter().take(3))
            .collect()
    }

    /// Objects (with ETags), versions, delete markers, the table and its items.
    pub fn snapshot(&self) -> Value {
        let emu = emulator();
        helper(
            &emu.endpoint,
            Some((&emu.admin_key, &emu.admin_secret)),
            &["snapshot", "--bucket", &self.bucket, "--table", &self.table],
        )
    }

    /// The agent as a pod of this scenario runs it: IRSA env, real credential chain.
    pub fn pod(&self) -> Agent {
        Agent::new(&emulator().endpoint, &self.dir)
            .env("AWS_ROLE_ARN", &self.role_arn)
            .env(
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                self.token_file.to_str().expect("utf-8 path"),
            )
    }

    /// The reference procedure's checks, as flags.
    pub fn reference_args(&self) -> Vec<String> {
        [
            "--bucket",
            &self.bucket,
            "--table",
            &self.table,
            "--object",
            "demo-test-file",
        ]
        .map(String::from)
        .to_vec()
    }

    /// Runs the agent and asserts the emulator's data did not change.
    pub fn run_unchanged(&self, agent: Agent) -> Run {
        let before = self.snapshot();
        let run = agent.run();
        let after = self.snapshot();
        assert_eq!(
            before, after,
            "the run changed the emulator's data\n{}",
            run.stdout
        );
        run
    }
}

/// The built binary with a clean, pod-like environment.
pub struct Agent {
    cmd: Command,
    dir: PathBuf,
    reports: bool,
}

impl Agent {
    pub fn new(endpoint: &str, dir: &Path) -> Agent {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_irsa-verify"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("AWS_REGION", REGION)
            .env("AWS_ENDPOINT_URL", endpoint)
            // Keep the SDK's instance-metadata and profile lookups on this machine.
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1")
            .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.join("no-aws-credentials"),
            )
            .stdin(Stdio::null());
        Agent {
            cmd,
            dir: dir.to_owned(),
            reports: true,
        }
    }

    pub fn env(mut self, k: &str, v: &str) -> Agent {
        self.cmd.env(k, v);
        self
    }

    pub fn env_remove(mut self, k: &str) -> Agent {
        self.cmd.env_remove(k);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Agent {
        self.cmd.args(args);
        self
    }

    /// Do not add --junit/--json files (the test passes its own).
    pub fn no_report_files(mut self) -> Agent {
        self.reports = false;
        self
    }

    /// Starts the agent without waiting (watch mode); its stdout and stderr
    /// go to `log`. The caller ends it.
    pub fn spawn(mut self, log: &Path) -> Child {
        let out = std::fs::File::create(log).expect("create log");
        let err = out.try_clone().expect("clone log");
        self.cmd
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("spawn irsa-verify")
    }

    pub fn run(mut self) -> Run {
        let junit = self.dir.join("junit.xml");
        let json = self.dir.join("report.json");
        let _ = std::fs::remove_file(&junit);
        let _ = std::fs::remove_file(&json);
        if self.reports {
            self.cmd.arg("--junit").arg(&junit).arg("--json").arg(&json);
        }
        let out = output_within(&mut self.cmd, Duration::from_secs(120));
        let junit = std::fs::read_to_string(&junit).ok();
        if let Some(xml) = &junit {
            assert_well_formed(xml);
        }
        let json = std::fs::read(&json)
            .ok()
            .map(|b| serde_json::from_slice(&b).expect("JSON report parses"));
        Run {
            code: out.status.code().expect("exit code (not a signal)"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            junit,
            json,
        }
    }
}

/// Runs a command, killing it if it hangs: a hang guard, not a speed check.
/// Its output is read while it runs: a child that writes more than a pipe
/// holds (64 KiB: a `--json -` report, `--list-probes --format json`) would
/// otherwise block on write and never exit.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    use std::io::Read;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn irsa-verify");
    fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    }
    let stdout = drain(child.stdout.take().expect("stdout"));
    let stderr = drain(child.stderr.take().expect("stderr"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let out = stdout.join().expect("stdout reader");
            panic!(
                "irsa-verify hung for {limit:?}:\n{}",
                String::from_utf8_lossy(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// Well-formed, and valid against the strict Surefire/xunit JUnit schema
/// (tests/schema/junit-10.xsd), checked by xmllint (libxml2).
pub fn assert_well_formed(xml: &str) {
    if let Err(e) = roxmltree::Document::parse(xml) {
        panic!("JUnit report is not well-formed XML: {e}\n{xml}");
    }
    assert_schema_valid(xml);
}

pub fn assert_schema_valid(xml: &str) {
    use std::io::Write;
    let xsd = root().join("tests/schema/junit-10.xsd");
    let spawned = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped: the JUnit schema check needs xmllint (Debian package libxml2-utils; scripts/test.sh installs it)");
            return;
        }
        Err(e) => panic!("xmllint: {e}"),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(xml.as_bytes())
        .expect("write to xmllint");
    let out = child.wait_with_output().expect("xmllint");
    assert!(
        out.status.success(),
        "the JUnit report does not validate against {}: {}\n{xml}",
        xsd.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub junit: Option<String>,
    pub json: Option<Value>,
}

impl Run {
    pub fn json(&self) -> &Value {
        self.json.as_ref().unwrap_or_else(|| {
            panic!(
                "no JSON report\nstdout:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The result whose action (and, with `nth`, occurrence) matches.
    pub fn result(&self, action: &str) -> &Value {
        self.results()
            .iter()
            .find(|r| r["action"] == action)
            .unwrap_or_else(|| panic!("no result for {action}\n{}", self.stdout))
    }

    pub fn results(&self) -> &Vec<Value> {
        self.json()["results"].as_array().expect("results array")
    }

    /// The one result of `action`: a run of a spec with one check of it.
    pub fn only(&self, action: &str) -> Value {
        let found: Vec<&Value> = self
            .results()
            .iter()
            .filter(|r| r["action"] == action)
            .collect();
        assert_eq!(found.len(), 1, "one result of {action}\n{}", self.stdout);
        found[0].clone()
    }

    /// The verdict of the first check of `action`.
    pub fn status(&self, action: &str) -> String {
        self.result(action)["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn statuses(&self) -> Vec<(String, String)> {
        self.results()
            .iter()
            .map(|r| {
                (
                    r["action"].as_str().unwrap_or("").to_owned(),
                    r["status"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn junit_doc(&self) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(self.junit.as_deref().expect("JUnit report written"))
            .expect("well-formed")
    }
}

/// A loopback listener that counts connections: proves nothing was sent.
pub struct Recorder {
    pub endpoint: String,
    count: std::sync::Arc<AtomicUsize>,
}

impl Recorder {
    pub fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind recorder");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let count = std::sync::Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                c.fetch_add(1, Ordering::SeqCst);
                drop(conn);
            }
        });
        Recorder { endpoint, count }
    }

    pub fn connections(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

/// A loopback stand-in from tests/emulator/stand_ins.py; killed on drop.
pub struct StandIn {
    pub endpoint: String,
    child: Child,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl StandIn {
    fn start(args: &[&str]) -> StandIn {
        StandIn::start_at(args, free_port())
    }

    fn start_at(args: &[&str], port: u16) -> StandIn {
        let child = spawn_helper("stand_ins.py", args, port, Stdio::inherit());
        StandIn {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        }
    }

    /// Replays fixed responses (rules as in stand_ins.py).
    pub fn replay(rules: &Value) -> StandIn {
        let path = scratch("replay").join("rules.json");
        std::fs::write(&path, rules.to_string()).expect("rules");
        StandIn::start(&["replay", "--rules", path.to_str().expect("utf-8")])
    }

    /// Plays the EKS Pod Identity agent for `role_arn`; issued credentials go to `issued`.
    pub fn pod_identity_agent(
        role_arn: &str,
        token_file: &Path,
        issued: &Path,
        error: Option<(u16, &str)>,
    ) -> StandIn {
        let mut args = vec![
            "pod-identity-agent".to_owned(),
            "--emulator".to_owned(),
            emulator().endpoint.clone(),
            "--role-arn".to_owned(),
            role_arn.to_owned(),
            "--token-file".to_owned(),
            token_file.to_string_lossy().into_owned(),
            "--issued".to_owned(),
            issued.to_string_lossy().into_owned(),
        ];
        if let Some((status, body)) = error {
            args.extend([
                "--error-status".to_owned(),
                status.to_string(),
                "--error-body".to_owned(),
                body.to_owned(),
            ]);
        }
        StandIn::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }
}

/// Writes a projected-token-shaped JWT (see scenario.py).
pub fn write_token(path: &Path, service_account: &str, audience: &str, lifetime: i64) {
    let emu = emulator();
    helper(
        &emu.endpoint,
        None,
        &[
            "token",
            "--token-file",
            path.to_str().expect("utf-8"),
            "--service-account",
            service_account,
            "--audience",
            audience,
            &format!("--lifetime={lifetime}"),
        ],
    );
}

/// The admin keys (valid static credentials in the emulator).
pub fn admin_keys() -> (&'static str, &'static str) {
    let emu = emulator();
    (&emu.admin_key, &emu.admin_secret)
}

impl Run {
    /// Every output the agent produced, for secret scans.
    pub fn all_output(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.stdout,
            self.stderr,
            self.junit.as_deref().unwrap_or(""),
            self.json
                .as_ref()
                .map(|j| j.to_string())
                .unwrap_or_default()
        )
    }

    pub fn assert_identity_note(&self, text: &str) {
        let notes = self.identity_notes();
        assert!(
            notes.contains(text),
            "the identity notes should say `{text}`: {notes}"
        );
    }

    pub fn identity_notes(&self) -> String {
        self.result("sts:GetCallerIdentity")["notes"].to_string()
    }
}

impl StandIn {
    /// A proxy in front of the emulator that injects the faults in `rules`.
    pub fn fault_proxy(rules: &Value) -> StandIn {
        StandIn::proxy(rules, &[])
    }

    /// The fault proxy with `rules` written to a file, and `extra` arguments.
    fn proxy(rules: &Value, extra: &[&str]) -> StandIn {
        let path = scratch("faults").join("rules.json");
        std::fs::write(&path, rules.to_string()).expect("rules");
        let mut args = vec![
            "fault-proxy",
            "--upstream",
            &emulator().endpoint,
            "--rules",
            path.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        StandIn::start(&args)
    }
}

impl StandIn {
    /// A fault proxy passing everything through on `port`: stopped (dropped)
    /// and started again on the same port, it plays an endpoint outage.
    pub fn passthrough_proxy_at(port: u16) -> StandIn {
        let path = scratch("faults").join("rules.json");
        std::fs::write(&path, "[]").expect("rules");
        StandIn::start_at(
            &[
                "fault-proxy",
                "--upstream",
                &emulator().endpoint,
                "--rules",
                path.to_str().expect("utf-8"),
            ],
            port,
        )
    }

    /// The fault proxy, also appending every request to `record` (see
    /// stand_ins.py: method, path, action, signed_for, user_agent).
    pub fn recording_proxy(rules: &Value, record: &Path) -> StandIn {
        StandIn::proxy(rules, &["--record", record.to_str().expect("utf-8")])
    }

    /// The fault proxy's counters: (most requests in flight at once, total).
    /// How many requests met one of the proxy's rules.
    pub fn proxy_injected(&self) -> u64 {
        self.proxy_stat("injected")
    }

    fn proxy_stat(&self, name: &str) -> u64 {
        use std::io::{Read, Write};
        let addr = self.endpoint.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).expect("connect proxy");
        s.write_all(b"GET /__proxy_stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .expect("write");
        let mut buf = String::new();
        s.read_to_string(&mut buf).expect("read");
        let body = buf.split_once("\r\n\r\n").expect("http body").1;
        let v: Value = serde_json::from_str(body).expect("stats JSON");
        v[name].as_u64().unwrap_or(0)
    }

    pub fn proxy_stats(&self) -> (u64, u64) {
        (self.proxy_stat("max_in_flight"), self.proxy_stat("total"))
    }
}

impl StandIn {
    /// The replay stand-in over HTTPS; its throwaway CA is `dir/ca.pem`.
    pub fn replay_tls(rules: &Value, dir: &Path) -> StandIn {
        let path = scratch("replay-tls").join("rules.json");
        std::fs::write(&path, rules.to_string()).expect("rules");
        let mut s = StandIn::start(&[
            "replay",
            "--rules",
            path.to_str().expect("utf-8"),
            "--tls-dir",
            dir.to_str().expect("utf-8"),
        ]);
        s.endpoint = s.endpoint.replace("http://", "https://");
        s
    }
}

impl Scenario {
    /// Every service's data in the emulator, as `scenario.py snapshot-all`
    /// reads it (values as digests): equal before and after means no probe
    /// changed anything, in any service.
    pub fn snapshot_all(&self) -> Value {
        let emu = emulator();
        helper(
            &emu.endpoint,
            Some((&emu.admin_key, &emu.admin_secret)),
            &["snapshot-all"],
        )
    }

    /// The resources the add-on policies' probes name (scenario.py
    /// seed-addons), seeded once per test process: the emulator is shared,
    /// and two tests seeding at once would both create the same resources.
    pub fn seed_addons(&self) -> Value {
        static SEEDED: OnceLock<Value> = OnceLock::new();
        SEEDED
            .get_or_init(|| {
                let emu = emulator();
                helper(
                    &emu.endpoint,
                    Some((&emu.admin_key, &emu.admin_secret)),
                    &["seed-addons"],
                )
            })
            .clone()
    }

    /// Runs the agent and asserts that no service's data changed.
    pub fn run_unchanged_everywhere(&self, agent: Agent) -> Run {
        let before = self.snapshot_all();
        let run = agent.run();
        let after = self.snapshot_all();
        assert_eq!(
            before, after,
            "the run changed the emulator's data\n{}",
            run.stdout
        );
        run
    }

    /// Runs Python with boto3 against the emulator as the admin (ENDPOINT,
    /// REGION and `client(service)` are defined); its stdout is returned.
    pub fn admin_python(&self, code: &str) -> String {
        let emu = emulator();
        let prelude = format!(
            "import boto3, json\nENDPOINT = {:?}\nREGION = {REGION:?}\n\
             def client(s, region=REGION):\n    return boto3.client(s, endpoint_url=ENDPOINT, region_name=region, aws_access_key_id={:?}, aws_secret_access_key={:?})\n",
            emu.endpoint, emu.admin_key, emu.admin_secret
        );
        let out = Command::new(python())
            .args(["-c", &format!("{prelude}{code}")])
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "admin python failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// The IMDS stand-in's IMDSv2 token PUT: answered, hung past the probe's 1 s
/// timeout (as behind a hop limit of 1), or refused.
#[derive(Debug, Clone, Copy)]
pub enum ImdsToken {
    Answer,
    Hang,
    Refuse401,
}

impl StandIn {
    /// Plays a node's instance metadata service with the role `node-role`:
    /// `token` for the IMDSv2 token PUT, `v1_allowed` for tokenless GETs
    /// (HttpTokens optional) or 401 (required). Requests go to `requests`.
    pub fn imds(token: ImdsToken, v1_allowed: bool, requests: &Path) -> StandIn {
        let token = match token {
            ImdsToken::Answer => "answer",
            ImdsToken::Hang => "hang",
            ImdsToken::Refuse401 => "401",
        };
        StandIn::start(&[
            "imds",
            "--token",
            token,
            "--v1",
            if v1_allowed { "allowed" } else { "refused" },
            "--requests",
            requests.to_str().expect("utf-8"),
        ])
    }
}

/// The IMDS stand-in's log: (method, path, sent with a token) per request.
pub fn imds_requests(log: &Path) -> Vec<(String, String, bool)> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("request log line");
            (
                v["method"].as_str().unwrap_or("").to_owned(),
                v["path"].as_str().unwrap_or("").to_owned(),
                v["token"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}
