""" "My network": who is in the client's support network, their roles and contacts, the
information flows agreed with the client, and the network picture.

The same ``read_network`` the worker uses, read as the client with ``Purpose.OWN_DATA``
(one batched gate read); the picture is drawn by ``app.web.network_picture`` with
words written for the client ("your worker tells them…").
"""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.extensions import db_session
from app.models import Role
from app.models.flows import FlowChannel, FlowDirection
from app.network.queries import NetworkView, read_network
from app.security import allow, gate
from app.web.network_picture import NetworkPicture, PictureText, draw, picture_members
from app.web.portal import bp
from app.web.portal.views import own_page, responsible_worker
from consent.facts import Purpose
from consent.status import MembershipStatus

# Plain words for the client: "your worker" is the county's side of every flow.
DIRECTIONS = {
    FlowDirection.TO_MEMBER: _l("Your worker tells them"),
    FlowDirection.FROM_MEMBER: _l("They tell your worker"),
    FlowDirection.BOTH: _l("Both tell each other"),
}
CHANNELS = {
    FlowChannel.PLATFORM: _l("In Tukiverkko"),
    FlowChannel.PHONE: _l("By phone"),
    FlowChannel.MEETING: _l("In a meeting"),
    FlowChannel.LETTER: _l("By letter"),
}
STATUSES = {
    MembershipStatus.UPCOMING: _l("Starts later"),
    MembershipStatus.ACTIVE: _l("In your network now"),
    MembershipStatus.ENDED: _l("No longer in your network"),
}


@bp.app_template_global()
def portal_direction_label(value: FlowDirection) -> str:
    return str(DIRECTIONS[FlowDirection(value)])


@bp.app_template_global()
def portal_channel_label(value: FlowChannel) -> str:
    return str(CHANNELS[FlowChannel(value)])


@bp.app_template_global()
def portal_status_label(value: MembershipStatus) -> str:
    return str(STATUSES[MembershipStatus(value)])


@bp.route("/network")
@allow(Role.CLIENT)
def network() -> str:
    page = own_page()
    view = read_network(db_session(), gate(), page.actor, page.case, purpose=Purpose.OWN_DATA)
    current = [m for m in view.members if m.status is not MembershipStatus.ENDED]
    ended = [m for m in view.members if m.status is MembershipStatus.ENDED]
    return render_template(
        "portal/network.html",
        current=current,
        ended=ended,
        picture=my_picture(view),
        worker=responsible_worker(page.case),
    )


def my_picture(view: NetworkView) -> NetworkPicture:
    """The network picture in the client's words, with "You" in the centre."""
    members = picture_members(view, DIRECTIONS, CHANNELS)
    shown = sum(1 for m in members if m.active)
    text = PictureText(
        title=gettext("Your support network"),
        description=ngettext(
            "You are in the centre. Around you is %(num)d member of your network, with a line "
            "for each agreed way of passing on information. The same is written in the table "
            "after the picture.",
            "You are in the centre. Around you are %(num)d members of your network, with a "
            "line for each agreed way of passing on information. The same is written in the "
            "table after the picture.",
            shown,
        ),
        client_caption=gettext("Your network"),
        legend_title=gettext("Lines"),
        to_member=gettext("Your worker tells them (solid line, arrow to them)"),
        from_member=gettext("They tell your worker (dashed line, arrow towards the centre)"),
        both=gettext("Both tell each other (dash-dot line, arrows at both ends)"),
        no_flow=gettext("Thin line: nothing agreed yet"),
    )
    return draw(gettext("You"), members, text, id_prefix="my-network")
