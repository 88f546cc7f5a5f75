//! What the run found: one `Finding` per check, and the run's `RunFindings`,
//! plain data that every reporter reads.

use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use crate::answer::{denied_by, Answer, Observation, Observed};
use crate::check::Expect;
use crate::identity::Identity;
use std::collections::{BTreeMap, BTreeSet};

use crate::verdict::{ExitCode, SkipGroup, Status, Summary};

/// What a finding is about, as the reports name it.
#[derive(Debug, Clone)]
pub struct Subject {
    pub action: String,
    pub service: String,
    /// Stable across runs (see `check::Target::label`).
    pub label: String,
    /// The resource ARN, which may hold per-run values such as the account.
    pub resource: String,
    /// None for an action that is reported but not probed.
    pub expect: Option<Expect>,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable test name: "ACTION LABEL expect allow|deny[ (display name)]".
    pub name: String,
    pub display_name: Option<String>,
    pub action: String,
    pub service: String,
    /// What the check is on, as its name says it: stable across runs, unlike
    /// `resource`, which may name what the probe picked this run.
    pub target: String,
    pub resource: String,
    pub expect: Option<Expect>,
    pub status: Status,
    /// Why a check that was sent is still skipped (its expectation hangs on
    /// conditions the agent cannot evaluate).
    pub skip_reason: Option<String>,
    /// Why a skipped check or action was not proven.
    pub skip_group: Option<SkipGroup>,
    pub observed: Observed,
    pub answer: Answer,
    /// Which kind of policy refused, when AWS's message says so.
    pub denied_by: Option<&'static str>,
    /// The exact request form the probe used.
    pub form: String,
    pub notes: Vec<String>,
    /// Why it could not tell, when the answer alone does not say.
    pub unsure: Option<String>,
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Duration,
    /// The `--chain` hop (1, 2, ...) whose testcase this is: its AssumeRole,
    /// or a check sent as it. Absent for the pod's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop: Option<usize>,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

impl Finding {
    pub fn with_skip_reason(mut self, reason: String, group: SkipGroup) -> Self {
        self.skip_reason = Some(reason);
        self.skip_group = Some(group);
        self
    }

    pub fn in_group(mut self, group: SkipGroup) -> Self {
        self.skip_group = Some(group);
        self
    }

    /// The same finding, as chain hop `hop`'s.
    pub fn in_hop(mut self, hop: usize) -> Self {
        self.hop = Some(hop);
        self
    }

    /// What a skip says: its reason, or why nothing was sent.
    pub fn skip_message(&self) -> String {
        self.skip_reason
            .clone()
            .unwrap_or_else(|| self.answer.summary())
    }

    pub fn new(subject: Subject, status: Status, probed: Observation, duration: Duration) -> Self {
        let Subject {
            action,
            service,
            label,
            resource,
            expect,
            display_name,
        } = subject;
        let mut name = match expect {
            Some(e) => format!("{action} {label} expect {}", e.as_str()),
            None => format!("{action} {label}"),
        };
        let target = label;
        if let Some(d) = &display_name {
            name.push_str(&format!(" ({d})"));
        }
        // sts:AssumeRole's refusal by a trust policy names no policy type:
        // its own reading says so.
        let denied_by = match probed.observed {
            Observed::Denied if action == crate::assume::ACTION => {
                crate::assume::refusal(probed.answer.message()).label()
            }
            Observed::Denied => probed.answer.message().and_then(denied_by),
            _ => None,
        };
        Finding {
            name,
            display_name,
            action,
            service,
            target,
            resource,
            expect,
            status,
            skip_reason: None,
            skip_group: None,
            observed: probed.observed,
            answer: probed.answer,
            denied_by,
            form: probed.form,
            notes: probed.notes,
            unsure: probed.unsure,
            duration,
            hop: None,
        }
    }
}

/// Who one `--chain` hop turned out to be, for the reports' header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainHop {
    /// 1 for the role the pod assumes, 2 for the one hop 1 assumes, ...
    pub hop: usize,
    /// The role given to --chain.
    pub role: String,
    /// The session's ARN, as sts:GetCallerIdentity answered it.
    pub caller_arn: Option<String>,
    pub account: Option<String>,
    /// The hop's testcase verdict.
    pub status: Status,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunFindings {
    pub tool: &'static str,
    pub version: &'static str,
    #[serde(serialize_with = "rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Duration,
    pub identity: Identity,
    /// The identity check first, then the checks in the order given.
    pub results: Vec<Finding>,
    pub summary: Summary,
    pub coverage: Coverage,
    /// What changed since the baseline (`--baseline`, or watch mode's first
    /// complete run); absent when there is none to compare with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<Vec<Drift>>,
    /// `--chain`: each hop's identity, in order; absent without one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<ChainHop>,
    pub exit_code: ExitCode,
}

/// How a testcase changed since the baseline (see `drift::classify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    /// Expected deny: denied in the baseline, allowed now.
    Widened,
    /// Expected allow: allowed in the baseline, denied now.
    Narrowed,
    /// Denied both times, but by another kind of policy (AWS named both).
    AttributionChanged,
    /// Passed in the baseline, not proven now (skipped, or no longer checked).
    CoverageLost,
}

