"""The part of SOQL the fake Salesforce understands, parsed and evaluated the way Salesforce does.

Enough for what Switchboard sends: a field list with parent fields (``Contact.Email``,
``Parent.CaseNumber``, ``CreatedBy.Name``) and child subqueries (``(SELECT … FROM CaseComments …)``),
``WHERE`` with ``AND``/``OR``/``NOT``/parentheses, ``= != <> < <= > >= IN NOT IN LIKE``, string
literals with SOQL's escapes, numbers, ``true``/``false``/``null`` and date-time literals,
``ORDER BY`` on several keys with ``NULLS FIRST|LAST``, ``LIMIT`` and ``OFFSET``.

Where Salesforce is strict the fake is strict too, so a query that works here works there:
a backslash before anything but ``\\ \' \" n r t b f u`` (and ``_ %`` inside LIKE) is an error
(SOQL reference, "Quoted String Escape Sequences"); mixing ``AND`` and ``OR`` without
parentheses is an error; comparing text is case-insensitive; an unknown field is
``INVALID_FIELD`` and an unknown object ``INVALID_TYPE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
LIKE_ESCAPES = {"_": "\\_", "%": "\\%"}  # kept escaped: they mean a literal _ or % in the pattern

KEYWORDS = set(
    "SELECT FROM WHERE AND OR NOT IN LIKE ORDER BY ASC DESC NULLS FIRST LAST LIMIT OFFSET TRUE FALSE NULL".split()
)

TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
    | (?P<number>-?\d+(?:\.\d+)?)(?![\w.])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)


class SoqlError(Exception):
    """A query Salesforce would refuse: ``error_code`` is Salesforce's (MALFORMED_QUERY, ...)."""

    def __init__(self, error_code: str, message: str):
        super().__init__(message)
        self.error_code = error_code
        self.message = message


class Schema(Protocol):
    """What the evaluator needs from the org: its objects, their fields and their records."""

    def field_type(self, sobject: str, name: str) -> tuple[str, str] | None:
        """(canonical name, type) of a field, or None when the object has no such field."""

    def parent(self, sobject: str, relationship: str) -> tuple[str, str, str] | None:
        """(canonical relationship name, reference field, parent object) or None."""

    def child(self, sobject: str, relationship: str) -> tuple[str, str, str] | None:
        """(canonical relationship name, child object, its reference field) or None."""

    def sobject(self, name: str) -> str | None:
        """The canonical object name, or None when the org has no such object."""

    def records(self, sobject: str) -> list[dict]: ...

    def record(self, sobject: str, record_id: str | None) -> dict | None: ...


@dataclass
class Literal:
    value: object
    kind: str  # string, number, boolean, null, datetime, date


@dataclass
class FieldPath:
    """A selected or compared field: ``parts`` are canonical relationship names then a field name."""

    text: str
    parts: list[str]
    objects: list[str]  # the object each part is read from
    type: str


@dataclass
class Comparison:
    path: FieldPath
    op: str
    values: list[Literal]


@dataclass
class Logical:
    op: str  # AND, OR, NOT
    terms: list


@dataclass
class OrderKey:
    path: FieldPath
    descending: bool
    nulls_last: bool


@dataclass
class Query:
    sobject: str
    fields: list  # FieldPath or Query (a child subquery)
    where: object = None
    order: list[OrderKey] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0
    relationship: str | None = None  # for a child subquery: its relationship name
    child_field: str | None = None  # for a child subquery: the child's reference to the parent


def read_string(text: str, start: int) -> tuple[str, int, bool]:
    """The literal starting at ``text[start] == "'"``: (value, index after it, uses LIKE escapes)."""
    out, i, like_escapes = [], start + 1, False
    while i < len(text):
        char = text[i]
        if char == "'":
            return "".join(out), i + 1, like_escapes
        if char == "\\":
            if i + 1 >= len(text):
                break
            nxt = text[i + 1]
            if nxt in ESCAPES:
                out.append(ESCAPES[nxt])
                i += 2
            elif nxt in LIKE_ESCAPES:
                out.append(LIKE_ESCAPES[nxt])
                like_escapes = True
                i += 2
            elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
            else:
                raise SoqlError(
                    "MALFORMED_QUERY", f"Invalid string literal '{text[start : i + 2]}'. Illegal escape sequence"
                )
            continue
        out.append(char)
        i += 1
    raise SoqlError("MALFORMED_QUERY", "unterminated string literal")


