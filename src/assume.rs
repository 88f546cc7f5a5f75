//! sts:AssumeRole's answer, read: allowed, refused by the caller's own
//! identity policies, refused by the target role's trust policy, refused by
//! another policy AWS names, or could not tell. Pure: the probes and the
//! chain gather, this judges and explains.
//!
//! AWS words a refusal by the caller's identity policies with the reason
//! ("User: ARN is not authorized to perform: sts:AssumeRole on resource:
//! ROLE because no identity-based policy allows the sts:AssumeRole action",
//! or "with an explicit deny in an identity-based policy"), and a refusal by
//! the role's trust policy without one ("User: ARN is not authorized to
//! perform: sts:AssumeRole on resource: ROLE"), the same answer it gives for
//! a role that does not exist (IAM User Guide, "Troubleshoot access denied
//! error messages" and "Troubleshoot IAM roles: I can't assume a role").

use crate::answer::{denied_action, denied_by, denied_principal, Answer};
use crate::arn::Arn;

/// The action, as IAM names it.
pub const ACTION: &str = "sts:AssumeRole";

/// The session the probe and each chain hop ask for: 15 minutes, the
/// shortest STS grants.
pub const SESSION_SECONDS: i32 = 900;

/// The session name every AssumeRole of the agent carries, around a fresh
/// token, so CloudTrail shows who assumed the role.
pub fn session_name(token: &str) -> String {
    format!("irsa-verify-{token}")
}

/// Which policy refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller's identity-based policies: no Allow, or an explicit Deny.
    Identity { explicit: bool },
    /// The target role's trust policy does not allow the caller, or the
    /// role does not exist: AWS answers both alike.
    Trust,
    /// Another kind of policy AWS names (SCP, permissions boundary, session
    /// policy, ...): its short label.
    Other(&'static str),
    /// A denial that says nothing about why (a bare 403, another wording).
    Unstated,
}

/// What an sts:AssumeRole answer tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assumed {
    Allowed,
    Refused(Refusal),
    /// Could not tell, and why: a timeout, a 5xx, throttling, a credential
    /// problem, a denial of someone or something else.
    CouldNotTell(String),
}

/// The `denied by` label of a refusal, as the reports show it.
pub const TRUST_LABEL: &str = "the target role's trust policy (or no such role)";

/// Which policy an AccessDenied for sts:AssumeRole names. Pure.
pub fn refusal(message: Option<&str>) -> Refusal {
    let Some(message) = message else {
        return Refusal::Unstated;
    };
    let lower = message.to_ascii_lowercase();
    if lower.contains("role trust policy") {
        return Refusal::Trust;
    }
    if lower.contains("no identity-based policy allows") {
        return Refusal::Identity { explicit: false };
    }
    if lower.contains("explicit deny in an identity-based policy") {
        return Refusal::Identity { explicit: true };
    }
    // A role's trust policy is its resource-based policy.
    if lower.contains("resource-based policy") {
        return Refusal::Trust;
    }
    if let Some(label) = denied_by(message) {
        return Refusal::Other(label);
    }
    if lower.contains("is not authorized to perform: sts:assumerole") {
        return Refusal::Trust;
    }
    Refusal::Unstated
}

