"""The network picture: an SVG drawn on the server from plain data (no database, no clock).

The client is in the centre; the active members sit around them on an ellipse, each kind
in its own sector; one line per agreed information flow joins the centre to the member.
Nothing depends on colour: kinds differ by shape *and* by a text line in each node, and
directions by line style *and* by arrowheads (explained in a legend inside the picture).
Black on white, so it prints. The output is deterministic: the same data gives the same
bytes. Every text comes from user input somewhere, so every text is escaped.

``picture_members`` turns the network as ``app.network.queries.read_network`` returns it
into the picture's members, with the labels each audience's page chooses.
"""

from __future__ import annotations

import html
import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flask_babel.speaklater import LazyString

from app.labels import MEMBER_KINDS
from app.models.flows import FlowChannel, FlowDirection
from app.models.network import MemberKind
from app.network.queries import NetworkView
from consent.status import MembershipStatus

INK = "#000000"
PAPER = "#ffffff"
FONT = "system-ui, Arial, sans-serif"
KIND_ORDER = tuple(MemberKind)
NODE_HEIGHT = 48.0
NODE_MIN_WIDTH = 96.0
NODE_MAX_WIDTH = 214.0
NODE_SLANT = 10.0  # how far pointed shapes reach beyond the text box
HUB_RADIUS = 70.0
FLOW_GAP = 18.0  # between parallel lines to one member
LABEL_HEIGHT = 22.0  # a channel label's box, with a little air
LABEL_CHARS = 20
HUB_CHARS = 14  # per line, two lines
CHANNEL_CHARS = 18
# Line style per direction, as well as arrowheads: (dash pattern or None, marker-start?).
LINE_STYLE: dict[FlowDirection, tuple[str | None, bool]] = {
    FlowDirection.TO_MEMBER: (None, False),
    FlowDirection.FROM_MEMBER: ("9 5", False),
    FlowDirection.BOTH: ("14 4 3 4", True),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PictureFlow:
    """One agreed flow as the picture shows it (labels already translated)."""

    direction: FlowDirection
    direction_label: str
    channel_label: str
    subject: str | None = None  # what flows: only in the text equivalent


@dataclass(frozen=True)
class PictureMember:
    """One member: ``key`` only orders equal labels; it is never printed."""

    key: str
    kind: MemberKind
    kind_label: str
    label: str
    active: bool = True
    role: str | None = None  # only in the text equivalent
    flows: tuple[PictureFlow, ...] = ()


@dataclass(frozen=True)
class PictureText:
    """The picture's own words, translated by the caller."""

    title: str
    description: str
    client_caption: str
    legend_title: str
    to_member: str
    from_member: str
    both: str
    no_flow: str


@dataclass(frozen=True)
class PictureGroup:
    kind: MemberKind
    kind_label: str
    members: tuple[PictureMember, ...]


@dataclass(frozen=True)
class NetworkPicture:
    """The SVG markup and the same content as groups, for the text equivalent."""

    svg: str
    groups: tuple[PictureGroup, ...]
    title: str


def picture_members(
    view: NetworkView,
    directions: Mapping[FlowDirection, LazyString],
    channels: Mapping[FlowChannel, LazyString],
) -> list[PictureMember]:
    """The network's members as the picture draws them, flows worded for its reader."""
    return [
        PictureMember(
            key=str(m.member.id),
            kind=m.member.kind,
            kind_label=str(MEMBER_KINDS[m.member.kind]),
            label=m.label,
            active=m.status is not MembershipStatus.ENDED,
            role=m.role,
            flows=tuple(
                PictureFlow(
                    f.flow.direction,
                    str(directions[f.flow.direction]),
                    str(channels[f.flow.channel]),
                    f.subject,
                )
                for f in m.active_flows
            ),
        )
        for m in view.members
    ]


def draw(
    client_label: str,
    members: Iterable[PictureMember],
    text: PictureText,
    *,
    id_prefix: str = "network-picture",
) -> NetworkPicture:
    """Draw the network; ended members are left out. ``id_prefix`` keeps ids unique on a page."""
    groups = group_members(members)
    ordered = [m for g in groups for m in g.members]
    prefix = re.sub(r"[^A-Za-z0-9_-]", "", id_prefix) or "network-picture"
    return NetworkPicture(
        svg=_svg(client_label, ordered, text, prefix), groups=groups, title=text.title
    )


def group_members(members: Iterable[PictureMember]) -> tuple[PictureGroup, ...]:
    """Active members by kind (in the kinds' fixed order), each group sorted by label."""
    by_kind: dict[MemberKind, list[PictureMember]] = {}
    for member in members:
        if member.active:
            by_kind.setdefault(member.kind, []).append(member)
    return tuple(
        PictureGroup(
            kind,
            by_kind[kind][0].kind_label,
            tuple(sorted(by_kind[kind], key=lambda m: (_clean(m.label).casefold(), m.key))),
        )
        for kind in KIND_ORDER
        if kind in by_kind
    )


# -- drawing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    width: float
    height: float
    cx: float
    cy: float
    rx: float
    ry: float
    legend_y: float
    angles: tuple[float, ...]


_SAMPLES = 720
SLOT_WIDTH = NODE_MAX_WIDTH + 2 * NODE_SLANT + 16  # room a node needs side by side
SLOT_HEIGHT = NODE_HEIGHT + 18  # and one above another


def _layout(count: int) -> _Layout:
    """An ellipse big enough that ``count`` nodes fit round it without overlapping."""
    rx, ry = 320.0, 210.0
    angles = _spread(rx, ry, count)
    while angles is None:
        rx, ry = rx + 40.0, ry + 24.0
        angles = _spread(rx, ry, count)
    width = 2 * rx + SLOT_WIDTH + 24
    top = NODE_HEIGHT / 2 + 24
    cy = top + ry
    legend_y = cy + ry + NODE_HEIGHT / 2 + 40
    height = legend_y + 5 * 24 + 16
    return _Layout(width, height, width / 2, cy, rx, ry, legend_y, angles)


def _spread(rx: float, ry: float, count: int) -> tuple[float, ...] | None:
    """Angles for ``count`` nodes spaced evenly by how far apart their boxes are, or None.

    Nodes are wide and low, so near the top and bottom they need more of the ellipse
    than at the sides; distance is measured in node slots (the larger of the horizontal
    and vertical gap, each in its own slot size), and every neighbour gets one slot.
    """
    if count == 0:
        return ()
    step = 2 * math.pi / _SAMPLES
    points = [
        (rx * math.cos(-math.pi / 2 + i * step), ry * math.sin(-math.pi / 2 + i * step))
        for i in range(_SAMPLES + 1)
    ]
    along = [0.0]
    for (ax, ay), (bx, by) in itertools.pairwise(points):
        along.append(along[-1] + max(abs(bx - ax) / SLOT_WIDTH, abs(by - ay) / SLOT_HEIGHT))
    total = along[-1]
    if count > 1 and total / count < 1.0:
        return None
    angles = []
    i = 0
    for n in range(count):
        target = total * n / count
        while along[i + 1] < target:
            i += 1
        part = (target - along[i]) / ((along[i + 1] - along[i]) or 1.0)
        angles.append(-math.pi / 2 + (i + part) * step)
    return tuple(angles)


def _svg(client_label: str, members: Sequence[PictureMember], text: PictureText, p: str) -> str:
    lay = _layout(len(members))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(lay.width)} {_n(lay.height)}"'
        f' role="img" aria-labelledby="{p}-title {p}-desc" class="network-svg"'
        f' font-family="{FONT}" font-size="14" fill="{INK}">',
        f'<title id="{p}-title">{_esc(text.title)}</title>',
        f'<desc id="{p}-desc">{_esc(text.description)}</desc>',
        "<defs>",
        # Arrowheads take their own fill, so a dashed line still ends in a solid arrow.
        f'<marker id="{p}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6"'
        ' markerHeight="6" orient="auto" markerUnits="strokeWidth">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>',
        f'<marker id="{p}-arrow-start" viewBox="0 0 10 10" refX="1" refY="5" markerWidth="6"'
        ' markerHeight="6" orient="auto" markerUnits="strokeWidth">'
        f'<path d="M10,0 L0,5 L10,10 z" fill="{INK}"/></marker>',
        "</defs>",
        f'<rect x="0" y="0" width="{_n(lay.width)}" height="{_n(lay.height)}" fill="{PAPER}"/>',
    ]
    placed = [(member, *_position(lay, i), _node_width(member)) for i, member in enumerate(members)]
    out.append('<g class="links">')
    for member, x, y, width in placed:
        out.extend(_links(lay, member, x, y, width, p))
    out.append("</g>")
    current: MemberKind | None = None
    for member, x, y, width in placed:
        if member.kind is not current:
            if current is not None:
                out.append("</g>")
            out.append(f'<g class="sector sector-{member.kind.value}">')
            current = member.kind
        out.extend(_node(member, x, y, width))
    if current is not None:
        out.append("</g>")
    out.extend(_hub(lay, client_label, text.client_caption))
    out.extend(_legend(lay, text, p))
    out.append("</svg>")
    return "\n".join(out)


