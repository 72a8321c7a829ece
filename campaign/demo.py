"""The demo campaign: Igor Kuznetsov, Darya Polyudova and their co-defendants (December 2021).

Every fact comes from the appeal "by a group of comrades from the Russian Federation and Ukraine"
of 9 December 2021 and the report of the protest at the Russian embassy in Kyiv on 15 December
2021; the wording is our own. Where the sources are silent (later events, exact dates, where a
co-defendant is held) the text says so rather than guessing. The embassy rows copy the Wikidata
export of November 2022 (`../shared/data/russian-missions-wikidata-2022-11.csv`) and carry its QIDs,
so a later `import_embassies` updates them instead of adding duplicates; the file itself is not read
here, the demo must load without it.

`load_demo()` is idempotent: rows are found by their natural key (slug, name, QID, ...) and
created only when missing, so a second run writes nothing, and edits made in admin since (or a
newer `import_embassies`) are never rolled back. Many-to-many links are only ever added, never
removed, so links an organiser adds by hand survive.
"""

import datetime
import textwrap
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction

from campaign.models import Campaign, CampaignPrisoner, Organisation, SolidarityAction
from petitions.models import Accreditation, Embassy, Petition
from prisoners.models import (
    CaseEvent,
    CodeArticle,
    CriminalCase,
    Defendant,
    DetentionFacility,
    Prisoner,
)

APPEAL_SOURCE = (
    "Appeal by a group of comrades from the Russian Federation and Ukraine, 9 December 2021"
)
APPEAL_DATE = datetime.date(2021, 12, 9)
ARRESTS_DATE = datetime.date(2021, 9, 16)
# CaseEvent.date is required, but the appeal dates only the arrests. Events it reports without a
# date carry the appeal's date (the day by which they had happened) and say so in the description.
UNDATED = " The appeal does not give the exact date; it is recorded under the appeal's date."


def _prose(text):
    """Paragraphs separated by blank lines; the line breaks inside a paragraph are only wrapping."""
    paragraphs = textwrap.dedent(text).strip().split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)


P = Prisoner.Status
K = CaseEvent.Kind
ORG = Organisation.Kind

# --- Detention facilities (natural key: name, city) ---------------------------------------------

FACILITIES = {
    "sizo5-moscow": {
        "name": "Pre-trial detention centre No. 5 (SIZO-5), Moscow",
        "city": "Moscow",
        "name_original": "ФКУ СИЗО-5 УФСИН России по г. Москве",
        "region": "Moscow",
        "postal_address": "ул. Вучетича, д. 15, Москва, 127206",
        "notes": _prose("""
            The postal address is the facility's own, publicly listed address; it does not come from
            the appeal. Igor Kuznetsov was held here as of December 2021. The appeal cites
            Gulagu.net reports of unofficial torture cells in this remand prison, where detainees
            were made to beat others, extract testimony the investigators wanted and extort money.
        """),
    },
    "sizo-tomsk": {
        "name": "Tomsk pre-trial detention centre",
        "city": "Tomsk",
        "name_original": "",
        "region": "Tomsk Oblast",
        "postal_address": "",
        "notes": _prose("""
            Where Igor Kuznetsov was first held after his arrest in September 2021. The appeal does
            not give the centre's number or address.
        """),
    },
}

# --- Articles of the Criminal Code (natural key: code, article, part) ---------------------------

ARTICLES = {
    "212-1.1": ("212", "1.1", "Inciting, recruiting or otherwise drawing others into mass riots"),
    "282.1-1": ("282.1", "1", "Creating or leading an extremist community"),
    "282.1-2": ("282.1", "2", "Taking part in an extremist community"),
}

# --- Organisations (natural key: name) -----------------------------------------------------------