/// Reads one sts:AssumeRole answer for `caller`. A timeout, a 5xx or any
/// error but AWS's own denial of this caller and this action is could not
/// tell, never a refusal. Pure.
pub fn classify(answer: &Answer, caller: &str) -> Assumed {
    match answer {
        Answer::Success { .. } => Assumed::Allowed,
        Answer::Transport { detail } => Assumed::CouldNotTell(detail.clone()),
        Answer::NotSent { reason } => Assumed::CouldNotTell(reason.clone()),
        Answer::ServiceError {
            status: Some(status),
            ..
        } if *status >= 500 => Assumed::CouldNotTell(format!(
            "AWS answered {}: a server error says nothing about the permission",
            answer.summary()
        )),
        Answer::ServiceError { message, .. } if answer.is_denial() => {
            let message = message.as_deref();
            if let Some(other) = message
                .and_then(denied_principal)
                .filter(|p| !caller.is_empty() && *p != caller)
            {
                return Assumed::CouldNotTell(format!(
                    "AWS denied {other}, not the caller {caller}"
                ));
            }
            if let Some(other) = message
                .and_then(denied_action)
                .filter(|a| !a.eq_ignore_ascii_case(ACTION))
            {
                return Assumed::CouldNotTell(format!("AWS denied {other}, not {ACTION}"));
            }
            Assumed::Refused(refusal(message))
        }
        Answer::ServiceError { .. } => {
            Assumed::CouldNotTell(format!("{} is no authorization answer", answer.summary()))
        }
    }
}

impl Refusal {
    /// The short label a report's `denied by` shows; none when AWS did not say.
    pub fn label(self) -> Option<&'static str> {
        match self {
            Refusal::Identity { explicit: false } => Some("no identity-based policy allows it"),
            Refusal::Identity { explicit: true } => Some("identity-based policy (explicit deny)"),
            Refusal::Trust => Some(TRUST_LABEL),
            Refusal::Other(label) => Some(label),
            Refusal::Unstated => None,
        }
    }

    /// "cause: ... fix: ...": what refused `source` (the caller's role or
    /// user ARN) assuming `target`, and what to change.
    pub fn explain(self, source: &str, target: &str) -> String {
        match self {
            Refusal::Identity { explicit: false } => format!(
                "cause: the identity policy lacks it: no identity-based policy of {source} allows sts:AssumeRole on {target}. \
                 fix: add to {source}'s policy {{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", \"Resource\": \"{target}\"}}"
            ),
            Refusal::Identity { explicit: true } => format!(
                "cause: an explicit Deny in an identity-based policy of {source} refuses sts:AssumeRole on {target}. \
                 fix: remove or narrow that Deny statement (an explicit Deny beats every Allow)"
            ),
            Refusal::Trust => format!(
                "cause: the trust policy refused: {target}'s trust policy does not allow {source} (AWS gives the same answer when the role does not exist). \
                 fix: the target role's trust policy must allow Principal AWS {source} Action sts:AssumeRole: \
                 {{\"Effect\": \"Allow\", \"Principal\": {{\"AWS\": \"{source}\"}}, \"Action\": \"sts:AssumeRole\"}} \
                 (or the account's root, arn:{}:iam::{}:root, which leaves the decision to the account's identity policies); \
                 and {target} must exist, spelled exactly, path included",
                partition_of(source),
                account_of(source)
            ),
            Refusal::Other(label) => format!(
                "cause: a {label} refuses sts:AssumeRole on {target} for {source}. \
                 fix: that policy must allow it; the identity policy and the trust policy are not what refused"
            ),
            Refusal::Unstated => format!(
                "cause: AWS refused without saying which policy. fix: {source}'s identity policy must allow sts:AssumeRole on {target}, \
                 and {target}'s trust policy must allow Principal AWS {source} Action sts:AssumeRole"
            ),
        }
    }
}

fn partition_of(arn: &str) -> &str {
    Arn::parse(arn).map_or("aws", |a| a.partition)
}

fn account_of(arn: &str) -> &str {
    Arn::parse(arn)
        .map(|a| a.account)
        .filter(|a| !a.is_empty())
        .unwrap_or("ACCOUNT")
}