def _position(lay: _Layout, index: int) -> tuple[float, float]:
    angle = lay.angles[index]
    return lay.cx + lay.rx * math.cos(angle), lay.cy + lay.ry * math.sin(angle)


def _node_width(member: PictureMember) -> float:
    text = max(
        _text_width(_short(member.label, LABEL_CHARS), 14, bold=True),
        _text_width(member.kind_label, 12),
    )
    return min(NODE_MAX_WIDTH, max(NODE_MIN_WIDTH, text + 24))


def _links(
    lay: _Layout, member: PictureMember, x: float, y: float, width: float, p: str
) -> list[str]:
    dx, dy = x - lay.cx, y - lay.cy
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    start = HUB_RADIUS + 6 + 4
    end = length - _box_reach(ux, uy, width / 2 + NODE_SLANT, NODE_HEIGHT / 2) - 4
    x0, y0 = lay.cx + ux * start, lay.cy + uy * start
    x1, y1 = lay.cx + ux * end, lay.cy + uy * end
    if not member.flows:
        return [
            f'<line class="link link-none" x1="{_n(x0)}" y1="{_n(y0)}" x2="{_n(x1)}"'
            f' y2="{_n(y1)}" stroke="{INK}" stroke-width="1"/>'
        ]
    nx, ny = -uy, ux  # parallel flows sit side by side
    count = len(member.flows)
    labels = [_short(flow.channel_label, CHANNEL_CHARS) for flow in member.flows]
    widest = max(_text_width(label, 12) for label in labels) + 8
    step = _label_step(ux, uy, nx, ny, widest)
    middle = (start + end) / 2
    out = []
    for j, (flow, label) in enumerate(zip(member.flows, labels, strict=True)):
        offset = j - (count - 1) / 2
        shift = offset * FLOW_GAP
        ax, ay = x0 + nx * shift, y0 + ny * shift
        bx, by = x1 + nx * shift, y1 + ny * shift
        dash, both_ends = LINE_STYLE[flow.direction]
        if flow.direction is FlowDirection.FROM_MEMBER:
            ax, ay, bx, by = bx, by, ax, ay  # drawn from the member towards the centre
        attrs = f' stroke-dasharray="{dash}"' if dash else ""
        if both_ends:
            attrs += f' marker-start="url(#{p}-arrow-start)"'
        out.append(
            f'<line class="flow flow-{flow.direction.value}" x1="{_n(ax)}" y1="{_n(ay)}"'
            f' x2="{_n(bx)}" y2="{_n(by)}" stroke="{INK}" stroke-width="2"{attrs}'
            f' marker-end="url(#{p}-arrow)"/>'
        )
        along = min(max(middle + offset * step, start + 12), end - 12)
        lx = lay.cx + ux * along + nx * shift
        ly = lay.cy + uy * along + ny * shift
        half = _text_width(label, 12) / 2 + 4
        out.append(
            f'<g class="channel"><rect x="{_n(lx - half)}" y="{_n(ly - 9)}" width="{_n(2 * half)}"'
            f' height="16" fill="{PAPER}"/><text x="{_n(lx)}" y="{_n(ly + 4)}"'
            f' text-anchor="middle" font-size="12">{_esc(label)}</text></g>'
        )
    return out


