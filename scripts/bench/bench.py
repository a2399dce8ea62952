#!/usr/bin/env python3
"""Measures ami against the way people do the same job today, side by side, on one local stack.

Starts its own moto_server and a counting proxy in front of it (requests are counted at the wire,
not by self-report), seeds the same state for each contender, runs both, and prints one table of
figures and ratios (or JSON with --json). Rows 9 and 10 boot local instances (as root, under
systemd-nspawn) of the demo project, baked once with --local-root, against the same moto_server
(not through the proxy). Run through scripts/bench/run.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import boto3

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent.parent
AMI = str(REPO / "scripts" / "ami")
REGION = "us-east-1"
PREFIX = "/ami-pipeline"

# EC2's buckets the throttling proxy enforces: (size, refill per second).
BUCKETS = {"DeregisterImage": (100, 5.0), "DeleteSnapshot": (100, 5.0)}


def log(*parts):
    print("[bench]", *parts, file=sys.stderr, flush=True)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.read()


def wait_until(check, what, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"bench: {what} did not come up")


class Stack:
    """moto_server plus the counting/throttling proxy, both on loopback, both ours."""

    def __init__(self, workdir):
        self.workdir = workdir
        port = free_port()
        self.moto_url = f"http://127.0.0.1:{port}"
        cmd = ["moto_server"] if shutil.which("moto_server") else [sys.executable, "-m", "moto.server"]
        self.moto = subprocess.Popen(cmd + ["-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_until(lambda: http("GET", self.moto_url + "/moto-api/") is not None, "moto_server")
        port_file = workdir / "proxy.port"
        self.proxy = subprocess.Popen([sys.executable, str(REPO / "scripts/lib/aws-proxy.py"), "--upstream",
                                       self.moto_url, "--port-file", str(port_file)], stdout=subprocess.DEVNULL)
        wait_until(port_file.exists, "aws-proxy")
        self.url = f"http://127.0.0.1:{port_file.read_text().strip()}"

    def reset(self, buckets=False):
        http("POST", self.moto_url + "/moto-api/reset")
        self.configure(buckets=buckets)

    def configure(self, buckets=False):
        http("POST", self.url + "/__proxy/config", json.dumps({"ec2_buckets": buckets}).encode())
        http("POST", self.url + "/__proxy/reset")

    def stats(self):
        return json.loads(http("GET", self.url + "/__proxy/stats"))

    def env(self, **extra):
        env = dict(os.environ)
        env.update({"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
                    "AMI_HOME": str(REPO)})
        env.update(extra)
        return env

    def boto(self, service):
        # Seeding and state checks go straight to moto: they are not part of what is measured.
        return boto3.client(service, endpoint_url=self.moto_url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def close(self):
        for p in (self.proxy, self.moto):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def run(cmd, env, check=True, **kw):
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    took = time.monotonic() - started
    if check and proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc, took


def hyperfine(commands, env, runs, warmup=1):
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    subprocess.run(["hyperfine", "-N", "--style", "none", "--runs", str(runs), "--warmup", str(warmup),
                    "--export-json", str(out), *commands], env=env, check=True, stdout=subprocess.DEVNULL)
    results = json.loads(out.read_text())["results"]
    out.unlink()
    return [r["median"] for r in results]



def median_of(times):
    return round(statistics.median(times), 2)


def stamp(line):
    """The time a first-boot step line starts with ("2026-12-02T10:30:12.417Z first-boot: …"), in seconds."""
    from datetime import datetime
    return datetime.strptime(line.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def when_file_says(pattern, marker, started, result, stop):
    """In a thread: the time after `started` at which a file matching the glob `pattern` first holds `marker`."""
    import glob
    while not stop.is_set():
        for name in glob.glob(pattern):
            try:
                if marker in Path(name).read_text(errors="replace"):
                    result.append(time.monotonic() - started)
                    return
            except OSError:
                pass
        time.sleep(0.02)


def at(steps, words):
    """The time of the first of first-boot's step lines that says `words`."""
    return stamp(next(line for line in steps if f"first-boot: {words}" in line))


class RunResults:
    """The results in the emulator's S3 of the run `ami launch` named in its output, by attempt."""

    def __init__(self, s3, local, output):
        import re
        self.s3, self.bucket = s3, local.BUCKET
        run_id = re.search(r"^run (\S+)", output, re.MULTILINE).group(1)
        folder = f"runs/{local.PROJECT}/{run_id}/"
        self.attempts = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=folder):
            for key in (o["Key"] for o in page.get("Contents", [])):
                instance = key[len(folder):].split("/")[0]
                if instance.startswith("i-") and key == f"{folder}{instance}/exit-status.json":
                    status = json.loads(self._get(key))
                    self.attempts[status["attempt"]] = key[:-len("exit-status.json")]

    def _get(self, key):
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode()

    def text(self, attempt, name):
        return self._get(self.attempts[attempt] + name)

    def first_boot_log(self, attempt):
        return self.text(attempt, "first-boot.log").splitlines()


