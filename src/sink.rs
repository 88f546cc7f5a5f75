//! The one place that writes: the human report and the report files.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::findings::RunFindings;
use crate::report;

/// A report destination that cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    #[error("{flag}: directory {} does not exist", dir.display())]
    NoDirectory { flag: &'static str, dir: PathBuf },
    #[error("{flag}: {} is a directory; give a file name", path.display())]
    IsDirectory { flag: &'static str, path: PathBuf },
    #[error("--junit - and --json - cannot both take standard output")]
    BothStdout,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    File(PathBuf),
}

impl Sink {
    /// `-` means standard output.
    pub fn parse(flag: &'static str, path: &Path) -> Result<Sink, SinkError> {
        if path.as_os_str() == "-" {
            return Ok(Sink::Stdout);
        }
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(SinkError::NoDirectory {
                flag,
                dir: parent.to_owned(),
            });
        }
        if path.is_dir() {
            return Err(SinkError::IsDirectory {
                flag,
                path: path.to_owned(),
            });
        }
        Ok(Sink::File(path.to_owned()))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs {
    pub junit: Option<Sink>,
    pub json: Option<Sink>,
    /// Also print the JUnit document framed in the log (for kubectl logs).
    pub junit_log: bool,
    /// Where the one-line summary goes; `required` when the user named it.
    pub termination_log: Option<(PathBuf, bool)>,
    pub suite_name: Option<String>,
}

impl Outputs {
    pub fn new(junit: Option<Sink>, json: Option<Sink>) -> Result<Self, SinkError> {
        if junit == Some(Sink::Stdout) && json == Some(Sink::Stdout) {
            return Err(SinkError::BothStdout);
        }
        Ok(Outputs {
            junit,
            json,
            junit_log: false,
            termination_log: None,
            suite_name: None,
        })
    }

    fn uses_stdout(&self) -> bool {
        self.junit == Some(Sink::Stdout) || self.json == Some(Sink::Stdout)
    }
}

/// Writes everything; returns what could not be written.
pub fn emit(report: &RunFindings, outputs: &Outputs) -> Vec<String> {
    let human = report::human::render(report);
    // With a machine report on stdout, the human report moves to stderr.
    if outputs.uses_stdout() {
        let _ = std::io::stderr().write_all(human.as_bytes());
    } else {
        let _ = std::io::stdout().write_all(human.as_bytes());
    }
    let mut problems = Vec::new();
    if outputs.junit_log {
        let junit = report::junit::render(report, outputs.suite_name.as_deref());
        let framed = report::framed(&junit, &crate::random::random_token());
        if let Err(e) = std::io::stdout()
            .write_all(&framed)
            .and_then(|_| std::io::stdout().flush())
        {
            problems.push(format!("could not write the framed JUnit report: {e}"));
        }
    }
    if let Some((path, required)) = &outputs.termination_log {
        let line = report::summary_line(report);
        if let Err(e) = std::fs::write(path, line) {
            if *required {
                problems.push(format!(
                    "could not write the termination message to {}: {e}",
                    path.display()
                ));
            }
        }
    }
    let files = [("JUnit", &outputs.junit), ("JSON", &outputs.json)];
    for (what, sink) in files {
        let Some(sink) = sink else { continue };
        let bytes = match what {
            "JUnit" => report::junit::render(report, outputs.suite_name.as_deref()),
            _ => report::json::render(report),
        };
        let result = match sink {
            Sink::Stdout => std::io::stdout()
                .write_all(&bytes)
                .and_then(|_| std::io::stdout().flush()),
            Sink::File(path) => std::fs::write(path, &bytes)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        };
        if let Err(e) = result {
            problems.push(format!("could not write the {what} report: {e}"));
        }
    }
    problems
}
