"""Every message the rules can raise or report has its Ukrainian: the messages are collected
from the source of domain/, services/, formats/, the web layer and the database's failures
(tests/web/pages/rule_sources.py), so a new
message without a Ukrainian entry in ``locale/uk/LC_MESSAGES/rules.po`` (or a pattern of
web/pages/messages_uk.py) fails here. The translations keep every value, never say "safe",
and a Ukrainian form page shows them (an antimeridian-crossing and a polar polygon)."""

from __future__ import annotations

import html as html_lib
import re

import pytest
import shapely

from clearground.web.pages.messages_uk import PATTERNS, translate
from clearground.web.pages.rules_uk import catalogue
from tests.web.pages.forms_support import (  # noqa: F401 (fixtures)
    csrf,
    people_fixture,
    record_hazard,
    sign_in,
    web_fixture,
)
from tests.web.pages.rule_sources import is_words, rule_messages

#: Texts the collection finds that are names, not messages (format names, a GDAL option, a
#: file name, a time stamp, a header value, a command).
NOT_MESSAGES = {"NO", "filegdb", "kmz", "shapefile", "xlsx", "{}.{}.geojsonl", "{}-{}-{}T{}"}
NOT_MESSAGES |= {"no-store", "`clearground --db {} init`"}
#: Messages whose values a plain sample cannot stand for (``{head}{n} problems``).
SAMPLES = {
    "{}{} problem; nothing was imported": "a.gpkg: 1 problem; nothing was imported",
    "{}{} problems; nothing was imported": "a.gpkg: 3 problems; nothing was imported",
}
#: "safe" in Ukrainian (безпечно, безпечна, ...), not "dangerous" (небезпечна)
SAFE = re.compile(r"(?<!не)безпечн", re.IGNORECASE)
#: A word that is a name (an option, a field, an acronym), the same in every language.
NAME = re.compile(r"--?[\w-]+|\w*[_\d]\w*|[A-Z]{2,}\w*|\W+")


def _lines() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for template, where in rule_messages().items():
        if template in NOT_MESSAGES:
            continue
        for line in template.split("\n"):  # an import's problems: a head, then one a line
            if is_words(line):
                out.setdefault(line, []).extend(where)
    return out


MESSAGES = _lines()


def _sample(template: str) -> str:
    if template in SAMPLES:
        return SAMPLES[template]
    n = iter(range(100))
    text = re.sub(r"\{\}", lambda _: f"V{next(n)}", template)
    return text.replace("{{", "{").replace("}}", "}")


def _words_of_its_own(template: str) -> bool:
    """Whether a template says something in English (not only names and values)."""
    literal = re.sub(r"\{\}", " ", template)
    words = (w.strip(":;,.()[]'\"") for w in literal.split())
    return any(w and not NAME.fullmatch(w) for w in words)


def test_the_rules_have_hundreds_of_messages():
    assert len(MESSAGES) > 350  # the collection finds them (not an empty list passing)
    for known in (
        "crosses the antimeridian: longitudes span {} to {}, which in lon/lat is a band round "
        "the globe; a hazard cannot cross 180 degrees (split it there)",
        "reaches latitude {}, beyond ±{}: polar geometries cannot be recorded",
        "repaired invalid polygon ({})",
        "{} cannot release land: only a non-technical survey (nts: cancelled), a technical "
        "survey (ts: reduced) or clearance (clearance: cleared) can (IMAS 07.11)",
    ):
        assert known in MESSAGES, known


@pytest.mark.parametrize("template", sorted(MESSAGES))
def test_every_message_of_the_rules_has_its_ukrainian(template):
    rules = catalogue("uk")
    sample = _sample(template)
    patterned = any(p.fullmatch(sample.strip()) for p, _ in PATTERNS)
    assert template in rules or patterned, (
        f"no Ukrainian for {template!r} ({', '.join(MESSAGES[template])}): add it to "
        "src/clearground/web/locale/uk/LC_MESSAGES/rules.po"
    )
    if template.startswith(" "):  # a part of another message, worded inside it
        worded = rules[template]
    else:
        worded = translate(sample, "uk")
        assert translate(sample, "en") == sample
    if _words_of_its_own(template):
        assert worded != sample, template
    assert not SAFE.search(worded), worded
    for k in range(template.count("{}")):  # every value carried over
        assert f"V{k}" in worded or template in SAMPLES or template.startswith(" "), (k, worded)


