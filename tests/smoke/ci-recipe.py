"""What a CI recipe (ci/github-actions.yml, ci/gitlab-ci.yml) does with the
smoke test, for tests/smoke-test.bats:

    env NAME=VALUE      each variable the recipe defines (shell-quoted value)
    run COMMAND         the step or script line that calls scripts/smoke-test.sh
    junit PATH          the JUnit file the recipe publishes
    when CONDITION      when it publishes it (always() / always)

Exits 1, saying why, when the recipe has no such step or does not publish.
"""

import shlex
import sys

import yaml


def github(doc):
    env = dict(doc.get("env") or {})
    for job in doc["jobs"].values():
        steps = job.get("steps") or []
        runs = [s["run"] for s in steps if "smoke-test.sh" in (s.get("run") or "")]
        if not runs:
            continue
        env.update(job.get("env") or {})
        reports = [s for s in steps if str(s.get("uses", "")).startswith("mikepenz/action-junit-report@")]
        if not reports:
            sys.exit("no mikepenz/action-junit-report step in the job that runs smoke-test.sh")
        return env, runs[0], reports[0]["with"]["report_paths"], reports[0].get("if", "")
    sys.exit("no step runs smoke-test.sh")


def gitlab(doc):
    env = dict(doc.get("variables") or {})
    for name, job in doc.items():
        if not isinstance(job, dict) or "script" not in job:
            continue
        runs = [line for line in job["script"] if "smoke-test.sh" in line]
        if not runs:
            continue
        env.update(job.get("variables") or {})
        artifacts = job.get("artifacts") or {}
        junit = (artifacts.get("reports") or {}).get("junit")
        if not junit:
            sys.exit(f"job {name} publishes no artifacts:reports:junit")
        return env, runs[0], junit, artifacts.get("when", "on_success")
    sys.exit("no job's script runs smoke-test.sh")


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    env, run, junit, when = {"github": github, "gitlab": gitlab}[kind](doc)
    for name, value in env.items():
        print(f"env {name}={shlex.quote(str(value))}")
    print("run " + " ".join(run.split()))
    print(f"junit {junit}")
    print(f"when {when}")


main()