def _label_step(ux: float, uy: float, nx: float, ny: float, width: float) -> float:
    """How far apart along the line neighbouring channel labels must sit not to overlap.

    Neighbouring lines are already ``FLOW_GAP`` apart sideways; step along the line (in
    whichever sense adds to that shift) until the labels' boxes clear each other.
    """
    for distance in range(0, 240, 4):
        for sense in (1, -1):
            dx = sense * distance * ux + nx * FLOW_GAP
            dy = sense * distance * uy + ny * FLOW_GAP
            if abs(dx) >= width or abs(dy) >= LABEL_HEIGHT:
                return float(sense * distance)
    return 240.0


def _box_reach(ux: float, uy: float, half_w: float, half_h: float) -> float:
    """How far from a box's centre a ray in direction (ux, uy) leaves it."""
    reach_x = half_w / abs(ux) if ux else math.inf
    reach_y = half_h / abs(uy) if uy else math.inf
    return min(reach_x, reach_y)


def _node(member: PictureMember, x: float, y: float, width: float) -> list[str]:
    label = _clean(member.label)
    return [
        f'<g class="member member-{member.kind.value}">',
        f"<title>{_esc(label)} ({_esc(member.kind_label)})</title>",
        _shape(member.kind, x, y, width / 2, NODE_HEIGHT / 2),
        f'<text x="{_n(x)}" y="{_n(y - 3)}" text-anchor="middle" font-weight="bold">'
        f"{_esc(_short(label, LABEL_CHARS))}</text>",
        f'<text x="{_n(x)}" y="{_n(y + 15)}" text-anchor="middle" font-size="12">'
        f"{_esc(member.kind_label)}</text>",
        "</g>",
    ]


