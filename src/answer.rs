//! What AWS answered, and what that answer tells about authorization.
//!
//! Three outcomes, never conflated: allowed, denied, or could not tell. Only an
//! answer AWS gives after authorizing counts as allowed, and only AWS's own
//! denial counts as denied; a 404, a timeout or a bad credential is "unknown".

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

/// What a probe learned about the caller's permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Observed {
    Allowed,
    Denied,
    /// Could not tell: the answer says nothing certain about authorization.
    Unknown,
    /// Deliberately not sent (it could change data, or identity is missing).
    NotAttempted,
}

impl Observed {
    /// As the reports say it.
    pub fn label(self) -> &'static str {
        match self {
            Observed::Allowed => "allowed",
            Observed::Denied => "denied",
            Observed::Unknown => "could not tell",
            Observed::NotAttempted => "not attempted",
        }
    }
}

/// What came back from AWS (or why nothing did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    Success {
        status: u16,
        detail: String,
    },
    ServiceError {
        status: Option<u16>,
        code: Option<String>,
        message: Option<String>,
    },
    /// No usable AWS answer: timeout, connection failure, unparseable response.
    Transport {
        detail: String,
    },
    NotSent {
        reason: String,
    },
}

/// What one probe (or the identity step) found, before it meets the expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub observed: Observed,
    pub answer: Answer,
    /// The exact request form used, so a reader can judge the verdict.
    pub form: String,
    pub notes: Vec<String>,
    /// Why the answer could not tell, in a few words, when the answer alone
    /// does not say (it goes into a JUnit error's message).
    pub unsure: Option<String>,
    /// The exact ARNs the request named, when the probe picked them itself
    /// (an EC2 ID a Describe listed): the report shows these.
    pub probed: Option<Vec<String>>,
}

impl Observation {
    /// Classifies `answer` against the errors that prove authorization for this probe.
    pub fn new(answer: Answer, authorized: &[AuthorizedError], form: impl Into<String>) -> Self {
        Observation {
            observed: classify(&answer, authorized),
            answer,
            form: form.into(),
            notes: Vec::new(),
            unsure: None,
            probed: None,
        }
    }

    /// Deliberately not sent.
    pub fn skipped(reason: impl Into<String>) -> Self {
        Observation {
            observed: Observed::NotAttempted,
            answer: Answer::not_sent(reason),
            form: "not sent".to_owned(),
            notes: Vec::new(),
            unsure: None,
            probed: None,
        }
    }

    /// Could not tell without sending anything (e.g. no key to use).
    pub fn unknown(reason: impl Into<String>, form: impl Into<String>) -> Self {
        Observation {
            observed: Observed::Unknown,
            answer: Answer::not_sent(reason),
            form: form.into(),
            notes: Vec::new(),
            unsure: None,
            probed: None,
        }
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The same answer, read as "could not tell".
    pub fn inconclusive(self) -> Self {
        Observation {
            observed: Observed::Unknown,
            ..self
        }
    }

    /// The same answer, read as "could not tell" for a short `reason`, with
    /// the full explanation as a note.
    pub fn unsure(self, reason: impl Into<String>, note: impl Into<String>) -> Self {
        Observation {
            unsure: Some(reason.into()),
            ..self.inconclusive()
        }
        .note(note)
    }
}

/// An error and its sources as one line of Display text (no Debug noise).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

/// Error codes that are AWS's own authorization denial.
const DENIAL_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
];

/// An error AWS only returns after it has authorized the request: seeing it
/// proves the action is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorizedError {
    pub code: &'static str,
    /// When set, the message must contain one of these (case-insensitive).
    pub message_has: &'static [&'static str],
}

impl AuthorizedError {
    pub const fn code(code: &'static str) -> Self {
        Self {
            code,
            message_has: &[],
        }
    }

    fn matches(&self, code: &str, message: &str) -> bool {
        if self.code != code {
            return false;
        }
        let message = message.to_ascii_lowercase();
        self.message_has.is_empty()
            || self
                .message_has
                .iter()
                .any(|m| message.contains(&m.to_ascii_lowercase()))
    }
}

impl Answer {
    pub fn success(status: u16, detail: impl Into<String>) -> Self {
        Answer::Success {
            status,
            detail: detail.into(),
        }
    }

