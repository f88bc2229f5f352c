"""The Apex and metadata Switchboard generates: every Apex file parses with the Apex grammar
(@apexdevtools/apex-parser, run with node), every XML file is well formed, and each names this
organization's webhook URL and connected user and nothing secret."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.salesforce.rep_replies import USER_ID, connect_salesforce
from webapp.db import db
from webapp.models import Organization
from webapp.salesforce import apex, callouts
from webapp.salesforce.integration import update_settings

ROOT = Path(__file__).resolve().parents[2]
PARSER = ROOT / "tests" / "apex"
METADATA = "{http://soap.sforce.com/2006/04/metadata}"


def _in_ci() -> bool:
    """The CI run (.ci/run sets REQUIRE_BROWSER; CI services set CI): a missing tool fails there."""
    return bool(os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER"))


def _missing(reason: str):
    if _in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        _missing("node is not installed: the Apex grammar check needs Node.js 20.19 or later")
    if not (PARSER / "node_modules" / "@apexdevtools" / "apex-parser").is_dir():
        _missing("the Apex parser is not installed: run ./scripts/test (npm ci in tests/apex)")
    return found


def parse(node: str, files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [node, str(PARSER / "parse.js"), *map(str, files)], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def salesforce(world):
    """Connected, under a name and user name that would break Apex if pasted in as they are."""
    organization = world.organization("Acme */ 'Support' \\ \n Team")
    integration = connect_salesforce(organization)
    update_settings(integration, username="o'brien*/@acme.example")
    db.session.commit()
    return integration


@pytest.fixture
def values(salesforce) -> apex.ApexValues:
    return apex.values_for(salesforce, db.session.get(Organization, salesforce.organization_id))


def _write(tmp_path: Path, files: list[apex.ApexFile], values: apex.ApexValues) -> list[Path]:
    written = []
    for file in files:
        path = tmp_path / file.name
        path.write_text(apex.render(file, values), encoding="utf-8")
        written.append(path)
    return written


def test_every_generated_apex_file_parses(node, values, tmp_path):
    files = [file for file in apex.FILES if file.grammar]
    assert {file.name for file in files} == {
        "SwitchboardCallout.cls",
        "SwitchboardCalloutTest.cls",
        "SwitchboardCaseTrigger.trigger",
        "SwitchboardCaseCommentTrigger.trigger",
        "SwitchboardEmailMessageTrigger.trigger",
    }
    result = parse(node, _write(tmp_path, files, values))
    assert result.returncode == 0, result.stderr


def test_the_parser_check_fails_on_a_syntax_error(node, tmp_path):
    """So that a pass above means something."""
    broken = tmp_path / "Broken.cls"
    broken.write_text("public class Broken { void f() { Integer x = ; } }")
    trailing = tmp_path / "Trailing.trigger"
    trailing.write_text("trigger Trailing on Case (after insert) { } junk")
    lexer = tmp_path / "Lexer.cls"
    lexer.write_text("public class Lexer { String s = 'unterminated; }")
    for path in (broken, trailing, lexer):
        result = parse(node, [path])
        assert result.returncode == 1 and f"{path}:1:" in result.stderr, result


def test_the_apex_names_the_connected_user_and_the_named_credential(values):
    callout = apex.render(apex.file_named("callout-class"), values)
    assert f"private static Id integrationUserId = '{USER_ID}';" in callout
    assert "public static final String ENDPOINT = 'callout:Switchboard';" in callout
    assert "implements Queueable, Database.AllowsCallouts" in callout
    assert "Crypto.generateMac('hmacSHA256', Blob.valueOf(body), Blob.valueOf(secret))" in callout
    # The organization's name, made harmless for a comment.
    assert "Acme * / ’Support’ / Team" in callout


def test_the_test_class_checks_the_apex_signs_as_switchboard_verifies(values):
    test_class = apex.render(apex.file_named("callout-test"), values)
    expected = callouts.sign(apex.SAMPLE_SECRET, apex.SAMPLE_BODY.encode())
    assert f"'{expected}'" in test_class and f"'{apex.SAMPLE_BODY}'" in test_class
    assert "implements HttpCalloutMock" in test_class


def test_every_xml_file_is_well_formed_and_points_at_this_webhook(values, salesforce):
    webhook = f"https://switchboard.example.test/webhooks/salesforce/{salesforce.webhook_token}"
    documents = {}
    for file in apex.FILES:
        if file.name.endswith(".xml"):
            documents[file.key] = ElementTree.fromstring(apex.render(file, values).encode())
    named = documents["named-credential"]
    assert named.findtext(f"{METADATA}namedCredentialType") == "SecuredEndpoint"
    urls = [p.findtext(f"{METADATA}parameterValue") for p in named.iter(f"{METADATA}namedCredentialParameters")]
    assert webhook in urls
    assert named.findtext(f"{METADATA}allowMergeFieldsInBody") == "false"  # a rep's "{!...}" stays text
    assert documents["legacy-named-credential"].findtext(f"{METADATA}endpoint") == webhook

    external = documents["external-credential"]
    headers = {
        p.findtext(f"{METADATA}parameterName"): p.findtext(f"{METADATA}parameterValue")
        for p in external.iter(f"{METADATA}externalCredentialParameters")
        if p.findtext(f"{METADATA}parameterType") == "AuthHeader"
    }
    assert headers == {
        "X-Switchboard-Signature": "{!BASE64ENCODE(HMAC('SHA-256', $Credential.Switchboard_Callout.Body, "
        "BLOB($Credential.Switchboard_Callout.CalloutSecret)))}"
    }
    access = documents["permission-set"].find(f"{METADATA}externalCredentialPrincipalAccesses")
    assert access.findtext(f"{METADATA}externalCredentialPrincipal") == "Switchboard_Callout-Switchboard_Apex"


def test_no_file_carries_the_callout_secret(values, salesforce):
    secret = salesforce.credential("callout_secret")
    for file in apex.FILES:
        assert secret not in apex.render(file, values), file.name
    record = apex.render(apex.file_named("secret-record"), values)
    assert apex.SECRET_PLACEHOLDER in record


def test_the_zip_is_a_salesforce_dx_project_with_every_file(values):
    archive = zipfile.ZipFile(io.BytesIO(apex.zip_bytes(values)))
    names = set(archive.namelist())
    assert "switchboard-apex/sfdx-project.json" in names
    assert "switchboard-apex/force-app/main/default/classes/SwitchboardCallout.cls" in names
    assert "switchboard-apex/force-app/main/default/classes/SwitchboardCallout.cls-meta.xml" in names
    assert "switchboard-apex/force-app/main/default/triggers/SwitchboardCaseTrigger.trigger-meta.xml" in names
    assert (
        "switchboard-apex/credentials/main/default/externalCredentials/Switchboard_Callout.externalCredential-meta.xml"
        in names
    )
    assert len(names) == len(apex.FILES)
    project = json.loads(archive.read("switchboard-apex/sfdx-project.json"))
    assert [d["path"] for d in project["packageDirectories"]] == ["force-app", "credentials", "legacy-credentials"]
    assert project["sourceApiVersion"] == "68.0"
    assert apex.zip_bytes(values) == apex.zip_bytes(values)  # the same settings, the same file


def test_nothing_is_generated_before_salesforce_is_connected(world):
    organization = world.organization()
    with pytest.raises(apex.ApexNotReady, match="Save the Salesforce credentials"):
        apex.values_for(None, organization)
    integration = connect_salesforce(organization)
    update_settings(integration, user_id=None)
    with pytest.raises(apex.ApexNotReady, match="Connect to Salesforce first"):
        apex.values_for(integration, organization)
    update_settings(integration, user_id="005' + hacked + '")
    with pytest.raises(apex.ApexNotReady):
        apex.values_for(integration, organization)