def test_the_catalogue_keeps_each_value_and_holds_nothing_stale():
    from babel.messages.pofile import read_po

    from clearground.web.pages.i18n import LOCALE_DIR

    with (LOCALE_DIR / "uk" / "LC_MESSAGES" / "rules.po").open("rb") as fh:
        entries = [m for m in read_po(fh, locale="uk") if m.id]
    ids = [m.id for m in entries]
    assert len(ids) == len(set(ids)), "a msgid twice"
    for m in entries:
        slots = {int(s) for s in re.findall(r"\{(\d+)\}", m.string)}
        assert slots == set(range(m.id.count("{}"))), m.id
        assert m.string != m.id or not _words_of_its_own(m.id), m.id
        assert not SAFE.search(m.string), m.id
        # a message the source no longer makes is removed (a variant of one is marked "#.")
        assert m.id in MESSAGES or m.auto_comments, f"stale entry: {m.id!r}"


@pytest.mark.parametrize(
    "english, ukrainian",
    [
        (
            "a.gpkg:feature 3: crosses the antimeridian: longitudes span -179.9 to 179.9, which "
            "in lon/lat is a band round the globe; a hazard cannot cross 180 degrees (split it "
            "there)",
            "a.gpkg:feature 3: перетинає антимеридіан: довготи від -179.9 до 179.9, що в "
            "довготі й широті є смугою навколо земної кулі; небезпека не може перетинати "
            "180-й градус (розділіть її там)",
        ),
        (
            "SB-000001: cannot be approved: hazard_id is empty",
            "SB-000001: не можна схвалити: hazard_id: поле порожнє",
        ),
        (
            "a.gpkg: 2 problems; nothing was imported\na.gpkg:feature 1: no geometry (null)\n"
            "a.gpkg:feature 2: repaired invalid polygon (Self-intersection[30 50])",
            "a.gpkg: проблем: 2; нічого не імпортовано\na.gpkg:feature 1: немає геометрії "
            "(null)\na.gpkg:feature 2: виправлено недійсний полігон (Self-intersection[30 50])",
        ),
        (
            "text is not UTF-8 (it looks like Windows-1251 Cyrillic); save the file as UTF-8 (in "
            "Excel: CSV UTF-8)",
            "текст не в UTF-8 (схоже на кирилицю Windows-1251); збережіть файл у UTF-8 (в "
            "Excel: CSV UTF-8)",
        ),
    ],
)
def test_a_message_inside_a_message_is_worded_too(english, ukrainian):
    assert translate(english, "uk") == ukrainian


def _geometry_problems(html: str) -> list[str]:
    found = re.findall(r'class="field-error" id="err-geometry"[^>]*>(.*?)</', html, re.S)
    return [html_lib.unescape(p) for p in found]


def test_a_ukrainian_form_shows_antimeridian_and_polar_problems_in_ukrainian(web, store, tmp_path):
    hid = record_hazard(store, tmp_path)
    sign_in(web, "ivan")
    token = csrf(web, "/forms/nts")
    across = shapely.to_geojson(shapely.box(-179.9, 50.0, 179.9, 50.01))
    polar = shapely.to_geojson(shapely.box(30.0, 88.0, 30.01, 88.01))
    base = {"hazard_id": hid, "date": "2024-05-01", "organisation": "SYNTHETIC survey team"}
    for geometry, english, ukrainian in [
        (across, "crosses the antimeridian", "перетинає антимеридіан"),
        (polar, "polar geometries cannot be recorded", "полярні геометрії не можна"),
    ]:
        data = {**base, "geometry": geometry, "csrf_token": token}
        en = web.post("/forms/nts?lang=en", data=data)
        assert en.status_code == 400
        assert any(english in p for p in _geometry_problems(en.text)), en.text[-2000:]
        uk = web.post("/forms/nts?lang=uk", data=data)
        assert uk.status_code == 400
        problems = _geometry_problems(uk.text)
        assert any(ukrainian in p for p in problems), problems
        assert not any(english in p for p in problems), problems


def test_the_public_check_words_each_of_its_refusals():
    from clearground.web.pages.check_messages import PUBLIC_CHECK_TEMPLATES, refusals

    worded = refusals("uk")
    assert list(worded) == list(PUBLIC_CHECK_TEMPLATES)  # every one, in the same order
    assert refusals("en") == {}
