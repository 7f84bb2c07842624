"""Own playbooks and templates on Kubernetes (issue 17): the ``own-config`` component generates
their ConfigMaps with kustomize, named by content, so an edit rolls the pods; what it ships
passes the checks a person runs before applying."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.entrypoints.cli import main

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OWN = KUBERNETES / "own-config"


def generators() -> dict[str, dict[str, Any]]:
    component = yaml.safe_load((OWN / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"
    return {generator["name"]: generator for generator in component["configMapGenerator"]}


def test_the_component_lists_every_file_of_its_folders() -> None:
    listed = generators()
    for name, pattern in (("playbooks", "*.yaml"), ("templates", "*.j2")):
        files = sorted(str(path.relative_to(OWN)) for path in (OWN / name).glob(pattern))
        assert sorted(listed[f"incident-bot-{name}"]["files"]) == files
    settings = listed["incident-bot-settings"]
    assert settings["behavior"] == "merge"
    assert sorted(settings["literals"]) == [
        "PLAYBOOKS_DIR=/config/playbooks",
        "TEMPLATES_DIR=/config/templates",
    ]
    main_file = (KUBERNETES / "kustomization.yaml").read_text()
    assert "#   - own-config" in main_file, "shown, and off until someone enables it"


def test_what_the_component_ships_passes_the_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-playbooks", str(OWN / "playbooks")]) == 0, capsys.readouterr().err
    assert main(["check-templates", str(OWN / "templates")]) == 0, capsys.readouterr().err


def rendered(folder: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with its kustomize) is not installed")
    built = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, check=True
    )
    return [document for document in yaml.safe_load_all(built.stdout) if document]


def configured(documents: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    """The Deployment's ConfigMap volumes (volume name: ConfigMap name), and the settings."""
    [deployment] = [d for d in documents if d["kind"] == "Deployment"]
    volumes = {
        volume["name"]: volume["configMap"]["name"]
        for volume in deployment["spec"]["template"]["spec"]["volumes"]
        if "configMap" in volume
    }
    [settings] = [
        d
        for d in documents
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("incident-bot-settings")
    ]
    return volumes, settings["data"]


def test_an_edited_playbook_gives_a_new_configmap_name_the_deployment_mounts(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "kubernetes"
    shutil.copytree(KUBERNETES, copy)
    main_file = copy / "kustomization.yaml"
    text = main_file.read_text().replace(
        "# components:\n#   - own-config", "components:\n  - own-config"
    )
    main_file.write_text(text)
    before, settings = configured(rendered(copy))
    assert before["playbooks"].startswith("incident-bot-playbooks-")
    assert before["templates"].startswith("incident-bot-templates-")
    assert settings["PLAYBOOKS_DIR"] == "/config/playbooks"
    assert settings["TEMPLATES_DIR"] == "/config/templates"
    sev1 = copy / "own-config" / "playbooks" / "sev1.yaml"
    sev1.write_text(sev1.read_text() + "\n# edited\n")
    after, _ = configured(rendered(copy))
    assert after["playbooks"] != before["playbooks"]
    assert after["templates"] == before["templates"]


@pytest.mark.parametrize("folder", ["playbooks", "templates"])
def test_the_component_starts_from_the_shipped_protocol(folder: str) -> None:
    """Its copies are where a team starts: in this repository they are the shipped files,
    changed together (a change to one and not the other is a drift nobody meant)."""
    copies = {path.name: path.read_bytes() for path in (OWN / folder).iterdir()}
    shipped = {path.name: path.read_bytes() for path in (ROOT / folder).iterdir() if path.is_file()}
    assert copies == shipped
