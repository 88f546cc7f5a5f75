//! The flow: identity first, then every check concurrently, then findings.

use std::time::{Duration, Instant};

use aws_credential_types::provider::SharedCredentialsProvider;
use futures_util::stream::{self, StreamExt};
use time::OffsetDateTime;
use tokio::time::timeout_at;

use crate::answer::{reconsider_denial, Answer, Observation, Observed};
use crate::assume;
use crate::chain::{self, Hop};
use crate::check::{Check, Expect, Place};
use crate::findings::{ChainHop, Finding, RunFindings, Subject};
use crate::identity::token::Claims;
use crate::identity::{
    self, Assessment, ExpectSource, Expectations, Outcome, PodEnv, Session, TokenKind,
};
use crate::policy::derive::Unprobed;
use crate::policy::Policy;
use crate::probe::{self, Ctx};
use crate::trust;
use crate::verdict::{judge, SkipGroup, Status};

/// Everything the run needs, decided before anything is sent.
#[derive(Debug, Clone)]
pub struct Plan {
    pub checks: Vec<Check>,
    pub expect: Expectations,
    /// Display name for the identity check, from the spec.
    pub identity_name: Option<String>,
    pub timeout: Duration,
    pub allow_destructive: bool,
    pub concurrency: usize,
    /// Actions the policies name that the agent cannot probe.
    pub unprobed: Vec<Unprobed>,
    /// The role's trust policy, checked offline against the pod's token.
    pub trust_policy: Option<Policy>,
    /// `--chain`: the roles assumed after the pod's checks, in order.
    pub chain: Vec<Hop>,
}

impl Plan {
    /// The planned checks, for --validate-only.
    pub fn describe(&self) -> String {
        let chain = match self.chain.len() {
            0 => String::new(),
            n => format!(", then a role chain of {n} hop(s)"),
        };
        let mut out = format!(
            "valid: the identity check and {} check(s) would run{chain} (expected source: {})\n",
            self.checks.len(),
            self.expect.source.as_str()
        );
        if let Some((role, from)) = &self.expect.role {
            out.push_str(&format!(
                "  expect role {} (from {})\n",
                role.raw,
                from.label()
            ));
        }
        for c in &self.checks {
            out.push_str(&format!(
                "  {} {} expect {}\n",
                c.action(),
                c.label(),
                c.expect().as_str()
            ));
            if !c.conditions().is_empty() {
                out.push_str(&format!("    conditions: {}\n", c.conditions().join(", ")));
            }
            for note in c.target().notes() {
                out.push_str(&format!("    note: {note}\n"));
            }
        }
        for u in &self.unprobed {
            out.push_str(&format!("  {} not probed\n", u.action));
        }
        for (i, hop) in self.chain.iter().enumerate() {
            let n = i + 1;
            out.push_str(&format!(
                "  chain hop {n}: sts:AssumeRole {} ({}), then sts:GetCallerIdentity as the session; {} check(s) as it{}\n",
                hop.role,
                if n == 1 {
                    "with the pod's credentials".to_owned()
                } else {
                    format!("with hop {}'s session", n - 1)
                },
                hop.checks.len(),
                hop.policies
                    .as_ref()
                    .map(|p| format!(", derived from {}", p.display()))
                    .unwrap_or_default()
            ));
            for c in &hop.checks {
                out.push_str(&format!(
                    "    {} {} expect {}\n",
                    c.action(),
                    chain::as_hop(&c.label(), n),
                    c.expect().as_str()
                ));
            }
            for u in &hop.unprobed {
                out.push_str(&format!("    {} not probed\n", u.action));
            }
        }
        out
    }
}

/// Whose checks these are: the caller as AWS names it, the principal a
/// trust policy names it by, where its resources are, and the chain hop
/// it is (none for the pod).
#[derive(Debug, Clone, Copy)]
struct Scope<'a> {
    caller: &'a str,
    principal: &'a str,
    place: &'a Place,
    hop: Option<usize>,
}