class LocalInstances:
    """What rows 9 and 10 share: local instances of the demo project (ami bake --local-root, ami launch
    --local) against the bench's moto_server, as scripts/demo drives them: a state folder, the job's
    repository on a git daemon on loopback, a projects folder of the bench's own, the log bucket. One
    local bake serves both rows. Needs root and systemd-nspawn."""

    PROJECT = "demo"
    BUCKET = "ami-pipeline-demo-logs"
    CHECKPOINT_DIR = "/var/lib/ml/checkpoints"

    def __init__(self, bench):
        self.stack = bench.stack
        self.dir = bench.workdir / "local"
        self.state = self.dir / "state"
        self.projects = self.dir / "projects"
        self.projects.mkdir(parents=True)
        served = self.dir / "served"
        served.mkdir()
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(served / "job.git")], check=True)
        self.src = self.dir / "job-src"
        subprocess.run(["git", "init", "-q", "-b", "main", str(self.src)], check=True)
        port = free_port()
        self.daemon = subprocess.Popen(["git", "daemon", "--export-all", "--reuseaddr", "--listen=127.0.0.1",
                                        f"--port={port}", f"--base-path={served}", str(served)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.repo = f"git://127.0.0.1:{port}/job.git"
        demo = json.loads((REPO / "packer/projects/demo.json").read_text())
        demo["run"].update({"repo": self.repo, "command": "./job.sh", "checkpoint": {"dir": self.CHECKPOINT_DIR}})
        (self.projects / f"{self.PROJECT}.json").write_text(json.dumps(demo, indent=2))

    def env(self):
        # Straight to moto: the instances' 100 MiB transfers are not the proxy's to count.
        return self.stack.env(AWS_ENDPOINT_URL=self.stack.moto_url, AMI_LOCAL_STATE=str(self.state))

    def publish(self, script):
        """Makes `script` the job.sh of branch main."""
        job = self.src / "job.sh"
        job.write_text(script)
        job.chmod(0o755)
        for cmd in (["add", "job.sh"], ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "job"],
                    ["push", "-q", "--force", str(self.dir / "served/job.git"), "main"]):
            subprocess.run(["git", "-C", str(self.src), *cmd], check=True)

    def baked(self):
        """The demo project baked with --local-root into this stack (again after a row reset the emulator)."""
        ssm = self.stack.boto("ssm")
        try:
            ssm.get_parameter(Name=f"{PREFIX}/{self.PROJECT}/ami-id")
        except ssm.exceptions.ParameterNotFound:
            log("  ami bake --project demo --local-root (about a minute warm)")
            run([AMI, "bake", "--project", self.PROJECT, "--local-root", "--projects-dir", str(self.projects),
                 "--history", str(self.dir / "ami-history.md")], self.env())
        s3 = self.stack.boto("s3")
        if self.BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
            s3.create_bucket(Bucket=self.BUCKET)

    def checkpoint(self, kept):
        """The run configuration with its checkpoint folder (as baked) or without it."""
        ssm = self.stack.boto("ssm")
        name = f"{PREFIX}/{self.PROJECT}/run"
        config = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        if kept:
            config["checkpoint"] = {"dir": self.CHECKPOINT_DIR}
        else:
            config.pop("checkpoint", None)
        ssm.put_parameter(Name=name, Value=json.dumps(config), Type="String", Overwrite=True)

    def launch(self, err, *extra):
        """`ami launch --local --follow` started now: its stdout a line-buffered pipe, its stderr into `err`."""
        with open(err, "w") as progress:
            return subprocess.Popen([AMI, "launch", "--project", self.PROJECT, "--projects-dir", str(self.projects),
                                     "--local", "--follow", *extra], env=self.env(), stdout=subprocess.PIPE,
                                    stderr=progress, text=True, bufsize=1)

    def close(self):
        self.daemon.terminate()
        self.daemon.wait(timeout=10)
        # Unpacked roots hold absolute symlinks: never follow them out of the folder.
        subprocess.run(["rm", "-rf", "--one-file-system", str(self.dir)], check=False)


class SeedsBoot:
    """The seeds' way on a local machine: the local root cache's plain Debian base (no provisioning),
    booted under systemd-nspawn by the same machine.sh and overlay as a local instance, whose boot does
    what cloud-init does with baseline-user-data.yaml (row 3's user-data): apt-get update, apt-get
    install of its packages (cloud-init's own options) from the same local package cache, its files, its
    runcmd. The repository URL is replaced by the bench's, on loopback. cloud-init's own start-up is not
    counted. The user-data installs what the job needs before it and the AWS CLI, needed only for the
    log, after it (the machine is halted once the job's first line is seen, before that part)."""

    USER_DATA_REPO = "https://github.com/example-org/hello-job.git"
    REPO_PATH = "/var/lib/ami-pipeline-local-repo"
    MACHINE_SH = REPO / "src/main/resources/dev/amipipeline/local/machine.sh"

    def __init__(self, local, packages_wanted):
        import yaml
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ami-pipeline/local-root"
        self.packages_dir = self._package_repo(cache, packages_wanted)
        base_key = self.packages_dir.name.split("-")[1]
        bases = sorted(cache.glob(f"*-{base_key}.tar.zst"))
        if not bases:
            raise SystemExit(f"bench: no base root for {self.packages_dir} in {cache}")
        self.dir = local.dir / "seeds"
        self.lower = self.dir / "base-root"
        self.lower.mkdir(parents=True)
        subprocess.run(["tar", "-C", str(self.lower), "--numeric-owner", "--xattrs", "--xattrs-include=*",
                        "-I", "zstd", "-xpf", str(bases[-1])], check=True)
        self.user_data = yaml.safe_load((BENCH / "baseline-user-data.yaml").read_text()
                                        .replace(self.USER_DATA_REPO, local.repo))
        self.runs = 0

    @staticmethod
    def _package_repo(cache, wanted):
        for packages in sorted(cache.glob("packages-*/Packages"), key=lambda f: f.stat().st_mtime, reverse=True):
            names = {line.split(":", 1)[1].strip() for line in packages.read_text().splitlines()
                     if line.startswith("Package:")}
            if set(wanted) <= names:
                return packages.parent
        raise SystemExit(f"bench: no local package cache with {', '.join(wanted)} in {cache}:"
                         " run scripts/ami bake --project demo --local-root --prepare-only")

    def boot_script(self):
        """cloud-init's part, in the order of its stages: packages (config), then runcmd (final)."""
        ud = self.user_data
        lines = ["#!/bin/bash", "set -euo pipefail", "exec >/var/log/seeds-boot.log 2>&1",
                 "export DEBIAN_FRONTEND=noninteractive"]
        if ud.get("package_update"):
            lines.append("apt-get update")
        if ud.get("packages"):
            lines.append("apt-get --option=Dpkg::Options::=--force-confold --option=Dpkg::options::=--force-unsafe-io"
                         " --assume-yes --quiet install " + " ".join(ud["packages"]))
        for command in ud.get("runcmd", []):
            lines.append(" ".join(_q(c) for c in command) if isinstance(command, list) else command)
        return "\n".join(lines) + "\n"

    def start(self):
        """Boots a fresh machine (the base root under an empty overlay); returns (process, its upper folder)."""
        self.runs += 1
        name = f"bench-seeds-{self.runs}"
        folder = self.dir / name
        upper = folder / "upper"
        for f in self.user_data.get("write_files", []):
            path = upper / f["path"].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f["content"])
            path.chmod(int(f.get("permissions", "0644"), 8))
        boot = upper / "usr/local/sbin/seeds-boot"
        boot.parent.mkdir(parents=True, exist_ok=True)
        boot.write_text(self.boot_script())
        boot.chmod(0o755)
        units = upper / "etc/systemd/system"
        (units / "multi-user.target.wants").mkdir(parents=True)
        (units / "seeds-boot.service").write_text(
            "[Unit]\nDescription=the user-data's work, as cloud-init does it\nAfter=network-online.target\n"
            "[Service]\nType=oneshot\nExecStart=/usr/local/sbin/seeds-boot\n")
        (units / "multi-user.target.wants/seeds-boot.service").symlink_to("../seeds-boot.service")
        # As ami launch --local does: sshd would listen on the host's port 22.
        (units / "ssh.service").symlink_to("/dev/null")
        nspawn = ["systemd-nspawn", "--quiet", f"--directory={folder / 'root'}", f"--machine={name}",
                  "--register=no", "--keep-unit", "--console=passive", "--resolv-conf=off", "--timezone=off",
                  "--link-journal=no", f"--bind-ro={self.packages_dir}:{self.REPO_PATH}", "--boot"]
        # machine.sh halts the machine when its stdin closes: the bench cannot leave one behind.
        self.started = time.monotonic()
        proc = subprocess.Popen(["setsid", "--wait", "unshare", "--mount", "--propagation", "private", "bash",
                                 str(self.MACHINE_SH), name, str(folder), "--overlay", str(self.lower), "--",
                                 *nspawn], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, text=True)
        return proc, upper

    @staticmethod
    def halt(proc):
        try:
            proc.stdin.write("stop 5\n")
            proc.stdin.flush()
            proc.stdin.close()
        except BrokenPipeError:
            pass
        proc.wait(timeout=60)


