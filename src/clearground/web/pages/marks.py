"""Values the pages show through ``_(value)``, marked for the catalogue (``pybabel extract``
finds a text only as a literal): role names, a submission's status and kind, a hazard status as
the records store it, the victims' permission. tests/web/pages/test_catalogue.py checks that
each value of the tuples the pages take them from is here."""

from __future__ import annotations

from clearground.web.pages.i18n import N_

__all__ = ["MARKED"]

MARKED = frozenset(
    {
        # roles (domain.accounts.ROLES)
        N_("admin"),
        N_("im_officer"),
        N_("operator"),
        N_("viewer"),
        N_("public"),
        # a submission's status (web/pages/review.py STATUSES) and kind
        N_("pending"),
        N_("approved"),
        N_("rejected"),
        N_("hazard"),
        N_("activity"),
        N_("eo"),
        N_("accident"),
        N_("eore"),
        # hazard statuses as stored (web/pages/map.py STATUSES; the rest read as words)
        N_("in_progress"),
        N_("handed_over"),
        # permissions
        N_("victim_data"),
    }
)