    pub fn not_sent(reason: impl Into<String>) -> Self {
        Answer::NotSent {
            reason: reason.into(),
        }
    }

    /// Turns any SDK error into plain data.
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match err {
            SdkError::ServiceError(_) => {
                let raw = err.raw_response();
                let code = err.code().map(str::to_owned);
                let mut message = err.message().map(str::to_owned);
                // Without a code, say what the body held: only a truly empty
                // 403 is a (HEAD-style) denial; an unreadable one is not.
                if code.is_none() && message.is_none() {
                    let body = raw.and_then(|r| r.body().bytes()).unwrap_or_default();
                    if !body.is_empty() {
                        let text =
                            String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
                        message = Some(format!(
                            "unreadable error body ({} bytes): {text}",
                            body.len()
                        ));
                    }
                }
                Answer::ServiceError {
                    status: raw.map(|r| r.status().as_u16()),
                    code,
                    message,
                }
            }
            SdkError::TimeoutError(_) => Answer::Transport {
                detail: "timed out waiting for AWS".to_owned(),
            },
            _ => Answer::Transport {
                detail: error_chain(err),
            },
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            Answer::ServiceError { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    pub fn message(&self) -> Option<&str> {
        match self {
            Answer::ServiceError { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// One line for humans: "403 AccessDenied: Access Denied".
    pub fn summary(&self) -> String {
        match self {
            Answer::Success { status, detail } if detail.is_empty() => format!("{status} OK"),
            Answer::Success { status, detail } => format!("{status} OK, {detail}"),
            Answer::ServiceError {
                status,
                code,
                message,
            } => {
                let mut s = status.map(|s| s.to_string()).unwrap_or_default();
                for part in [code, message].into_iter().flatten() {
                    if !s.is_empty() {
                        s.push_str(if s.ends_with(|c: char| c.is_ascii_digit()) {
                            " "
                        } else {
                            ": "
                        });
                    }
                    s.push_str(part);
                }
                if s.is_empty() {
                    "error with no code or message".to_owned()
                } else {
                    s
                }
            }
            Answer::Transport { detail } => detail.clone(),
            Answer::NotSent { reason } => reason.clone(),
        }
    }

    /// True for AWS's own denial, including a 403 that carries no error body.
    pub fn is_denial(&self) -> bool {
        match self {
            Answer::ServiceError {
                status,
                code: Some(code),
                ..
            } => {
                DENIAL_CODES.contains(&code.as_str())
                    || (*status == Some(403) && code == "Forbidden")
            }
            Answer::ServiceError {
                status: Some(403),
                code: None,
                message: None,
            } => true,
            _ => false,
        }
    }
}

/// Reads an answer against the errors that prove authorization for one probe.
pub fn classify(answer: &Answer, authorized: &[AuthorizedError]) -> Observed {
    match answer {
        Answer::Success { .. } => Observed::Allowed,
        Answer::NotSent { .. } => Observed::NotAttempted,
        Answer::Transport { .. } => Observed::Unknown,
        Answer::ServiceError { code, message, .. } => {
            if answer.is_denial() {
                return Observed::Denied;
            }
            let (code, message) = (
                code.as_deref().unwrap_or(""),
                message.as_deref().unwrap_or(""),
            );
            if authorized.iter().any(|a| a.matches(code, message)) {
                Observed::Allowed
            } else {
                Observed::Unknown
            }
        }
    }
}

/// The principal a denial message names ("User: ARN is not authorized ...").
pub fn denied_principal(message: &str) -> Option<&str> {
    let rest = &message[message.find("User: ")? + "User: ".len()..];
    let end = rest.find(" is not authorized").unwrap_or(rest.len());
    let arn = rest[..end].trim();
    arn.starts_with("arn:").then_some(arn)
}

/// The action a denial message names ("... is not authorized to perform: ACTION ...").
pub fn denied_action(message: &str) -> Option<&str> {
    let needle = "not authorized to perform: ";
    let rest = &message[message.find(needle)? + needle.len()..];
    let action = rest
        .split_whitespace()
        .next()?
        .trim_end_matches([',', '.', ';']);
    action.contains(':').then_some(action)
}

/// A denial counts only as a denial of `action` for `caller`: when AWS's
/// message names someone else, or another action (a KMS key behind the bucket,
/// say), it says nothing certain about this check. Pure; the probes gather.
pub fn reconsider_denial(observation: Observation, action: &str, caller: &str) -> Observation {
    if observation.observed != Observed::Denied {
        return observation;
    }
    let Some(message) = observation.answer.message().map(str::to_owned) else {
        return observation;
    };
    if let Some(principal) =
        denied_principal(&message).filter(|p| !caller.is_empty() && p != &caller)
    {
        let note = format!(
            "WARNING: AWS denied {principal}, not the caller {caller}: this request did not run as the identity checked above"
        );
        return observation.unsure(format!("AWS denied {principal}, not the caller"), note);
    }
    match denied_action(&message) {
        Some(other) if !other.eq_ignore_ascii_case(action) => {
            let note = format!(
                "could not tell: AWS denied {other}, not {action}. The request also needs {other} (for example kms:GenerateDataKey or kms:Decrypt \
                 on a bucket encrypted with a KMS key, or a policy that refuses this request's shape), so the denial says nothing about {action} itself. \
                 Grant {other} too, or check the resource's policy, to make this check conclusive"
            );
            observation.unsure(format!("AWS denied {other}, not {action}"), note)
        }
        _ => observation,
    }
}

/// Which policy type refused, as AWS's message says it (short label).
pub fn denied_by(message: &str) -> Option<&'static str> {
    const PATTERNS: &[(&str, &str)] = &[
        (
            "explicit deny in a service control policy",
            "service control policy (explicit deny)",
        ),
        (
            "explicit deny in a resource control policy",
            "resource control policy (explicit deny)",
        ),
        (
            "explicit deny in a permissions boundary",
            "permissions boundary (explicit deny)",
        ),
        (
            "no permissions boundary allows",
            "permissions boundary (no allow)",
        ),
        (
            "explicit deny in a session policy",
            "session policy (explicit deny)",
        ),
        ("no session policy allows", "session policy (no allow)"),
        (
            "explicit deny in a vpc endpoint policy",
            "VPC endpoint policy (explicit deny)",
        ),
        (
            "no vpc endpoint policy allows",
            "VPC endpoint policy (no allow)",
        ),
        (
            "explicit deny in a resource-based policy",
            "resource-based policy (explicit deny)",
        ),
        (
            "no resource-based policy allows",
            "resource-based policy (no allow)",
        ),
        (
            "explicit deny in an identity-based policy",
            "identity-based policy (explicit deny)",
        ),
        (
            "no identity-based policy allows",
            "no identity-based policy allows it",
        ),
    ];
    let lower = message.to_ascii_lowercase();
    PATTERNS
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .map(|(_, label)| *label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, code: Option<&str>, message: &str) -> Answer {
        Answer::ServiceError {
            status: Some(status),
            code: code.map(str::to_owned),
            message: Some(message.to_owned()),
        }
    }

    #[test]
    fn denial_family_is_denied() {
        for code in DENIAL_CODES {
            assert_eq!(
                classify(&err(403, Some(code), "x"), &[]),
                Observed::Denied,
                "{code}"
            );
        }
        let bodyless = Answer::ServiceError {
            status: Some(403),
            code: None,
            message: None,
        };
        assert_eq!(classify(&bodyless, &[]), Observed::Denied, "body-less 403");
        let garbled = err(403, None, "unreadable error body (5 bytes): <<<<<");
        assert_eq!(
            classify(&garbled, &[]),
            Observed::Unknown,
            "an unreadable 403 is not a denial"
        );
    }

    #[test]
    fn other_403s_are_not_denials() {
        for code in [
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "ExpiredToken",
            "RequestTimeTooSkewed",
            "InvalidClientTokenId",
        ] {
            assert_eq!(
                classify(&err(403, Some(code), "x"), &[]),
                Observed::Unknown,
                "{code}"
            );
        }
    }

    #[test]
    fn not_found_and_throttling_are_unknown_unless_the_probe_says_otherwise() {
        for code in [
            "NoSuchBucket",
            "ResourceNotFoundException",
            "ThrottlingException",
            "SlowDown",
            "NoSuchKey",
        ] {
            assert_eq!(
                classify(&err(404, Some(code), "x"), &[]),
                Observed::Unknown,
                "{code}"
            );
        }
        let after_authz = [AuthorizedError::code("NoSuchKey")];
        assert_eq!(
            classify(&err(404, Some("NoSuchKey"), "x"), &after_authz),
            Observed::Allowed
        );
        assert_eq!(
            classify(&err(404, Some("NoSuchBucket"), "x"), &after_authz),
            Observed::Unknown
        );
    }

    #[test]
    fn message_constrained_authorized_errors() {
        let protected = [AuthorizedError {
            code: "ValidationException",
            message_has: &["deletion protection", "DeletionProtectionEnabled"],
        }];
        let aws = "Resource cannot be deleted as it is currently protected against manual deletion. Disable deletion protection first.";
        assert_eq!(
            classify(&err(400, Some("ValidationException"), aws), &protected),
            Observed::Allowed
        );
        assert_eq!(
            classify(
                &err(
                    400,
                    Some("ValidationException"),
                    "1 validation error detected: Value null at 'tableName'"
                ),
                &protected
            ),
            Observed::Unknown
        );
    }

    #[test]
    fn transport_is_unknown_and_success_allowed() {
        assert_eq!(
            classify(
                &Answer::Transport {
                    detail: "refused".into()
                },
                &[]
            ),
            Observed::Unknown
        );
        assert_eq!(classify(&Answer::success(200, ""), &[]), Observed::Allowed);
        assert_eq!(
            classify(&Answer::not_sent("x"), &[]),
            Observed::NotAttempted
        );
    }

    #[test]
    fn reads_principal_and_policy_type_from_denials() {
        let m = "User: arn:aws:sts::111122223333:assumed-role/node/i-0abc is not authorized to perform: dynamodb:DeleteTable on resource: arn:aws:dynamodb:eu-west-1:111122223333:table/t with an explicit deny in a service control policy";
        assert_eq!(
            denied_principal(m),
            Some("arn:aws:sts::111122223333:assumed-role/node/i-0abc")
        );
        assert_eq!(denied_by(m), Some("service control policy (explicit deny)"));
        assert_eq!(denied_principal("Access Denied"), None);
        assert_eq!(
            denied_by("... because no identity-based policy allows the s3:GetObject action"),
            Some("no identity-based policy allows it")
        );
    }

    #[test]
    fn summaries_read_well() {
        assert_eq!(
            err(403, Some("AccessDenied"), "Access Denied").summary(),
            "403 AccessDenied: Access Denied"
        );
        assert_eq!(Answer::success(200, "").summary(), "200 OK");
    }

    fn denial(message: &str) -> Observation {
        Observation::new(err(403, Some("AccessDenied"), message), &[], "f")
    }

    #[test]
    fn a_denial_of_another_action_is_not_a_denial_of_this_one() {
        let me = "arn:aws:sts::1:assumed-role/app/s";
        let kms = format!("User: {me} is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-1:1:key/k because no identity-based policy allows the kms:GenerateDataKey action");
        let o = reconsider_denial(denial(&kms), "s3:PutObject", me);
        assert_eq!(o.observed, Observed::Unknown);
        assert!(
            o.notes[0].contains("AWS denied kms:GenerateDataKey, not s3:PutObject"),
            "{:?}",
            o.notes
        );
        let own = format!("User: {me} is not authorized to perform: s3:PutObject on resource: x");
        assert_eq!(
            reconsider_denial(denial(&own), "s3:PutObject", me).observed,
            Observed::Denied
        );
        assert_eq!(
            reconsider_denial(denial(&own), "S3:PUTOBJECT", me).observed,
            Observed::Denied,
            "action names are case-insensitive"
        );
        assert_eq!(
            reconsider_denial(denial("Access Denied"), "s3:PutObject", me).observed,
            Observed::Denied
        );
        assert_eq!(
            denied_action(
                "User: x is not authorized to perform: dynamodb:DeleteTable on resource: t"
            ),
            Some("dynamodb:DeleteTable")
        );
        assert_eq!(denied_action("not authorized to perform: this"), None);
    }

    #[test]
    fn a_denial_of_someone_else_is_not_a_denial_of_the_caller() {
        let me = "arn:aws:sts::1:assumed-role/app/s";
        let other = "User: arn:aws:sts::1:assumed-role/node/i-1 is not authorized to perform: s3:ListBucket";
        let o = reconsider_denial(denial(other), "s3:ListBucket", me);
        assert_eq!(o.observed, Observed::Unknown);
        assert!(o.notes[0].starts_with("WARNING"));
        let mine = format!("User: {me} is not authorized to perform: s3:ListBucket");
        assert_eq!(
            reconsider_denial(denial(&mine), "s3:ListBucket", me).observed,
            Observed::Denied
        );
        let allowed = Observation::new(Answer::success(200, ""), &[], "f");
        assert_eq!(
            reconsider_denial(allowed.clone(), "s3:ListBucket", me),
            allowed
        );
    }

    #[test]
    fn forbidden_is_a_denial_only_with_status_403() {
        assert_eq!(
            classify(&err(403, Some("Forbidden"), "x"), &[]),
            Observed::Denied
        );
        assert_eq!(
            classify(&err(400, Some("Forbidden"), "x"), &[]),
            Observed::Unknown
        );
        let headless = Answer::ServiceError {
            status: Some(403),
            code: Some("Forbidden".into()),
            message: None,
        };
        assert_eq!(classify(&headless, &[]), Observed::Denied);
    }

    mod from_sdk {
        use super::super::*;
        use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error;
        use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
        use aws_smithy_runtime_api::client::result::SdkError;
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;

        fn service_error(
            status: u16,
            code: Option<&str>,
            message: Option<&str>,
            body: &str,
        ) -> Answer {
            let mut meta = ErrorMetadata::builder();
            if let Some(c) = code {
                meta = meta.code(c);
            }
            if let Some(m) = message {
                meta = meta.message(m);
            }
            let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body));
            let err: SdkError<ListObjectsV2Error, HttpResponse> =
                SdkError::service_error(ListObjectsV2Error::generic(meta.build()), raw);
            Answer::from_sdk(&err)
        }

        #[test]
        fn service_errors_keep_status_code_and_message() {
            assert_eq!(
                service_error(403, Some("AccessDenied"), Some("Access Denied"), "<Error/>"),
                Answer::ServiceError {
                    status: Some(403),
                    code: Some("AccessDenied".into()),
                    message: Some("Access Denied".into())
                }
            );
        }

        #[test]
        fn a_body_is_read_only_when_the_sdk_found_neither_code_nor_message() {
            let coded = service_error(403, Some("AccessDenied"), None, "<Error>x</Error>");
            assert_eq!(coded.message(), None, "{coded:?}");
            let with_message = service_error(400, None, Some("m"), "{\"x\":1}");
            assert_eq!(with_message.message(), Some("m"));
        }

        #[test]
        fn a_bodyless_403_is_a_denial_an_unreadable_one_is_not() {
            let empty = service_error(403, None, None, "");
            assert_eq!(
                empty,
                Answer::ServiceError {
                    status: Some(403),
                    code: None,
                    message: None
                }
            );
            assert!(empty.is_denial());
            let garbled = service_error(403, None, None, "<<<%%% not xml");
            assert!(
                garbled
                    .message()
                    .unwrap()
                    .starts_with("unreadable error body (14 bytes): <<<%%%"),
                "{garbled:?}"
            );
            assert!(!garbled.is_denial());
        }

        #[test]
        fn timeouts_and_dispatch_failures_are_transport() {
            let timeout: SdkError<ListObjectsV2Error, HttpResponse> =
                SdkError::timeout_error("slow");
            assert_eq!(
                Answer::from_sdk(&timeout),
                Answer::Transport {
                    detail: "timed out waiting for AWS".into()
                }
            );
            let construction: SdkError<ListObjectsV2Error, HttpResponse> =
                SdkError::construction_failure("no region");
            let a = Answer::from_sdk(&construction);
            assert!(
                matches!(&a, Answer::Transport { detail } if detail.contains("no region")),
                "{a:?}"
            );
            assert_eq!(classify(&a, &[]), Observed::Unknown);
        }
    }
}
