//! irsa-verify: parse, run, report, exit.

mod answer;
mod arn;
mod assume;
mod aws;
mod catalogue;
mod chain;
mod check;
mod cli;
mod drift;
mod file;
mod findings;
mod glob;
mod identity;
mod policy;
mod probe;
mod random;
mod report;
mod resource;
mod run;
mod sar;
mod signed;
mod sink;
mod spec;
mod tags;
mod trust;
mod verdict;
mod watch;

use clap::Parser;

use verdict::ExitCode;

fn main() -> std::process::ExitCode {
    // clap exits 2 itself on a bad flag.
    let cli = cli::Cli::parse();
    if cli.list_probes {
        print!(
            "{}",
            match cli.format {
                cli::ListFormat::Text => catalogue::listing(),
                cli::ListFormat::Json => catalogue::listing_json(),
            }
        );
        return ExitCode::Ok.into();
    }
    let invocation = match cli::plan(cli) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("irsa-verify: invalid input: {e}");
            return ExitCode::InvalidInput.into();
        }
    };
    if let Some(spec) = &invocation.print_spec {
        print!("{spec}");
        return ExitCode::Ok.into();
    }
    if invocation.validate_only {
        print!("{}", invocation.plan.describe());
        return ExitCode::Ok.into();
    }
    // One thread: the work is a handful of concurrent requests.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("irsa-verify: cannot start the async runtime: {e}");
            return ExitCode::Unverified.into();
        }
    };
    if let Some(options) = &invocation.watch {
        let code = runtime.block_on(watch::watch(
            &invocation.plan,
            options,
            invocation.baseline,
            invocation.outputs.suite_name,
        ));
        // Requests still in flight on blocking threads are not waited for.
        runtime.shutdown_background();
        return code.into();
    }
    let findings = runtime.block_on(run::run(&invocation.plan));
    let findings = drift::against(invocation.baseline.as_ref(), findings);
    let problems = sink::emit(&findings, &invocation.outputs);
    for p in &problems {
        eprintln!("irsa-verify: {p}");
    }
    // A report that could not be written leaves the run unverified.
    match findings.exit_code {
        ExitCode::Ok if !problems.is_empty() => ExitCode::Unverified,
        code => code,
    }
    .into()
}
