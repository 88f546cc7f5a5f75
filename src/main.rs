//! irsa-verify: parse, run, report, exit.

mod aws;
mod cli;
mod identity;
mod outcome;
mod output;
mod probe;
mod report;
mod results;
mod run;
mod spec;
mod verdict;

use std::process::ExitCode;

use clap::Parser;

use verdict::exit;

fn main() -> ExitCode {
    // clap exits 2 itself on a bad flag.
    let (plan, outputs) = match cli::plan(cli::Cli::parse()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("irsa-verify: invalid input: {e}");
            return ExitCode::from(exit::INVALID_INPUT);
        }
    };
    if plan.validate_only {
        print!("{}", plan.describe());
        return ExitCode::from(exit::OK);
    }
    // One thread: the work is a handful of concurrent requests.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("irsa-verify: cannot start the async runtime: {e}");
            return ExitCode::from(exit::UNVERIFIED);
        }
    };
    let report = runtime.block_on(run::run(&plan));
    let problems = output::emit(&report, &outputs);
    for p in &problems {
        eprintln!("irsa-verify: {p}");
    }
    let code = match report.exit_code {
        exit::OK if !problems.is_empty() => exit::UNVERIFIED,
        code => code,
    };
    ExitCode::from(code)
}
