"""The import's problems and notes, as a form page shows them, in Ukrainian.

The rules (domain/, services/) word their problems in English, the same for the CLI, the JSON
API and the pages (scripts and logs read them). A Ukrainian form page shows the common ones in
Ukrainian by pattern: each pattern below is one English message; what it carries (field names,
ids, values as typed, numbers, coordinates) goes over unchanged. A message no pattern matches
is shown in English, as it was: never a guess. Every other message of the rules is worded
from the ``rules`` gettext catalogue (web/pages/rules_uk.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["PATTERNS", "translate", "translate_all"]

_VALUE = r"(?P<value>'[^']*'|\"[^\"]*\"|\S+)"

#: Hazard statuses as the pages name them (web/pages/map.py status_label, in Ukrainian).
_STATUS = {
    "active": "активна",
    "in_progress": "у роботі",
    "reopened": "відкрита повторно",
    "closed": "закрита",
    "handed_over": "передана",
}
_KIND = {
    "hazard": "небезпеку",
    "task": "завдання",
    "organisation": "організацію",
    "activity": "діяльність",
    "submission": "подання",
}
_WANT = {"a polygon": "полігон", "polygon": "полігон", "a point": "точка", "point": "точка"}


def _number(text: str) -> str:
    """``398,692`` (English thousands) as Ukrainian writes it: ``398 692``."""
    return text.replace(",", "\u00a0")


def _or(text: str) -> str:
    return text.replace(" or ", " або ")


#: (English message, its Ukrainian template or a function of the match). Fullmatched.
PATTERNS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"(?P<field>[\w-]+) is empty \(the form requires it\)"),
        "{field}: поле порожнє (форма вимагає його заповнити)",
    ),
    (re.compile(r"(?P<field>[\w-]+) is empty"), "{field}: поле порожнє"),
    (
        re.compile(rf"(?P<field>[\w-]+) {_VALUE} is in the future"),
        "{field} {value}: дата в майбутньому",
    ),
    (
        re.compile(rf"(?P<field>[\w-]+) {_VALUE} is not an ISO 8601 date \(YYYY-MM-DD\)"),
        "{field} {value}: це не дата у форматі ISO 8601 (РРРР-ММ-ДД)",
    ),
    (
        re.compile(rf"(?P<field>[\w-]+) {_VALUE} is not a whole number"),
        "{field} {value}: це не ціле число",
    ),
    (
        re.compile(rf"(?P<field>[\w-]+) {_VALUE} must be a whole number of 1 or more"),
        "{field} {value}: має бути цілим числом, не меншим за 1",
    ),
    (
        re.compile(rf"(?P<field>[\w-]+) {_VALUE} is not an EO category \((?P<choices>[^)]*)\)"),
        "{field} {value}: це не категорія ВНП ({choices})",
    ),
    (
        re.compile(r"(?P<field>[\w-]+) is not an EO category \((?P<choices>[^)]*)\)"),
        "{field}: це не категорія ВНП ({choices})",
    ),
    (
        re.compile(rf"(?P<field>[\w-]+) {_VALUE} is not one of (?P<choices>.+)"),
        lambda m: f"{m['field']} {m['value']}: має бути одне з: {_or(m['choices'])}",
    ),
    (
        re.compile(rf"{_VALUE} is not one of (?P<choices>.+)"),
        lambda m: f"{m['value']}: має бути одне з: {_or(m['choices'])}",
    ),
    (
        re.compile(r"(?P<field>[\w-]+) is not one of (?P<choices>.+)"),
        lambda m: f"{m['field']}: має бути одне з: {_or(m['choices'])}",
    ),
    (
        re.compile(rf"(?P<field>[\w-]+) {_VALUE} is not (?P<choices>[\w, ]+ or [\w]+)"),
        lambda m: f"{m['field']} {m['value']}: має бути одне з: {_or(m['choices'])}",
    ),
    (
        re.compile(r"invalid polygon: (?P<reason>.+) \(use --repair to repair it\)"),
        "недійсний полігон: {reason} (його можна виправити параметром --repair)",
    ),
    (
        re.compile(r"invalid polygon \((?P<reason>.+)\) and repair left nothing"),
        "недійсний полігон ({reason}), і після виправлення від нього нічого не лишилося",
    ),
    (
        re.compile(r"geometry is a (?P<got>\w+), not (?P<want>.+)"),
        lambda m: f"геометрія — {m['got']}, а не {_WANT.get(m['want'], m['want'])}",
    ),
    (
        re.compile(
            r"likely swapped lat/lon: \((?P<x>[^,]+), (?P<y>[^)]+)\) read as lon, lat lies "
            r"outside the operating region, and swapped it lies inside; write coordinates as "
            r"lon, lat"
        ),
        "ймовірно, переплутано широту й довготу: ({x}, {y}), прочитане як довгота, широта, "
        "лежить поза операційним регіоном, а з переставленими координатами — всередині нього; "
        "записуйте координати як довгота, широта",
    ),
    (
        re.compile(
            r"coordinates outside lon/lat range: \((?P<x>[^,]+), (?P<y>[^)]+)\); is the layer "
            r"in a projected CRS without its definition\?"
        ),
        "координати поза межами довготи й широти: ({x}, {y}); можливо, шар у проєкційній "
        "системі координат без її опису?",
    ),
    (
        re.compile(
            r"(?P<kind>hazard|task|organisation|activity|submission) '(?P<id>[^']+)' not found"
        ),
        lambda m: f"{_KIND[m['kind']].capitalize()} «{m['id']}» не знайдено",
    ),
    (
        re.compile(
            r"activity (?P<act>\S+) polygon lies outside hazard (?P<hz>\S+) by more than "
            r"(?P<m>[\d.,]+) m"
        ),
        "полігон діяльності {act} виходить за межі небезпеки {hz} більш ніж на {m} м",
    ),
    (
        re.compile(r"released geometry lies outside the hazard"),
        "звільнена територія лежить поза межами небезпеки",
    ),
    (
        re.compile(
            r"(?P<act>\S+) does not close hazard (?P<hz>\S+): (?P<left>[\d,]+) m² of its "
            r"(?P<area>[\d,]+) m² is not released yet \(the hazard stays (?P<status>\w+)\), "
            r"around lon (?P<lon>[-\d.]+), lat (?P<lat>[-\d.]+) \(within lon (?P<x0>[-\d.]+)"
            r"\.\.(?P<x1>[-\d.]+), lat (?P<y0>[-\d.]+)\.\.(?P<y1>[-\d.]+)\); draw the polygon "
            r"over all of the land left, or record the non-technical survey \(cancel\), "
            r"technical survey \(reduce\) or clearance \(clear\) that releases it first"
        ),
        lambda m: (
            f"{m['act']} не закриває небезпеку {m['hz']}: {_number(m['left'])} м² з її "
            f"{_number(m['area'])} м² ще не звільнено (небезпека лишається в статусі "
            f"«{_STATUS.get(m['status'], m['status'])}»), біля довготи {m['lon']}, широти "
            f"{m['lat']} (у межах довготи {m['x0']}..{m['x1']}, широти {m['y0']}..{m['y1']}); "
            "накресліть полігон над усією землею, що лишилася, або спершу зареєструйте "
            "нетехнічне обстеження (скасування), технічне обстеження (зменшення) чи "
            "розчищення (очищення), яке її звільняє"
        ),
    ),
    (
        re.compile(r"duplicate id (?P<id>'[^']*') \(also feature (?P<n>\d+)\)"),
        "ідентифікатор {id} повторюється (також об'єкт {n})",
    ),
    (
        re.compile(r"duplicate (?P<what>P-code|id) (?P<id>'[^']*') \(also feature (?P<n>\d+)\)"),
        "{what} {id} повторюється (також об'єкт {n})",
    ),
    (
        re.compile(r"(?P<id>\S+): may duplicate (?P<others>.+)"),
        "{id}: можливо, дублює {others}",
    ),
    (
        re.compile(
            r"(?P<n>\d+) item\(s\): evidence outside recorded hazards; an IM officer decides "
            r"\(new SHA, or explained\)"
        ),
        "об'єктів: {n} — свідчення поза зареєстрованими небезпеками; рішення ухвалює "
        "фахівець з управління інформацією (нова підозріла небезпечна територія або пояснення)",
    ),
    (
        re.compile(r"(?P<head>.*?: )?(?P<n>\d+) problems?; nothing was imported"),
        lambda m: f"{m['head'] or ''}проблем: {m['n']}; нічого не імпортовано",
    ),
    # access and lookups: what the error page says
    (
        re.compile(r"the (?P<role>\w+) role may not read (?P<kind>[\w ]+) records"),
        "роль {role} не може переглядати записи цього виду ({kind})",
    ),
    (
        re.compile(r"the (?P<role>\w+) role may not edit records"),
        "роль {role} не може змінювати записи",
    ),
    (
        re.compile(r"the (?P<role>\w+) role may not do this; it needs (?P<roles>.+)"),
        "роль {role} не може цього зробити; потрібна роль {roles}",
    ),
    (
        re.compile(r"(?P<what>[\w ]+) (?P<id>[A-Z]{2}-\S+) not found"),
        "{id}: запис не знайдено ({what})",
    ),
    (re.compile(r"submission (?P<id>\S+) not found"), "подання {id} не знайдено"),
    (re.compile(r"user (?P<name>\S+): no such user"), "користувача {name} немає"),
    (re.compile(r"token (?P<id>\S+): no such token"), "токена {id} немає"),
]


def translate(message: str, lang: str) -> str:
    """``message`` (English, from the rules) in ``lang``; itself when nothing matches. A
    message of several lines (an import's problems) is worded line by line."""
    if lang != "uk":
        return message
    if "\n" in message:
        return "\n".join(translate(line, lang) for line in message.split("\n"))
    worded = _word(message.strip(), lang, 0)
    return message if worded is None else worded


#: How deep a message inside a message is worded (``FILE:feature 3: hazard_id: ...``).
DEPTH = 4
_PREFIX = re.compile(r": ")


def _word(message: str, lang: str, depth: int) -> str | None:
    """The first of: a pattern above; a catalogue template that starts with words; a
    ``WHERE: message`` whose message is worded; a template that starts with a value."""
    from clearground.web.pages.rules_uk import WHERE, word

    for pattern, template in PATTERNS:
        m = pattern.fullmatch(message)
        if m:
            return template(m) if callable(template) else template.format(**m.groupdict())
    if depth >= DEPTH:
        return None

    def value(text: str) -> str | None:
        return _word(text, lang, depth + 1)

    worded = word(message, lang, False, value)
    if worded is not None:
        return worded
    for m in _PREFIX.finditer(message):
        if not WHERE.fullmatch(message[: m.start()]):
            continue  # words of the message, not where it is
        rest = _word(message[m.end() :], lang, depth + 1)
        if rest is not None:
            return message[: m.end()] + rest
    return word(message, lang, True, value)


def translate_all(by_field: dict[str, list[str]], lang: str) -> dict[str, list[str]]:
    """A form's problems by field, each in ``lang``."""
    return {name: [translate(m, lang) for m in ms] for name, ms in by_field.items()}