impl DriftKind {
    pub const ALL: [DriftKind; 4] = [
        DriftKind::Widened,
        DriftKind::Narrowed,
        DriftKind::AttributionChanged,
        DriftKind::CoverageLost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::Widened => "widened",
            DriftKind::Narrowed => "narrowed",
            DriftKind::AttributionChanged => "attribution-changed",
            DriftKind::CoverageLost => "coverage-lost",
        }
    }

    /// Widened and narrowed break an expectation that held: the run fails.
    pub fn fails(self) -> bool {
        matches!(self, DriftKind::Widened | DriftKind::Narrowed)
    }
}

/// One side of a comparison: what a testcase showed in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seen {
    pub status: Status,
    pub observed: Observed,
    pub denied_by: Option<String>,
}

impl Seen {
    pub fn of(f: &Finding) -> Self {
        Seen {
            status: f.status,
            observed: f.observed,
            denied_by: f.denied_by.map(str::to_owned),
        }
    }
}

/// A change since the baseline, named by the testcase it happened to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub kind: DriftKind,
    /// The testcase's stable name.
    pub name: String,
    pub action: String,
    /// The testcase's target (stable across runs).
    pub resource: String,
    pub expect: Option<Expect>,
    pub before: Seen,
    /// None when the testcase is no longer in the run.
    pub after: Option<Seen>,
    pub message: String,
}

/// How much of what the role is granted the run proved. Pure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Distinct granted actions: allow checks and granted actions not probed.
    pub granted: usize,
    /// Of those, the ones an allow check proved.
    pub proven: usize,
    /// The others that were skipped, by why.
    pub skipped: BTreeMap<SkipGroup, usize>,
    /// The same, by what the actions work on (`area`): which part of a
    /// role stays unproven, and why.
    pub areas: BTreeMap<&'static str, AreaCoverage>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AreaCoverage {
    pub granted: usize,
    pub proven: usize,
    /// Each granted action not proven, and why (None: checked, not passed).
    pub not_proven: Vec<(String, Option<SkipGroup>)>,
}

/// What an action works on, in the words of the add-ons that grant it: the
/// VPC CNI's network interfaces, the load balancer controller's load
/// balancers. Pure; the same action always falls in the same area, so the
/// names are stable across runs.
pub fn area(action: &str) -> &'static str {
    let (service, op) = action.split_once(':').unwrap_or((action, ""));
    let has = |words: &[&str]| words.iter().any(|w| op.contains(w));
    if has(&["Tag"]) && !op.starts_with("Describe") && !op.starts_with("List") {
        return "tags";
    }
    match service {
        "ec2" if has(&["NetworkInterface", "PrivateIp", "Ipv6Address"]) => "network interfaces",
        "ec2" if has(&["Volume", "Snapshot"]) => "volumes and snapshots",
        "ec2" if has(&["SecurityGroup"]) => "security groups",
        "ec2"
            if has(&[
                "Instance",
                "Fleet",
                "LaunchTemplate",
                "Spot",
                "Image",
                "CapacityReservation",
                "PlacementGroup",
            ]) =>
        {
            "instances and launch templates"
        }
        "ec2" => "EC2 network and account reads",
        "elasticloadbalancing" => "load balancers",
        "wafv2" | "waf-regional" | "waf" | "shield" => "WAF and Shield",
        "autoscaling" => "Auto Scaling",
        "eks" => "EKS",
        "route53" => "DNS",
        "secretsmanager" => "secrets",
        "ssm" => "parameters",
        "kms" => "keys",
        "logs" | "xray" | "cloudwatch" => "logs, metrics and traces",
        "iam" | "sts" => "IAM",
        "acm" | "acm-pca" => "certificates",
        "sqs" | "sns" => "queues and topics",
        "s3" => "S3",
        "dynamodb" => "DynamoDB",
        "pricing" => "prices",
        "ecr" => "container images",
        _ => "other services",
    }
}