/// The principal a trust policy names for `caller`: an assumed-role session
/// is its role (`arn:P:iam::A:role/PATH/NAME`), taken from `known_role` when
/// that is the same role (it carries the path, which a session ARN drops);
/// any other caller is itself. Pure.
pub fn source_principal(caller: &str, known_role: Option<&str>) -> String {
    let Some(arn) = Arn::parse(caller) else {
        return caller.to_owned();
    };
    let Some(role) = arn.resource.strip_prefix("assumed-role/") else {
        return caller.to_owned();
    };
    let name = role.split('/').next().unwrap_or(role);
    let same = |known: &&str| {
        Arn::parse(known).is_some_and(|k| {
            k.service == "iam"
                && k.account == arn.account
                && k.partition == arn.partition
                && k.role_name().is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    };
    match known_role.filter(same) {
        Some(known) => known.to_owned(),
        None => format!("arn:{}:iam::{}:role/{name}", arn.partition, arn.account),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &str = "arn:aws:sts::111122223333:assumed-role/app/irsa-verify-1";
    const TARGET: &str = "arn:aws:iam::222233334444:role/x";

    fn denied(status: u16, code: &str, message: &str) -> Answer {
        Answer::ServiceError {
            status: Some(status),
            code: Some(code.into()),
            message: Some(message.into()),
        }
    }

    #[test]
    fn an_answer_is_allowed_identity_denied_trust_denied_or_could_not_tell() {
        assert_eq!(classify(&Answer::success(200, ""), ME), Assumed::Allowed);
        let identity = format!(
            "User: {ME} is not authorized to perform: sts:AssumeRole on resource: {TARGET} because no identity-based policy allows the sts:AssumeRole action"
        );
        assert_eq!(
            classify(&denied(403, "AccessDenied", &identity), ME),
            Assumed::Refused(Refusal::Identity { explicit: false })
        );
        let explicit = format!(
            "User: {ME} is not authorized to perform: sts:AssumeRole on resource: {TARGET} with an explicit deny in an identity-based policy"
        );
        assert_eq!(
            classify(&denied(403, "AccessDenied", &explicit), ME),
            Assumed::Refused(Refusal::Identity { explicit: true })
        );
        // The trust policy's refusal names no policy type.
        let trust = format!(
            "User: {ME} is not authorized to perform: sts:AssumeRole on resource: {TARGET}"
        );
        assert_eq!(
            classify(&denied(403, "AccessDenied", &trust), ME),
            Assumed::Refused(Refusal::Trust)
        );
        for worded in [
            format!("User: {ME} is not authorized to perform: sts:AssumeRole because no role trust policy allows the sts:AssumeRole action"),
            format!("User: {ME} is not authorized to perform: sts:AssumeRole on resource: {TARGET} with an explicit deny in the role trust policy"),
            format!("User: {ME} is not authorized to perform: sts:AssumeRole on resource: {TARGET} because no resource-based policy allows the sts:AssumeRole action"),
        ] {
            assert_eq!(
                classify(&denied(403, "AccessDenied", &worded), ME),
                Assumed::Refused(Refusal::Trust),
                "{worded}"
            );
        }
        let scp = format!(
            "User: {ME} is not authorized to perform: sts:AssumeRole on resource: {TARGET} with an explicit deny in a service control policy"
        );
        assert_eq!(
            classify(&denied(403, "AccessDenied", &scp), ME),
            Assumed::Refused(Refusal::Other("service control policy (explicit deny)"))
        );
        let bare = Answer::ServiceError {
            status: Some(403),
            code: None,
            message: None,
        };
        assert_eq!(classify(&bare, ME), Assumed::Refused(Refusal::Unstated));
        assert_eq!(
            classify(&denied(403, "AccessDenied", "Access denied"), ME),
            Assumed::Refused(Refusal::Unstated)
        );
    }

    #[test]
    fn a_timeout_a_5xx_or_another_error_is_could_not_tell_never_denied() {
        let unknown = |a: Answer| {
            assert!(
                matches!(classify(&a, ME), Assumed::CouldNotTell(_)),
                "{a:?}: {:?}",
                classify(&a, ME)
            );
        };
        unknown(Answer::Transport {
            detail: "timed out waiting for AWS".into(),
        });
        unknown(Answer::Transport {
            detail: "timed out: --timeout 30s elapsed before AWS answered".into(),
        });
        unknown(denied(
            500,
            "InternalFailure",
            "We encountered an internal error",
        ));
        unknown(denied(503, "ServiceUnavailable", "Service unavailable"));
        // Even a 5xx that carries a denial's code tells nothing.
        unknown(denied(500, "AccessDenied", "User: x is not authorized"));
        for code in [
            "Throttling",
            "ExpiredToken",
            "InvalidClientTokenId",
            "RegionDisabledException",
            "ValidationError",
            "SignatureDoesNotMatch",
        ] {
            unknown(denied(400, code, "m"));
        }
        unknown(Answer::not_sent("not sent"));
    }

    #[test]
    fn a_denial_of_another_principal_or_action_tells_nothing() {
        let other = format!(
            "User: arn:aws:sts::111122223333:assumed-role/app/other is not authorized to perform: sts:AssumeRole on resource: {TARGET}"
        );
        let Assumed::CouldNotTell(why) = classify(&denied(403, "AccessDenied", &other), ME) else {
            panic!("another principal's denial is no refusal of the caller");
        };
        assert!(why.contains("not the caller"), "{why}");
        let kms = format!("User: {ME} is not authorized to perform: kms:Decrypt on resource: k");
        assert!(matches!(
            classify(&denied(403, "AccessDenied", &kms), ME),
            Assumed::CouldNotTell(_)
        ));
    }

    #[test]
    fn each_refusal_names_its_policy_and_the_fix() {
        let source = "arn:aws:iam::111122223333:role/eks/app";
        let trust = Refusal::Trust.explain(source, TARGET);
        assert!(
            trust.starts_with("cause: the trust policy refused"),
            "{trust}"
        );
        assert!(
            trust.contains(&format!(
                "the target role's trust policy must allow Principal AWS {source} Action sts:AssumeRole"
            )),
            "{trust}"
        );
        assert!(trust.contains("arn:aws:iam::111122223333:root"), "{trust}");
        let identity = Refusal::Identity { explicit: false }.explain(source, TARGET);
        assert!(
            identity.contains("the identity policy lacks it")
                && identity.contains(&format!("\"Resource\": \"{TARGET}\"")),
            "{identity}"
        );
        assert!(Refusal::Identity { explicit: true }
            .explain(source, TARGET)
            .contains("explicit Deny"));
        assert_eq!(Refusal::Trust.label(), Some(TRUST_LABEL));
        assert_eq!(Refusal::Unstated.label(), None);
        for r in [
            Refusal::Identity { explicit: false },
            Refusal::Identity { explicit: true },
            Refusal::Trust,
            Refusal::Other("service control policy (explicit deny)"),
            Refusal::Unstated,
        ] {
            let text = r.explain(source, TARGET);
            assert!(
                text.starts_with("cause: ") && text.contains(" fix: "),
                "{text}"
            );
        }
    }

    #[test]
    fn a_session_is_named_in_a_trust_policy_by_its_role() {
        assert_eq!(
            source_principal(ME, Some("arn:aws:iam::111122223333:role/eks/app")),
            "arn:aws:iam::111122223333:role/eks/app",
            "the known role carries the path the session ARN drops"
        );
        assert_eq!(
            source_principal(ME, None),
            "arn:aws:iam::111122223333:role/app"
        );
        assert_eq!(
            source_principal(ME, Some("arn:aws:iam::999999999999:role/eks/app")),
            "arn:aws:iam::111122223333:role/app",
            "a role of another account is another role"
        );
        assert_eq!(
            source_principal(ME, Some("arn:aws:iam::111122223333:role/other")),
            "arn:aws:iam::111122223333:role/app"
        );
        let user = "arn:aws:iam::111122223333:user/ci";
        assert_eq!(source_principal(user, None), user);
        assert!(session_name("ab12").starts_with("irsa-verify-"));
    }
}
