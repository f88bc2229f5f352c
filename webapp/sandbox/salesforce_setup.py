"""The fake Salesforce org's setup, as the Tooling API and SOQL show it: the Apex classes and
triggers, the Named Credentials and the Apex jobs. Enough for Switchboard's setup checks to find
the Apex it generates deployed, half deployed, switched off, pointed elsewhere or failing; tests
and the sandbox arrange each of those with ``deploy_apex``, ``undeploy_apex``,
``deactivate_trigger``, ``point_named_credential`` and ``add_failed_job``.

What Salesforce's references say, and what is inferred:
- Tooling API ``/services/data/vXX.X/tooling/query/?q=`` answers like ``/query`` and adds ``size``,
  ``entityTypeName`` and ``queryLocator``; a record's URL is under ``/tooling/sobjects/``. Its
  ``ApexTrigger`` has ``Name``, ``Status`` (Active, Inactive, Deleted), ``TableEnumOrId``,
  ``IsValid``, ``ApiVersion``, ``NamespacePrefix``; ``ApexClass`` the same but for the table.
- ``NamedCredential`` (Object Reference): ``DeveloperName``, ``MasterLabel``, ``Endpoint`` (the root
  URL), ``PrincipalType``; ``query()`` only, and only for users with "View Setup and
  Configuration". That ``Endpoint`` holds the URL of a new-model (SecuredEndpoint) Named Credential
  too is an inference.
- ``AsyncApexJob`` (Object Reference): ``ApexClassId`` (relationship ``ApexClass``), ``Status``
  (Holding, Queued, Preparing, Processing, Aborted, Completed, Failed), ``ExtendedStatus`` (255,
  the first error), ``JobType`` (Future, Queueable...), ``MethodName``, ``NumberOfErrors``,
  ``CompletedDate``; ``query()`` only, "View Setup and Configuration" needed.
- Inferred: a user without that permission is told an object it may not see is "not supported"
  (``INVALID_TYPE``, as for any object hidden from a user); the Tooling API refused to such a
  user answers 403 ``INSUFFICIENT_ACCESS``.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from webapp.sandbox import soql

# The names in the files Switchboard generates (webapp/salesforce/apex.py), and what each is on.
CALLOUT_CLASS = "SwitchboardCallout"
TEST_CLASS = "SwitchboardCalloutTest"
TRIGGERS = {
    "SwitchboardCaseTrigger": "Case",
    "SwitchboardCaseCommentTrigger": "CaseComment",
    "SwitchboardEmailMessageTrigger": "EmailMessage",
}
NAMED_CREDENTIAL = "Switchboard"

KEY_PREFIXES = {"ApexClass": "01p", "ApexTrigger": "01q", "NamedCredential": "0XA", "AsyncApexJob": "707"}
_COMMON = {"Id": "id", "CreatedDate": "datetime", "LastModifiedDate": "datetime"}
FIELDS: dict[str, dict[str, str]] = {
    "ApexClass": {
        **_COMMON,
        "Name": "string",
        "Status": "picklist",
        "IsValid": "boolean",
        "ApiVersion": "double",
        "NamespacePrefix": "string",
    },
    "ApexTrigger": {
        **_COMMON,
        "Name": "string",
        "Status": "picklist",
        "TableEnumOrId": "picklist",
        "IsValid": "boolean",
        "ApiVersion": "double",
        "NamespacePrefix": "string",
    },
    "NamedCredential": {
        **_COMMON,
        "DeveloperName": "string",
        "MasterLabel": "string",
        "Endpoint": "textarea",
        "PrincipalType": "picklist",
        "NamespacePrefix": "string",
    },
    "AsyncApexJob": {
        "Id": "id",
        "CreatedDate": "datetime",
        "ApexClassId": "reference",
        "Status": "picklist",
        "ExtendedStatus": "string",
        "JobType": "picklist",
        "MethodName": "string",
        "NumberOfErrors": "int",
        "CompletedDate": "datetime",
    },
}
PARENTS = {"AsyncApexJob": {"ApexClass": ("ApexClassId", "ApexClass")}}
TOOLING_OBJECTS = frozenset({"ApexClass", "ApexTrigger"})
DATA_OBJECTS = frozenset(FIELDS)  # every one is a data object too (query() only)
NEEDS_VIEW_SETUP = frozenset({"NamedCredential", "AsyncApexJob"})
TOOLING_REFUSED = [{"message": "You don't have permission to use the Tooling API.", "errorCode": "INSUFFICIENT_ACCESS"}]


def _record_id(prefix: str, number: int) -> str:
    from webapp.sandbox.salesforce import salesforce_id  # the fake org's own id format

    return salesforce_id(prefix, number)


def _timestamp(epoch: float) -> str:
    from webapp.sandbox.salesforce import timestamp

    return timestamp(epoch)


@dataclass
class ApexSetup:
    """The org's Apex and credentials. ``view_setup`` off: the connected user lacks "View Setup
    and Configuration" (NamedCredential and AsyncApexJob are hidden); ``tooling_access`` off: the
    Tooling API refuses the user."""

    clock: Callable[[], float] = time.time
    view_setup: bool = True
    tooling_access: bool = True
    api_version: str = "68.0"
    records: dict = field(default_factory=lambda: {name: {} for name in FIELDS})

    def __post_init__(self):
        self._lock = threading.RLock()
        self._numbers = itertools.count(1)

    # -- arranging -------------------------------------------------------------------------------

    def deploy_apex(self, webhook_url: str) -> None:
        """What deploying Switchboard's files does: the callout class and its test, the three
        triggers (Active), and the Named Credential at ``webhook_url``."""
        with self._lock:
            for name in (CALLOUT_CLASS, TEST_CLASS):
                if self._by_name("ApexClass", name) is None:
                    self._add("ApexClass", Name=name, Status="Active", IsValid=True, ApiVersion=float(self.api_version))
            for name, table in TRIGGERS.items():
                trigger = self._by_name("ApexTrigger", name)
                if trigger is None:
                    self._add(
                        "ApexTrigger",
                        Name=name,
                        Status="Active",
                        TableEnumOrId=table,
                        IsValid=True,
                        ApiVersion=float(self.api_version),
                    )
                else:
                    trigger["Status"] = "Active"
            self.point_named_credential(webhook_url)

    def undeploy_apex(self) -> None:
        """The Apex and the Named Credential removed (the jobs stay, as Salesforce keeps them)."""
        with self._lock:
            for sobject in ("ApexClass", "ApexTrigger", "NamedCredential"):
                self.records[sobject].clear()

    def deactivate_trigger(self, name: str) -> None:
        self._set_trigger(name, "Inactive")

    def activate_trigger(self, name: str) -> None:
        self._set_trigger(name, "Active")

    def remove_trigger(self, name: str) -> None:
        with self._lock:
            trigger = self._by_name("ApexTrigger", name)
            if trigger is not None:
                del self.records["ApexTrigger"][trigger["Id"]]

    def point_named_credential(self, url: str | None, name: str = NAMED_CREDENTIAL) -> None:
        """The Named Credential's URL changed (None: the Named Credential deleted)."""
        with self._lock:
            credential = self._by_name("NamedCredential", name)
            if url is None:
                if credential is not None:
                    del self.records["NamedCredential"][credential["Id"]]
            elif credential is None:
                self._add(
                    "NamedCredential", DeveloperName=name, MasterLabel=name, Endpoint=url, PrincipalType="NamedUser"
                )
            else:
                credential.update(Endpoint=url, LastModifiedDate=self._now())

    def add_failed_job(self, extended_status: str, class_name: str = CALLOUT_CLASS, at: float | None = None) -> dict:
        """A callout of ``class_name`` that failed (a Queueable, as Switchboard's class runs them)."""
        return self.add_job(class_name, "Failed", extended_status=extended_status, at=at)

    def add_job(
        self, class_name: str, status: str = "Completed", *, extended_status: str | None = None, at: float | None = None
    ) -> dict:
        with self._lock:
            apex_class = self._by_name("ApexClass", class_name)
            moment = _timestamp(self.clock() if at is None else at)
            return self._add(
                "AsyncApexJob",
                ApexClassId=apex_class["Id"] if apex_class else None,
                Status=status,
                ExtendedStatus=extended_status,
                JobType="Queueable",
                MethodName=None,
                NumberOfErrors=1 if status == "Failed" else 0,
                CreatedDate=moment,
                CompletedDate=moment,
            )

    def trigger_status(self, name: str) -> str | None:
        with self._lock:
            trigger = self._by_name("ApexTrigger", name)
            return trigger["Status"] if trigger else None

    # -- answering ---------------------------------------------------------------------------------

    def tooling_query(self, text: str | None, version: str, normalize_id) -> tuple[int, object]:
        """``GET /tooling/query``: (status, body)."""
        if not self.tooling_access:
            return 403, TOOLING_REFUSED
        if not text:
            return 400, [{"message": "A query string has to be specified", "errorCode": "MALFORMED_QUERY"}]
        schema = SetupSchema(self, TOOLING_OBJECTS)
        with self._lock:
            try:
                query = soql.parse(text, schema)
                records = soql.select(
                    schema,
                    query,
                    schema.records(query.sobject),
                    normalize_id,
                    lambda sobject, rid: f"/services/data/v{version}/tooling/sobjects/{sobject}/{rid}",
                )
            except soql.SoqlError as error:
                return 400, [{"message": error.message, "errorCode": error.error_code}]
        return 200, {
            "size": len(records),
            "totalSize": len(records),
            "done": True,
            "queryLocator": None,
            "entityTypeName": query.sobject,
            "records": records,
        }

    def visible(self, sobject: str) -> bool:
        return self.view_setup or sobject not in NEEDS_VIEW_SETUP

    def rows(self, sobject: str) -> list[dict]:
        with self._lock:
            return [dict(record) for record in self.records[sobject].values()]

    def row(self, sobject: str, record_id) -> dict | None:
        with self._lock:
            record = self.records[sobject].get(record_id)
            return dict(record) if record else None

    # -- plumbing ------------------------------------------------------------------------------------

    def _set_trigger(self, name: str, status: str) -> None:
        with self._lock:
            trigger = self._by_name("ApexTrigger", name)
            if trigger is None:
                raise KeyError(f"no trigger {name} is deployed")
            trigger.update(Status=status, LastModifiedDate=self._now())

    def _by_name(self, sobject: str, name: str) -> dict | None:
        key = "DeveloperName" if sobject == "NamedCredential" else "Name"
        return next((r for r in self.records[sobject].values() if r.get(key) == name), None)

    def _now(self) -> str:
        return _timestamp(self.clock())

    def _add(self, sobject: str, **values) -> dict:
        record = {name: None for name in FIELDS[sobject]}
        moment = self._now()
        record.update(Id=_record_id(KEY_PREFIXES[sobject], next(self._numbers)), CreatedDate=moment)
        if "LastModifiedDate" in record:
            record["LastModifiedDate"] = moment
        if "NamespacePrefix" in record:
            record["NamespacePrefix"] = None
        record.update(values)
        self.records[sobject][record["Id"]] = record
        return record