ORGANISATIONS = {
    "social-movement": {
        "name": "Sotsialnyy Rukh (Social Movement)",
        "name_original": "Соціальний рух",
        "kind": ORG.PARTY,
        "country": "UA",
        "description": _prose("""
            Ukrainian socialist organisation. It backed the protest at the Russian embassy in Kyiv
            on 15 December 2021, saying that Russians who stand up to their government's imperial
            plans deserve support.
        """),
    },
    "against-the-current": {
        "name": "Against the Current",
        "name_original": "",
        "kind": ORG.GROUP,
        "country": "",
        "description": _prose("""
            Marxist group whose activists took part in the protest at the Russian embassy in Kyiv on
            15 December 2021.
        """),
    },
    "nihilist": {
        "name": "Nihilist",
        "name_original": "",
        "kind": ORG.MEDIA,
        "country": "",
        "description": _prose("""
            Online journal whose activists supported the protest at the Russian embassy in Kyiv on
            15 December 2021.
        """),
    },
    "international-union-of-workers": {
        "name": "International Union of Workers",
        "name_original": "",
        "kind": ORG.OTHER,
        "country": "",
        "description": _prose("""
            Left organisation to which the appeal of 9 December 2021 was addressed, with a request
            to start an international campaign for Igor Kuznetsov and his comrades.
        """),
    },
    "independent-workers-party": {
        "name": "Independent Workers Party of France",
        "name_original": "",
        "kind": ORG.PARTY,
        "country": "FR",
        "description": _prose("""
            French left party to which the appeal of 9 December 2021 was addressed, with a request
            to start an international campaign for Igor Kuznetsov and his comrades.
        """),
    },
    "siberian-confederation-of-labour": {
        "name": "Siberian Confederation of Labour",
        "name_original": "Сибирская конфедерация труда",
        "kind": ORG.UNION,
        "country": "RU",
        "description": "Siberian trade union confederation; Igor Kuznetsov became its secretary in "
        "the 1990s.",
    },
    "zashchita": {
        "name": "Independent trade union “Zashchita”",
        "name_original": "Защита",
        "kind": ORG.UNION,
        "country": "RU",
        "description": _prose("""
            Independent workers' union. Igor Kuznetsov organised its cells in Anzhero-Sudzhensk, in
            Syzran and at the Rossiya chocolate factory in Samara.
        """),
    },
    "rusnews": {
        "name": "RusNews",
        "name_original": "RusNews",
        "kind": ORG.MEDIA,
        "country": "RU",
        "description": _prose("""
            News publication for which Igor Kuznetsov reported on social conflicts and workers'
            protests. He says he followed the “What to do!” chat on a RusNews assignment.
        """),
    },
    "left-resistance": {
        "name": "Left Resistance",
        "name_original": "Левое сопротивление",
        "kind": ORG.PARTY,
        "country": "RU",
        "description": _prose("""
            Left group founded in 2017 by Darya Polyudova as an alternative to the Communist Party
            of the Russian Federation; its members describe their aim as defending genuine communist
            ideas. In 2021 the FSB opened a criminal case treating it as an extremist community.
        """),
    },
}

# --- Prisoners (natural key: slug) ---------------------------------------------------------------

KUZNETSOV = {
    "slug": "igor-kuznetsov",
    "name": "Igor Kuznetsov",
    "name_original": "Игорь Кузнецов",
    # The appeal gives his age (57 in 2021), not his date of birth: 1964 may be a year out.
    "birth_year": 1964,
    "city": "Tomsk",
    "status": P.PRETRIAL_DETENTION,
    "facility": "sizo5-moscow",
    "summary": _prose("""
        Trade unionist and journalist from Tomsk, held in Moscow's SIZO-5 and accused in two
        criminal cases (as of December 2021).
    """),
    "biography": _prose("""
        Igor Kuznetsov comes from Tomsk in Siberia; until his arrest he was employed as a mechanic
        by the Tomsk Medical College. He was 57 in 2021.

        He has been part of the labour movement since the 1990s. As secretary of the Siberian
        Confederation of Labour he travelled across Russia to meet newly formed workers' and strike
        committees, kept in touch with workers in Kazakhstan and helped them act together. He joined
        the Kuzbass miners' “rail war” in its third wave, and he founded cells of the independent
        union “Zashchita” in Anzhero-Sudzhensk and Syzran and at Samara's Rossiya chocolate
        factory.

        He has defended human rights since the 1980s. He is a Marxist and an anti-Stalinist, argues
        for the rights of Siberia and the other regions and peoples of Russia, and opposes the war
        against Ukraine that the Kremlin started in 2014. As a journalist he covered social
        conflicts and workers' protests in his blogs and for RusNews, and he regularly joined
        solidarity pickets: for the protesters in Khabarovsk and in Belarus, for doctors on strike
        in Anzhero-Sudzhensk, for environmentalists and for each new political prisoner.

        He was arrested in Tomsk on 16 September 2021 and later moved to Moscow. In the Tomsk
        detention centre he took the side of a cellmate who had been beaten during questioning; from
        Moscow he wrote letters proposing a Union of Political Prisoners of Russia. He faces up to
        ten years in prison.
    """),
}

