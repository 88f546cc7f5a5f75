//! The run's results: plain data that every reporter reads.

use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use crate::identity::Identity;
use crate::outcome::{denied_by, Answer, Observed};
use crate::probe::{ActionDef, Probed};
use crate::verdict::{Expect, Status, Summary};

#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// Stable test name: "ACTION RESOURCE expect allow|deny[ (display name)]".
    pub name: String,
    pub display_name: Option<String>,
    pub action: &'static str,
    pub service: &'static str,
    pub resource: String,
    pub expect: Expect,
    pub status: Status,
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

impl CheckResult {
    pub fn new(
        action: &'static ActionDef,
        resource: String,
        expect: Expect,
        display_name: Option<String>,
        status: Status,
        probed: Probed,
        duration: Duration,
    ) -> Self {
        let mut name = format!("{} {resource} expect {}", action.name, expect.as_str());
        if let Some(d) = &display_name {
            name.push_str(&format!(" ({d})"));
        }
        let denied_by = match probed.observed {
            Observed::Denied => probed.answer.message().and_then(denied_by),
            _ => None,
        };
        CheckResult {
            name,
            display_name,
            action: action.name,
            service: action.service.as_str(),
            resource,
            expect,
            status,
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
pub struct RunReport {
    pub tool: &'static str,
    pub version: &'static str,
    #[serde(serialize_with = "rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Duration,
    pub identity: Identity,
    /// The identity check first, then the checks in the order given.
    pub results: Vec<CheckResult>,
    pub summary: Summary,
    pub exit_code: u8,
}

fn rfc3339<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    use time::format_description::well_known::Rfc3339;
    s.serialize_str(&t.format(&Rfc3339).map_err(serde::ser::Error::custom)?)
}

impl RunReport {
    pub fn new(
        started_at: OffsetDateTime,
        duration: Duration,
        identity: Identity,
        results: Vec<CheckResult>,
    ) -> Self {
        let summary = Summary::of(results.iter().map(|r| r.status));
        RunReport {
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
