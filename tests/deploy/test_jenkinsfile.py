"""The Jenkinsfile: its stages, and every shell step calls a make target or repo script."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JENKINSFILE = (ROOT / "Jenkinsfile").read_text()


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-zA-Z][\w-]*):", text, flags=re.M))


def shell_steps() -> list[str]:
    return re.findall(r"""\bsh\s+(?:script:\s*)?(['"])(.+?)\1\s*$""", JENKINSFILE, flags=re.M)


def test_declarative_pipeline_has_the_delivery_stages():
    stages = re.findall(r"stage\('([^']+)'\)", JENKINSFILE)
    assert stages == [
        "Setup",
        "Lint",
        "Test",
        "Package",
        "Deploy to dev",
        "Promote to stage",
        "Promote to prod",
    ]
    assert re.search(r"^pipeline \{", JENKINSFILE, flags=re.M)
    for stage in ("Promote to stage", "Promote to prod"):
        body = JENKINSFILE.split(f"stage('{stage}')")[1].split("stage(")[0]
        assert "input {" in body and "submitter" in body, stage


def test_every_shell_step_calls_a_make_target_or_a_repo_script():
    targets = make_targets()
    steps = [command for _, command in shell_steps()]
    assert len(steps) >= 8
    for command in steps:
        words = shlex.split(command)
        if words[0] == "make":
            assert words[1] in targets, command
        elif words[0] == ".venv/bin/python":
            assert (ROOT / words[1]).is_file(), command
        elif words[0] == ".venv/bin/inventory-activity":
            from pipeline.cli import build_parser

            args = [w if not w.startswith("$(") else "2026-01-05" for w in words[1:]]
            build_parser().parse_args(args)
        else:
            raise AssertionError(f"unexpected shell step: {command}")


def test_each_environment_gets_the_release_uploaded():
    uploads = re.findall(r"upload_release\.py --env (\w+)", JENKINSFILE)
    assert uploads == ["dev", "stage", "prod"]