POLYUDOVA = {
    "slug": "darya-polyudova",
    "name": "Darya Polyudova",
    "name_original": "Дарья Полюдова",
    "birth_year": None,
    "city": "",
    "status": P.IMPRISONED,
    "facility": None,
    "summary": _prose("""
        Young left activist who founded Left Resistance in 2017; imprisoned after a conviction in
        2021 and now also accused of creating an extremist community.
    """),
    "biography": _prose("""
        In 2017 Darya Polyudova founded Left Resistance, meant to offer something different from
        the Communist Party of the Russian Federation, which its members regard as opportunist; they
        describe their aim as defending genuine communist ideas.

        She was convicted in 2021 in a separate case, under a different article, and is imprisoned.
        In the FSB's case against Left Resistance she is accused of creating an extremist community
        (art. 282.1 part 1 of the Criminal Code).
    """),
}

# Co-defendants: (slug, name, name in Russian). The appeal gives no more than their names.
RIOT_CASE_CODEFENDANTS = [
    ("dmitry-chebanov", "Dmitry Chebanov", "Дмитрий Чебанов"),
    ("zhanna-chernova", "Zhanna Chernova", "Жанна Чернова"),
    ("nikita-kreshchuk", "Nikita Kreshchuk", "Никита Крещук"),
    ("alexey-kurlov", "Alexey Kurlov", "Алексей Курлов"),
    ("maria-platonova", "Maria Platonova", "Мария Платонова"),
    ("vyacheslav-abramov", "Vyacheslav Abramov", "Вячеслав Абрамов"),
    ("alexey-yanochkin", "Alexey Yanochkin", "Алексей Яночкин"),
    ("dmitry-lamanov", "Dmitry Lamanov", "Дмитрий Ламанов"),
]
LEFT_RESISTANCE_CODEFENDANTS = [
    ("sergey-kirsanov", "Sergey Kirsanov", "Сергей Кирсанов"),
    ("kirill-kotov", "Kirill Kotov", "Кирилл Котов"),
    ("alena-krylova", "Alena Krylova", "Алёна Крылова"),
    ("andrey-romanov", "Andrey Romanov", "Андрей Романов"),
]


def _codefendant(slug, name, name_original, summary, biography):
    return {
        "slug": slug, "name": name, "name_original": name_original, "birth_year": None,
        "city": "", "status": P.PRETRIAL_DETENTION, "facility": None,
        "summary": summary, "biography": biography.format(name=name),
    }


PRISONERS = [
    KUZNETSOV,
    POLYUDOVA,
    *(
        _codefendant(
            *row,
            summary=_prose("""
                Arrested on 16 September 2021 in the “What to do!” chat case and accused of inciting
                mass riots; in pre-trial detention as of December 2021.
            """),
            biography=_prose("""
                {name} is one of several young people arrested in different Russian cities on 16
                September 2021, the same day as Igor Kuznetsov. They are accused of inciting mass
                riots (art. 212 part 1.1 of the Criminal Code) over conversations in the Telegram
                chat “What to do!” about the State Duma elections of 17–19 September 2021. No riots
                took place. This page reflects the appeal of 9 December 2021; later developments are
                not recorded here.
            """),
        )
        for row in RIOT_CASE_CODEFENDANTS
    ),
    *(
        _codefendant(
            *row,
            summary=_prose("""
                Accused of taking part in Left Resistance (art. 282.1 part 2). The December 2021
                appeal calls for their release but gives no details of their custody.
            """),
            biography=_prose("""
                {name} is accused, together with Igor Kuznetsov, of taking part in Left Resistance,
                which the FSB treats as an extremist community (art. 282.1 part 2 of the Criminal
                Code). The appeal of 9 December 2021, which calls for the release of all the
                accused, gives no further details; later developments are not recorded here.
            """),
        )
        for row in LEFT_RESISTANCE_CODEFENDANTS
    ),
]

# --- Criminal cases (natural key: slug) ----------------------------------------------------------
# Charges are kept per defendant: in the Left Resistance case Polyudova is accused under part 1
# (creating the group) and the others under part 2 (taking part), so the case's articles differ
# from any one defendant's.