impl Scope<'_> {
    fn label(&self, label: String) -> String {
        match self.hop {
            Some(n) => chain::as_hop(&label, n),
            None => label,
        }
    }

    fn mark(&self, finding: Finding) -> Finding {
        match self.hop {
            Some(n) => finding.in_hop(n),
            None => finding,
        }
    }
}

pub async fn run(plan: &Plan) -> RunFindings {
    let started_at = OffsetDateTime::now_utc();
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + plan.timeout;
    let env = PodEnv::from_env();

    let sdk = crate::aws::load(plan.timeout).await;
    let run_secs = plan.timeout.as_secs() as i64 + 1;
    let outcome = match timeout_at(
        deadline,
        identity::establish(&sdk, env.clone(), &plan.expect, run_secs),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(_) => Outcome::unestablished(
            &plan.expect,
            env,
            timed_out(plan.timeout, "establishing the identity"),
        ),
    };
    let Outcome {
        assessment,
        session,
        token,
        causes,
    } = outcome;
    let Assessment {
        status: identity_status,
        mut observation,
        identity,
    } = assessment;
    if let Some(problem) = crate::aws::tls_roots_problem() {
        observation.notes.push(problem.to_owned());
    }
    if plan.checks.is_empty() && plan.unprobed.is_empty() && plan.chain.is_empty() {
        observation.notes.push(
            "only the identity was checked: no permission check was asked for (give --bucket/--table, --spec or --from-policy)".to_owned(),
        );
    }
    let trust_finding = plan
        .trust_policy
        .as_ref()
        .map(|policy| trust_finding(policy, plan, token.as_ref()));
    if let Some(t) = &trust_finding {
        observation
            .notes
            .extend(trust::elsewhere(t.status, &causes));
    }
    let identity_finding = Finding::new(
        Subject {
            action: identity::ACTION.to_owned(),
            service: "sts".to_owned(),
            label: identity.label(),
            resource: identity
                .caller_arn
                .clone()
                .unwrap_or_else(|| "the caller".to_owned()),
            expect: Some(Expect::Allow),
            display_name: plan.identity_name.clone(),
        },
        identity_status,
        observation,
        started.elapsed(),
    );

    let mut findings = vec![identity_finding];
    findings.extend(trust_finding);
    let hops = match session {
        Some(pod) => {
            // Never destroy anything on behalf of the wrong identity.
            let destructive = plan.allow_destructive && identity_status == Status::Pass;
            let known_role = plan.expect.role.as_ref().map(|(r, _)| r.raw.as_str());
            let principal = assume::source_principal(&pod.caller_arn, known_role);
            let scope = Scope {
                caller: &pod.caller_arn,
                principal: &principal,
                place: &pod.place,
                hop: None,
            };
            findings.extend(
                probe_all(
                    &sdk,
                    &pod.credentials,
                    &plan.checks,
                    scope,
                    destructive,
                    plan,
                    deadline,
                )
                .await,
            );
            findings.extend(plan.unprobed.iter().map(|u| unprobed(u, None)));
            walk_chain(
                &sdk,
                pod,
                principal,
                destructive,
                plan,
                deadline,
                &mut findings,
            )
            .await
        }
        None => {
            findings.extend(
                plan.checks
                    .iter()
                    .map(|c| unattempted(c, NO_IDENTITY, None)),
            );
            findings.extend(plan.unprobed.iter().map(|u| unprobed(u, None)));
            let mut hops = Vec::new();
            for (i, hop) in plan.chain.iter().enumerate() {
                hops.push(skip_hop(i + 1, hop, NO_IDENTITY, &mut findings));
            }
            hops
        }
    };
    RunFindings::new(started_at, started.elapsed(), identity, findings).with_chain(hops)
}

const NO_IDENTITY: &str =
    "the identity could not be established (see the sts:GetCallerIdentity check)";

