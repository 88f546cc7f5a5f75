//! The flow: identity first, then every check concurrently, then findings.

use std::time::{Duration, Instant};

use aws_credential_types::provider::SharedCredentialsProvider;
use futures_util::stream::{self, StreamExt};
use time::OffsetDateTime;
use tokio::time::timeout_at;

use crate::answer::{reconsider_denial, Answer, Observation, Observed};
use crate::check::{Check, Expect, Place};
use crate::findings::{Finding, RunFindings, Subject};
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
}

impl Plan {
    /// The planned checks, for --validate-only.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "valid: the identity check and {} check(s) would run (expected source: {})\n",
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
        out
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
    if plan.checks.is_empty() && plan.unprobed.is_empty() {
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
    match session {
        Some(Session {
            credentials,
            place,
            caller_arn,
        }) => {
            let sdk = sdk
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(credentials.clone()))
                .build();
            // Never destroy anything on behalf of the wrong identity.
            let destructive = plan.allow_destructive && identity_status == Status::Pass;
            let ctx = Ctx::new(&sdk, credentials, place.clone(), destructive, &plan.checks);
            // Unordered, so a slow check never holds a slot another could use;
            // the report keeps the order given.
            let (ctx, caller, place) = (&ctx, caller_arn.as_str(), &place);
            let mut checked: Vec<(usize, Finding)> = stream::iter(plan.checks.iter().enumerate())
                .map(|(i, check)| async move {
                    let started = Instant::now();
                    let observation = match timeout_at(deadline, probe::send(ctx, check)).await {
                        Ok(o) => o,
                        Err(_) => timed_out(plan.timeout, "before AWS answered"),
                    };
                    (
                        i,
                        conclude(check, observation, caller, place, started.elapsed()),
                    )
                })
                .buffer_unordered(plan.concurrency.max(1))
                .collect()
                .await;
            checked.sort_by_key(|(i, _)| *i);
            findings.extend(checked.into_iter().map(|(_, f)| f));
        }
        None => findings.extend(plan.checks.iter().map(unattempted)),
    }
    findings.extend(plan.unprobed.iter().map(unprobed));
    RunFindings::new(started_at, started.elapsed(), identity, findings)
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

/// From an observation to the check's finding: reconsider the denial, judge,
/// say what a mismatch means. Pure.
fn conclude(
    check: &Check,
    observation: Observation,
    caller: &str,
    place: &Place,
    duration: Duration,
) -> Finding {
    let action = check.action();
    // The resources the probe named, when it picked them itself; else the
    // ones the check names.
    let resource = match &observation.probed {
        Some(probed) => probed.join(" "),
        None => check.target().resources(action.row(), place).join(" "),
    };
    let mut observation = reconsider_denial(observation, action.name(), caller);
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
    let finding = Finding::new(
        Subject {
            action: action.name().to_owned(),
            service: action.service().to_owned(),
            label: check.label(),
            resource,
            expect: Some(check.expect()),
            display_name: check.name().map(str::to_owned),
        },
        status,
        observation,
        duration,
    );
    match conditional {
        Some(reason) => finding.with_skip_reason(reason, SkipGroup::Conditions),
        None if finding.status == Status::Skip => finding.in_group(SkipGroup::NotAttempted),
        None => finding,
    }
}

/// A check not sent because the identity is not established: its resource is
/// named by the target (the caller's region and account are unknown).
fn unattempted(check: &Check) -> Finding {
    let action = check.action();
    Finding::new(
        Subject {
            action: action.name().to_owned(),
            service: action.service().to_owned(),
            label: check.label(),
            resource: check.label(),
            expect: Some(check.expect()),
            display_name: check.name().map(str::to_owned),
        },
        Status::Skip,
        Observation::skipped(
            "not attempted: the identity could not be established (see the sts:GetCallerIdentity check)",
        ),
        Duration::ZERO,
    )
    .in_group(SkipGroup::NotAttempted)
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
                "trust policy of {}",
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
fn unprobed(u: &Unprobed) -> Finding {
    if u.why == SkipGroup::UnknownAction {
        let service = u.action.split(':').next().unwrap_or("policy").to_owned();
        return Finding::new(
            Subject {
                action: u.action.clone(),
                service,
                label: "named by the policy".to_owned(),
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
        );
    }
    let service = u.action.split(':').next().unwrap_or("policy").to_owned();
    Finding::new(
        Subject {
            action: u.action.clone(),
            service,
            label: "not probed".to_owned(),
            resource: "(not probed)".to_owned(),
            expect: None,
            display_name: None,
        },
        Status::Skip,
        Observation::skipped(format!("not probed: {}", u.reason)),
        Duration::ZERO,
    )
    .in_group(u.why)
}

/// What a mismatch means and where to fix it.
fn with_fix(observation: Observation, check: &Check, resource: &str) -> Observation {
    let action = check.action();
    match check.expect() {
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
    use crate::catalogue::Sdk;
    use crate::check::{Action, BucketName, Target};

    fn place() -> Place {
        Place {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "1".into(),
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

    #[test]
    fn a_deny_check_passes_only_on_a_denial_of_this_action_for_this_caller() {
        let me = "arn:aws:sts::1:assumed-role/app/s";
        let f = conclude(
            &check(Expect::Deny),
            denied("Access Denied"),
            me,
            &place(),
            Duration::ZERO,
        );
        assert_eq!(f.status, Status::Pass);
        let kms = format!("User: {me} is not authorized to perform: kms:Decrypt on resource: k");
        let f = conclude(
            &check(Expect::Deny),
            denied(&kms),
            me,
            &place(),
            Duration::ZERO,
        );
        assert_eq!(f.status, Status::Error, "{:?}", f.notes);
    }

    #[test]
    fn a_mismatch_says_where_to_fix_it_and_names_are_stable() {
        let allowed = Observation::new(Answer::success(200, ""), &[], "f");
        let f = conclude(&check(Expect::Deny), allowed, "", &place(), Duration::ZERO);
        assert_eq!(f.status, Status::Fail);
        assert!(f.notes[0].contains("remove the grant or add an explicit Deny"));
        assert_eq!(f.name, "s3:ListBucket bucket b-1 expect deny");
        assert_eq!(f.resource, "arn:aws:s3:::b-1");
    }
}
