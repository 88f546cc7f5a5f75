"""Side-by-side benchmark: irsa-verify vs the reference procedure's five AWS
CLI commands, alternated, same emulator, same machine, same moment.
Run through scripts/bench.sh, which builds, starts and seeds the emulator.

Wall time, CPU time and peak RSS of each process come from GNU time: a child
forked from Python would count the Python image it ran as before exec in its
peak RSS."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

MIB = 1024 * 1024


def run(cmd, env):
    """(wall seconds, cpu seconds, peak RSS bytes, exit code) of one process."""
    with tempfile.NamedTemporaryFile("r") as out:
        start = time.perf_counter()
        code = subprocess.call(["/usr/bin/time", "-q", "-f", "%U %S %M", "-o", out.name, *cmd], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        user, system, rss_kib = out.read().split()[-3:]
    return wall, float(user) + float(system), int(rss_kib) * 1024, code


def procedure(aws, s, env):
    """The article's five commands, one after the other, as one measurement."""
    cmds = [
        [aws, "sts", "get-caller-identity"],
        [aws, "s3", "ls", f"s3://{s['bucket']}"],
        [aws, "s3", "rm", f"s3://{s['bucket']}/demo-test-file"],
        [aws, "dynamodb", "describe-table", "--table-name", s["table"]],
        [aws, "dynamodb", "delete-table", "--table-name", s["table"]],
    ]
    wall = cpu = rss = 0
    codes = []
    for c in cmds:
        w, u, r, code = run(c, env)
        wall, cpu, rss = wall + w, cpu + u, max(rss, r)
        codes.append(code)
    # Expected: identity, list and describe succeed; the two deletes are denied.
    return wall, cpu, rss, codes


def fmt_ms(s):
    return f"{s * 1000:8.1f} ms"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--aws", required=True)
    p.add_argument("--scenario", required=True, help="JSON from scenario.py seed")
    p.add_argument("--env", required=True, help="JSON object: the pod's environment")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--spec5", required=True)
    p.add_argument("--spec200", required=True)
    p.add_argument("--latency-env", help="JSON: the pod's environment through the AWS-latency stand-in")
    p.add_argument("--derived-policy", help="a policy file: its derived run through the stand-in, against the 5-check run")
    a = p.parse_args()
    s = json.loads(a.scenario)
    env = dict(json.loads(a.env))
    agent_cmd = [a.binary, "--bucket", s["bucket"], "--table", s["table"]]

    agent, manual = [], []
    for _ in range(a.runs):
        agent.append(run(agent_cmd, env))
        manual.append(procedure(a.aws, s, env))
    if any(r[3] != 0 for r in agent):
        sys.exit(f"irsa-verify did not pass: exit codes {[r[3] for r in agent]}")
    codes = manual[0][3]
    if codes[0] != 0 or codes[1] != 0 or codes[3] != 0 or codes[2] == 0 or codes[4] == 0:
        sys.exit(f"the manual procedure did not behave as the article says: exit codes {codes}")

    med = lambda rows, i: statistics.median(r[i] for r in rows)  # noqa: E731
    a_wall, m_wall = med(agent, 0), med(manual, 0)
    a_cpu, m_cpu = med(agent, 1), med(manual, 1)
    a_rss, m_rss = max(r[2] for r in agent), max(r[2] for r in manual)
    size = os.path.getsize(a.binary)

    def scale(env_):
        five = [run([a.binary, "--spec", a.spec5], env_) for _ in range(a.runs)]
        many = [run([a.binary, "--spec", a.spec200], env_) for _ in range(a.runs)]
        if any(r[3] != 0 for r in five + many):
            sys.exit("a scale run did not pass")
        return five, many

    scale5, scale200 = scale(env)
    s5, s200 = med(scale5, 0), med(scale200, 0)
    r5, r200 = max(r[2] for r in scale5), max(r[2] for r in scale200)
    c200 = med(scale200, 1)
    ratio = m_wall / a_wall
    print(f"irsa-verify benchmark: {a.runs} alternated runs each, medians (peak RSS: the largest seen)")
    print()
    print(f"{'':34}{'wall':>11}  {'cpu':>11}  {'peak RSS':>10}")
    print(f"{'irsa-verify (6 checks)':34}{fmt_ms(a_wall)}  {fmt_ms(a_cpu)}  {a_rss / MIB:7.1f} MiB")
    print(f"{'manual procedure (5 aws commands)':34}{fmt_ms(m_wall)}  {fmt_ms(m_cpu)}  {m_rss / MIB:7.1f} MiB")
    print()
    print(f"speed-up (wall):        {ratio:6.1f}x   budget >= 50x  {'ok' if ratio >= 50 else 'OVER BUDGET'}")
    print(f"peak RSS:               {a_rss / MIB:6.1f} MiB budget <= 10 MiB {'ok' if a_rss <= 10 * MIB else 'OVER BUDGET'}")
    # 7.5 MiB since watch mode's HTTP server and metrics are in (6.5 before).
    print(f"release binary:         {size / MIB:6.2f} MiB budget <= 7.5 MiB {'ok' if size <= 7.5 * MIB else 'OVER BUDGET'}")
    print()
    print("scale, against the emulator (moto answers one request at a time: its Python is the bottleneck)")
    print(f"  5 checks {fmt_ms(s5)} ({r5 / MIB:.1f} MiB), 200 checks {fmt_ms(s200)} ({r200 / MIB:.1f} MiB, agent cpu {fmt_ms(c200).strip()})")
    print(f"  200 vs 5 checks:      {s200 / s5:6.2f}x   (the agent's own cpu for 200 checks is {c200 / s200:.0%} of that wall time)")
    if a.latency_env:
        l5, l200 = scale(dict(json.loads(a.latency_env)))
        t5, t200 = med(l5, 0), med(l200, 0)
        m200 = max(r[2] for r in l200)
        print("scale, through a stand-in with AWS-like latency (each request answered 25 ms late, replaying the")
        print("emulator's answer for its kind of request: what concurrency has to hide in front of real AWS)")
        print(f"  5 checks {fmt_ms(t5)}, 200 checks {fmt_ms(t200)} ({m200 / MIB:.1f} MiB)")
        print(f"  200 vs 5 checks:      {t200 / t5:6.2f}x   budget <= 3x   {'ok' if t200 / t5 <= 3 else 'OVER BUDGET'}")
        if a.derived_policy:
            lat = dict(json.loads(a.latency_env))
            # The verdicts do not matter here (the bench role carries the
            # reference policy): only that the run is not refused as input.
            runs = [run([a.binary, "--from-policy", a.derived_policy], lat) for _ in range(a.runs)]
            if any(r[3] == 2 for r in runs):
                sys.exit("the derived run was refused as invalid input")
            td = med(runs, 0)
            md = max(r[2] for r in runs)
            name = os.path.basename(a.derived_policy)
            print(f"  derived from {name}: {fmt_ms(td).strip()} ({md / MIB:.1f} MiB)")
            print(f"  derived vs 5 checks:  {td / t5:6.2f}x   budget <= 3x   {'ok' if td / t5 <= 3 else 'OVER BUDGET'}")


if __name__ == "__main__":
    main()