/// Sends every check as `scope`'s caller, `concurrency` at once, and
/// concludes each in the order given.
async fn probe_all(
    sdk: &aws_config::SdkConfig,
    credentials: &aws_credential_types::Credentials,
    checks: &[Check],
    scope: Scope<'_>,
    destructive: bool,
    plan: &Plan,
    deadline: tokio::time::Instant,
) -> Vec<Finding> {
    let sdk = sdk
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials.clone()))
        .build();
    let ctx = Ctx::new(
        &sdk,
        credentials.clone(),
        scope.place.clone(),
        destructive,
        checks,
    );
    // Unordered, so a slow check never holds a slot another could use;
    // the report keeps the order given.
    let ctx = &ctx;
    let mut checked: Vec<(usize, Finding)> = stream::iter(checks.iter().enumerate())
        .map(|(i, check)| async move {
            let started = Instant::now();
            let observation = match timeout_at(deadline, probe::send(ctx, check)).await {
                Ok(o) => o,
                Err(_) => timed_out(plan.timeout, "before AWS answered"),
            };
            (i, conclude(check, observation, scope, started.elapsed()))
        })
        .buffer_unordered(plan.concurrency.max(1))
        .collect()
        .await;
    checked.sort_by_key(|(i, _)| *i);
    checked.into_iter().map(|(_, f)| f).collect()
}

/// `--chain`, hop by hop: each role assumed with the session before it (the
/// pod's for hop 1), proven by sts:GetCallerIdentity, then its own checks
/// sent as it. A hop that is not assumed stops the chain: its checks and
/// every later hop are skipped with why.
async fn walk_chain(
    sdk: &aws_config::SdkConfig,
    pod: Session,
    principal: String,
    destructive: bool,
    plan: &Plan,
    deadline: tokio::time::Instant,
    findings: &mut Vec<Finding>,
) -> Vec<ChainHop> {
    let mut hops = Vec::new();
    let (mut credentials, mut caller, mut principal) = (pod.credentials, pod.caller_arn, principal);
    let region = pod.place.region;
    let mut broken: Option<String> = None;
    for (i, hop) in plan.chain.iter().enumerate() {
        let n = i + 1;
        if let Some(why) = &broken {
            hops.push(skip_hop(n, hop, why, findings));
            continue;
        }
        let started = Instant::now();
        let step = match timeout_at(
            deadline,
            chain::step(sdk, &credentials, &hop.role, &principal),
        )
        .await
        {
            Ok(step) => step,
            Err(_) => chain::Step::timed_out(
                &hop.role,
                format!(
                    "timed out: --timeout {}s elapsed before AWS answered",
                    plan.timeout.as_secs_f64()
                ),
            ),
        };
        let (finding, identity) = chain::conclude(
            n,
            &hop.role,
            &caller,
            &principal,
            &step.facts,
            started.elapsed(),
        );
        let passed = finding.status == Status::Pass;
        findings.push(finding);
        let session = match (
            passed,
            step.credentials,
            &identity.caller_arn,
            &identity.account,
        ) {
            (true, Some(c), Some(arn), Some(account)) => Some((c, arn.clone(), account.clone())),
            _ => None,
        };
        // AssumeRole answered with a session when STS was then asked who it is.
        let why = match step.facts.caller {
            None => format!("chain hop {n} ({}) was not assumed", hop.role),
            Some(_) => format!(
                "chain hop {n} ({}) was assumed, but its session was not proven to be that role",
                hop.role
            ),
        };
        hops.push(identity);
        let Some((session_credentials, session_arn, account)) = session else {
            findings.extend(hop.checks.iter().map(|c| unattempted(c, &why, Some(n))));
            findings.extend(hop.unprobed.iter().map(|u| unprobed(u, Some(n))));
            broken = Some(why);
            continue;
        };
        let place = Place {
            partition: crate::arn::Arn::parse(&session_arn)
                .map_or("aws", |a| a.partition)
                .to_owned(),
            region: region.clone(),
            account,
        };
        let scope = Scope {
            caller: &session_arn,
            principal: &hop.role,
            place: &place,
            hop: Some(n),
        };
        findings.extend(
            probe_all(
                sdk,
                &session_credentials,
                &hop.checks,
                scope,
                destructive,
                plan,
                deadline,
            )
            .await,
        );
        findings.extend(hop.unprobed.iter().map(|u| unprobed(u, Some(n))));
        credentials = session_credentials;
        caller = session_arn;
        principal = hop.role.clone();
    }
    hops
}