def tokenize(text: str) -> list[tuple[str, object, int]]:
    tokens, i = [], 0
    while i < len(text):
        if text[i:].strip() == "":
            break
        match = TOKEN.match(text, i)
        if not match:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text[i:].strip()[:20]}'")
        kind = match.lastgroup
        position = match.start(kind)
        if kind == "string":
            value, i, like = read_string(text, position)
            tokens.append(("like_string" if like else "string", value, position))
            continue
        raw = match.group(kind)
        if kind == "name" and raw.upper() in KEYWORDS:
            tokens.append(("keyword", raw.upper(), position))
        else:
            tokens.append((kind, raw, position))
        i = match.end()
    tokens.append(("end", None, len(text)))
    return tokens


class Parser:
    def __init__(self, text: str, schema: Schema):
        self.text = text
        self.schema = schema
        self.tokens = tokenize(text)
        self.at = 0

    # -- tokens ----------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> tuple[str, object, int]:
        return self.tokens[min(self.at + offset, len(self.tokens) - 1)]

    def take(self) -> tuple[str, object, int]:
        token = self.tokens[self.at]
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def is_keyword(self, *words: str) -> bool:
        kind, value, _ = self.peek()
        return kind == "keyword" and value in words

    def expect_keyword(self, word: str) -> None:
        if not self.is_keyword(word):
            self.fail(f"expecting '{word}'")
        self.take()

    def expect_punct(self, char: str) -> None:
        kind, value, _ = self.peek()
        if kind != "punct" or value != char:
            self.fail(f"expecting '{char}'")
        self.take()

    def fail(self, expected: str):
        kind, value, position = self.peek()
        found = "end of query" if kind == "end" else f"'{value}'"
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: {found} at column {position + 1}, {expected}")

    # -- grammar ---------------------------------------------------------------------------

    def parse(self) -> Query:
        query = self.query(parent=None)
        if self.peek()[0] != "end":
            self.fail("expecting end of query")
        return query

    def query(self, parent: str | None) -> Query:
        self.expect_keyword("SELECT")
        raw_fields = self.select_list(allow_subquery=parent is None)
        self.expect_keyword("FROM")
        kind, name, _ = self.take()
        if kind != "name":
            self.fail("expecting an object name")
        query = self.from_clause(name, parent)
        query.fields = [item if isinstance(item, Query) else self.path(query.sobject, item) for item in raw_fields]
        if self.is_keyword("WHERE"):
            self.take()
            query.where = self.condition(query.sobject)
        if self.is_keyword("ORDER"):
            self.take()
            self.expect_keyword("BY")
            query.order = self.order_list(query.sobject)
        if self.is_keyword("LIMIT"):
            self.take()
            query.limit = self.whole_number()
        if self.is_keyword("OFFSET"):
            self.take()
            query.offset = self.whole_number()
        return query

    def from_clause(self, name: str, parent: str | None) -> Query:
        if parent is None:
            sobject = self.schema.sobject(name)
            if sobject is None:
                raise SoqlError("INVALID_TYPE", f"sObject type '{name}' is not supported.")
            return Query(sobject=sobject, fields=[])
        child = self.schema.child(parent, name)
        if child is None:
            raise SoqlError("INVALID_TYPE", f"Didn't understand relationship '{name}' in FROM part of query call.")
        relationship, sobject, reference = child
        return Query(sobject=sobject, fields=[], relationship=relationship, child_field=reference)

    def select_list(self, allow_subquery: bool) -> list:
        items = []
        while True:
            kind, value, _ = self.peek()
            if kind == "punct" and value == "(" and allow_subquery:
                self.take()
                items.append(("subquery", self.at))
                # The FROM of a subquery names a relationship of the outer object, known only later.
                depth = 1
                while depth:
                    token = self.take()
                    if token[0] == "end":
                        self.fail("expecting ')'")
                    depth += {"(": 1, ")": -1}.get(token[1], 0) if token[0] == "punct" else 0
            elif kind == "name":
                self.take()
                items.append(value)
            else:
                self.fail("expecting a field name")
            if not (self.peek()[0] == "punct" and self.peek()[1] == ","):
                return items
            self.take()

    def path(self, sobject: str, item) -> FieldPath | Query:
        if isinstance(item, tuple):  # a subquery: parse it now that the outer object is known
            resume = self.at
            self.at = item[1]
            subquery = self.query(parent=sobject)
            self.expect_punct(")")
            self.at = resume
            return subquery
        return self.field_path(sobject, item)

    def field_path(self, sobject: str, text: str) -> FieldPath:
        names = text.split(".")
        if (
            len(names) > 1
            and self.schema.sobject(names[0]) == sobject
            and self.schema.parent(sobject, names[0]) is None
        ):
            names = names[1:]  # "Case.Subject" in a query on Case names the object itself
        parts, objects, current = [], [], sobject
        for name in names[:-1]:
            parent = self.schema.parent(current, name)
            if parent is None:
                raise SoqlError("INVALID_FIELD", f"Didn't understand relationship '{name}' in field path. {text}")
            parts.append(parent[0])
            objects.append(current)
            current = parent[2]
        found = self.schema.field_type(current, names[-1])
        if found is None:
            raise SoqlError("INVALID_FIELD", f"No such column '{names[-1]}' on entity '{current}'.")
        parts.append(found[0])
        objects.append(current)
        return FieldPath(text=text, parts=parts, objects=objects, type=found[1])

    def whole_number(self) -> int:
        kind, value, _ = self.peek()
        if kind != "number" or not str(value).isdigit():
            self.fail("expecting a non-negative integer")
        self.take()
        return int(value)

    def order_list(self, sobject: str) -> list[OrderKey]:
        keys = []
        while True:
            kind, value, _ = self.take()
            if kind != "name":
                self.fail("expecting a field name")
            path = self.field_path(sobject, value)
            descending = False
            if self.is_keyword("ASC", "DESC"):
                descending = self.take()[1] == "DESC"
            nulls_last = descending
            if self.is_keyword("NULLS"):
                self.take()
                if not self.is_keyword("FIRST", "LAST"):
                    self.fail("expecting 'FIRST' or 'LAST'")
                nulls_last = self.take()[1] == "LAST"
            keys.append(OrderKey(path, descending, nulls_last))
            if not (self.peek()[0] == "punct" and self.peek()[1] == ","):
                return keys
            self.take()

    def condition(self, sobject: str):
        terms = [self.term(sobject)]
        joiner = None
        while self.is_keyword("AND", "OR"):
            op = self.take()[1]
            if joiner and op != joiner:
                # Salesforce refuses "a AND b OR c": the grouping must be written out.
                self.fail("expecting parentheses around a mix of AND and OR")
            joiner = op
            terms.append(self.term(sobject))
        return terms[0] if joiner is None else Logical(joiner, terms)

    def term(self, sobject: str):
        if self.is_keyword("NOT"):
            self.take()
            return Logical("NOT", [self.term(sobject)])
        kind, value, _ = self.peek()
        if kind == "punct" and value == "(":
            self.take()
            inner = self.condition(sobject)
            self.expect_punct(")")
            return inner
        if kind != "name":
            self.fail("expecting a field name")
        self.take()
        path = self.field_path(sobject, value)
        if self.is_keyword("NOT") and self.peek(1)[:2] == ("keyword", "IN"):
            self.take()
            self.take()
            return Comparison(path, "NOT IN", self.value_list())
        if self.is_keyword("IN"):
            self.take()
            return Comparison(path, "IN", self.value_list())
        if self.is_keyword("LIKE"):
            self.take()
            token = self.take()
            if token[0] not in ("string", "like_string"):
                self.fail("expecting a string after LIKE")
            return Comparison(path, "LIKE", [Literal(token[1], "string")])
        kind, op, _ = self.take()
        if kind != "op":
            self.fail("expecting a comparison operator")
        return Comparison(path, "!=" if op == "<>" else op, [self.value()])

    def value_list(self) -> list[Literal]:
        self.expect_punct("(")
        values = [self.value()]
        while self.peek()[0] == "punct" and self.peek()[1] == ",":
            self.take()
            values.append(self.value())
        self.expect_punct(")")
        return values

    def value(self) -> Literal:
        kind, value, _ = self.peek()
        if kind == "string":
            self.take()
            return Literal(value, "string")
        if kind == "like_string":
            self.fail("\\_ and \\% are only allowed in a LIKE pattern")
        if kind == "number":
            self.take()
            return Literal(float(value) if "." in value else int(value), "number")
        if kind == "datetime":
            self.take()
            return Literal(parse_datetime(value), "datetime")
        if kind == "date":
            self.take()
            return Literal(value, "date")
        if kind == "keyword" and value in ("TRUE", "FALSE"):
            self.take()
            return Literal(value == "TRUE", "boolean")
        if kind == "keyword" and value == "NULL":
            self.take()
            return Literal(None, "null")
        self.fail("expecting a literal value")


