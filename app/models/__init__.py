"""Tables owned by ``app``. Importing this module registers every table on the shared metadata."""

# Modules whose classes are imported from the module itself (app.models.intake, …).
from app.models import activation as _activation  # noqa: F401
from app.models import api_token as _api_token  # noqa: F401
from app.models import appointment as _appointment  # noqa: F401
from app.models import assessment as _assessment  # noqa: F401
from app.models import contact as _contact  # noqa: F401
from app.models import ending as _ending  # noqa: F401
from app.models import flows as _flows  # noqa: F401
from app.models import information_text as _information_text  # noqa: F401
from app.models import intake as _intake  # noqa: F401
from app.models import log_query as _log_query  # noqa: F401
from app.models import log_request as _log_request  # noqa: F401
from app.models import log_review as _log_review  # noqa: F401
from app.models import message as _message  # noqa: F401
from app.models import outbox as _outbox  # noqa: F401
from app.models import parallel_plan as _parallel_plan  # noqa: F401
from app.models import partner as _partner  # noqa: F401
from app.models import person_access as _person_access  # noqa: F401
from app.models import rate_limit as _rate_limit  # noqa: F401
from app.models import receipt as _receipt  # noqa: F401
from app.models import release as _release  # noqa: F401
from app.models import research as _research  # noqa: F401
from app.models import review as _review  # noqa: F401
from app.models import second_factor as _second_factor  # noqa: F401
from app.models import staff as _staff  # noqa: F401
from app.models import team_lead as _team_lead  # noqa: F401
from app.models import transfer as _transfer  # noqa: F401
from app.models import user_session as _user_session  # noqa: F401
from app.models.case import (
    Case,
    CaseTeamMember,
    Client,
    Phase,
    ResponsibleWorker,
    ServiceTask,
    WorkTaskReason,
)
from app.models.network import MemberKind, NetworkMember
from app.models.organisation import Organisation, OrgKind
from app.models.plan import ClientPlan, PlanSection, PlanSectionVersion
from app.models.user import Role, User

# Register the tables of the other packages on the shared metadata too.
from consent import models as _consent_models  # noqa: F401
from sharing import access_log as _access_log  # noqa: F401
from sharing import blind_index as _blind_index  # noqa: F401
from sharing import models as _sharing_models  # noqa: F401

__all__ = [
    "Case",
    "CaseTeamMember",
    "Client",
    "ClientPlan",
    "MemberKind",
    "NetworkMember",
    "OrgKind",
    "Organisation",
    "Phase",
    "PlanSection",
    "PlanSectionVersion",
    "ResponsibleWorker",
    "Role",
    "ServiceTask",
    "User",
    "WorkTaskReason",
]
