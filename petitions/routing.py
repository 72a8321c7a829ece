"""Which embassy receives a signer's appeal.

By the signer's country: the embassy of the Russian Federation there; where there is none, an
embassy accredited to that country (Wikidata's jurisdictions); for a territory with neither (Puerto
Rico, Réunion, Greenland, Hong Kong...), the embassy in the state it belongs to; failing all of these,
the petition's fallback target (e.g. the Ministry of Foreign Affairs in Moscow). Only missions marked
as delivery targets count: embassies by default, a consulate only when an organiser marks it so.
"""

from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Embassy

# Territories with an ISO 3166 code of their own, and the state whose foreign relations they are part
# of: a supporter in Martinique writes to the embassy in Paris, not to Moscow. A mission or an
# accreditation of the territory's own (the consulate general in Hong Kong, once marked as a target)
# still comes first. Antarctica, Western Sahara and Palestine are not here: no state to name.
SOVEREIGN = {
    "AX": "FI",
    **dict.fromkeys(["AS", "GU", "MP", "PR", "UM", "VI"], "US"),
    **dict.fromkeys(["AI", "BM", "FK", "GG", "GI", "GS", "IM", "IO", "JE", "KY", "MS", "PN", "SH", "TC", "VG"], "GB"),
    **dict.fromkeys(["AW", "BQ", "CW", "SX"], "NL"),
    **dict.fromkeys(["BV", "SJ"], "NO"),
    **dict.fromkeys(["CC", "CX", "HM", "NF"], "AU"),
    **dict.fromkeys(["CK", "NU", "TK"], "NZ"),
    **dict.fromkeys(["FO", "GL"], "DK"),
    **dict.fromkeys(["BL", "GF", "GP", "MF", "MQ", "NC", "PF", "PM", "RE", "TF", "WF", "YT"], "FR"),
    **dict.fromkeys(["HK", "MO"], "CN"),
}

# Router.how() for people: the admin's routing table.
HOW = {
    "resident": _("embassy in the country"),
    "accredited": _("embassy accredited to the country"),
    "sovereign": _("embassy of the state the territory belongs to"),
    "fallback": _("the petition's fallback target"),
    "none": _("no route"),
}

# Among several targets in one country, the embassy first.
_PREFERENCE = [
    Embassy.MissionType.EMBASSY,
    Embassy.MissionType.DE_FACTO_EMBASSY,
    Embassy.MissionType.CONSULATE_GENERAL,
    Embassy.MissionType.CONSULATE,
    Embassy.MissionType.CONSULAR_OFFICE,
    Embassy.MissionType.HONORARY_CONSULATE,
    Embassy.MissionType.MINISTRY,
]


def _rank(embassy):
    return (_PREFERENCE.index(embassy.mission_type), embassy.pk)


class Router:
    """Routes countries to embassies with two queries, however many signatures are routed."""

    def __init__(self, petition=None):
        """Without a petition, the directory's own routes (no fallback target)."""
        self.fallback = petition.fallback_embassy if petition and petition.fallback_embassy_id else None
        targets = list(Embassy.objects.filter(is_delivery_target=True).prefetch_related("accreditations"))
        self.resident = {}
        self.accredited = {}
        for embassy in sorted(targets, key=_rank):
            if embassy.country and embassy.serves_host_country:
                self.resident.setdefault(embassy.country.code, embassy)
            for accreditation in embassy.accreditations.all():
                self.accredited.setdefault(accreditation.country.code, embassy)

    def _covering(self, country_code):
        return self.resident.get(country_code) or self.accredited.get(country_code)

    def route(self, country_code):
        """The embassy for a country code, or None when nothing (not even a fallback) covers it."""
        return (
            self._covering(country_code)
            or (country_code in SOVEREIGN and self._covering(SOVEREIGN[country_code]))
            or self.fallback
        )

    def how(self, country_code):
        """A key of HOW: 'resident', 'accredited', 'sovereign', 'fallback' or 'none'."""
        if country_code in self.resident:
            return "resident"
        if country_code in self.accredited:
            return "accredited"
        if country_code in SOVEREIGN and self._covering(SOVEREIGN[country_code]):
            return "sovereign"
        return "fallback" if self.fallback else "none"


def covered_countries():
    """The country codes a signer can choose that the directory routes to a mission by itself."""
    router = Router()
    return {code for code, _name in countries if router.route(code)}


def route_to_embassy(petition, country_code):
    return Router(petition).route(country_code)