/// A hop not attempted, with its checks, each saying why.
fn skip_hop(n: usize, hop: &Hop, why: &str, findings: &mut Vec<Finding>) -> ChainHop {
    let (finding, identity) = chain::skipped(n, &hop.role, why);
    findings.push(finding);
    findings.extend(hop.checks.iter().map(|c| unattempted(c, why, Some(n))));
    findings.extend(hop.unprobed.iter().map(|u| unprobed(u, Some(n))));
    identity
}

fn timed_out(timeout: Duration, what: &str) -> Observation {
    Observation {
        observed: Observed::Unknown,
        answer: Answer::Transport {
            detail: format!(
                "timed out: --timeout {}s elapsed {what}",
                timeout.as_secs_f64()
            ),
        },
        form: "bounded by --timeout".to_owned(),
        notes: Vec::new(),
        unsure: None,
        probed: None,
    }
}

/// ec2:CreateTags sent as a create that tags: AWS authorizes the create
/// on its resources and ec2:CreateTags on what it creates together, and its
/// UnauthorizedOperation does not say which it refused, so a denial is
/// could not tell. Pure.
fn joint_denial(observation: Observation, create: &str) -> Observation {
    if observation.observed != Observed::Denied {
        return observation;
    }
    observation.unsure(
        format!("AWS refused the {create} that carries the tags, not necessarily ec2:CreateTags"),
        format!(
            "could not tell: the request is {create} carrying tags, authorized as ec2:{create} on its resources and as ec2:CreateTags on what it \
             creates; AWS's denial does not say which of them it refused. Check ec2:{create} for the same resources: if it is allowed, the refusal \
             is the tagging's"
        ),
    )
}

/// From an observation to the check's finding: reconsider the denial, judge,
/// say what a mismatch means. Pure.
fn conclude(check: &Check, observation: Observation, scope: Scope, duration: Duration) -> Finding {
    let action = check.action();
    // The resources the probe named, when it picked them itself; else the
    // ones the check names.
    let resource = match &observation.probed {
        Some(probed) => probed.join(" "),
        None => check
            .target()
            .resources(action.row(), scope.place)
            .join(" "),
    };
    let mut observation = reconsider_denial(observation, action.name(), scope.caller);
    if let Some(op) = action.row().tags_on_create() {
        observation = joint_denial(observation, op);
    }
    let mut status = judge(check.expect(), observation.observed);
    // An expectation that hangs on unevaluated conditions is never a pass or
    // a failure: the check ran, and its observation is shown.
    let conditional = (!check.conditions().is_empty() && matches!(status, Status::Pass | Status::Fail))
        .then(|| {
            format!(
                "condition: the policy's {} on this depends on condition keys the agent cannot evaluate ({}); observed {}: {}",
                check.expect().as_str(),
                check.conditions().join(", "),
                observation.observed.label(),
                observation.answer.summary()
            )
        });
    if conditional.is_some() {
        status = Status::Skip;
    } else if status == Status::Fail
        && observation.observed == Observed::Denied
        && action.name() == assume::ACTION
    {
        // Which policy refused: the caller's, or the role's trust policy.
        let refusal = assume::refusal(observation.answer.message());
        observation = observation.note(refusal.explain(scope.principal, &resource));
    } else if status == Status::Fail {
        observation = with_fix(observation, check, &resource);
    }
    observation.notes.extend(check.target().notes());
    if !check.tags().is_empty() {
        let tags: Vec<String> = check
            .tags()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        observation.notes.push(format!(
            "the request carries the tag(s) {}, so the policy's aws:RequestTag conditions on them hold by construction (and ec2:CreateTags was judged too)",
            tags.join(", ")
        ));
    }
    let finding = scope.mark(Finding::new(
        Subject {
            action: action.name().to_owned(),
            service: action.service().to_owned(),
            label: scope.label(check.label()),
            resource,
            expect: Some(check.expect()),
            display_name: check.name().map(str::to_owned),
        },
        status,
        observation,
        duration,
    ));
    match conditional {
        Some(reason) => finding.with_skip_reason(reason, SkipGroup::Conditions),
        None if finding.status == Status::Skip => finding.in_group(SkipGroup::NotAttempted),
        None => finding,
    }
}

