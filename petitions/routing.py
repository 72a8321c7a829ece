"""Which embassy receives a signer's appeal.

By the signer's country: the embassy of the Russian Federation there; where there is none, an
embassy accredited to that country (Wikidata's jurisdictions); failing both, the petition's fallback
target (e.g. the Ministry of Foreign Affairs in Moscow). Only missions marked as delivery targets
count: embassies by default, a consulate only when an organiser marks it so.
"""

from .models import Embassy

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

    def __init__(self, petition):
        self.fallback = petition.fallback_embassy if petition.fallback_embassy_id else None
        targets = list(Embassy.objects.filter(is_delivery_target=True).prefetch_related("accreditations"))
        self.resident = {}
        self.accredited = {}
        for embassy in sorted(targets, key=_rank):
            if embassy.country:
                self.resident.setdefault(embassy.country.code, embassy)
            for accreditation in embassy.accreditations.all():
                self.accredited.setdefault(accreditation.country.code, embassy)

    def route(self, country_code):
        """The embassy for a country code, or None when nothing (not even a fallback) covers it."""
        return self.resident.get(country_code) or self.accredited.get(country_code) or self.fallback

    def how(self, country_code):
        """'resident', 'accredited', 'fallback' or 'none': for the admin's routing table."""
        if country_code in self.resident:
            return "resident"
        if country_code in self.accredited:
            return "accredited"
        return "fallback" if self.fallback else "none"


def route_to_embassy(petition, country_code):
    return Router(petition).route(country_code)