CASES = [
    {
        "slug": "what-to-do-chat-case",
        "title": "The “What to do!” chat case (incitement to mass riots)",
        "investigating_body": "",
        "city": "",
        "summary": _prose("""
            On 16 September 2021, on the eve of the State Duma elections of 17–19 September, Igor
            Kuznetsov was detained, and so were a number of young people in other Russian cities.
            They are accused of inciting mass riots (art. 212 part 1.1 of the Criminal Code) because
            of conversations in the Telegram chat “What to do!”, where the elections were discussed
            together with the idea of peaceful protests should United Russia rig the results. Many
            violations were indeed recorded at those elections, but there were no riots.
        """),
        "defendants": [
            ("igor-kuznetsov", ["212-1.1"], ""),
            *((slug, ["212-1.1"], "") for slug, _name, _original in RIOT_CASE_CODEFENDANTS),
        ],
        "events": [
            (
                K.ARREST, ARRESTS_DATE, "igor-kuznetsov",
                "Arrested in his home city of Tomsk, in Siberia, on the same day as several young "
                "people in other cities.",
            ),
            *(
                (
                    K.ARREST, ARRESTS_DATE, slug,
                    f"{name} arrested in the same sweep as Igor Kuznetsov, which reached several "
                    "Russian cities.",
                )
                for slug, name, _original in RIOT_CASE_CODEFENDANTS
            ),
            (
                K.STATEMENT, APPEAL_DATE, "igor-kuznetsov",
                _prose("""
                    From the Tomsk detention centre Kuznetsov declared that he had been working only
                    as a RusNews journalist, on an editorial assignment to report on protests, that
                    he had organised nothing and published no calls, that everyone arrested with him
                    was a decent and tolerant person who rejects violence, and that there had been
                    no provocateur in the closed chat. He asked the public to recognise all of them
                    as prisoners of conscience.
                """) + UNDATED,
            ),
            (
                K.TRANSFER, APPEAL_DATE, "igor-kuznetsov",
                "Taken from Tomsk to Moscow, where he is held in pre-trial detention centre No. 5 "
                "(SIZO-5) as of December 2021." + UNDATED,
            ),
        ],
    },
    {
        "slug": "left-resistance-case",
        "title": "The “Left Resistance” case (extremist community)",
        "investigating_body": "FSB (Federal Security Service)",
        "city": "",
        "summary": _prose("""
            A second case, opened by the FSB, treats the left group Left Resistance as an extremist
            community. Igor Kuznetsov, Sergey Kirsanov, Kirill Kotov, Alena Krylova and Andrey
            Romanov are accused of taking part in it (art. 282.1 part 2), and its founder Darya
            Polyudova of creating it (part 1). Lawful one-person pickets from 2019, after which
            police detained the participants and courts fined them, are now presented as attempts to
            discredit the authorities and provoke clashes with the police. Kuznetsov's comrades
            believe the case answers the firm stand he took in his statement from Tomsk.
        """),
        "defendants": [
            ("darya-polyudova", ["282.1-1"], "Accused of founding the group; already imprisoned "
             "after a conviction in 2021 under a different article."),
            ("igor-kuznetsov", ["282.1-2"], ""),
            *((slug, ["282.1-2"], "") for slug, _name, _original in LEFT_RESISTANCE_CODEFENDANTS),
        ],
        "events": [
            (
                K.CHARGE, APPEAL_DATE, None,
                "The FSB opened a case under art. 282.1 part 2 against Igor Kuznetsov, Sergey "
                "Kirsanov, Kirill Kotov, Alena Krylova and Andrey Romanov for taking part in Left "
                "Resistance, which it calls an extremist community." + UNDATED,
            ),
            (
                K.CHARGE, APPEAL_DATE, "darya-polyudova",
                "A case was opened against Darya Polyudova for creating an extremist community "
                "(art. 282.1 part 1); earlier in 2021 she had been convicted in a separate case, "
                "on a different charge." + UNDATED,
            ),
        ],
    },
]

# --- The campaign, its action and its petition ---------------------------------------------------