def parse_datetime(text: str) -> datetime:
    """A SOQL date-time literal or a stored Salesforce date-time (``…T10:00:00.000+0000``)."""
    normalized = text.replace("Z", "+00:00")
    normalized = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", normalized)
    return datetime.fromisoformat(normalized).astimezone(UTC)


def parse(text: str, schema: Schema) -> Query:
    return Parser(text, schema).parse()


# -- evaluation ---------------------------------------------------------------------------


def read(schema: Schema, record: dict, path: FieldPath):
    """The value of a field path on a record; None when a relationship on the way is empty."""
    current = record
    for part, sobject in zip(path.parts[:-1], path.objects[:-1], strict=True):
        _, reference, parent_object = schema.parent(sobject, part)
        current = schema.record(parent_object, current.get(reference))
        if current is None:
            return None
    return current.get(path.parts[-1])


def comparable(value, type_: str):
    if value is None:
        return None
    if type_ == "datetime":
        return parse_datetime(value) if isinstance(value, str) else value
    if isinstance(value, str) and type_ not in ("id", "reference"):
        return value.lower()  # SOQL compares text without regard to case
    return value


def like(value, pattern: str) -> bool:
    if value is None:
        return False
    regex = ""
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            regex += re.escape(pattern[i + 1])
            i += 2
            continue
        regex += {"%": ".*", "_": "."}.get(pattern[i], re.escape(pattern[i]))
        i += 1
    return re.fullmatch(regex, str(value), re.IGNORECASE | re.DOTALL) is not None


