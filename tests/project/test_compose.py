"""compose.yaml cannot be run here (no Docker engine); it is checked against the
Compose Specification's JSON schema (shipped in check-jsonschema, offline) and
against what the deployment guide promises."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.once  # nothing here depends on the database

ROOT = Path(__file__).resolve().parents[2]


def check_compose_schema(path):
    validator = Path(sys.executable).parent / "check-jsonschema"
    return subprocess.run(
        [str(validator), "--builtin-schema", "vendor.compose-spec", str(path)], capture_output=True, text=True
    )


def test_compose_file_follows_the_compose_specification():
    result = check_compose_schema(ROOT / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_misspelt_key(tmp_path):
    broken = tmp_path / "compose.yaml"
    broken.write_text((ROOT / "compose.yaml").read_text().replace("depends_on: *backing-services", "depend_on: []", 1))

    result = check_compose_schema(broken)

    assert result.returncode != 0 and "depend_on" in result.stdout + result.stderr


def test_web_worker_and_reaper_run_the_image_of_the_dockerfile_with_the_same_settings():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    site = {name: services[name] for name in ("web", "worker", "reaper")}

    assert {name: service["command"] for name, service in site.items()} == {
        "web": ["web"], "worker": ["worker"], "reaper": ["reaper"]
    }
    assert all(service["build"] == "." and service["image"] == "speechsite:latest" for service in site.values())
    environments = [service["environment"] for service in site.values()]
    assert environments[0] == environments[1] == environments[2]
    for setting in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_ACCESS_KEY",
                    "S3_SECRET_KEY", "WORKER_TEMP_DIR"):
        assert environments[0][setting], setting
    assert environments[0]["S3_ENDPOINT_URL"] == "http://s3store:8333"
    assert {"postgres", "redis", "s3store"} <= set(services)
    assert "deploy" not in site["reaper"]  # exactly one reaper per site