/// The label of the trust policy's testcase (`--trust-policy`).
pub const TRUST_POLICY_LABEL: &str = "trust policy of";

/// The identity and trust checks are about the pod, not its grants; a
/// chain hop's testcases are about another role's.
fn about_a_grant(r: &Finding) -> bool {
    let pod = match r.action.as_str() {
        "sts:GetCallerIdentity" | "sts:AssumeRoleWithWebIdentity" => true,
        "sts:AssumeRole" => r.target.starts_with(TRUST_POLICY_LABEL),
        _ => false,
    };
    r.expect != Some(Expect::Deny) && !pod && r.hop.is_none()
}

impl Coverage {
    pub fn of(results: &[Finding]) -> Self {
        let grants = results.iter().filter(|r| about_a_grant(r));
        let granted: BTreeSet<&str> = grants.clone().map(|r| r.action.as_str()).collect();
        let proven: BTreeSet<&str> = grants
            .clone()
            .filter(|r| r.expect == Some(Expect::Allow) && r.status == Status::Pass)
            .map(|r| r.action.as_str())
            .collect();
        let mut skipped = BTreeMap::new();
        let mut areas: BTreeMap<&'static str, AreaCoverage> = BTreeMap::new();
        for action in &granted {
            let a = areas.entry(area(action)).or_default();
            a.granted += 1;
            if proven.contains(action) {
                a.proven += 1;
                continue;
            }
            let group = grants
                .clone()
                .filter(|r| r.action == *action && r.status == Status::Skip)
                .find_map(|r| r.skip_group);
            if let Some(g) = group {
                *skipped.entry(g).or_insert(0) += 1;
            }
            a.not_proven.push(((*action).to_owned(), group));
        }
        Coverage {
            granted: granted.len(),
            proven: proven.len(),
            skipped,
            areas,
        }
    }

    /// One line per area with a grant not proven: "network interfaces: 5
    /// of 7 proven; not proven: ec2:X (never probed), ...".
    pub fn area_lines(&self) -> Vec<String> {
        self.areas
            .iter()
            .filter(|(_, a)| !a.not_proven.is_empty())
            .map(|(name, a)| {
                let why: Vec<String> = a
                    .not_proven
                    .iter()
                    .map(|(action, g)| match g {
                        Some(g) => format!("{action} ({})", g.label()),
                        None => format!("{action} (checked, not passed)"),
                    })
                    .collect();
                format!(
                    "{name}: {} of {} proven; not proven: {}",
                    a.proven,
                    a.granted,
                    why.join(", ")
                )
            })
            .collect()
    }

    /// "40 of 60 granted actions proven; 20 skipped: 8 conditions, ..." or
    /// nothing when no grant was checked.
    pub fn line(&self) -> Option<String> {
        if self.granted == 0 {
            return None;
        }
        let mut line = format!("{} of {} granted actions proven", self.proven, self.granted);
        let total: usize = self.skipped.values().sum();
        if total > 0 {
            let groups: Vec<String> = self
                .skipped
                .iter()
                .map(|(g, n)| format!("{n} {}", g.label()))
                .collect();
            line.push_str(&format!("; {total} skipped: {}", groups.join(", ")));
        }
        Some(line)
    }
}

fn rfc3339<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    use time::format_description::well_known::Rfc3339;
    s.serialize_str(&t.format(&Rfc3339).map_err(serde::ser::Error::custom)?)
}