def literal_for(literal: Literal, path: FieldPath, normalize_id):
    if literal.kind == "datetime" and path.type == "datetime":
        return literal.value
    if literal.kind == "string" and path.type in ("id", "reference"):
        return normalize_id(literal.value)
    return comparable(literal.value, path.type)


def matches(schema: Schema, record: dict, condition, normalize_id) -> bool:
    if condition is None:
        return True
    if isinstance(condition, Logical):
        if condition.op == "NOT":
            return not matches(schema, record, condition.terms[0], normalize_id)
        results = (matches(schema, record, term, normalize_id) for term in condition.terms)
        return all(results) if condition.op == "AND" else any(results)
    value = read(schema, record, condition.path)
    if condition.op == "LIKE":
        return like(value, condition.values[0].value)
    left = comparable(value, condition.path.type)
    rights = [literal_for(literal, condition.path, normalize_id) for literal in condition.values]
    if condition.op in ("IN", "NOT IN"):
        found = left is not None and left in rights
        return found if condition.op == "IN" else not found
    right = rights[0]
    if condition.op == "=":
        return left == right
    if condition.op == "!=":
        return left != right
    if left is None or right is None:
        return False
    try:
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[condition.op]
    except TypeError:
        return False


def sort(schema: Schema, records: list[dict], order: list[OrderKey]) -> list[dict]:
    for key in reversed(order):  # a stable sort per key, least significant first
        present = [r for r in records if read(schema, r, key.path) is not None]
        absent = [r for r in records if read(schema, r, key.path) is None]
        present.sort(key=lambda r: comparable(read(schema, r, key.path), key.path.type), reverse=key.descending)
        records = present + absent if key.nulls_last else absent + present
    return records


def select(schema: Schema, query: Query, candidates: list[dict], normalize_id, url_for) -> list[dict]:
    chosen = [r for r in candidates if matches(schema, r, query.where, normalize_id)]
    chosen = sort(schema, chosen, query.order)
    end = None if query.limit is None else query.offset + query.limit
    return [shape(schema, query, record, normalize_id, url_for) for record in chosen[query.offset : end]]


def shape(schema: Schema, query: Query, record: dict, normalize_id, url_for) -> dict:
    """One record as Salesforce returns it: attributes, then the selected fields in order."""
    out = {"attributes": {"type": query.sobject, "url": url_for(query.sobject, record["Id"])}}
    for item in query.fields:
        if isinstance(item, Query):
            children = [r for r in schema.records(item.sobject) if r.get(item.child_field) == record["Id"]]
            rows = select(schema, item, children, normalize_id, url_for)
            out[item.relationship] = {"totalSize": len(rows), "done": True, "records": rows} if rows else None
        else:
            place_value(schema, out, record, item, url_for)
    return out


def place_value(schema: Schema, out: dict, record: dict, path: FieldPath, url_for) -> None:
    """Parent fields nest: ``Contact.Email`` → ``{"Contact": {"attributes": …, "Email": …}}``, or
    ``"Contact": null`` when the Case has no Contact."""
    target, current = out, record
    for part, sobject in zip(path.parts[:-1], path.objects[:-1], strict=True):
        _, reference, parent_object = schema.parent(sobject, part)
        current = schema.record(parent_object, current.get(reference)) if current is not None else None
        if current is None:
            target.setdefault(part, None)
            return
        nested = target.get(part)
        if nested is None:
            nested = {"attributes": {"type": parent_object, "url": url_for(parent_object, current["Id"])}}
            target[part] = nested
        target = nested
    target[path.parts[-1]] = current.get(path.parts[-1])


def run(text: str, schema: Schema, normalize_id, url_for) -> dict:
    """The answer to ``GET /query?q=text``; raises SoqlError for what Salesforce refuses."""
    query = parse(text, schema)
    records = select(schema, query, list(schema.records(query.sobject)), normalize_id, url_for)
    return {"totalSize": len(records), "done": True, "records": records}