def _shape(kind: MemberKind, x: float, y: float, w: float, h: float) -> str:
    """Each kind its own outline, so kinds differ without colour (and say so in text too)."""
    common = f'fill="{PAPER}" stroke="{INK}" stroke-width="2"'
    thin = f'fill="{PAPER}" stroke="{INK}" stroke-width="1"'
    s = NODE_SLANT
    if kind is MemberKind.PUBLIC_SERVICE:  # plain rectangle
        return _rect(x, y, w, h, common)
    if kind is MemberKind.NGO:  # rounded rectangle
        return _rect(x, y, w, h, common + ' rx="16"')
    if kind is MemberKind.CLOSE_PERSON:  # ellipse
        return f'<ellipse cx="{_n(x)}" cy="{_n(y)}" rx="{_n(w + s)}" ry="{_n(h + 4)}" {common}/>'
    if kind is MemberKind.PEER_EXPERT:  # hexagon
        points = [(x - w - s, y), (x - w, y - h), (x + w, y - h), (x + w + s, y), (x + w, y + h)]
        points.append((x - w, y + h))
    elif kind is MemberKind.PRISON:  # octagon (cut corners)
        points = [
            (x - w + s, y - h), (x + w - s, y - h), (x + w, y - h + s), (x + w, y + h - s),
            (x + w - s, y + h), (x - w + s, y + h), (x - w, y + h - s), (x - w, y - h + s),
        ]  # fmt: skip
    elif kind is MemberKind.PROBATION:  # parallelogram
        points = [(x - w, y - h), (x + w + s, y - h), (x + w, y + h), (x - w - s, y + h)]
    else:  # other: a rectangle with a double outline
        return _rect(x, y, w + 4, h + 4, common) + _rect(x, y, w, h, thin)
    coords = " ".join(f"{_n(px)},{_n(py)}" for px, py in points)
    return f'<polygon points="{coords}" {common}/>'


def _rect(x: float, y: float, w: float, h: float, attrs: str) -> str:
    return (
        f'<rect x="{_n(x - w)}" y="{_n(y - h)}" width="{_n(2 * w)}" height="{_n(2 * h)}" {attrs}/>'
    )