CAMPAIGN = {
    "slug": "freedom-for-igor-kuznetsov",
    "title": "Freedom for Igor Kuznetsov, Darya Polyudova and their comrades",
    "status": Campaign.Status.LIVE,
    "summary": _prose("""
        A Siberian trade unionist and journalist and the young founder of a left group are
        prosecuted in Russia for their views, together with thirteen co-defendants named so far.
        Socialists in Ukraine and Russia call for their release.
    """),
    "story": _prose("""
        Igor Kuznetsov, a 57-year-old trade unionist and journalist from Tomsk, was arrested on 16
        September 2021 and taken to Moscow. Investigators are building two criminal cases against
        him, and he faces up to ten years in prison. Fifteen more people from seven Russian cities
        are accused alongside him.

        The first case concerns the Telegram chat “What to do!”, where people talked about the State
        Duma elections of 17–19 September 2021 and about peaceful protest if the results were
        rigged. The day before voting began, Kuznetsov and a number of young people in other cities
        were detained and accused of inciting mass riots. No riots happened. From his cell in Tomsk,
        Kuznetsov said he had followed the chat as a RusNews reporter, defended his fellow accused
        as peaceful people and asked for them to be recognised as prisoners of conscience.

        Later the FSB opened a second case, against the left group Left Resistance, founded in 2017
        by Darya Polyudova. Kuznetsov and four others are accused of taking part in an extremist
        community, and Polyudova, already imprisoned after a conviction earlier in 2021, of creating
        it. Peaceful one-person pickets from 2019 are being recast as evidence.

        His comrades see these cases as part of a wider crackdown: as inequality grows, bloggers are
        fined for criticising officials, peaceful demonstrators are beaten and detained, critics are
        branded “foreign agents” and independent unions are obstructed. They fear for the safety of
        the accused, because torture in Russian detention has been documented, including reports
        about the Moscow remand prison where Kuznetsov is held, and publicity abroad is one of the
        few protections left.

        On 15 December 2021 socialists protested at the Russian embassy in Kyiv. The appeal of 9
        December asks left organisations everywhere to report on the case, hold solidarity actions
        and write to Russian embassies to demand that Kuznetsov and the others be freed. This
        petition does exactly that.
    """),
    "featured": ["igor-kuznetsov", "darya-polyudova"],
    "organisations": ["social-movement", "against-the-current", "nihilist"],
}

ACTION = {
    "kind": SolidarityAction.Kind.EMBASSY_PROTEST,
    "date": datetime.date(2021, 12, 15),
    "city": "Kyiv",
    "title": "Protest at the Russian embassy in Kyiv",
    "place": "Embassy of the Russian Federation",
    "country": "UA",
    "description": _prose("""
        Protesters outside the Russian embassy in Kyiv demanded freedom for Igor Kuznetsov and Darya
        Polyudova, two socialists who have spoken out against the Kremlin's war on Ukraine. Andriy
        Zdorov, a historian and a leading Ukrainian socialist, called the protest; activists of
        Sotsialnyy Rukh, of the Marxist group Against the Current and of the online journal
        Nihilist joined him.
    """),
    "slogans": "\n".join([
        "Putin is war! Putin is the Gulag!",
        "Freedom for all political prisoners",
        "Freedom to Igor Kuznetsov",
        "Freedom for Daria Polyudova",
    ]),
    "source_url": "",
    "organisers": ["social-movement", "against-the-current", "nihilist"],
}

