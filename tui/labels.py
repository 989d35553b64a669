"""Words for the values the store keeps in English (statuses, roles), in the staff's language."""

from __future__ import annotations

from datetime import datetime

from .i18n import N_, _

VALUE_LABELS = {
    # participant statuses
    "pending": N_("pending"),
    "active": N_("active"),
    "paused": N_("paused"),
    "unsubscribed": N_("unsubscribed"),
    "erased": N_("erased"),
    # survey statuses
    "draft": N_("draft"),
    "open": N_("open"),
    "closed": N_("closed"),
    "archived": N_("archived"),
    # message statuses
    "queued": N_("queued"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "cancelled": N_("cancelled"),
    # genders
    "female": N_("female"),
    "male": N_("male"),
    "other": N_("other"),
    # roles
    "admin": N_("admin"),
    "editor": N_("editor"),
    "analyst": N_("analyst"),
}


def label(value: str) -> str:
    return _(VALUE_LABELS.get(value, value))


def local_time(moment: datetime | None) -> str:
    """A UTC time shown in the server's local zone, to the minute."""
    if moment is None:
        return "–"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def thousands(number: int) -> str:
    """1 234 567: Norwegian digit grouping with a narrow no-break space."""
    return f"{number:,}".replace(",", "\u202f")


STRATUM_LABELS = {"age_band": N_("age band"), "gender": N_("gender"), "district": N_("district")}


def draw_explanation(
    *, method: str, strata: tuple[str, ...], favour: bool, chosen: int, pool: int, seed: int
) -> str:
    """How a draw was made, in one line (as `DrawPlan.explain()` says it, in the staff's
    language)."""
    if method == "random":
        how = _("simple random")
    else:
        names = " × ".join(_(STRATUM_LABELS.get(s, s)) for s in strata)
        if favour:
            how = _("stratified by {strata}, seats in proportion to the population")
        else:
            how = _("stratified by {strata}, seats in proportion to the volunteers")
        how = how.format(strata=names)
    return _("{chosen} of {pool} volunteers, {how}, seed {seed}").format(
        chosen=chosen, pool=pool, how=how, seed=seed
    )
