"""Flask extensions, created once and bound to an app in ``create_app``."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from consent.base import Base

db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def db_session() -> Session:
    """The request's (or CLI command's) ORM session, as the ``Session`` the commands take.

    ``db.session`` is a ``scoped_session`` proxy, not a ``Session``; this resolves it at call
    time, so a test that swaps ``db.session`` for its own ``scoped_session`` is honoured.
    """
    return db.session()
