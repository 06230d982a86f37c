"""The error page speaks the page's language: a role refused a page, or a record that is not
there, is told so in Ukrainian on a Ukrainian page, and in the rules' English otherwise."""

from __future__ import annotations

from tests.web.pages.test_core_pages import _sign_in, site  # noqa: F401  (the fixture)


def test_a_refused_page_says_why_in_the_pages_language(site):  # noqa: F811
    c, logins = site
    _sign_in(c, logins, "demo-viewer")
    en = c.get("/users?lang=en")
    assert en.status_code == 403 and "the viewer role may not do this" in en.text
    uk = c.get("/users?lang=uk")
    assert uk.status_code == 403 and "роль viewer не може цього зробити" in uk.text
    assert "may not do this" not in uk.text


def test_a_missing_record_is_named_in_ukrainian(site):  # noqa: F811
    c, logins = site
    _sign_in(c, logins, "demo-imo")
    uk = c.get("/records/hazard/HA-999999?lang=uk")
    assert uk.status_code == 404 and "HA-999999: запис не знайдено" in uk.text
    en = c.get("/records/hazard/HA-999999?lang=en")
    assert en.status_code == 404 and "HA-999999 not found" in en.text