PETITION = {
    "slug": "free-igor-kuznetsov-and-comrades",
    "title": "Free Igor Kuznetsov, Darya Polyudova and their co-defendants",
    "summary": _prose("""
        Ask the Russian embassy in your country to pass on the demand: release the Tomsk trade
        unionist Igor Kuznetsov, Darya Polyudova and the others accused with them.
    """),
    "addressee": "To the Ambassador of the Russian Federation",
    "appeal": _prose("""
        Your Excellency,

        We ask you to convey to the authorities of the Russian Federation our call for the release
        of Igor Kuznetsov, Darya Polyudova and the people accused with them.

        Igor Kuznetsov, a trade unionist and journalist from Tomsk, was arrested on 16 September
        2021 and moved to Moscow, where he is held in pre-trial detention centre No. 5. With several
        young people arrested the same day in other cities, he is accused of inciting mass riots
        (art. 212 part 1.1 of the Criminal Code) over conversations in a Telegram chat ahead of the
        State Duma elections. No riots took place, and Kuznetsov says he followed the chat as a
        journalist on assignment.

        The FSB has since opened a second case under art. 282.1, treating the left group Left
        Resistance as an extremist community. Kuznetsov and four others are accused of taking part
        in it, and its founder Darya Polyudova, already imprisoned after a conviction in 2021, of
        creating it. The evidence includes lawful one-person pickets held in 2019.

        These people are prosecuted for expressing their views peacefully. Reports of torture in
        Russian detention centres, including SIZO-5 in Moscow, make us fear for their safety. We
        therefore make the following demands.
    """),
    "demands": "\n".join([
        "Release Igor Kuznetsov, Darya Polyudova and their co-defendants.",
        "Drop the charges of inciting mass riots (art. 212 part 1.1) and of extremism "
        "(art. 282.1) brought against them.",
        "Protect them from torture, beatings and pressure to testify while in detention.",
        "Let them see their lawyers freely and in confidence.",
        "Stop prosecuting people for journalism, trade union work and peaceful protest.",
    ]),
    "goal": 10000,
    "status": Petition.Status.OPEN,
    "delivery_cadence": Petition.Cadence.DAILY,
    "test_recipient": "organiser@example.org",
    "live_delivery": False,
}

# --- Embassies -----------------------------------------------------------------------------------
# Copied from the Wikidata export of November 2022 (email without its "mailto:"): city, email,
# website and phone exactly as the export has them, empty where it has none. Germany's city is
# "Mitte", the Berlin district the export names.
# (QID, host country, city, email, website, phone, also accredited to)

EMBASSIES = [
    ("Q2063895", "UA", "Kyiv", "rusemb@kv.ukrtel.net", "http://ukraine.mid.ru/",
     "+380-44-244-0961", []),
    ("Q2841832", "FR", "Paris", "", "https://france.mid.ru", "", ["MC"]),
    ("Q4374047", "GB", "London", "", "http://www.rus.rusemb.org.uk/index", "", []),
    ("Q836838", "DE", "Mitte", "", "https://russische-botschaft.ru/", "", []),
    ("Q570535", "PL", "Warsaw", "", "http://poland.mid.ru", "", []),
    ("Q2841834", "US", "Washington, D.C.", "", "https://washington.mid.ru/en/",
     "+1-202-939-8907", []),
    ("Q5369847", "CA", "Ottawa", "", "https://canada.mid.ru", "", []),
    ("Q4374042", "IT", "Rome", "", "https://roma.mid.ru/", "", ["SM"]),
    ("Q4374041", "ES", "Madrid", "", "http://spain.mid.ru/", "", ["AD"]),
    ("Q10658328", "SE", "Stockholm", "", "", "", []),
    ("Q15845915", "KZ", "Astana", "", "http://www.rfembassy.kz/", "", []),
    ("Q16687409", "CH", "Bern", "rusbotschaft@bluewin.ch", "https://switzerland.mid.ru",
     "+41-31-352-05-66", ["LI"]),
]

# The fallback target for signers whose country no embassy covers. Not in Wikidata's list of
# missions, so it has no QID and is found by name.
MFA = {
    "name": "Ministry of Foreign Affairs of the Russian Federation",
    "mission_type": Embassy.MissionType.MINISTRY,
    "wikidata_id": "",
    "country": "",
    "city": "Moscow",
    "address": "Smolenskaya-Sennaya Square 32/34, Moscow 119200",
    "is_delivery_target": True,
}


# --- Loading -------------------------------------------------------------------------------------


@dataclass
class Summary:
    """What a run did, per model: rows created and rows already there (left unchanged)."""

    counts: dict = field(default_factory=dict)

    def record(self, label, outcome, n=1):
        self.counts.setdefault(label, Counter())[outcome] += n

    def total(self, outcome):
        return sum(counter[outcome] for counter in self.counts.values())

    @property
    def created(self):
        return self.total("created")

    @property
    def unchanged(self):
        return self.total("unchanged")

    def __str__(self):
        lines = [
            f"{label}: {c['created']} created, {c['unchanged']} unchanged"
            for label, c in self.counts.items()
        ]
        lines.append(
            f"Total: {self.created} created, {self.unchanged} unchanged"
        )
        return "\n".join(lines)


