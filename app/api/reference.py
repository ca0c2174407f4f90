"""The API describes itself: the OpenAPI document, and a reference page made from it."""

from __future__ import annotations

from flask import Response, current_app, json

from app.api import VERSION, bp
from app.api.spec import spec_json
from app.security import public


@bp.route("/openapi.json")
@public
def openapi() -> Response:
    document = spec_json(current_app._get_current_object(), VERSION)  # type: ignore[attr-defined]
    return Response(json.dumps(document), mimetype="application/json")