class Bench:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.stack = Stack(workdir)
        self.rows = []
        self.projects = workdir / "projects"
        self.projects.mkdir()
        for name in ("bench", "demo"):
            shutil.copy(REPO / "packer/projects/demo.json", self.projects / f"{name}.json")
        self.history = workdir / "ami-history.md"
        self._local = None
        # The first command after a build makes the jar's AppCDS archives (about 5 s, once per jar):
        # made here, so every row measures the commands as they run from then on.
        for warm_up in (["--version"], ["doctor", "--projects-dir", str(self.projects)]):
            run([AMI, *warm_up], self.stack.env(), check=False)

    def row(self, row, metric, ours, baseline=None, unit="", target="", ok=None):
        """One line of the table; ratio is always ours ÷ baseline (below 1: ours is smaller or faster)."""
        ratio = None
        if isinstance(ours, (int, float)) and not isinstance(ours, bool) and isinstance(baseline, (int, float)) \
                and baseline:
            ratio = ours / baseline
        self.rows.append({"row": row, "metric": metric, "ours": ours, "baseline": baseline, "unit": unit,
                          "ratio": ratio, "target": target, "ok": ok})
        log(f"  {metric}: {ours} vs {baseline} {unit}".rstrip())

    def seed(self, images, snapshots=2, newest=3, project="bench"):
        subprocess.run([sys.executable, str(BENCH / "seed.py"), "--endpoint", self.stack.moto_url, "--project",
                        project, "--images", str(images), "--newest", str(newest), "--snapshots", str(snapshots)],
                       check=True)

    def end_state(self, project="bench"):
        ec2 = self.stack.boto("ec2")
        images = ec2.describe_images(Owners=["self"],
                                     Filters=[{"Name": f"tag:ami-pipeline:project", "Values": [project]}])["Images"]
        snaps = ec2.describe_snapshots(Filters=[{"Name": "tag:ami-pipeline:project", "Values": [project]}])["Snapshots"]
        named = {s["SnapshotId"] for s in ec2.describe_snapshots()["Snapshots"]}
        live = {m["Ebs"]["SnapshotId"] for i in images for m in i.get("BlockDeviceMappings", []) if "Ebs" in m}
        return {"images": sorted(i["Name"] for i in images), "taggedSnapshots": len(snaps),
                "imageSnapshotsPresent": len(live & named)}

    def ami(self, *args, **env):
        return run([AMI, *args], self.stack.env(**env))

    # ---- rows -------------------------------------------------------------------------------------

    def prune_vs_shell(self):
        n = self.args.images
        log(f"row 1: prune {n} images, ours vs the shell way")
        self.stack.reset()
        self.seed(n)
        self.stack.configure()
        proc, ours = self.ami("prune", "--project", "bench", "--keep", "3", "--projects-dir", str(self.projects),
                              "--history", str(self.history))
        ours_stats = self.stack.stats()
        ours_state = self.end_state()
        deleted = n - 3
        self.stack.reset()
        self.seed(n)
        self.stack.configure()
        _, base = run([str(BENCH / "baseline-prune.sh"), "bench", "3"], self.stack.env())
        base_stats = self.stack.stats()
        base_state = self.end_state()
        reqs = ours_stats["requests"]
        mutations = reqs.get("DeregisterImage", 0) + reqs.get("DeleteSnapshot", 0)
        reads = ours_stats["total"] - mutations
        minimal = reqs.get("DeregisterImage") == deleted and reqs.get("DeleteSnapshot") == 2 * deleted
        self.row(1, f"prune {n} images × 2 snapshots: wall", round(ours, 2), round(base, 2), "s",
                 "≤ 0.033 (30× faster)", ok=base / ours >= 30)
        self.row(1, "AWS requests", ours_stats["total"], base_stats["total"], "",
                 f"{deleted} + {2 * deleted} + reads", ok=minimal)
        self.row(1, "read requests (describes)", reads, base_stats["total"] - mutations, "")
        self.row(1, "end states identical", ours_state == base_state, None, "", "yes",
                 ok=ours_state == base_state)
        self.details = {"row1": {"ours": ours_stats, "baseline": base_stats, "oursState": ours_state,
                                 "baselineState": base_state}}

    def prune_throttled(self):
        n = self.args.throttle_images
        log(f"row 2: prune {n} images / {2 * n} snapshots through EC2's token buckets")
        self.stack.reset()
        self.seed(n)
        self.stack.configure(buckets=True)
        proc, took = run([AMI, "prune", "--project", "bench", "--keep", "3", "--projects-dir", str(self.projects),
                          "--history", str(self.history)], self.stack.env(), check=False)
        stats = self.stack.stats()
        self.stack.configure(buckets=False)
        floor = 0.0
        for action, (size, refill) in BUCKETS.items():
            floor = max(floor, max(0, stats["requests"].get(action, 0) - stats["throttledByAction"].get(action, 0)
                                   - size) / refill)
        errors = 0 if proc.returncode == 0 else 1
        errors += sum(1 for line in proc.stdout.splitlines() if "failed" in line.lower())
        state = self.end_state()
        self.row(2, f"prune {n} images under EC2 limits: wall vs the buckets' floor", round(took, 2), round(floor, 2),
                 "s", "≤ 1.15", ok=bool(floor) and took <= 1.15 * floor)
        self.row(2, "throttled requests (retried)", stats["throttled"], None, "")
        self.row(2, "errors surfaced to the user", errors, None, "", "0", ok=errors == 0)
        self.row(2, "images left", len(state["images"]), None, "", "3", ok=len(state["images"]) == 3)

    def launch(self):
        log("row 3: launch, ours vs aws ec2 run-instances")
        self.stack.reset()
        self.seed(1, snapshots=1, newest=1, project="demo")
        ami = self.stack.boto("ssm").get_parameter(Name=f"{PREFIX}/demo/ami-id")["Parameter"]["Value"]
        ours_cmd = [AMI, "launch", "--project", "demo", "--projects-dir", str(self.projects)]
        baseline_user_data = (BENCH / "baseline-user-data.yaml").read_text()
        cli_cmd = ["aws", "ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro",
                   "--count", "1", "--instance-initiated-shutdown-behavior", "terminate",
                   "--metadata-options", "HttpTokens=required,HttpPutResponseHopLimit=2,HttpEndpoint=enabled",
                   "--user-data", baseline_user_data,
                   "--tag-specifications",
                   "ResourceType=instance,Tags=[{Key=ami-pipeline:project,Value=demo},{Key=Name,Value=demo}]",
                   "ResourceType=volume,Tags=[{Key=ami-pipeline:project,Value=demo},{Key=Name,Value=demo}]"]
        self.stack.configure()
        run(ours_cmd, self.stack.env())
        ours_requests = self.stack.stats()["total"]
        self.stack.configure()
        run(cli_cmd, self.stack.env())
        cli_requests = self.stack.stats()["total"]
        env = self.stack.env()
        quoted = [" ".join(_q(c) for c in cmd) for cmd in (ours_cmd, cli_cmd)]
        ours, cli = hyperfine(quoted, env, self.args.runs)
        self.row(3, "launch: AWS requests (ours 2 = GetParameter + RunInstances)", ours_requests, cli_requests, "",
                 "2", ok=ours_requests == 2)
        self.row(3, "launch: wall (median)", round(ours, 3), round(cli, 3), "s", "≤ 1.5", ok=ours <= 1.5 * cli)
        user_data = len(b"AMI_PROJECT=demo\n")
        self.row(3, "user-data bytes", user_data, len(baseline_user_data.encode()), "B", "17", ok=user_data == 17)

    def nightly(self):
        log("row 4: the nightly rebake when nothing changed")
        self.stack.reset()
        only_demo = self.workdir / "nightly-projects"
        only_demo.mkdir(exist_ok=True)
        shutil.copy(REPO / "packer/projects/demo.json", only_demo / "demo.json")
        counter = self.workdir / "packer-runs"
        counter.write_text("")
        shim = self.workdir / "counting-packer"
        shim.write_text(f"#!/usr/bin/env bash\nset -euo pipefail\n[[ \"${{1:-}}\" == build ]] && echo run >>'{counter}'\n"
                        f"exec {shutil.which('packer')} \"$@\"\n")
        shim.chmod(0o755)
        env = self.stack.env(AMI_PROJECTS_DIR=str(only_demo), AMI_PACKER=str(shim))
        nightly = [str(REPO / "scripts/nightly-rebake"), "--history", str(self.history)]
        run(nightly, env)
        first_runs = len(counter.read_text().split())
        counter.write_text("")
        _, took = run(nightly, env)
        runs = len(counter.read_text().split())
        self.row(4, "nightly, nothing changed: Packer runs (baseline: first night)", runs, first_runs, "", "0",
                 ok=runs == 0)
        self.row(4, "nightly, nothing changed: wall", round(took, 2), None, "s", "≤ 5 s", ok=took <= 5)

    def driver_overhead(self):
        log("row 5: ami bake vs packer build of the same template and variables")
        self.stack.reset()
        env = self.stack.env()
        args = ["bake", "--project", "demo", "--projects-dir", str(self.projects), "--history", str(self.history)]
        proc, _ = run([AMI, *args, "--dry-run", "--output", "json"], env)
        dry = json.loads(proc.stdout)
        build = next(c for c in dry["commands"] if " build " in f" {c} ")
        ours, direct = [], []
        for i in range(self.args.runs):
            _, took = run([AMI, *args, "--force"], env)
            ours.append(took)
            manifest = self.workdir / f"manifest-{i}.json"
            argv = _direct_packer(build, f"bench-direct-{i}-{int(time.time() * 1000)}", manifest)
            _, took = run(argv, env, cwd=REPO)
            direct.append(took)
        o, d = statistics.median(ours), statistics.median(direct)
        self.row(5, "bake: wall (median) vs packer build alone", round(o, 2), round(d, 2), "s", "")
        self.row(5, "bake: driver overhead", round(o - d, 2), None, "s", "≤ 1 s", ok=o - d <= 1.0)

    def first_boot(self):
        log("row 6: first boot to the job's first output line")
        self.stack.reset()
        root = self.workdir / "instance"
        repo = self.workdir / "job.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
        src = self.workdir / "job-src"
        subprocess.run(["git", "clone", "-q", str(repo), str(src)], check=True, stderr=subprocess.DEVNULL)
        (src / "README").write_text("job\n")
        for cmd in (["add", "README"], ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "job"],
                    ["push", "-q", "origin", "HEAD:main"]):
            subprocess.run(["git", "-C", str(src), *cmd], check=True)
        (root / "etc/ami-pipeline").mkdir(parents=True)
        (root / "etc/ami-pipeline/env").write_text(f"AMI_SSM_PREFIX={PREFIX}\n")
        s3 = self.stack.boto("s3")
        s3.create_bucket(Bucket="bench-logs")
        self.stack.boto("ssm").put_parameter(Name=f"{PREFIX}/bench/run", Type="String", Overwrite=True, Value=json.dumps({
            "repo": str(repo), "ref": "main", "command": "echo first-line", "user": "root", "env": {},
            "logUri": "s3://bench-logs/runs", "terminateOnExit": True, "timeoutMinutes": 0}))
        port_file = self.workdir / "imds.port"
        imds = subprocess.Popen([sys.executable, str(BENCH / "fake-imds.py"), "--port-file", str(port_file),
                                 "--user-data", "AMI_PROJECT=bench\n", "--instance-id", "i-0bench0000000001",
                                 "--ami-id", "ami-0bench000000001", "--region", REGION])
        try:
            wait_until(port_file.exists, "fake IMDS")
            env = self.stack.env(AMI_ROOT=str(root), AMI_IMDS_ENDPOINT=f"http://127.0.0.1:{port_file.read_text()}",
                                 AMI_POWEROFF="true", AMI_CONSOLE=os.devnull, AWS_ENDPOINT_URL=self.stack.moto_url)
            script = str(REPO / "launcher/first-boot")
            run([script], env)  # clones the repo: the measured runs find it cloned
            times = []
            for _ in range(self.args.runs):
                (root / "var/lib/ami-pipeline/done").unlink(missing_ok=True)
                job_log = root / "var/log/ami-pipeline/job.log"
                job_log.unlink(missing_ok=True)
                started = time.monotonic()
                proc = subprocess.Popen([script], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                while not (job_log.exists() and "first-line" in job_log.read_text(errors="replace")):
                    if proc.poll() is not None and not job_log.exists():
                        raise SystemExit("bench: first-boot ended without running the job")
                    time.sleep(0.005)
                times.append(time.monotonic() - started)
                proc.wait(timeout=120)
        finally:
            imds.terminate()
        t = statistics.median(times)
        self.row(6, "first boot → first job line (median)", round(t, 2), None, "s", "≤ 1 s", ok=t <= 1.0)

    def startup(self):
        log("row 7: start-up, ours vs the AWS CLI")
        self.stack.reset()
        self.seed(3, snapshots=1, project="demo")
        env = self.stack.env()
        list_ours = f"{AMI} list --project demo --projects-dir {self.projects}"
        help_ours, help_nocds, aws_version, list_cds, list_nocds, aws_describe = hyperfine(
            [f"{AMI} --help", f"env AMI_NO_CDS=1 {AMI} --help", "aws --version",
             list_ours, f"env AMI_NO_CDS=1 {list_ours}", "aws ec2 describe-images --owners self"],
            env, self.args.runs)
        self.row(7, "ami --help vs aws --version", round(help_ours, 3), round(aws_version, 3), "s", "≤ 0.35 s",
                 ok=help_ours <= 0.35)
        self.row(7, "ami --help: AppCDS archive vs none", round(help_ours, 3), round(help_nocds, 3), "s", "")
        self.row(7, "ami list (first AWS call) vs aws ec2 describe-images", round(list_cds, 3), round(aws_describe, 3),
                 "s", "")
        self.row(7, "ami list: AppCDS archive vs none", round(list_cds, 3), round(list_nocds, 3), "s", "")

    def memory(self):
        n = self.args.memory_images
        log(f"row 8: memory of list and prune over {n} images with -Xmx128m")
        self.stack.reset()
        self.seed(n, snapshots=1)
        env = self.stack.env(AMI_JAVA_OPTS="-Xmx128m")
        common = ["--project", "bench", "--projects-dir", str(self.projects)]
        rss = {}
        for name, args in (("list", ["list", *common]),
                           ("prune", ["prune", "--keep", "3", "--history", str(self.history), *common])):
            proc, took = run(["/usr/bin/time", "-f", "%M", AMI, *args], env)
            rss[name] = (int(proc.stderr.strip().splitlines()[-1]) / 1024, took)
        for name, (mib, took) in rss.items():
            self.row(8, f"{name} over {n} images, -Xmx128m: peak RSS", round(mib), None, "MiB",
                     f"completes ({took:.1f} s)", ok=True)

    # ---- rows 9 and 10: local instances ---------------------------------------------------------------

    def local(self):
        if self._local is None:
            missing = [t for t in ("systemd-nspawn", "unshare", "setsid", "zstd") if not shutil.which(t)]
            if os.geteuid() != 0 or missing:
                raise SystemExit("bench: rows 9 and 10 boot local instances: they need root and systemd-nspawn"
                                 + (f" (missing: {', '.join(missing)})" if missing else ""))
            self._local = LocalInstances(self)
        return self._local

    def close(self):
        if self._local is not None:
            self._local.close()
        self.stack.close()

    # The same job for both ways: its first line needs the JDK (it says which java runs: a machine
    # without one shows no such line); it works on a little after it.
    FIRST_LINE = "first line of the job: openjdk version"
    JOB_USES_THE_JDK = """#!/bin/bash
echo "first line of the job: $(java -version 2>&1 | head -n 1)"
sleep 5
echo done
"""

    def launch_to_first_line(self):
        log("row 9: launch → the job's first line, our baked image vs the seeds' way (installs at boot)")
        local = self.local()
        local.baked()
        local.checkpoint(kept=False)  # the seeds' job has none either
        local.publish(self.JOB_USES_THE_JDK)
        seeds = SeedsBoot(local, ["git", "openjdk-17-jdk-headless"])  # unpacks the base root: not timed
        log("  a first launch unpacks the image, once per image (not timed)")
        self._ours_to_first_line(local, "unpack")
        followed, written, first_boot, theirs = [], [], [], []
        for i in range(self.args.local_runs):
            log(f"  run {i + 1} of {self.args.local_runs}: ours")
            f, w, fb = self._ours_to_first_line(local, i)
            followed.append(f)
            written.append(w)
            first_boot.append(fb)
            log(f"    {f:.2f} s (written on the instance after {w:.2f} s, first-boot's part {fb:.2f} s); the seeds' way")
            theirs.append(self._seeds_to_first_line(seeds))
            log(f"    {theirs[-1]:.2f} s")
        o, w, fb, b = median_of(followed), median_of(written), median_of(first_boot), median_of(theirs)
        n = self.args.local_runs
        self.row(9, f"launch → the job's first line shown by --follow vs the seeds' way (median of {n})", o, b, "s",
                 "≤ 0.05 (20× faster)", ok=b / o >= 20)
        self.row(9, "launch → the job's first line written on the instance vs the seeds' way", w, b, "s", "")
        self.row(9, "  of which first-boot: its first step line → the job's start", fb, None, "s", "")

    def _ours_to_first_line(self, local, i):
        err = local.dir / f"launch-9-{i}.err"
        started = time.monotonic()
        proc = local.launch(err)
        written, stop = [], threading.Event()
        watcher = threading.Thread(target=when_file_says, daemon=True, args=(
            str(local.state / "machines/*/upper/var/log/ami-pipeline/job.log"), self.FIRST_LINE, started, written, stop))
        watcher.start()
        followed, out = None, []
        for line in proc.stdout:
            out.append(line)
            if followed is None and self.FIRST_LINE in line:
                followed = time.monotonic() - started
        proc.wait(timeout=300)
        stop.set()
        watcher.join()
        if proc.returncode != 0 or followed is None or not written:
            raise SystemExit(f"bench: ami launch --local ended {proc.returncode} without the job's first line:\n"
                             + err.read_text()[-2000:])
        steps = RunResults(self.stack.boto("s3"), local, "".join(out)).first_boot_log(1)
        return followed, written[0], at(steps, "running the job as") - stamp(steps[0])

    def _seeds_to_first_line(self, seeds):
        proc, upper = seeds.start()
        seen, stop = [], threading.Event()
        watcher = threading.Thread(target=when_file_says, daemon=True, args=(
            str(upper / "var/log/job.log"), self.FIRST_LINE, seeds.started, seen, stop))
        watcher.start()
        watcher.join(timeout=900)
        stop.set()
        boot_log = upper / "var/log/seeds-boot.log"
        tail = boot_log.read_text(errors="replace")[-2000:] if boot_log.exists() else "(no boot log)"
        SeedsBoot.halt(proc)
        if not seen:
            raise SystemExit(f"bench: the seeds' way never reached the job's first line; its boot log:\n{tail}")
        return seen[0]

    CHECKPOINT_MIB = 100
    RESUMED = "resumed on attempt"
    # Attempt 1 writes 100 MiB of checkpoint, then works until the spot notice's SIGTERM; a later
    # attempt says at once (with its own clock's time) what it found.
    JOB_WITH_A_CHECKPOINT = f"""#!/bin/bash
if [[ "$AMI_ATTEMPT" == 1 ]]; then
  head -c {CHECKPOINT_MIB}M /dev/urandom >"$AMI_CHECKPOINT_DIR/state.bin"
  echo "checkpoint written"
  trap 'exit 143' TERM
  while :; do sleep 1 & wait $!; done
fi
echo "{RESUMED} $AMI_ATTEMPT at $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) with $(stat -c %s "$AMI_CHECKPOINT_DIR/state.bin") bytes of checkpoint"
"""

    def spot_notice_to_replacement(self):
        log(f"row 10: spot notice → the job's first line on the replacement, {self.CHECKPOINT_MIB} MiB of checkpoint")
        local = self.local()
        local.baked()
        local.checkpoint(kept=True)
        local.publish(self.JOB_WITH_A_CHECKPOINT)
        data = local.dir / "hand-sync-up"
        data.mkdir()
        with open(data / "state.bin", "wb") as f:
            f.write(os.urandom(self.CHECKPOINT_MIB * 2**20))
        parts, hand_up, hand_down = [], [], []
        for i in range(self.args.local_runs):
            log(f"  run {i + 1} of {self.args.local_runs}: a recovering spot run, interrupted")
            parts.append(self._recovery_parts(local, i))
            log("    " + ", ".join(f"{k} {v:.2f} s" for k, v in parts[-1].items()))
            log("    aws s3 sync of the same size up, then down into an empty folder")
            uri = f"s3://{local.BUCKET}/hand-sync/{i}/"
            _, up = run(["aws", "s3", "sync", "--no-progress", str(data), uri], local.env())
            _, down = run(["aws", "s3", "sync", "--no-progress", uri, str(local.dir / f"hand-sync-down-{i}")],
                          local.env())
            hand_up.append(up)
            hand_down.append(down)
            log(f"    up {up:.2f} s, down {down:.2f} s")
        part = {k: median_of([p[k] for p in parts]) for k in parts[0]}
        up, down = median_of(hand_up), median_of(hand_down)
        n = self.args.local_runs
        self.row(10, f"spot notice → the job's first line on the replacement (median of {n})", part["total"], None,
                 "s", "")
        self.row(10, "  notice → the upload starts (the job stops)", part["stop"], None, "s", "")
        self.row(10, f"  checkpoint upload ({self.CHECKPOINT_MIB} MiB) vs aws s3 sync up", part["upload"], up, "s", "")
        self.row(10, "  replacement boot (logs up, power-off, EC2's part, boot)", part["boot"], None, "s", "")
        self.row(10, "  the replacement's setup (SSM, clone, attempt count)", part["setup"], None, "s", "")
        self.row(10, "  checkpoint restore vs aws s3 sync down", part["restore"], down, "s", "")
        self.row(10, "  restore → the job's first line", part["start"], None, "s", "")
        transfers = round(part["upload"] + part["restore"], 2)
        self.row(10, "restore + upload vs aws s3 sync up + down", transfers, round(up + down, 2), "s", "≤ 2",
                 ok=transfers <= 2 * (up + down))

    def _recovery_parts(self, local, i):
        """One recovering spot run whose first attempt the notice ends: its parts, from first-boot.log's stamps."""
        import re
        err = local.dir / f"launch-10-{i}.err"
        proc = local.launch(err, "--spot", "--recover", "--spot-interrupt-after", "15s")
        out = proc.stdout.read()
        proc.wait(timeout=600)
        expected = f"with {self.CHECKPOINT_MIB * 2**20} bytes of checkpoint"
        if proc.returncode != 0 or f"{self.RESUMED} 2 " not in out or expected not in out:
            raise SystemExit(f"bench: the recovering run ended {proc.returncode} without attempt 2 resuming from"
                             f" its whole checkpoint:\n{out[-1500:]}\n{err.read_text()[-2500:]}")
        results = RunResults(self.stack.boto("s3"), local, out)
        first, second = results.first_boot_log(1), results.first_boot_log(2)
        resumed = re.search(rf"{self.RESUMED} 2 at (\S+)", results.text(2, "job.log")).group(1)
        notice = at(first, "spot interruption notice")
        upload, uploaded = at(first, "run ended: reason spot-interruption"), at(first, "uploaded the checkpoint")
        booted = stamp(second[0])
        restore, restored = at(second, "restoring the checkpoint"), at(second, "downloaded the checkpoint")
        line = stamp(resumed)
        return {"total": line - notice, "stop": upload - notice, "upload": uploaded - upload,
                "boot": booted - uploaded, "setup": restore - booted, "restore": restored - restore,
                "start": line - restored}


def _q(arg):
    import shlex
    return shlex.quote(str(arg))


def _direct_packer(display, ami_name, manifest):
    """The driver's own Packer command (from --dry-run), run by hand with a fresh name and manifest."""
    import shlex
    argv = shlex.split(display)
    out = []
    for a in argv:
        if a.startswith("ami_name="):
            a = f"ami_name={ami_name}"
        elif a.startswith("manifest_path="):
            a = f"manifest_path={manifest}"
        out.append(a)
    return out


ROWS = {1: Bench.prune_vs_shell, 2: Bench.prune_throttled, 3: Bench.launch, 4: Bench.nightly,
        5: Bench.driver_overhead, 6: Bench.first_boot, 7: Bench.startup, 8: Bench.memory,
        9: Bench.launch_to_first_line, 10: Bench.spot_notice_to_replacement}


def table(rows):
    def fmt(v):
        if v is None:
            return ""
        if isinstance(v, bool):
            return "yes" if v else "no"
        return f"{v:g}" if isinstance(v, float) else str(v)
    head = ["row", "what", "ours", "baseline", "unit", "ours÷baseline", "target", "met"]
    lines = [[str(r["row"]), r["metric"], fmt(r["ours"]), fmt(r["baseline"]), r["unit"],
              "" if r["ratio"] is None else f"{r['ratio']:.2f}×", r["target"],
              "" if r["ok"] is None else ("yes" if r["ok"] else "NO")] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *lines)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += ["| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |" for line in lines]
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--rows", default="1,2,3,4,5,6,7,8,9,10", help="which rows, e.g. 3,7")
    p.add_argument("--images", type=int, default=300, help="row 1: images to prune")
    p.add_argument("--throttle-images", type=int, default=150, help="row 2: images to prune under EC2's limits")
    # moto answers one DescribeImages over 2,000 tagged images in ~30 s on an idle machine (real EC2
    # pages them in about a second), close to the CLI's 45 s bound per call: run row 8 on a quiet machine.
    p.add_argument("--memory-images", type=int, default=2000, help="row 8: images for the memory figures")
    p.add_argument("--runs", type=int, default=5, help="repetitions of the timed rows")
    p.add_argument("--local-runs", type=int, default=3, help="rows 9 and 10: runs of each way (a local boot is"
                   " seconds, the seeds' way a minute or more)")
    args = p.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ami-bench-"))
    bench = Bench(args, workdir)
    failed = None
    try:
        for n in (int(x) for x in args.rows.split(",")):
            ROWS[n](bench)
    except (SystemExit, Exception) as e:  # the rows measured so far are still worth printing
        failed = f"bench: stopped early: {e}"
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        log(failed)
    if args.json:
        print(json.dumps({"machine": machine(), "rows": bench.rows}, indent=2))
    else:
        print(f"machine: {machine()}")
        print(table(bench.rows))
    return 0 if not failed and all(r["ok"] is not False for r in bench.rows) else 1


def machine():
    cpus = os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    java = subprocess.run(["java", "-version"], stderr=subprocess.PIPE, text=True).stderr.splitlines()[0]
    return f"{cpus} cores, {mem:.0f} GiB, {java.strip()}, packer {subprocess.run(['packer', 'version'], stdout=subprocess.PIPE, text=True).stdout.split()[1]}"


if __name__ == "__main__":
    sys.exit(main())