def _hub(lay: _Layout, client_label: str, caption: str) -> list[str]:
    label = _clean(client_label)
    lines = _two_lines(label, HUB_CHARS)
    top = lay.cy - 4 - 9 * (len(lines) - 1)
    out = [
        '<g class="client">',
        f"<title>{_esc(label)}</title>",
        f'<circle cx="{_n(lay.cx)}" cy="{_n(lay.cy)}" r="{_n(HUB_RADIUS + 6)}" fill="{PAPER}"'
        f' stroke="{INK}" stroke-width="1"/>',
        f'<circle cx="{_n(lay.cx)}" cy="{_n(lay.cy)}" r="{_n(HUB_RADIUS)}" fill="{PAPER}"'
        f' stroke="{INK}" stroke-width="3"/>',
    ]
    out += [
        f'<text x="{_n(lay.cx)}" y="{_n(top + 18 * i)}" text-anchor="middle" font-weight="bold"'
        f' font-size="15">{_esc(line)}</text>'
        for i, line in enumerate(lines)
    ]
    out += [
        f'<text x="{_n(lay.cx)}" y="{_n(top + 18 * len(lines) + 2)}" text-anchor="middle"'
        f' font-size="12">{_esc(_short(caption, HUB_CHARS + 2))}</text>',
        "</g>",
    ]
    return out


def _two_lines(value: str, limit: int) -> list[str]:
    """Break at spaces into at most two lines of ``limit`` characters; shorten what is left."""
    first, _, rest = value.partition(" ")
    for word in rest.split(" ") if rest else []:
        if len(first) + 1 + len(word) > limit:
            break
        first = f"{first} {word}"
    remainder = value[len(first) :].strip()
    lines = [_short(first, limit)]
    if remainder:
        lines.append(_short(remainder, limit))
    return lines


def _legend(lay: _Layout, text: PictureText, p: str) -> list[str]:
    x, y = 24.0, lay.legend_y
    out = [
        '<g class="legend">',
        f'<text x="{_n(x)}" y="{_n(y)}" font-weight="bold">{_esc(text.legend_title)}</text>',
    ]
    rows: list[tuple[str, FlowDirection | None]] = [
        (text.to_member, FlowDirection.TO_MEMBER),
        (text.from_member, FlowDirection.FROM_MEMBER),
        (text.both, FlowDirection.BOTH),
        (text.no_flow, None),
    ]
    for i, (words, direction) in enumerate(rows):
        ly = y + 24 * (i + 1) - 5
        x1, x2 = x, x + 80
        if direction is None:
            attrs = ' stroke-width="1"'
        else:
            dash, both_ends = LINE_STYLE[direction]
            attrs = ' stroke-width="2"'
            attrs += f' stroke-dasharray="{dash}"' if dash else ""
            attrs += f' marker-start="url(#{p}-arrow-start)"' if both_ends else ""
            attrs += f' marker-end="url(#{p}-arrow)"'
            if direction is FlowDirection.FROM_MEMBER:
                x1, x2 = x2, x1  # points back, as towards the centre
        out.append(
            f'<line class="legend-line" x1="{_n(x1)}" y1="{_n(ly)}" x2="{_n(x2)}" y2="{_n(ly)}"'
            f' stroke="{INK}"{attrs}/>'
        )
        out.append(f'<text x="{_n(x + 96)}" y="{_n(ly + 5)}">{_esc(words)}</text>')
    out.append("</g>")
    return out


# -- text ---------------------------------------------------------------------------------


def _clean(value: str) -> str:
    """One line of printable text: XML 1.0 forbids most control characters."""
    return _SPACE.sub(" ", _CONTROL.sub("", value)).strip()


def _short(value: str, limit: int) -> str:
    value = _clean(value)
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _esc(value: str) -> str:
    """Escape &, <, >, " and ' for text and attribute values alike."""
    return html.escape(_clean(value), quote=True)


def _text_width(value: str, size: float, *, bold: bool = False) -> float:
    """A generous estimate: the server cannot measure fonts."""
    return len(value) * size * (0.66 if bold else 0.6)


def _n(value: float) -> str:
    """A coordinate: one decimal, no "-0.0", the same on every platform."""
    rounded = round(value, 1)
    return f"{rounded + 0.0:.1f}".rstrip("0").rstrip(".")
