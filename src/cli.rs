//! Flags (each also read from an IRSA_VERIFY_* variable) and the plan they make.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::arn::{RefError, RoleRef, ServiceAccount};
use crate::catalogue::Sdk;
use crate::check::{Action, BucketName, Check, Expect, Invalid, ObjectKey, TableName, Target};
use crate::drift::Baseline;
use crate::identity::{ExpectSource, Expectations, RoleOrigin};
use crate::policy::{
    self,
    derive::{derive, DeriveError, Derived, Extra},
};
use crate::run::Plan;
use crate::sink::{Outputs, Sink, SinkError};
use crate::spec;
use crate::verdict::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "irsa-verify",
    version,
    about = "Prove, from inside a pod, that its AWS identity can do exactly what it should and nothing more",
    after_help = format!("{}\nStandard AWS settings apply: AWS_REGION, AWS_ENDPOINT_URL, AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, ...", ExitCode::help())
)]
pub struct Cli {
    /// S3 bucket: checks s3:ListBucket (allow) and s3:DeleteObject on a fresh random key (deny)
    #[arg(long, env = "IRSA_VERIFY_BUCKET", value_name = "BUCKET")]
    pub bucket: Option<String>,

    /// DynamoDB table: checks dynamodb:DescribeTable (allow) and dynamodb:DeleteTable (deny; only sent when deletion protection is on)
    #[arg(long, env = "IRSA_VERIFY_TABLE", value_name = "TABLE")]
    pub table: Option<String>,

    /// An existing object in --bucket: checks s3:GetObject (allow)
    #[arg(long, env = "IRSA_VERIFY_OBJECT", value_name = "KEY")]
    pub object: Option<String>,

    /// The role the pod must run as (ARN or name); default: the spec's expect_role, else AWS_ROLE_ARN
    #[arg(long, env = "IRSA_VERIFY_EXPECT_ROLE", value_name = "ROLE")]
    pub expect_role: Option<String>,

