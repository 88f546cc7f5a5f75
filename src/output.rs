//! The one place that writes: the human report and the report files.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::report;
use crate::results::RunReport;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    File(PathBuf),
}

impl Sink {
    /// `-` means standard output.
    pub fn parse(flag: &'static str, path: &Path) -> Result<Sink, String> {
        if path.as_os_str() == "-" {
            return Ok(Sink::Stdout);
        }
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(format!(
                "{flag}: directory {} does not exist",
                parent.display()
            ));
        }
        if path.is_dir() {
            return Err(format!(
                "{flag}: {} is a directory; give a file name",
                path.display()
            ));
        }
        Ok(Sink::File(path.to_owned()))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs {
    pub junit: Option<Sink>,
    pub json: Option<Sink>,
}

impl Outputs {
    pub fn new(junit: Option<Sink>, json: Option<Sink>) -> Result<Self, String> {
        if junit == Some(Sink::Stdout) && json == Some(Sink::Stdout) {
            return Err("--junit - and --json - cannot both take standard output".to_owned());
        }
        Ok(Outputs { junit, json })
    }

    fn uses_stdout(&self) -> bool {
        self.junit == Some(Sink::Stdout) || self.json == Some(Sink::Stdout)
    }
}

/// Writes everything; returns what could not be written.
pub fn emit(report: &RunReport, outputs: &Outputs) -> Vec<String> {
    let human = report::human::render(report);
    // With a machine report on stdout, the human report moves to stderr.
    if outputs.uses_stdout() {
        let _ = std::io::stderr().write_all(human.as_bytes());
    } else {
        let _ = std::io::stdout().write_all(human.as_bytes());
    }
    let mut problems = Vec::new();
    let files = [
        (
            "JUnit",
            &outputs.junit,
            report::junit::render as fn(&RunReport) -> Vec<u8>,
        ),
        ("JSON", &outputs.json, report::json::render),
    ];
    for (what, sink, render) in files {
        let Some(sink) = sink else { continue };
        let bytes = render(report);
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
