//! Expectation + observation -> verdict, and the run's exit code.

use serde::Serialize;

use crate::answer::Observed;
use crate::check::Expect;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// Could not tell: never a pass.
    Error,
    Skip,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::Skip => "SKIP",
        }
    }
}

pub fn judge(expect: Expect, observed: Observed) -> Status {
    match (expect, observed) {
        (Expect::Allow, Observed::Allowed) | (Expect::Deny, Observed::Denied) => Status::Pass,
        (Expect::Allow, Observed::Denied) | (Expect::Deny, Observed::Allowed) => Status::Fail,
        (_, Observed::Unknown) => Status::Error,
        (_, Observed::NotAttempted) => Status::Skip,
    }
}

/// Why a granted action was not proven: the groups the coverage figures
/// count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipGroup {
    /// The grant hangs on conditions the agent cannot evaluate.
    Conditions,
    /// The probe was not sent (nothing to name, a destructive form, no identity).
    NotAttempted,
    /// Only a denial can be told for this action.
    DenialOnly,
    /// The catalogue has no harmless probe for it.
    NoProbe,
    /// Never probed: no harmless form exists.
    NeverProbed,
    /// IAM has no such action.
    UnknownAction,
    /// The grant's resource is a wildcard and the probe needs a named one.
    NoResourceNamed,
}

impl SkipGroup {
    pub fn label(self) -> &'static str {
        match self {
            SkipGroup::Conditions => "conditions",
            SkipGroup::NotAttempted => "not attempted",
            SkipGroup::DenialOnly => "deny-only",
            SkipGroup::NoProbe => "no harmless probe",
            SkipGroup::NeverProbed => "never probed",
            SkipGroup::UnknownAction => "unknown action",
            SkipGroup::NoResourceNamed => "no resource named",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
}

impl Summary {
    pub fn of(statuses: impl IntoIterator<Item = Status>) -> Self {
        let mut s = Summary::default();
        for status in statuses {
            match status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Error => s.error += 1,
                Status::Skip => s.skip += 1,
            }
        }
        s
    }

    /// A failure outweighs an error: something is wrong, whatever else is unverified.
    pub fn exit_code(&self) -> ExitCode {
        if self.fail > 0 {
            ExitCode::Failed
        } else if self.error > 0 {
            ExitCode::Unverified
        } else {
            ExitCode::Ok
        }
    }
}

/// The process's exit codes; each meaning is written here once and read by
/// `--help`, the human report and (checked by a test) the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "u8")]
pub enum ExitCode {
    Ok = 0,
    Failed = 1,
    InvalidInput = 2,
    Unverified = 3,
}

impl ExitCode {
    pub const ALL: [ExitCode; 4] = [
        ExitCode::Ok,
        ExitCode::Failed,
        ExitCode::InvalidInput,
        ExitCode::Unverified,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Ok => "every check passed (skips allowed)",
            ExitCode::Failed => "at least one check failed, including a wrong identity",
            ExitCode::InvalidInput => "invalid input (a bad flag, a missing or invalid spec); nothing was sent to AWS",
            ExitCode::Unverified => "could not verify: no check failed, but at least one could not be decided (no credentials, endpoint unreachable, throttled)",
        }
    }

    /// The exit code section of `--help`.
    pub fn help() -> String {
        let mut s = "Exit codes:\n".to_owned();
        for c in Self::ALL {
            s.push_str(&format!("  {}  {}\n", c.code(), c.meaning()));
        }
        s
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code())
    }
}

impl From<ExitCode> for u8 {
    fn from(c: ExitCode) -> u8 {
        c.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_table() {
        use Observed::*;
        assert_eq!(judge(Expect::Allow, Allowed), Status::Pass);
        assert_eq!(judge(Expect::Deny, Denied), Status::Pass);
        assert_eq!(judge(Expect::Allow, Denied), Status::Fail);
        assert_eq!(judge(Expect::Deny, Allowed), Status::Fail);
        assert_eq!(
            judge(Expect::Deny, Unknown),
            Status::Error,
            "could-not-tell is never a pass"
        );
        assert_eq!(judge(Expect::Allow, Unknown), Status::Error);
        assert_eq!(judge(Expect::Deny, NotAttempted), Status::Skip);
    }

    #[test]
    fn exit_codes() {
        use Status::*;
        assert_eq!(
            Summary::of([Pass, Pass, Fail, Fail, Error, Error, Skip, Skip]),
            Summary {
                pass: 2,
                fail: 2,
                error: 2,
                skip: 2
            }
        );
        assert_eq!(Summary::of([Pass, Skip]).exit_code(), ExitCode::Ok);
        assert_eq!(Summary::of([Pass, Error]).exit_code(), ExitCode::Unverified);
        assert_eq!(Summary::of([Fail, Error]).exit_code(), ExitCode::Failed);
        assert_eq!(Summary::of([]).exit_code(), ExitCode::Ok);
        assert_eq!(
            ExitCode::ALL.map(ExitCode::code),
            [0, 1, 2, 3],
            "the codes are an interface"
        );
    }

    #[test]
    fn the_readme_states_each_exit_code_as_the_code_does() {
        let readme = include_str!("../README.md");
        for c in ExitCode::ALL {
            let line = format!("| {} | {} |", c.code(), c.meaning());
            assert!(readme.contains(&line), "README.md lacks the line `{line}`");
        }
    }
}