    /// Where the credentials must come from; default: web-identity when AWS_ROLE_ARN is set, else any
    #[arg(
        long,
        env = "IRSA_VERIFY_EXPECT_SOURCE",
        value_name = "SOURCE",
        value_enum
    )]
    pub expect_source: Option<ExpectSource>,

    /// The ServiceAccount the pod's token must be for, as NAMESPACE:NAME
    #[arg(long, env = "IRSA_VERIFY_EXPECT_SERVICE_ACCOUNT", value_name = "NS:SA")]
    pub expect_service_account: Option<String>,

    /// Also check that the node's instance metadata cannot hand this pod credentials (imds:Unreachable)
    #[arg(long, env = "IRSA_VERIFY_EXPECT_NO_IMDS")]
    pub expect_no_imds: bool,

    /// Expectations as YAML or JSON, instead of --bucket/--table/--object; with --from-policy, its entries override derived ones
    #[arg(long, env = "IRSA_VERIFY_SPEC", value_name = "FILE")]
    pub spec: Option<PathBuf>,

    /// Derive the checks from the role's policies: a policy file (bare, or aws iam get-role-policy / get-policy-version output) or a directory of .json files; repeatable. --bucket/--table/--object then add targets
    #[arg(long, env = "IRSA_VERIFY_FROM_POLICY", value_name = "PATH")]
    pub from_policy: Vec<PathBuf>,

    /// Print the derived checks as a spec (the format --spec reads) and exit 0: nothing is sent
    #[arg(long, requires = "from_policy")]
    pub print_spec: bool,

    /// The role's trust policy (bare, or aws iam get-role output): checked offline against the pod's token and role
    #[arg(long, env = "IRSA_VERIFY_TRUST_POLICY", value_name = "FILE")]
    pub trust_policy: Option<PathBuf>,

    /// A role chain, hop by hop, after the pod's checks: sts:AssumeRole ROLE_ARN (15 minutes) with the pod's credentials, then sts:GetCallerIdentity as the session; repeatable, each further hop assumed with the previous hop's session. ROLE_ARN=PATH (split at the first '=') also runs that role's own checks, derived from its policies at PATH (a file or directory, as --from-policy). Each hop is a testcase; a hop not assumed fails naming the cause (identity policy or trust policy) and the later hops are skipped. The sessions' credentials are never printed
    #[arg(long = "chain", value_name = "ROLE_ARN[=PATH]")]
    pub chain: Vec<String>,

    /// Write a JUnit XML report ("-" for stdout; the human report then goes to stderr)
    #[arg(long, env = "IRSA_VERIFY_JUNIT", value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Write the results as JSON ("-" for stdout)
    #[arg(long, env = "IRSA_VERIFY_JSON", value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Also print the JUnit document in the log, between marker lines (for scripts reading kubectl logs)
    #[arg(long, env = "IRSA_VERIFY_JUNIT_LOG")]
    pub junit_log: bool,

    /// Write a one-line summary here; default /dev/termination-log when it exists (Kubernetes)
    #[arg(long, env = "IRSA_VERIFY_TERMINATION_LOG", value_name = "FILE")]
    pub termination_log: Option<PathBuf>,

    /// Name of the JUnit testsuite (default: "irsa-verify" and the expected role)
    #[arg(long, env = "IRSA_VERIFY_SUITE_NAME", value_name = "NAME")]
    pub suite_name: Option<String>,

    /// Check the flags and the spec, print the planned checks and exit (0 or 2): nothing is sent
    #[arg(long)]
    pub validate_only: bool,

    /// Print the probe catalogue (every action, its harmless request and its basis) and exit 0: nothing is sent
    #[arg(long)]
    pub list_probes: bool,

    /// How --list-probes prints the catalogue: text to read, or json (every row's fields as data) for tools; an error without --list-probes
    #[arg(
        long,
        value_name = "FORMAT",
        value_enum,
        default_value = "text",
        requires = "list_probes"
    )]
    pub format: ListFormat,

    /// Bound on the whole run, in seconds
    #[arg(long, env = "IRSA_VERIFY_TIMEOUT", value_name = "SECS", default_value = "30", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Let probes act where only the endpoint keeps an allowed call harmless, or nothing does: delete or conditionally write a named object, delete an unprotected table
    #[arg(long, env = "IRSA_VERIFY_ALLOW_DESTRUCTIVE")]
    pub allow_destructive: bool,

    /// An earlier JSON report (the --json output) to compare with: each testcase that widened, narrowed, lost its coverage or changed which policy denies it is reported as drift; widened or narrowed fails the run (exit 1)
    #[arg(long, env = "IRSA_VERIFY_BASELINE", value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Run the checks every INTERVAL (like 30s, 15m, 1h; 100ms to 24h, plus up to 10% jitter) in one long-running process, serving /metrics (Prometheus), /healthz, /report.json and /junit.xml on --listen
    #[arg(long, env = "IRSA_VERIFY_WATCH", value_name = "INTERVAL", value_parser = parse_interval, conflicts_with_all = ["junit", "json", "junit_log", "print_spec", "termination_log"])]
    pub watch: Option<Duration>,

    /// With --watch: the address to serve on
    #[arg(
        long,
        env = "IRSA_VERIFY_LISTEN",
        value_name = "ADDR",
        default_value = "0.0.0.0:9464",
        requires = "watch"
    )]
    pub listen: std::net::SocketAddr,

    /// With --watch: send the deny checks on every Nth run only (allow checks run every time); in between, their last verdicts stand
    #[arg(long, env = "IRSA_VERIFY_DENY_EVERY", value_name = "N", default_value = "1", value_parser = clap::value_parser!(u32).range(1..=10_000), requires = "watch")]
    pub deny_every: u32,

    /// How many checks run at once (they wait on the network, not the CPU)
    #[arg(long, env = "IRSA_VERIFY_CONCURRENCY", value_name = "N", default_value = "32", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

/// The forms of `--list-probes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// A --timeout that is no duration.
#[derive(Debug, thiserror::Error)]
pub enum TimeoutError {
    #[error("`{0}` is not a number of seconds")]
    NotANumber(String),
    #[error("{0}: give between 0 and 3600 seconds")]
    OutOfRange(String),
}

/// A --watch interval that is no duration.
#[derive(Debug, thiserror::Error)]
pub enum IntervalError {
    #[error(
        "`{0}` is no interval: give a number and a unit, ms, s, m or h (250ms, 30s, 15m, 1h30m)"
    )]
    Malformed(String),
    #[error("{0}: give between 100ms and 24h")]
    OutOfRange(String),
}

/// The shortest --watch interval: short enough for a test to see a thousand
/// runs in minutes, long enough that a watch cannot spin.
const MIN_INTERVAL_MS: u64 = 100;
const MAX_INTERVAL_MS: u64 = 86_400_000;

