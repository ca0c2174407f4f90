"""The information text a client is shown before consenting: its shape, and its first version.

A consent is informed only if we can show, years later, exactly what the client
was told: every stored consent names the version it was given under
(``Consent.information_text_version``). The versions are documents in the database
(``app.models.information_text``), drafted, approved and published by administrators
(``app.information_texts``); a published one never changes. This module holds the shape a
page renders (``InformationText``), how a stored body turns into it (``parse_body``), and the
wording of the first version, ``2026-11-v1``, which the table is created with (and the
migration writes), so consents given before texts lived in the database still point at a
readable text. Written for clients from the start, its plain-language wording is the same.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

LANGUAGES = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"


@dataclass(frozen=True)
class InformationText:
    """One version of the text in one language: a title and headed paragraphs."""

    version: str
    language: str
    title: str
    sections: tuple[tuple[str, str], ...]  # (heading, paragraph)


@dataclass(frozen=True)
class _Version:
    published_on: date
    texts: MappingProxyType[str, tuple[str, tuple[tuple[str, str], ...]]]


_V2026_11_V1 = _Version(
    published_on=date(2026, 11, 1),
    texts=MappingProxyType(
        {
            "fi": (
                "Suostumus tietojen jakamiseen tukiverkostossasi",
                (
                    (
                        "Miksi kysymme",
                        "Sosiaalityöntekijäsi tekee työtä yhdessä muiden ihmisten ja "
                        "organisaatioiden kanssa, jotka tukevat sinua esimerkiksi ennen "
                        "vapautumista ja sen jälkeen. He voivat auttaa sinua paremmin, kun he "
                        "tietävät asioita suunnitelmastasi. Kerromme tietojasi heille vain, jos "
                        "annat siihen luvan tai jos laki sallii tai velvoittaa sen.",
                    ),
                    (
                        "Mitä kerrotaan ja kenelle",
                        "Suunnitelmasi on jaettu osiin, esimerkiksi asuminen, toimeentulo ja "
                        "terveys. Sinä päätät, mitkä osat saa jakaa, kenelle, kumpaan suuntaan "
                        "(kerrommeko me heille vai he meille), mihin tarkoitukseen ja kuinka "
                        "pitkäksi aikaa. Kaikki, mihin suostut, kirjataan, ja voit nähdä sen. "
                        "Vain valitsemasi osat jaetaan. He näkevät nimesi, jotta he tietävät, "
                        "kenen tiedoista on kyse. Henkilötunnustasi ja sosiaalityöntekijän omia "
                        "muistiinpanoja ei jaeta.",
                    ),
                    (
                        "Päätös on sinun",
                        "Suostumus on vapaaehtoinen. Jos et anna suostumusta, se ei vaikuta "
                        "oikeuteesi saada sosiaalipalveluja.",
                    ),
                    (
                        "Voit muuttaa mieltäsi",
                        "Voit peruuttaa suostumuksesi milloin tahansa, ja se on yhtä helppoa "
                        "kuin suostumuksen antaminen: kerro siitä sosiaalityöntekijällesi tai "
                        "kenelle tahansa verkostosi jäsenelle. Tietojen jakaminen loppuu heti. "
                        "Ennen peruutusta jaetut tiedot on jaettu laillisesti.",
                    ),
                    (
                        "Jos et anna suostumusta",
                        "Sosiaalityöntekijäsi jatkaa työtä kanssasi, mutta muut verkostosi "
                        "jäsenet eivät näe suunnitelmaasi, ja voit joutua kertomaan heille "
                        "asioita itse. Joissakin tilanteissa laki sallii tai velvoittaa "
                        "antamaan tietoja ilman suostumusta, esimerkiksi toiselle "
                        "viranomaiselle. Silloin näet, mitä tietoja annettiin, kenelle ja minkä "
                        "lain perusteella.",
                    ),
                    (
                        "Kysyttävää?",
                        "Kysy sosiaalityöntekijältäsi. Voit kysyä myös hyvinvointialueen "
                        "tietosuojavastaavalta. Voit pyytää tiedon siitä, kuka on käsitellyt "
                        "tietojasi.",
                    ),
                ),
            ),
            "sv": (
                "Samtycke till att dela uppgifter i ditt stödnätverk",
                (
                    (
                        "Varför vi frågar",
                        "Din socialarbetare arbetar tillsammans med andra personer och "
                        "organisationer som stöder dig, till exempel före och efter att du "
                        "friges. De kan hjälpa dig bättre om de känner till saker i din plan. "
                        "Vi berättar om dig för dem bara om du samtycker eller om lagen "
                        "tillåter eller kräver det.",
                    ),
                    (
                        "Vad som delas och med vem",
                        "Din plan är indelad i delar, till exempel boende, utkomst och hälsa. "
                        "Du bestämmer vilka delar som får delas, med vem, i vilken riktning "
                        "(om vi berättar för dem eller de för oss), för vilket ändamål och hur "
                        "länge. Allt du samtycker till skrivs ned, och du kan se det. Bara de "
                        "delar du väljer delas. De ser ditt namn så att de vet vems uppgifter "
                        "det gäller. Din personbeteckning och socialarbetarens egna "
                        "anteckningar delas inte.",
                    ),
                    (
                        "Det är ditt val",
                        "Samtycket är frivilligt. Om du inte samtycker påverkar det inte din "
                        "rätt att få socialservice.",
                    ),
                    (
                        "Du kan ändra dig",
                        "Du kan återkalla ditt samtycke när som helst, och det är lika lätt som "
                        "att ge det: säg det till din socialarbetare eller till någon i ditt "
                        "nätverk. Delningen upphör genast. Uppgifter som delades innan du "
                        "återkallade samtycket har delats lagligt.",
                    ),
                    (
                        "Om du inte samtycker",
                        "Din socialarbetare fortsätter att arbeta med dig, men de andra i ditt "
                        "nätverk ser inte din plan, och du kan behöva berätta saker för dem "
                        "själv. I vissa situationer tillåter eller kräver lagen att uppgifter "
                        "lämnas ut utan samtycke, till exempel till en annan myndighet. Då kan "
                        "du se vilka uppgifter som lämnades ut, till vem och med stöd av vilken "
                        "lag.",
                    ),
                    (
                        "Frågor?",
                        "Fråga din socialarbetare. Du kan också fråga välfärdsområdets "
                        "dataskyddsombud. Du kan begära att få veta vem som har behandlat dina "
                        "uppgifter.",
                    ),
                ),
            ),
            "en": (
                "Consent to share information in your support network",
                (
                    (
                        "Why we ask",
                        "Your social worker works together with other people and organisations "
                        "who support you, for example before and after your release. They can "
                        "help you better if they know some things in your plan. We tell them "
                        "about you only if you agree, or if the law allows or requires it.",
                    ),
                    (
                        "What is shared and with whom",
                        "Your plan is in parts, for example housing, income and health. You "
                        "decide which parts may be shared, with whom, in which direction "
                        "(we tell them, or they tell us), for what purpose and for how long. "
                        "Everything you agree to is written down, and you can see it. Only the "
                        "parts you choose are shared. They see your name so that they know "
                        "whose information it is. Your personal identity code and the social "
                        "worker's own notes are not shared.",
                    ),
                    (
                        "It is your choice",
                        "Giving consent is voluntary. If you do not consent, it does not affect "
                        "your right to social services.",
                    ),
                    (
                        "You can change your mind",
                        "You can withdraw your consent at any time, and it is as easy as giving "
                        "it: tell your social worker or anyone in your network. Sharing stops "
                        "at once. Information shared before you withdrew it was shared "
                        "lawfully.",
                    ),
                    (
                        "If you do not consent",
                        "Your social worker goes on working with you, but the others in your "
                        "network do not see your plan, and you may have to tell them things "
                        "yourself. In some situations the law allows or requires information "
                        "to be given without consent, for example to another authority. Then "
                        "you can see what was given, to whom, and under which law.",
                    ),
                    (
                        "Questions?",
                        "Ask your social worker. You can also ask the wellbeing services "
                        "county's data protection officer. You can ask to be told who has "
                        "processed your information.",
                    ),
                ),
            ),
        }
    ),
)

FIRST_VERSION = "2026-11-v1"
FIRST_VERSION_ID = uuid.UUID("5f0c8d2e-2026-4b11-8001-000000000001")
VARIANTS = ("standard", "plain")  # the client's pages show the plain-language wording


def parse_body(body: str) -> tuple[tuple[str, str], ...]:
    """A stored body's headed paragraphs: blocks separated by blank lines, each a heading
    line and its paragraph (a block of one line is a paragraph without a heading)."""
    sections = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if not lines:
            continue
        if len(lines) == 1:
            sections.append(("", lines[0]))
        else:
            sections.append((lines[0], " ".join(lines[1:])))
    return tuple(sections)


def as_body(sections: tuple[tuple[str, str], ...]) -> str:
    """The stored form of headed paragraphs (``parse_body`` reads it back)."""
    return "\n\n".join(f"{heading}\n{paragraph}" for heading, paragraph in sections)


def information_text(
    version: str, content: dict[str, dict[str, str]], language: str, *, plain: bool
) -> InformationText:
    """One wording of a stored version in ``language`` (Finnish when it has no such text)."""
    lang = language if language in content else DEFAULT_LANGUAGE
    texts = content[lang]
    prefix = "plain_" if plain else ""
    return InformationText(
        version, lang, texts[f"{prefix}title"], parse_body(texts[f"{prefix}body"])
    )


def first_version_row() -> dict[str, Any]:
    """The first version as a row of ``information_texts``: published, by nobody in the app."""
    at = datetime.combine(_V2026_11_V1.published_on, datetime.min.time(), tzinfo=UTC)
    content = {
        language: {
            "title": title,
            "body": as_body(sections),
            "plain_title": title,
            "plain_body": as_body(sections),
        }
        for language, (title, sections) in _V2026_11_V1.texts.items()
    }
    return {
        "id": FIRST_VERSION_ID,
        "version": FIRST_VERSION,
        "county_id": None,
        "content": content,
        "drafted_by_id": None,
        "drafted_at": at,
        "reviewed_by_id": None,
        "reviewed_at": at,
        "published_by_id": None,
        "published_at": at,
    }