/// A check not sent, and why (no identity, a chain hop not assumed): its
/// resource is named by the target (the caller's region and account are
/// unknown).
fn unattempted(check: &Check, why: &str, hop: Option<usize>) -> Finding {
    let action = check.action();
    let label = match hop {
        Some(n) => chain::as_hop(&check.label(), n),
        None => check.label(),
    };
    let finding = Finding::new(
        Subject {
            action: action.name().to_owned(),
            service: action.service().to_owned(),
            label,
            resource: check.label(),
            expect: Some(check.expect()),
            display_name: check.name().map(str::to_owned),
        },
        Status::Skip,
        Observation::skipped(format!("not attempted: {why}")),
        Duration::ZERO,
    )
    .in_group(SkipGroup::NotAttempted);
    match hop {
        Some(n) => finding.in_hop(n),
        None => finding,
    }
}

/// The trust policy against the pod's token, as its own finding.
fn trust_finding(policy: &Policy, plan: &Plan, token: Option<&(Claims, TokenKind)>) -> Finding {
    let mode = match token {
        Some((_, TokenKind::PodIdentity)) => trust::Mode::PodIdentity,
        _ if plan.expect.source == ExpectSource::PodIdentity => trust::Mode::PodIdentity,
        _ => trust::Mode::Irsa,
    };
    let claims = token.map(|(claims, _)| claims);
    let role = plan.expect.role.as_ref().map(|(r, _)| r);
    let verdict = trust::check(policy, mode, claims, role);
    Finding::new(
        Subject {
            action: mode.action().to_owned(),
            service: "sts".to_owned(),
            label: format!(
                "{} {}",
                crate::findings::TRUST_POLICY_LABEL,
                role.map_or("the role", |r| r.raw.as_str())
            ),
            resource: role.map_or_else(|| "the role".to_owned(), |r| r.raw.clone()),
            expect: Some(Expect::Allow),
            display_name: None,
        },
        verdict.status,
        verdict.observation,
        Duration::ZERO,
    )
}

/// A policy action the agent cannot probe, as a skipped finding; an action
/// IAM does not have fails: its statement grants nothing, and the
/// workload's call will be denied.
fn unprobed(u: &Unprobed, hop: Option<usize>) -> Finding {
    let label = |l: &str| match hop {
        Some(n) => chain::as_hop(l, n),
        None => l.to_owned(),
    };
    let mark = |f: Finding| match hop {
        Some(n) => f.in_hop(n),
        None => f,
    };
    if u.why == SkipGroup::UnknownAction {
        let service = u.action.split(':').next().unwrap_or("policy").to_owned();
        return mark(Finding::new(
            Subject {
                action: u.action.clone(),
                service,
                label: label("named by the policy"),
                resource: "(no such action)".to_owned(),
                expect: Some(Expect::Allow),
                display_name: None,
            },
            Status::Fail,
            Observation {
                observed: Observed::Denied,
                answer: Answer::not_sent(format!("no such action: {}", u.reason)),
                form: "not sent: read from the policy".to_owned(),
                notes: vec![format!(
                    "fix the policy: replace {} with a real IAM action (the Service Authorization Reference lists them)",
                    u.action
                )],
                unsure: None,
                probed: None,
            },
            Duration::ZERO,
        ));
    }
    let service = u.action.split(':').next().unwrap_or("policy").to_owned();
    mark(
        Finding::new(
            Subject {
                action: u.action.clone(),
                service,
                label: label("not probed"),
                resource: "(not probed)".to_owned(),
                expect: None,
                display_name: None,
            },
            Status::Skip,
            Observation::skipped(format!("not probed: {}", u.reason)),
            Duration::ZERO,
        )
        .in_group(u.why),
    )
}