/// "250ms", "30s", "15m", "1h30m": whole numbers with units, 100 ms to 24 h.
fn parse_interval(s: &str) -> Result<Duration, IntervalError> {
    let malformed = || IntervalError::Malformed(s.to_owned());
    let mut total_ms: u64 = 0;
    let mut digits = String::new();
    let mut chars = s.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit_ms = match c {
            'm' if chars.next_if_eq(&'s').is_some() => 1,
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            _ => return Err(malformed()),
        };
        let n: u64 = digits.parse().map_err(|_| malformed())?;
        digits.clear();
        total_ms = n
            .checked_mul(unit_ms)
            .and_then(|v| total_ms.checked_add(v))
            .ok_or_else(|| IntervalError::OutOfRange(s.to_owned()))?;
    }
    if !digits.is_empty() || total_ms == 0 && s.trim().is_empty() {
        return Err(malformed());
    }
    if !(MIN_INTERVAL_MS..=MAX_INTERVAL_MS).contains(&total_ms) {
        return Err(IntervalError::OutOfRange(s.to_owned()));
    }
    Ok(Duration::from_millis(total_ms))
}

/// Why the command line is invalid input (exit 2, nothing sent).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("--spec cannot be used with --bucket/--table/--object (they add targets only to --from-policy)")]
    SpecWithTargets,
    #[error(transparent)]
    Spec(#[from] crate::spec::SpecError),
    #[error("{flag}: {source}")]
    Role {
        flag: &'static str,
        source: RefError,
    },
    #[error("{flag}: {source}")]
    Name { flag: &'static str, source: Invalid },
    #[error("{flag}: {source}")]
    Policy {
        flag: &'static str,
        source: policy::PolicyError,
    },
    #[error("--from-policy: {0}")]
    Derive(#[from] DeriveError),
    #[error(transparent)]
    Output(#[from] SinkError),
    #[error("--junit-log and --junit - would both print the document on stdout; choose one")]
    JunitTwice,
    #[error("--trust-policy: {} is a directory: give one file, the role's trust policy", .0.display())]
    TrustPolicyDirectory(PathBuf),
    #[error(transparent)]
    Baseline(#[from] crate::drift::BaselineError),
    #[error("--chain: {0}")]
    Chain(#[from] crate::chain::HopError),
    #[error("--chain {role}: {source}")]
    ChainPolicy {
        role: String,
        source: policy::PolicyError,
    },
    #[error("--chain {role}: {source}")]
    ChainDerive { role: String, source: DeriveError },
}

fn parse_timeout(s: &str) -> Result<Duration, TimeoutError> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| TimeoutError::NotANumber(s.to_owned()))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(TimeoutError::OutOfRange(s.to_owned()));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// What the command line asks for.
pub struct Invocation {
    pub plan: Plan,
    pub outputs: Outputs,
    /// Stop after planning: nothing is sent.
    pub validate_only: bool,
    /// --print-spec: the derived checks as a spec, to print instead of running.
    pub print_spec: Option<String>,
    /// --baseline: the earlier run to compare with.
    pub baseline: Option<Baseline>,
    /// --watch: run every interval and serve the results.
    pub watch: Option<crate::watch::Options>,
}

/// Turns flags into a plan, reading the spec and policy files; any error is
/// invalid input.
pub fn plan(cli: Cli) -> Result<Invocation, InputError> {
    let targets_by_flag = cli.bucket.is_some() || cli.table.is_some() || cli.object.is_some();
    if cli.spec.is_some() && targets_by_flag && cli.from_policy.is_empty() {
        return Err(InputError::SpecWithTargets);
    }
    let spec = match &cli.spec {
        Some(path) => spec::load(path)?,
        None if cli.from_policy.is_empty() => spec::Spec {
            checks: spec::from_flags(
                cli.bucket.as_deref(),
                cli.table.as_deref(),
                cli.object.as_deref(),
            )?,
            ..spec::Spec::default()
        },
        None => spec::Spec::default(),
    };
    let aws_role_arn = std::env::var("AWS_ROLE_ARN").ok().filter(|v| !v.is_empty());
    let role = match (&cli.expect_role, spec.expect_role, aws_role_arn.as_deref()) {
        (Some(r), _, _) => Some((
            RoleRef::parse(r).map_err(|source| InputError::Role {
                flag: "--expect-role",
                source,
            })?,
            RoleOrigin::Flag,
        )),
        (None, Some(r), _) => Some((r, RoleOrigin::Spec)),
        (None, None, Some(r)) => Some((
            RoleRef::parse(r).map_err(|source| InputError::Role {
                flag: "AWS_ROLE_ARN",
                source,
            })?,
            RoleOrigin::Env,
        )),
        _ => None,
    };
    let mut checks = spec.checks;
    let mut unprobed = Vec::new();
    let mut print_spec = None;
    if !cli.from_policy.is_empty() {
        let role = role.as_ref().map(|(r, _)| r);
        let derived = derive_checks(&cli, role)?;
        // Spec entries override derived ones for the same action and target.
        let mut merged = derived.checks.clone();
        for c in checks {
            match merged.iter().position(|d| d.same_subject(&c)) {
                Some(i) => merged[i] = c,
                None => merged.push(c),
            }
        }
        if cli.print_spec {
            print_spec = Some(spec::render(&merged, &derived, role));
        }
        checks = merged;
        unprobed = derived.unprobed;
    }
    let source = cli
        .expect_source
        .or(spec.expect_source)
        .unwrap_or(if aws_role_arn.is_some() {
            ExpectSource::WebIdentity
        } else {
            ExpectSource::Any
        });
    let service_account = match cli.expect_service_account {
        Some(sa) => Some(
            ServiceAccount::parse(&sa).map_err(|source| InputError::Role {
                flag: "--expect-service-account",
                source,
            })?,
        ),
        None => spec.expect_service_account,
    };
    if cli.expect_no_imds
        && !checks
            .iter()
            .any(|c| c.action() == Action::from(Sdk::ImdsUnreachable))
    {
        checks.push(
            Check::new(
                Action::from(Sdk::ImdsUnreachable),
                Expect::Deny,
                Target::Node,
                None,
            )
            .map_err(|source| InputError::Name {
                flag: "--expect-no-imds",
                source,
            })?,
        );
    }
    let sink = |flag, p: Option<PathBuf>| p.map(|p| Sink::parse(flag, &p)).transpose();
    let mut outputs = Outputs::new(sink("--junit", cli.junit)?, sink("--json", cli.json)?)?;
    if cli.junit_log && outputs.junit == Some(Sink::Stdout) {
        return Err(InputError::JunitTwice);
    }
    outputs.junit_log = cli.junit_log;
    outputs.suite_name = cli.suite_name;
    outputs.termination_log = match cli.termination_log {
        Some(path) => {
            Sink::parse("--termination-log", &path)?;
            Some((path, true))
        }
        // The kubelet mounts this file; elsewhere it is absent and skipped.
        None => Some(PathBuf::from("/dev/termination-log"))
            .filter(|p| p.exists())
            .map(|p| (p, false)),
    };
    let trust_policy = match &cli.trust_policy {
        Some(path) if path.is_dir() => return Err(InputError::TrustPolicyDirectory(path.clone())),
        Some(path) => Some(
            policy::load_file(path).map_err(|source| InputError::Policy {
                flag: "--trust-policy",
                source,
            })?,
        ),
        None => None,
    };
    let chain = cli
        .chain
        .iter()
        .map(|value| hop(value))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = Plan {
        checks,
        unprobed,
        trust_policy,
        chain,
        expect: Expectations {
            role,
            source,
            service_account,
        },
        identity_name: spec.identity_name,
        timeout: cli.timeout,
        allow_destructive: cli.allow_destructive,
        concurrency: usize::from(cli.concurrency),
    };
    let baseline = cli.baseline.as_deref().map(Baseline::load).transpose()?;
    let watch = cli.watch.map(|interval| crate::watch::Options {
        interval,
        listen: cli.listen,
        deny_every: cli.deny_every,
    });
    Ok(Invocation {
        plan,
        outputs,
        validate_only: cli.validate_only,
        print_spec,
        baseline,
        watch,
    })
}

/// One `--chain ROLE_ARN[=PATH]`: the role, and the checks its policies
/// imply in its own account (no extra targets).
fn hop(value: &str) -> Result<crate::chain::Hop, InputError> {
    let (role, path) = crate::chain::parse(value)?;
    let (checks, unprobed) = match &path {
        None => (Vec::new(), Vec::new()),
        Some(path) => {
            let policies = policy::load(path).map_err(|source| InputError::ChainPolicy {
                role: role.clone(),
                source,
            })?;
            let arn = crate::arn::Arn::parse(&role);
            let at = crate::check::Place {
                partition: arn.as_ref().map_or("aws", |a| a.partition).to_owned(),
                region: region(),
                account: arn.as_ref().map_or("*", |a| a.account).to_owned(),
            };
            let derived = derive(&policies, &Extra::default(), &at).map_err(|source| {
                InputError::ChainDerive {
                    role: role.clone(),
                    source,
                }
            })?;
            (derived.checks, derived.unprobed)
        }
    };
    Ok(crate::chain::Hop {
        role,
        policies: path,
        checks,
        unprobed,
    })
}

/// The region the checks are judged in, as the SDK will read it.
fn region() -> String {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_owned())
}

fn derive_checks(cli: &Cli, role: Option<&RoleRef>) -> Result<Derived, InputError> {
    let mut policies = Vec::new();
    for path in &cli.from_policy {
        policies.extend(policy::load(path).map_err(|source| InputError::Policy {
            flag: "--from-policy",
            source,
        })?);
    }
    let name = |flag| move |source| InputError::Name { flag, source };
    let extra = Extra {
        buckets: cli
            .bucket
            .iter()
            .map(|b| BucketName::parse(b).map_err(name("--bucket")))
            .collect::<Result<_, _>>()?,
        tables: cli
            .table
            .iter()
            .map(|t| TableName::parse(t).map_err(name("--table")))
            .collect::<Result<_, _>>()?,
        object: cli
            .object
            .as_deref()
            .map(|k| ObjectKey::parse(k).map_err(name("--object")))
            .transpose()?,
    };
    let at = crate::check::Place {
        partition: role
            .and_then(|r| r.partition.clone())
            .unwrap_or_else(|| "aws".to_owned()),
        region: region(),
        account: role
            .and_then(|r| r.account.clone())
            .unwrap_or_else(|| "*".to_owned()),
    };
    Ok(derive(&policies, &extra, &at)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_numbers_with_units_from_100ms_to_a_day() {
        let ms = |s: &str| {
            parse_interval(s)
                .map(|d| d.as_millis())
                .map_err(|e| e.to_string())
        };
        assert_eq!(ms("100ms"), Ok(100));
        assert_eq!(ms("250ms"), Ok(250));
        assert_eq!(ms("1s"), Ok(1_000));
        assert_eq!(ms("1s500ms"), Ok(1_500));
        assert_eq!(ms("30s"), Ok(30_000));
        assert_eq!(ms("15m"), Ok(900_000));
        assert_eq!(ms("1m30s"), Ok(90_000));
        assert_eq!(ms("1h30m"), Ok(5_400_000));
        assert_eq!(ms(" 24h "), Ok(86_400_000));
        for bad in [
            "", "10", "1x", "m", "ms", "1.5m", "-1s", "1 s", "100mss", "1sm",
        ] {
            assert!(
                ms(bad).is_err_and(|e| e.contains("no interval")),
                "{bad:?}: {:?}",
                ms(bad)
            );
        }
        for out in [
            "0s",
            "99ms",
            "1ms",
            "25h",
            "86400001ms",
            "99999999999999999h",
        ] {
            assert!(
                ms(out).is_err_and(|e| e.contains("between 100ms and 24h")),
                "{out:?}: {:?}",
                ms(out)
            );
        }
    }

    #[test]
    fn watch_flags_need_watch_and_exclude_the_report_files() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("irsa-verify").chain(args.iter().copied()))
        };
        let cli = parse(&["--watch", "15m", "--bucket", "b"]).unwrap();
        assert_eq!(cli.watch, Some(Duration::from_secs(900)));
        assert_eq!(cli.listen.to_string(), "0.0.0.0:9464");
        assert_eq!(cli.deny_every, 1);
        assert!(parse(&["--listen", "127.0.0.1:1"]).is_err());
        assert!(parse(&["--deny-every", "2"]).is_err());
        assert!(parse(&["--watch", "1s", "--deny-every", "0"]).is_err());
        assert!(parse(&["--watch", "1s", "--json", "x.json"]).is_err());
        assert!(parse(&["--watch", "1s", "--junit", "x.xml"]).is_err());
        assert!(parse(&["--watch", "1s", "--listen", "nowhere"]).is_err());
    }
}