def _ensure(summary, model, lookup, values):
    """Create the row if it is missing; an existing row is left exactly as it is.

    `make run` loads the demo on every start: an organiser's edits made in admin since (a closed
    petition, a corrected address, an import of newer embassy data) must survive it.
    """
    obj, created = model.objects.get_or_create(**lookup, defaults=values)
    summary.record(model.__name__, "created" if created else "unchanged")
    return obj


def _ensure_linked(summary, label, manager, wanted):
    """Add the missing many-to-many links; existing ones (and any added by hand) stay."""
    present = set(manager.values_list("pk", flat=True))
    missing = [obj for obj in wanted if obj.pk not in present]
    if missing:
        manager.add(*missing)
    summary.record(label, "created", len(missing))
    summary.record(label, "unchanged", len(wanted) - len(missing))


def _without(data, *keys):
    return {key: value for key, value in data.items() if key not in keys}


@transaction.atomic
def load_demo():
    """Create whatever of the demo campaign is missing; return a Summary of what it did."""
    summary = Summary()

    facilities = {
        key: _ensure(summary, DetentionFacility, {"name": data["name"], "city": data["city"]},
                     _without(data, "name", "city"))
        for key, data in FACILITIES.items()
    }
    articles = {
        key: _ensure(summary, CodeArticle,
                     {"code": CodeArticle.Code.CRIMINAL, "article": article, "part": part},
                     {"title": title})
        for key, (article, part, title) in ARTICLES.items()
    }
    organisations = {
        key: _ensure(summary, Organisation, {"name": data["name"]}, _without(data, "name"))
        for key, data in ORGANISATIONS.items()
    }
    prisoners = {}
    for data in PRISONERS:
        values = _without(data, "slug")
        values["facility"] = facilities[data["facility"]] if data["facility"] else None
        prisoners[data["slug"]] = _ensure(summary, Prisoner, {"slug": data["slug"]}, values)

    for data in CASES:
        case = _ensure(summary, CriminalCase, {"slug": data["slug"]},
                       _without(data, "slug", "defendants", "events"))
        for position, (slug, charges, notes) in enumerate(data["defendants"]):
            link = _ensure(
                summary, Defendant, {"case": case, "prisoner": prisoners[slug]},
                {"role": Defendant.Role.ACCUSED, "notes": notes, "position": position},
            )
            _ensure_linked(summary, "Defendant charges", link.charges,
                           [articles[key] for key in charges])
        for kind, date, slug, description in data["events"]:
            _ensure(
                summary, CaseEvent,
                {"case": case, "kind": kind, "date": date,
                 "prisoner": prisoners[slug] if slug else None},
                {"description": description, "source_title": APPEAL_SOURCE, "source_url": ""},
            )

    campaign = _ensure(summary, Campaign, {"slug": CAMPAIGN["slug"]},
                       _without(CAMPAIGN, "slug", "featured", "organisations"))
    featured = CAMPAIGN["featured"]
    others = [slug for slug in prisoners if slug not in featured]
    for position, slug in enumerate(featured + others):
        _ensure(summary, CampaignPrisoner, {"campaign": campaign, "prisoner": prisoners[slug]},
                {"featured": slug in featured, "position": position})
    _ensure_linked(summary, "Campaign organisations", campaign.organisations,
                   [organisations[key] for key in CAMPAIGN["organisations"]])

    action = _ensure(
        summary, SolidarityAction,
        {"campaign": campaign, "kind": ACTION["kind"], "date": ACTION["date"],
         "city": ACTION["city"]},
        _without(ACTION, "kind", "date", "city", "organisers"),
    )
    _ensure_linked(summary, "Action organisers", action.organisers,
                   [organisations[key] for key in ACTION["organisers"]])

    for qid, country, city, email, website, phone, accredited in EMBASSIES:
        embassy = _ensure(
            summary, Embassy, {"wikidata_id": qid},
            {"mission_type": Embassy.MissionType.EMBASSY, "country": country, "city": city,
             "email": email, "website": website, "phone": phone},
        )
        for other in accredited:
            _ensure(summary, Accreditation, {"embassy": embassy, "country": other}, {})
    mfa = _ensure(summary, Embassy,
                  {key: MFA[key] for key in ("name", "mission_type", "wikidata_id")},
                  _without(MFA, "name", "mission_type", "wikidata_id"))

    _ensure(summary, Petition, {"slug": PETITION["slug"]},
            {**_without(PETITION, "slug"), "campaign": campaign, "fallback_embassy": mfa})
    return summary
