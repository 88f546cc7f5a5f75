//! What the run found: one `Finding` per check, and the run's `RunFindings`,
//! plain data that every reporter reads.

use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use crate::answer::{denied_by, Answer, Observation, Observed};
use crate::check::Expect;
use crate::identity::Identity;
use crate::verdict::{ExitCode, Status, Summary};

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
    pub resource: String,
    pub expect: Option<Expect>,
    pub status: Status,
    /// Why a check that was sent is still skipped (its expectation hangs on
    /// conditions the agent cannot evaluate).
    pub skip_reason: Option<String>,
    pub observed: Observed,
    pub answer: Answer,
    /// Which kind of policy refused, when AWS's message says so.
    pub denied_by: Option<&'static str>,
    /// The exact request form the probe used.
    pub form: String,
    pub notes: Vec<String>,
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

impl Finding {
    pub fn with_skip_reason(mut self, reason: String) -> Self {
        self.skip_reason = Some(reason);
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
        if let Some(d) = &display_name {
            name.push_str(&format!(" ({d})"));
        }
        let denied_by = match probed.observed {
            Observed::Denied => probed.answer.message().and_then(denied_by),
            _ => None,
        };
        Finding {
            name,
            display_name,
            action,
            service,
            resource,
            expect,
            status,
            skip_reason: None,
            observed: probed.observed,
            answer: probed.answer,
            denied_by,
            form: probed.form,
            notes: probed.notes,
            duration,
        }
    }
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
    pub exit_code: ExitCode,
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
        RunFindings {
            tool: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            started_at,
            duration,
            identity,
            exit_code: summary.exit_code(),
            summary,
            results,
        }
    }
}