class SetupSchema:
    """The setup objects for the SOQL evaluator (``webapp.sandbox.soql``), alone (the Tooling
    API) or over the schema of the org's data (``/query``)."""

    def __init__(self, setup: ApexSetup, objects: frozenset, base=None):
        self.setup = setup
        self.objects = objects
        self.base = base

    def _own(self, sobject: str | None) -> bool:
        return sobject in self.objects

    def sobject(self, name: str) -> str | None:
        known = next((o for o in self.objects if o.lower() == name.lower()), None)
        if known is not None:
            return known if self.setup.visible(known) else None
        return self.base.sobject(name) if self.base else None

    def field_type(self, sobject: str, name: str):
        if not self._own(sobject):
            return self.base.field_type(sobject, name) if self.base else None
        found = next((f for f in FIELDS[sobject] if f.lower() == name.lower()), None)
        return None if found is None else (found, FIELDS[sobject][found])

    def parent(self, sobject: str, relationship: str):
        if not self._own(sobject):
            return self.base.parent(sobject, relationship) if self.base else None
        for name, (reference, parent_object) in PARENTS.get(sobject, {}).items():
            if name.lower() == relationship.lower():
                return name, reference, parent_object
        return None

    def child(self, sobject: str, relationship: str):
        if self._own(sobject):
            return None
        return self.base.child(sobject, relationship) if self.base else None

    def records(self, sobject: str) -> list[dict]:
        if self._own(sobject):
            return self.setup.rows(sobject)
        return self.base.records(sobject) if self.base else []

    def record(self, sobject: str, record_id):
        if record_id is None:
            return None
        if sobject in FIELDS:
            return self.setup.row(sobject, record_id)
        return self.base.record(sobject, record_id) if self.base else None