impl RunFindings {
    pub fn new(
        started_at: OffsetDateTime,
        duration: Duration,
        identity: Identity,
        results: Vec<Finding>,
    ) -> Self {
        let summary = Summary::of(results.iter().map(|r| r.status));
        let coverage = Coverage::of(&results);
        RunFindings {
            coverage,
            tool: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            started_at,
            duration,
            identity,
            exit_code: summary.exit_code(),
            summary,
            results,
            drift: None,
            chain: Vec::new(),
        }
    }

    /// The run with its `--chain` hops' identities.
    pub fn with_chain(mut self, chain: Vec<ChainHop>) -> Self {
        self.chain = chain;
        self
    }

    /// The run compared with a baseline: a widened or narrowed testcase
    /// fails the run.
    pub fn with_drift(mut self, drift: Vec<Drift>) -> Self {
        if drift.iter().any(|d| d.kind.fails()) {
            self.exit_code = ExitCode::Failed;
        }
        self.drift = Some(drift);
        self
    }

    /// The drift entries, none without a baseline.
    pub fn drift(&self) -> &[Drift] {
        self.drift.as_deref().unwrap_or_default()
    }
}

/// A finding as the stages that read findings (drift, watch) see one: an
/// S3 check on `resource`, judged from what was observed. The answer
/// behind it: a 200 when allowed, AccessDenied saying `message` when
/// denied, a refused connection otherwise.
#[cfg(test)]
pub fn observed_finding(
    action: &str,
    expect: Expect,
    observed: Observed,
    message: &str,
    resource: &str,
) -> Finding {
    let answer = match observed {
        Observed::Allowed => Answer::success(200, ""),
        Observed::Denied => Answer::ServiceError {
            status: Some(403),
            code: Some("AccessDenied".into()),
            message: Some(message.into()),
        },
        _ => Answer::Transport {
            detail: "connection refused".into(),
        },
    };
    let mut o = Observation::new(answer, &[], "f");
    o.observed = observed;
    Finding::new(
        Subject {
            action: action.into(),
            service: "s3".into(),
            label: "bucket b".into(),
            resource: resource.into(),
            expect: Some(expect),
            display_name: None,
        },
        crate::verdict::judge(expect, observed),
        o,
        Duration::ZERO,
    )
}

#[cfg(test)]
mod coverage_tests {
    use super::*;

    fn finding(
        action: &str,
        expect: Option<Expect>,
        status: Status,
        group: Option<SkipGroup>,
    ) -> Finding {
        let subject = Subject {
            action: action.to_owned(),
            service: "s".to_owned(),
            label: "l".to_owned(),
            resource: "r".to_owned(),
            expect,
            display_name: None,
        };
        let mut f = Finding::new(subject, status, Observation::skipped("x"), Duration::ZERO);
        f.skip_group = group;
        f
    }

    #[test]
    fn every_action_falls_in_one_area_by_what_it_works_on() {
        for (action, want) in [
            ("ec2:CreateNetworkInterface", "network interfaces"),
            ("ec2:AssignPrivateIpAddresses", "network interfaces"),
            ("ec2:CreateTags", "tags"),
            ("elasticloadbalancing:RemoveTags", "tags"),
            ("ec2:DescribeTags", "EC2 network and account reads"),
            ("ec2:DeleteSnapshot", "volumes and snapshots"),
            ("ec2:RunInstances", "instances and launch templates"),
            (
                "ec2:DescribeSpotPriceHistory",
                "instances and launch templates",
            ),
            ("ec2:RevokeSecurityGroupIngress", "security groups"),
            ("ec2:DescribeSubnets", "EC2 network and account reads"),
            ("elasticloadbalancing:ModifyListener", "load balancers"),
            ("waf-regional:GetWebACL", "WAF and Shield"),
            ("shield:DescribeProtection", "WAF and Shield"),
            ("route53:GetChange", "DNS"),
            ("pricing:GetProducts", "prices"),
            ("cognito-idp:DescribeUserPoolClient", "other services"),
        ] {
            assert_eq!(area(action), want, "{action}");
        }
    }

