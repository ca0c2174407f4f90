"""The network picture is a pure function: escaped, structured, accessible, deterministic."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from app.models.flows import FlowDirection
from app.models.network import MemberKind
from app.web.network_picture import (
    NetworkPicture,
    PictureFlow,
    PictureMember,
    PictureText,
    draw,
)

SVG = "{http://www.w3.org/2000/svg}"
TEXT = PictureText(
    title="Support network of Kalle",
    description="The client in the centre and the members around them.",
    client_caption="Client",
    legend_title="Lines",
    to_member="The county informs the member",
    from_member="The member informs the county",
    both="Both ways",
    no_flow="No flow agreed yet",
)
HOSTILE = "<script>alert(\"x\")</script> & 'Co' <b onmouseover='x'>\x07"


def flow(direction: FlowDirection, channel: str = "Phone") -> PictureFlow:
    return PictureFlow(direction, direction.value, channel)


def member(
    key: str,
    kind: MemberKind = MemberKind.PUBLIC_SERVICE,
    label: str | None = None,
    *flows: PictureFlow,
    active: bool = True,
) -> PictureMember:
    return PictureMember(
        key=key,
        kind=kind,
        kind_label=kind.value,
        label=label or f"Member {key}",
        active=active,
        flows=tuple(flows),
    )


def parse(picture: NetworkPicture) -> ET.Element:
    return ET.fromstring(picture.svg)  # noqa: S314  (our own output, parsed to check it)


def nodes(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "member" in g.get("class", "").split()]


def lines(root: ET.Element, direction: FlowDirection) -> list[ET.Element]:
    wanted = f"flow-{direction.value}"
    return [el for el in root.iter(f"{SVG}line") if wanted in el.get("class", "").split()]


def test_a_hostile_name_is_escaped_and_the_picture_still_parses() -> None:
    picture = draw(
        HOSTILE,
        [member("1", MemberKind.CLOSE_PERSON, HOSTILE, flow(FlowDirection.BOTH, HOSTILE))],
        PictureText(**{**TEXT.__dict__, "title": HOSTILE}),
    )
    assert "<script" not in picture.svg
    assert "<b " not in picture.svg
    assert "\x07" not in picture.svg
    assert "&lt;script&gt;" in picture.svg
    assert "&quot;" in picture.svg and "&#x27;" in picture.svg and "&amp;" in picture.svg
    root = parse(picture)  # well-formed XML despite the input
    texts = ["".join(el.itertext()) for el in root.iter()]
    assert any(t.startswith("<script>alert(\"x\")</script> & 'Co'") for t in texts)
    # No element or attribute smuggled in: only the SVG vocabulary the drawing uses.
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {
        "svg", "title", "desc", "defs", "marker", "path", "rect", "g", "line", "text",
        "circle", "ellipse", "polygon",
    }  # fmt: skip
    assert not any(a.startswith("on") for el in root.iter() for a in el.attrib)


def test_one_node_per_active_member_and_ended_members_are_left_out() -> None:
    members = [
        member("1", MemberKind.PROBATION),
        member("2", MemberKind.NGO),
        member("3", MemberKind.CLOSE_PERSON, "Gone", active=False),
        member("4", MemberKind.NGO),
    ]
    picture = draw("Kalle", members, TEXT)
    root = parse(picture)
    assert len(nodes(root)) == 3
    assert "Gone" not in picture.svg
    assert [m.key for g in picture.groups for m in g.members] == ["2", "4", "1"]


def test_members_are_grouped_by_kind_in_sectors_with_a_shape_per_kind() -> None:
    kinds = list(MemberKind)
    root = parse(draw("Kalle", [member(str(i), k) for i, k in enumerate(kinds)], TEXT))
    sectors = [g for g in root.iter(f"{SVG}g") if "sector" in g.get("class", "").split()]
    assert [s.get("class") for s in sectors] == [f"sector sector-{k.value}" for k in kinds]
    outlines = [
        tuple(
            (
                child.tag.removeprefix(SVG),
                "rx" in child.attrib,
                len(child.get("points", "").split()),
            )
            for child in node
            if child.tag not in {f"{SVG}title", f"{SVG}text"}
        )
        for node in nodes(root)
    ]
    assert len(set(outlines)) == len(kinds)  # no two kinds look alike
    # …and each node also says its kind in words.
    for node, kind in zip(nodes(root), kinds, strict=True):
        assert kind.value in ["".join(t.itertext()) for t in node.iter(f"{SVG}text")]


def test_each_direction_has_its_arrowheads_and_its_own_line_style() -> None:
    members = [
        member("1", MemberKind.PROBATION, None, flow(FlowDirection.TO_MEMBER)),
        member("2", MemberKind.NGO, None, flow(FlowDirection.FROM_MEMBER)),
        member("3", MemberKind.PRISON, None, flow(FlowDirection.BOTH, "Meeting")),
        member("4", MemberKind.OTHER),
    ]
    root = parse(draw("Kalle", members, TEXT, id_prefix="np"))
    markers = {m.get("id") for m in root.iter(f"{SVG}marker")}
    assert markers == {"np-arrow", "np-arrow-start"}
    (to,) = lines(root, FlowDirection.TO_MEMBER)
    (back,) = lines(root, FlowDirection.FROM_MEMBER)
    (both,) = lines(root, FlowDirection.BOTH)
    for line in (to, back, both):
        assert line.get("marker-end") == "url(#np-arrow)"
    assert to.get("marker-start") is None and back.get("marker-start") is None
    assert both.get("marker-start") == "url(#np-arrow-start)"
    dashes = {
        to.get("stroke-dasharray"),
        back.get("stroke-dasharray"),
        both.get("stroke-dasharray"),
    }
    assert len(dashes) == 3  # solid, dashed, dash-dot: direction does not rest on arrows alone
    # "From the member" is drawn from the member towards the client in the centre.
    client = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "client")
    hub = next(client.iter(f"{SVG}circle"))
    centre = (float(hub.get("cx")), float(hub.get("cy")))

    def from_centre(line: ET.Element, end: str) -> float:
        x, y = float(line.get(f"x{end}")), float(line.get(f"y{end}"))
        return math.hypot(x - centre[0], y - centre[1])

    assert from_centre(back, "2") < from_centre(back, "1")
    assert from_centre(to, "1") < from_centre(to, "2")
    # A member without an agreed flow still has a line, without arrows.
    (plain,) = [el for el in root.iter(f"{SVG}line") if el.get("class") == "link link-none"]
    assert plain.get("marker-end") is None
    channels = ["".join(g.itertext()) for g in root.iter(f"{SVG}g") if g.get("class") == "channel"]
    assert sorted(channels) == ["Meeting", "Phone", "Phone"]


def test_the_picture_is_labelled_for_assistive_technology_and_prints_black_on_white() -> None:
    root = parse(draw("Kalle", [member("1")], TEXT, id_prefix="np"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "np-title np-desc"
    assert root.find(f"{SVG}title").get("id") == "np-title"
    assert root.find(f"{SVG}title").text == TEXT.title
    assert root.find(f"{SVG}desc").text == TEXT.description
    colours = {
        value
        for el in root.iter()
        for name, value in el.attrib.items()
        if name in {"fill", "stroke"}
    }
    assert colours <= {"#000000", "#ffffff"}
    assert not any("style" in el.attrib for el in root.iter())  # the CSP forbids inline styles


def test_same_input_same_svg_whatever_the_order_given() -> None:
    members = [
        member("b", MemberKind.NGO, "Beta", flow(FlowDirection.TO_MEMBER)),
        member(
            "a", MemberKind.NGO, "Alpha", flow(FlowDirection.BOTH), flow(FlowDirection.FROM_MEMBER)
        ),
        member("c", MemberKind.PRISON, "Gamma"),
    ]
    first = draw("Kalle", members, TEXT)
    assert draw("Kalle", members, TEXT).svg == first.svg
    assert draw("Kalle", list(reversed(members)), TEXT).svg == first.svg


@pytest.mark.parametrize("count", [0, 1, 2, 12, 40])
def test_any_number_of_members_fits_without_nodes_overlapping(count: int) -> None:
    members = [member(f"{i:02}", list(MemberKind)[i % 7], "W" * 30) for i in range(count)]
    root = parse(draw("Kalle", members, TEXT))
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    boxes = []
    for node in nodes(root):
        label = next(node.iter(f"{SVG}text"))
        x, y = float(label.get("x")), float(label.get("y"))
        assert 0 < x < width and 0 < y < height
        boxes.append((x, y))
    for i, (x1, y1) in enumerate(boxes):
        for x2, y2 in boxes[i + 1 :]:
            assert abs(x1 - x2) >= 214 or abs(y1 - y2) >= 48, (x1, y1, x2, y2)
