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


def _csrf(c, path):
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text).group(1)


def test_the_pages_own_refusals_are_in_ukrainian(site):  # noqa: F811
    """The users page (a bad user name) and the dashboard (a bad month) word the rules'
    refusal in the page's language."""
    c, logins = site
    _sign_in(c, logins, "demo-admin")
    data = {"name": "no spaces allowed", "role": "viewer", "password": "x" * 20}
    data["csrf_token"] = _csrf(c, "/users")
    uk = c.post("/users?lang=uk", data=data)
    assert uk.status_code == 400
    assert "ім&#39;я користувача &#39;no spaces allowed&#39;: від 1 до 64" in uk.text
    en = c.post("/users?lang=en", data=data)
    assert "user name &#39;no spaces allowed&#39;: use 1 to 64 letters" in en.text
    month = c.get("/dashboard?month=2024-13&lang=uk")
    assert month.status_code == 400
    assert "month &#39;2024-13&#39;: це не місяць у форматі РРРР-ММ" in month.text
