"""The Ukrainian catalogue covers every message ``pybabel extract`` finds, holds no entry that
extraction does not find (no hand-added ones: the form labels, the navigation and the role and
status names are marked with ``N_()`` or read by the project's extractors), and no msgid twice
(web/pages/catalogue_check.py, also ``python -m clearground.web.pages.catalogue_check``)."""

from __future__ import annotations

from clearground.web.pages.catalogue_check import duplicates, extracted, main, problems


def test_the_ukrainian_catalogue_covers_what_extraction_finds_and_nothing_else():
    assert problems("uk") == []


def test_every_form_label_hint_and_choice_is_extracted():
    from clearground.web.form_defs import DESCRIPTIONS, forms
    from clearground.web.pages.render import NAV

    found = extracted()
    texts = [label for _, label, _ in NAV] + list(DESCRIPTIONS.values())
    for form in forms().values():
        texts += [form.title, form.geometry_label, form.repeat_label]
        for f in (*form.fields, *form.repeat_fields):
            texts += [f.label, f.hint] + [label for _, label in f.choices]
    texts = [t for t in texts if t]
    assert len(texts) > 150
    missing = [t for t in texts if t not in found]
    assert missing == [], missing


def test_values_shown_through_a_variable_are_marked():
    from clearground.domain.accounts import ROLES
    from clearground.web.pages.map import STATUSES
    from clearground.web.pages.marks import MARKED
    from clearground.web.pages.review import STATUSES as REVIEW

    found = extracted()
    for value in (*ROLES, *REVIEW, *STATUSES, "victim_data"):
        assert value in MARKED or value in found, value
        assert value in found, value


def test_a_msgid_given_twice_is_found(tmp_path):
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n\nmsgid "Map"\nmsgstr "Мапа"\n\nmsgid "Records"\nmsgstr "Записи"\n\n'
        'msgid "Ma"\n"p"\nmsgstr "Карта"\n\nmsgctxt "rules"\nmsgid "Map"\nmsgstr "Мапа"\n',
        encoding="utf-8",
    )
    assert duplicates(po) == ["Map"]


def test_the_check_command_passes(capsys):
    assert main() == 0
    assert "the catalogues cover the" in capsys.readouterr().out
