"""Flask extensions, created once and bound to an app in ``create_app``."""

from babel import support
from flask import g, has_app_context
from flask_babel import Babel, Domain
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from consent.base import Base


class _RequestCatalogue(Domain):
    """Flask-Babel's message domain, keeping the catalogue it found for the rest of the request.

    Flask-Babel looks the catalogue up again for every string it translates (``g`` read nine
    times and the locale formatted: 14 µs a string, a millisecond on a page of labels). This
    keeps it in the very attribute Flask-Babel's ``refresh`` clears and ``force_locale`` sets
    aside and restores (``babel_translations``), so a locale changed either way is honoured.
    """

    def __init__(self) -> None:
        Domain.__init__(self)  # the default domain, "messages", in the app's translations

    def get_translations(self) -> support.NullTranslations:
        if not has_app_context():
            return self._look_up()
        kept: support.NullTranslations | None = getattr(
            g.get("_flask_babel"), "babel_translations", None
        )
        if kept is None:
            kept = self._look_up()  # creates g._flask_babel
            g._flask_babel.babel_translations = kept
        return kept

    def _look_up(self) -> support.NullTranslations:
        found: support.NullTranslations = Domain.get_translations(self)
        return found


db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
babel.domain_instance = _RequestCatalogue()


def db_session() -> Session:
    """The request's (or CLI command's) ORM session, as the ``Session`` the commands take.

    ``db.session`` is a ``scoped_session`` proxy, not a ``Session``; this resolves it at call
    time, so a test that swaps ``db.session`` for its own ``scoped_session`` is honoured.
    """
    return db.session()