/// What a mismatch means and where to fix it.
fn with_fix(observation: Observation, check: &Check, resource: &str) -> Observation {
    let action = check.action();
    match check.expect() {
        // Both sides allowed it: the caller's identity policy and the role's trust policy.
        Expect::Deny if action.name() == assume::ACTION => observation.note(format!(
            "the role may assume {resource}: an identity policy attached to it allows sts:AssumeRole on it (look for wildcards such as sts:* or \
             Resource \"*\"), and {resource}'s trust policy allows it; remove the grant, add an explicit Deny, or narrow the trust policy's Principal"
        )),
        Expect::Deny => observation.note(format!(
            "the role may {action} on {resource}: a policy attached to it grants this (look for wildcards such as {}:* or Resource \"*\"); \
             remove the grant or add an explicit Deny",
            action.service()
        )),
        Expect::Allow => observation.note(format!(
            "the role may not {action} on {resource}: grant it in the role's policy (and check the resource ARN in the statement); \
             the \"denied by\" line says which kind of policy refused when AWS tells"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{Kind, Sdk};
    use crate::check::{Action, BucketName, Named, Target};

    const ME: &str = "arn:aws:sts::1:assumed-role/app/s";
    const ROLE: &str = "arn:aws:iam::1:role/eks/app";

    fn place() -> Place {
        Place {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "1".into(),
        }
    }

    fn scope(place: &Place, hop: Option<usize>) -> Scope<'_> {
        Scope {
            caller: ME,
            principal: ROLE,
            place,
            hop,
        }
    }

    fn check(expect: Expect) -> Check {
        let bucket = BucketName::parse("b-1").unwrap();
        Check::new(
            Action::from(Sdk::ListBucket),
            expect,
            Target::Bucket(bucket),
            None,
        )
        .unwrap()
    }

    fn denied(message: &str) -> Observation {
        Observation::new(
            Answer::ServiceError {
                status: Some(403),
                code: Some("AccessDenied".into()),
                message: Some(message.into()),
            },
            &[],
            "f",
        )
    }

    /// ec2:CreateTags sent as CreateVolume: allowed proves it, a denial
    /// (whichever action it names, or none, as EC2's encoded message does)
    /// is could not tell.
    #[test]
    fn a_create_that_tags_proves_its_tagging_only_when_allowed() {
        let p = place();
        let row = Action::all()
            .find(|a| a.row().tags_on_create() == Some("CreateVolume"))
            .expect("ec2:CreateTags sent as CreateVolume");
        let on_create = Check::new(row, Expect::Allow, Target::Account, None).unwrap();
        let dry_run = |code: &str, message: &str| {
            Observation::new(
                Answer::ServiceError {
                    status: Some(if code == "DryRunOperation" { 412 } else { 403 }),
                    code: Some(code.into()),
                    message: Some(message.into()),
                },
                row.row().allowed,
                "f",
            )
        };
        let f = conclude(
            &on_create,
            dry_run("DryRunOperation", "Request would have succeeded"),
            scope(&p, None),
            Duration::ZERO,
        );
        assert_eq!(f.status, Status::Pass);
        for message in [
            "You are not authorized to perform this operation. Encoded authorization failure message: x",
            &format!("User: {ME} is not authorized to perform: ec2:CreateTags on resource: arn:aws:ec2:eu-west-1:1:volume/*"),
            &format!("User: {ME} is not authorized to perform: ec2:CreateVolume on resource: arn:aws:ec2:eu-west-1:1:volume/*"),
        ] {
            let f = conclude(
                &on_create,
                dry_run("UnauthorizedOperation", message),
                scope(&p, None),
                Duration::ZERO,
            );
            assert_eq!(f.status, Status::Error, "{message}: {:?}", f.notes);
        }
        // Any other row's denial is its own.
        let f = conclude(
            &check(Expect::Allow),
            denied("Access Denied"),
            scope(&p, None),
            Duration::ZERO,
        );
        assert_eq!(f.status, Status::Fail);
    }

    #[test]
    fn a_deny_check_passes_only_on_a_denial_of_this_action_for_this_caller() {
        let p = place();
        let f = conclude(
            &check(Expect::Deny),
            denied("Access Denied"),
            scope(&p, None),
            Duration::ZERO,
        );
        assert_eq!(f.status, Status::Pass);
        let kms = format!("User: {ME} is not authorized to perform: kms:Decrypt on resource: k");
        let f = conclude(
            &check(Expect::Deny),
            denied(&kms),
            scope(&p, None),
            Duration::ZERO,
        );
        assert_eq!(f.status, Status::Error, "{:?}", f.notes);
    }

    #[test]
    fn a_mismatch_says_where_to_fix_it_and_names_are_stable() {
        let p = place();
        let allowed = Observation::new(Answer::success(200, ""), &[], "f");
        let f = conclude(
            &check(Expect::Deny),
            allowed,
            scope(&p, None),
            Duration::ZERO,
        );
        assert_eq!(f.status, Status::Fail);
        assert!(f.notes[0].contains("remove the grant or add an explicit Deny"));
        assert_eq!(f.name, "s3:ListBucket bucket b-1 expect deny");
        assert_eq!(f.resource, "arn:aws:s3:::b-1");
        assert_eq!(f.hop, None);
    }

    #[test]
    fn a_check_sent_as_a_chain_hop_is_named_for_it() {
        let p = place();
        let allowed = Observation::new(Answer::success(200, ""), &[], "f");
        let f = conclude(
            &check(Expect::Allow),
            allowed,
            scope(&p, Some(2)),
            Duration::ZERO,
        );
        assert_eq!(
            f.name,
            "s3:ListBucket bucket b-1 as chain hop 2 expect allow"
        );
        assert_eq!(f.hop, Some(2));
        let u = unattempted(
            &check(Expect::Deny),
            "chain hop 1 (x) was not assumed",
            Some(2),
        );
        assert_eq!(
            u.name,
            "s3:ListBucket bucket b-1 as chain hop 2 expect deny"
        );
        assert!(u.skip_message().contains("chain hop 1 (x) was not assumed"));
    }

    #[test]
    fn a_refused_assume_role_check_names_the_policy_that_refused_and_the_fix() {
        let p = place();
        let target = "arn:aws:iam::2:role/x";
        let assume = Check::new(
            Action::parse("sts:AssumeRole").unwrap(),
            Expect::Allow,
            Target::Named(Named::parse(Kind::Role, target).unwrap()),
            None,
        )
        .unwrap();
        let trust = format!(
            "User: {ME} is not authorized to perform: sts:AssumeRole on resource: {target}"
        );
        let f = conclude(&assume, denied(&trust), scope(&p, None), Duration::ZERO);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.name, format!("sts:AssumeRole role {target} expect allow"));
        assert_eq!(f.resource, target);
        assert_eq!(f.denied_by, Some(assume::TRUST_LABEL));
        assert!(
            f.notes.iter().any(|n| n.contains(&format!(
                "the target role's trust policy must allow Principal AWS {ROLE} Action sts:AssumeRole"
            ))),
            "{:?}",
            f.notes
        );
        let allowed = Observation::new(Answer::success(200, ""), &[], "f");
        let deny =
            Check::new(assume.action(), Expect::Deny, assume.target().clone(), None).unwrap();
        let f = conclude(&deny, allowed, scope(&p, None), Duration::ZERO);
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.notes[0].contains("narrow the trust policy's Principal"),
            "{:?}",
            f.notes
        );
        let identity =
            format!("{trust} because no identity-based policy allows the sts:AssumeRole action");
        let f = conclude(&assume, denied(&identity), scope(&p, None), Duration::ZERO);
        assert_eq!(f.denied_by, Some("no identity-based policy allows it"));
        assert!(
            f.notes
                .iter()
                .any(|n| n.contains("the identity policy lacks it")),
            "{:?}",
            f.notes
        );
    }
}