    #[test]
    fn areas_say_what_stays_unproven_and_why() {
        use Expect::*;
        let results = [
            finding(
                "ec2:CreateNetworkInterface",
                Some(Allow),
                Status::Pass,
                None,
            ),
            finding(
                "ec2:AttachNetworkInterface",
                Some(Allow),
                Status::Fail,
                None,
            ),
            finding(
                "ec2:AssignPrivateIpAddresses",
                None,
                Status::Skip,
                Some(SkipGroup::NeverProbed),
            ),
            finding("ec2:DescribeSubnets", Some(Allow), Status::Pass, None),
            finding("ec2:DeleteVolume", Some(Deny), Status::Pass, None),
        ];
        let c = Coverage::of(&results);
        assert_eq!(
            c.area_lines(),
            ["network interfaces: 1 of 3 proven; not proven: ec2:AssignPrivateIpAddresses (never probed), \
              ec2:AttachNetworkInterface (checked, not passed)"]
        );
        assert_eq!(c.areas["EC2 network and account reads"].proven, 1);
        assert!(
            !c.areas.contains_key("volumes and snapshots"),
            "a deny check is no grant"
        );
    }

    #[test]
    fn coverage_counts_distinct_granted_actions_and_groups_the_rest() {
        use Expect::*;
        let results = [
            finding("sts:GetCallerIdentity", Some(Allow), Status::Pass, None),
            finding("ec2:DescribeVolumes", Some(Allow), Status::Pass, None),
            // Proven once is proven, whatever else the same action shows.
            finding(
                "ec2:DescribeVolumes",
                Some(Allow),
                Status::Skip,
                Some(SkipGroup::NotAttempted),
            ),
            finding("ec2:DeleteVolume", Some(Deny), Status::Pass, None),
            finding(
                "ec2:CreateVolume",
                Some(Allow),
                Status::Skip,
                Some(SkipGroup::Conditions),
            ),
            finding("ec2:AttachVolume", Some(Allow), Status::Fail, None),
            finding(
                "secretsmanager:GetSecretValue",
                None,
                Status::Skip,
                Some(SkipGroup::DenialOnly),
            ),
            finding(
                "ssm:GetParameterWithContext",
                None,
                Status::Skip,
                Some(SkipGroup::UnknownAction),
            ),
        ];
        let c = Coverage::of(&results);
        assert_eq!((c.granted, c.proven), (5, 1));
        assert_eq!(
            c.skipped.into_iter().collect::<Vec<_>>(),
            [
                (SkipGroup::Conditions, 1),
                (SkipGroup::DenialOnly, 1),
                (SkipGroup::UnknownAction, 1)
            ]
        );
        let line = Coverage::of(&results).line().unwrap();
        assert_eq!(
            line,
            "1 of 5 granted actions proven; 3 skipped: 1 conditions, 1 deny-only, 1 unknown action"
        );
        assert_eq!(
            Coverage::of(&results[..1]).line(),
            None,
            "the identity check is no grant"
        );
        assert_eq!(
            Coverage::of(&results[..2]).line().as_deref(),
            Some("1 of 1 granted actions proven"),
            "nothing skipped: no skipped clause"
        );
    }

    #[test]
    fn an_assume_role_check_is_a_grant_the_trust_policy_and_chain_hops_are_not() {
        use Expect::*;
        let mut trust = finding("sts:AssumeRole", Some(Allow), Status::Pass, None);
        trust.target = format!("{TRUST_POLICY_LABEL} arn:aws:iam::1:role/app");
        let grant = finding("sts:AssumeRole", Some(Allow), Status::Pass, None);
        let hop = finding("sts:AssumeRole", Some(Allow), Status::Pass, None).in_hop(1);
        let hop_check = finding("dynamodb:ListTables", Some(Allow), Status::Fail, None).in_hop(1);
        let c = Coverage::of(&[trust.clone(), hop.clone(), hop_check]);
        assert_eq!((c.granted, c.proven), (0, 0), "{c:?}");
        let c = Coverage::of(&[trust, hop, grant]);
        assert_eq!((c.granted, c.proven), (1, 1), "{c:?}");
    }
}
