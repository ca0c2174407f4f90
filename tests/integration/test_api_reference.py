"""The API reference page: made from the served OpenAPI document, public, self-contained."""

from __future__ import annotations

from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient

from app.api import problems
from app.api.reference import reference_of
from app.api.spec import operation_of

METHODS = ("get", "put", "post", "delete", "patch")


class Page(HTMLParser):
    """What the checks need from the page: ids, links, headings, tables, languages."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []  # every href and src
        self.headings: list[int] = []
        self.langs: list[str] = []
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.scripts = 0
        self.landmarks: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        for name in ("href", "src"):
            if attributes.get(name) is not None:
                self.links.append(str(attributes[name]))
        if attributes.get("lang"):
            self.langs.append(str(attributes["lang"]))
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag in ("header", "nav", "main", "footer"):
            self.landmarks.add(tag)
        self.tables += tag == "table"
        self.captions += tag == "caption"
        self.th_without_scope += tag == "th" and "scope" not in attributes
        self.scripts += tag == "script"


def _docs(client: FlaskClient) -> str:
    response = client.get("/api/v1/docs")  # no Authorization header
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _operations(client: FlaskClient) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    document = client.get("/api/v1/openapi.json").json
    return [
        (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _section(html: str, anchor: str) -> str:
    """The part of the page from the heading ``anchor`` to the next operation or heading 2."""
    start = html.index(f'id="{anchor}"')
    ends = [html.find(mark, start) for mark in ('class="api-operation"', "<h2")]
    return html[start : min(end for end in ends if end != -1)]


def test_the_page_renders_without_a_token_and_says_how_to_get_one(client: FlaskClient) -> None:
    html = _docs(client)
    assert "POST /api/v1/tokens" in html
    assert "Authorization: Bearer" in html
    assert "DELETE /api/v1/tokens/current" in html
    assert "If-Match" in html and "If-None-Match: *" in html and "428" in html
    assert "per_page" in html


def test_every_operation_of_the_spec_is_documented(app: Flask, client: FlaskClient) -> None:
    html = _docs(client)
    operations = _operations(client)
    assert len(operations) >= 4
    for method, path, op in operations:
        section = _section(html, f"op-{op['operationId']}")
        assert f"<code>{path}</code>" in section, path
        assert f'<span class="api-method">{method.upper()}</span>' in section, path
        assert op["summary"].replace("'", "&#39;") in section, path
        for parameter in [*item_parameters(client, path), *op.get("parameters", [])]:
            assert f"<code>{parameter['name']}</code>" in section, (path, parameter["name"])
        for status in op["responses"]:
            assert f'<th scope="row">{status}</th>' in section, (path, status)
        if "requestBody" in op:
            assert "Request body" in section, path
    # The roles shown are the roles the operation declares.
    for rule in app.url_map.iter_rules():
        declared = operation_of(app.view_functions[rule.endpoint])
        if declared is None:
            continue
        section = _section(html, f"op-{declared.name}")
        if declared.roles is None:
            assert "no token needed" in section
        else:
            for role in declared.roles:
                assert f"<code>{role.value}</code>" in section, (declared.name, role)


def item_parameters(client: FlaskClient, path: str) -> list[dict]:  # type: ignore[type-arg]
    parameters: list[dict] = (
        client.get("/api/v1/openapi.json")
        .json["paths"][path]
        .get(  # type: ignore[type-arg]
            "parameters", []
        )
    )
    return parameters


def test_every_schema_has_its_own_entry(client: FlaskClient) -> None:
    html = _docs(client)
    document = client.get("/api/v1/openapi.json").json
    for name, schema in document["components"]["schemas"].items():
        section = html[html.index(f'id="schema-{name}"') :]
        for field in schema.get("properties", {}):
            assert f"<code>{field}</code>" in section, (name, field)


def test_each_problem_type_links_to_an_anchor_that_exists(client: FlaskClient) -> None:
    page = Page(_docs(client))
    for kind in problems.TYPES:
        type_uri = problems.problem(400, kind=kind).json["type"]  # type: ignore[index]
        path, _, fragment = type_uri.partition("#")
        assert path == "/api/v1/docs"
        assert fragment == f"problem-{kind}" and fragment in page.ids


def test_the_page_is_self_contained(client: FlaskClient) -> None:
    """No CDN and no script: every link and source is this app's own, and every anchor exists."""
    page = Page(_docs(client))
    assert page.scripts == 0
    assert page.links
    for link in page.links:
        assert link.startswith(("/", "#")) and not link.startswith("//"), link
        if link.startswith("#"):
            assert link[1:] in page.ids, link
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"


def test_the_page_is_accessible_in_structure(client: FlaskClient) -> None:
    html = _docs(client)
    page = Page(html)
    assert 'href="#main"' in html  # the skip link of every page
    assert {"header", "nav", "main", "footer"} <= page.landmarks
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    for previous, heading in zip(page.headings, page.headings[1:], strict=False):
        assert heading <= previous + 1, "a heading level is skipped"
    assert page.tables and page.tables == page.captions
    assert page.th_without_scope == 0
    # The chrome follows the user's language; the reference itself is English.
    assert '<div class="api-reference" lang="en">' in html
    finnish = client.get("/api/v1/docs", headers={"Accept-Language": "fi"})
    assert '<html lang="fi">' in finnish.get_data(as_text=True)
    assert '<div class="api-reference" lang="en">' in finnish.get_data(as_text=True)


def test_the_reference_reads_the_shapes_operations_use() -> None:
    """Nullable nested objects, lists of enums, header and path parameters, no-content answers."""
    document = {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1", "description": "Send `X`."},
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "properties": {
                        "owner": {
                            "anyOf": [
                                {"nullable": True, "type": "object"},
                                {"$ref": "#/components/schemas/Ref"},
                            ]
                        },
                        "kinds": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 3},
                        "note": {"type": "string", "maxLength": 10, "nullable": True},
                    },
                    "required": ["owner"],
                },
                "Ref": {"type": "object", "properties": {"id": {"type": "string"}}},
            }
        },
        "paths": {
            "/things/{thing_id}": {
                "parameters": [{"name": "thing_id", "in": "path", "required": True}],
                "put": {
                    "operationId": "put_thing",
                    "summary": "Change a thing",
                    "tags": ["Things"],
                    "description": "Keep it.\n    Two lines.\n\nRoles: caseworker, partner.",
                    "security": [{"bearer": []}],
                    "parameters": [
                        {"in": "header", "name": "If-Match", "schema": {"type": "string"}}
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        }
                    },
                    "responses": {
                        "204": {"description": "Done.", "headers": {"ETag": {"description": "V"}}}
                    },
                },
            }
        },
    }
    reference = reference_of(document)
    (tag,) = reference.tags
    (op,) = tag.operations
    assert (op.method, op.anchor, op.roles) == ("PUT", "op-put_thing", ("caseworker", "partner"))
    assert op.description == ("Keep it. Two lines.",)
    assert [p.name for p in op.parameters] == ["thing_id", "If-Match"]
    owner, kinds, note = op.body_fields
    assert owner.required and owner.type == '<a href="#schema-Ref"><code>Ref</code></a> or null'
    assert kinds.type == "array of string" and "<code>a</code>" in kinds.description
    assert note.type == "string or null" and "At most 10 characters" in note.description
    (response,) = op.responses
    assert response.type is None and response.headers[0][0] == "ETag"
    assert reference.introduction == ("Send <code>X</code>.",)
