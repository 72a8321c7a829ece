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

The content is in English, with its Ukrainian, Russian and French translation next to it under
"translations" (the translated fields of campaign/, prisoners/ and petitions/translation.py). A new
row gets every language; on a row that is already there (say, from a run before the translations
existed) a translation fills its column only while that column is empty and the English beside it is
still the demo's own -- see `_fill_translations`.
"""

import datetime
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import translation
from modeltranslation.utils import build_localized_fieldname

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
APPEAL_SOURCE_TRANSLATIONS = {
    "uk": "Звернення групи товаришів із Російської Федерації та України, 9 грудня 2021 року",
    "ru": "Обращение группы товарищей из Российской Федерации и Украины, 9 декабря 2021 года",
    "fr": "Appel d'un groupe de camarades de la Fédération de Russie et d'Ukraine, 9 décembre 2021",
}
APPEAL_DATE = datetime.date(2021, 12, 9)
ARRESTS_DATE = datetime.date(2021, 9, 16)
# The appeal dates only the arrests. Events it reports without a date are known to the year only
# (the pages show "2021", no made-up day); they carry the appeal's date, the day by which they had
# happened, which places them in the timeline, and say so in the description.
UNDATED = " The appeal of 9 December 2021 does not give the exact date."
UNDATED_TRANSLATIONS = {
    "uk": " Звернення від 9 грудня 2021 року не називає точної дати.",
    "ru": " В обращении от 9 декабря 2021 года точная дата не указана.",
    "fr": " L'appel du 9 décembre 2021 ne donne pas la date exacte.",
}

#: The languages the demo is translated into; English is the data itself, and the fallback.
TRANSLATED_LANGUAGES = ("uk", "ru", "fr")


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
        # The name a visitor reads; `name_original` above is the official one, for envelopes.
        "translations": {
            "uk": {"name": "Слідчий ізолятор № 5 (СІЗО-5), Москва"},
            "ru": {"name": "Следственный изолятор № 5 (СИЗО-5), Москва"},
            "fr": {"name": "Centre de détention provisoire n° 5 (SIZO-5), Moscou"},
        },
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
        "translations": {
            "uk": {"name": "Слідчий ізолятор у Томську"},
            "ru": {"name": "Следственный изолятор в Томске"},
            "fr": {"name": "Centre de détention provisoire de Tomsk"},
        },
    },
}

# --- Articles of the Criminal Code (natural key: code, article, part) ---------------------------

ARTICLES = {
    "212-1.1": ("212", "1.1", "Inciting, recruiting or otherwise drawing others into mass riots"),
    "282.1-1": ("282.1", "1", "Creating or leading an extremist community"),
    "282.1-2": ("282.1", "2", "Taking part in an extremist community"),
}
# The Russian follows the wording of the Criminal Code itself.
ARTICLE_TITLES = {
    "212-1.1": {
        "uk": "Схиляння, вербування чи інше залучення людей до масових заворушень",
        "ru": "Склонение, вербовка или иное вовлечение лиц в массовые беспорядки",
        "fr": "Inciter, recruter ou entraîner d'une autre manière autrui dans des troubles massifs",
    },
    "282.1-1": {
        "uk": "Створення екстремістської спільноти або керівництво нею",
        "ru": "Создание экстремистского сообщества или руководство им",
        "fr": "Création ou direction d'une communauté extrémiste",
    },
    "282.1-2": {
        "uk": "Участь в екстремістській спільноті",
        "ru": "Участие в экстремистском сообществе",
        "fr": "Participation à une communauté extrémiste",
    },
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

# The organisations' descriptions in the other languages; their names stay as they are (see
# campaign/translation.py).
ORGANISATION_DESCRIPTIONS = {
    "social-movement": {
        "uk": _prose("""
            Українська соціалістична організація. Вона підтримала протест біля посольства Росії в
            Києві 15 грудня 2021 року, заявивши, що росіяни, які протистоять імперським планам
            свого уряду, заслуговують на підтримку.
        """),
        "ru": _prose("""
            Украинская социалистическая организация. Она поддержала акцию протеста у посольства
            России в Киеве 15 декабря 2021 года, заявив, что россияне, которые противостоят
            имперским планам своего правительства, заслуживают поддержки.
        """),
        "fr": _prose("""
            Organisation socialiste ukrainienne. Elle a soutenu la manifestation devant l'ambassade
            de Russie à Kyiv le 15 décembre 2021, estimant que les Russes qui s'opposent aux projets
            impériaux de leur gouvernement méritent d'être soutenus.
        """),
    },
    "against-the-current": {
        "uk": "Марксистська група, активісти якої взяли участь у протесті біля посольства Росії в "
              "Києві 15 грудня 2021 року.",
        "ru": "Марксистская группа, активисты которой приняли участие в акции протеста у посольства "
              "России в Киеве 15 декабря 2021 года.",
        "fr": "Groupe marxiste dont des militants ont pris part à la manifestation devant l'ambassade "
              "de Russie à Kyiv le 15 décembre 2021.",
    },
    "nihilist": {
        "uk": "Інтернет-журнал, активісти якого підтримали протест біля посольства Росії в Києві "
              "15 грудня 2021 року.",
        "ru": "Интернет-журнал, активисты которого поддержали акцию протеста у посольства России в "
              "Киеве 15 декабря 2021 года.",
        "fr": "Revue en ligne dont des militants ont soutenu la manifestation devant l'ambassade de "
              "Russie à Kyiv le 15 décembre 2021.",
    },
    "international-union-of-workers": {
        "uk": "Ліва організація, якій адресоване звернення від 9 грудня 2021 року з проханням "
              "розгорнути міжнародну кампанію на підтримку Ігоря Кузнєцова та його товаришів.",
        "ru": "Левая организация, которой адресовано обращение от 9 декабря 2021 года с просьбой "
              "развернуть международную кампанию в поддержку Игоря Кузнецова и его товарищей.",
        "fr": "Organisation de gauche à laquelle l'appel du 9 décembre 2021 était adressé, avec la "
              "demande de lancer une campagne internationale pour Igor Kouznetsov et ses camarades.",
    },
    "independent-workers-party": {
        "uk": "Французька ліва партія, якій адресоване звернення від 9 грудня 2021 року з проханням "
              "розгорнути міжнародну кампанію на підтримку Ігоря Кузнєцова та його товаришів.",
        "ru": "Французская левая партия, которой адресовано обращение от 9 декабря 2021 года с "
              "просьбой развернуть международную кампанию в поддержку Игоря Кузнецова и его "
              "товарищей.",
        "fr": "Parti de gauche français auquel l'appel du 9 décembre 2021 était adressé, avec la "
              "demande de lancer une campagne internationale pour Igor Kouznetsov et ses camarades.",
    },
    "siberian-confederation-of-labour": {
        "uk": "Сибірська профспілкова конфедерація; у 1990-х роках Ігор Кузнєцов став її секретарем.",
        "ru": "Сибирская профсоюзная конфедерация; в 1990-х годах Игорь Кузнецов стал её секретарём.",
        "fr": "Confédération syndicale sibérienne ; Igor Kouznetsov en est devenu le secrétaire dans "
              "les années 1990.",
    },
    "zashchita": {
        "uk": "Незалежна робітнича профспілка. Ігор Кузнєцов створював її осередки в "
              "Анжеро-Судженську, Сизрані та на шоколадній фабриці «Россия» в Самарі.",
        "ru": "Независимый рабочий профсоюз. Игорь Кузнецов создавал его ячейки в "
              "Анжеро-Судженске, в Сызрани и на шоколадной фабрике «Россия» в Самаре.",
        "fr": "Syndicat ouvrier indépendant. Igor Kouznetsov en a organisé des sections à "
              "Anjero-Soudjensk, à Syzran et à la chocolaterie Rossiya de Samara.",
    },
    "rusnews": {
        "uk": "Видання, для якого Ігор Кузнєцов писав про соціальні конфлікти й робітничі протести. "
              "За його словами, він стежив за чатом «Що робити!» за завданням RusNews.",
        "ru": "Издание, для которого Игорь Кузнецов писал о социальных конфликтах и рабочих "
              "протестах. По его словам, он следил за чатом «Что делать!» по заданию RusNews.",
        "fr": "Média pour lequel Igor Kouznetsov couvrait les conflits sociaux et les mobilisations "
              "ouvrières. Il dit avoir suivi le chat « Que faire ! » à la demande de RusNews.",
    },
    "left-resistance": {
        "uk": _prose("""
            Ліва група, яку 2017 року заснувала Дар'я Полюдова як альтернативу Комуністичній партії
            Російської Федерації; її учасники називають своєю метою захист справжніх комуністичних
            ідей. У 2021 році ФСБ порушила кримінальну справу, у якій групу розглядають як
            екстремістську спільноту.
        """),
        "ru": _prose("""
            Левая группа, основанная в 2017 году Дарьей Полюдовой как альтернатива Коммунистической
            партии Российской Федерации; её участники называют своей целью защиту подлинных
            коммунистических идей. В 2021 году ФСБ возбудила уголовное дело, в котором группа
            рассматривается как экстремистское сообщество.
        """),
        "fr": _prose("""
            Groupe de gauche fondé en 2017 par Daria Polioudova comme alternative au Parti
            communiste de la Fédération de Russie ; ses membres disent avoir pour but de défendre les
            véritables idées communistes. En 2021, le FSB a ouvert une affaire pénale qui le traite
            comme une communauté extrémiste.
        """),
    },
}

# --- Prisoners (natural key: slug) ---------------------------------------------------------------

KUZNETSOV = {
    "slug": "igor-kuznetsov",
    "name": "Igor Kuznetsov",
    "name_original": "Игорь Кузнецов",
    # The appeal gives his age (57 in 2021), not his date of birth: 1963 or 1964, so no year is
    # shown as fact (the biography says 57 in 2021).
    "birth_year": None,
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
    "translations": {
        "uk": {
            "name": "Ігор Кузнєцов",
            "city": "Томськ",
            "summary": _prose("""
                Профспілковий діяч і журналіст із Томська; утримується в московському СІЗО-5,
                обвинувачений у двох кримінальних справах (станом на грудень 2021 року).
            """),
            "biography": _prose("""
                Ігор Кузнєцов родом із сибірського Томська; до арешту працював механіком у Томському
                медичному коледжі. У 2021 році йому було 57 років.

                У робітничому русі він із 1990-х років. Як секретар Сибірської конфедерації праці
                він їздив Росією, зустрічався з новоствореними робітничими та страйковими
                комітетами, підтримував зв'язок із робітниками Казахстану й допомагав їм діяти
                спільно. Він долучився до третьої хвилі «рейкової війни» шахтарів Кузбасу, а також
                заснував осередки незалежної профспілки «Защита» в Анжеро-Судженську й Сизрані та на
                шоколадній фабриці «Россия» в Самарі.

                Правозахисною діяльністю він займається з 1980-х років. Він марксист і
                антисталініст, обстоює права Сибіру та інших регіонів і народів Росії й виступає
                проти війни, яку Кремль розв'язав проти України 2014 року. Як журналіст він
                висвітлював соціальні конфлікти й робітничі протести у своїх блогах і для RusNews та
                регулярно виходив на пікети солідарності: з протестувальниками в Хабаровську й
                Білорусі, з лікарями, які страйкували в Анжеро-Судженську, з екологами, на захист
                кожного нового політв'язня.

                16 вересня 2021 року його заарештували в Томську, а згодом перевезли до Москви. У
                томському СІЗО він заступився за співкамерника, якого побили на допиті; з Москви
                писав листи з пропозицією створити Союз політв'язнів Росії. Йому загрожує до десяти
                років позбавлення волі.
            """),
        },
        "ru": {
            "name": "Игорь Кузнецов",
            "city": "Томск",
            "summary": _prose("""
                Профсоюзный деятель и журналист из Томска; содержится в московском СИЗО-5,
                обвиняется по двум уголовным делам (по состоянию на декабрь 2021 года).
            """),
            "biography": _prose("""
                Игорь Кузнецов родом из сибирского Томска; до ареста он работал механиком в Томском
                медицинском колледже. В 2021 году ему было 57 лет.

                В рабочем движении он с 1990-х годов. Будучи секретарём Сибирской конфедерации
                труда, он ездил по России, встречался с только что возникшими рабочими и
                забастовочными комитетами, поддерживал связь с рабочими Казахстана и помогал им действовать
                сообща. Он участвовал в третьей волне «рельсовой войны» шахтёров Кузбасса и создал
                ячейки независимого профсоюза «Защита» в Анжеро-Судженске и Сызрани, а также на
                самарской шоколадной фабрике «Россия».

                Правозащитной деятельностью он занимается с 1980-х годов. Он марксист и
                антисталинист, отстаивает права Сибири и других регионов и народов России и
                выступает против войны с Украиной, развязанной Кремлём в 2014 году. Как журналист он
                освещал социальные конфликты и рабочие протесты в своих блогах и в издании RusNews и
                регулярно выходил на пикеты солидарности: с протестующими в Хабаровске и в Беларуси,
                с бастующими врачами Анжеро-Судженска, с экологами, в защиту каждого нового
                политзаключённого.

                16 сентября 2021 года он был арестован в Томске, а затем этапирован в Москву. В
                томском СИЗО он заступился за сокамерника, избитого на допросе; из Москвы писал
                письма с предложением создать Союз политзаключённых России. Ему грозит до десяти лет
                лишения свободы.
            """),
        },
        "fr": {
            "name": "Igor Kouznetsov",
            "city": "Tomsk",
            "summary": _prose("""
                Syndicaliste et journaliste de Tomsk, détenu au SIZO-5 de Moscou et accusé dans deux
                affaires pénales (en décembre 2021).
            """),
            "biography": _prose("""
                Igor Kouznetsov est originaire de Tomsk, en Sibérie ; jusqu'à son arrestation, il
                travaillait comme mécanicien au Collège médical de Tomsk. Il avait 57 ans en 2021.

                Il participe au mouvement ouvrier depuis les années 1990. Secrétaire de la
                Confédération sibérienne du travail, il a parcouru la Russie pour rencontrer les
                comités ouvriers et les comités de grève qui venaient de se former, est resté en
                contact avec des travailleurs du Kazakhstan et les a aidés à agir ensemble. Il a
                rejoint la troisième vague de la « guerre du rail » des mineurs du Kouzbass et a
                fondé des sections du syndicat indépendant « Zachtchita » à Anjero-Soudjensk et à
                Syzran ainsi qu'à la chocolaterie Rossiya de Samara.

                Il défend les droits humains depuis les années 1980. Marxiste et antistalinien, il
                plaide pour les droits de la Sibérie et des autres régions et peuples de Russie et
                s'oppose à la guerre contre l'Ukraine que le Kremlin a déclenchée en 2014.
                Journaliste, il a couvert les conflits sociaux et les mobilisations ouvrières sur ses
                blogs et pour RusNews, et il participait régulièrement à des piquets de solidarité :
                avec les manifestants de Khabarovsk et de Biélorussie, avec les médecins en grève
                d'Anjero-Soudjensk, avec les écologistes et pour chaque nouveau prisonnier politique.

                Il a été arrêté à Tomsk le 16 septembre 2021, puis transféré à Moscou. Au centre de
                détention de Tomsk, il a pris la défense d'un codétenu battu pendant un
                interrogatoire ; depuis Moscou, il a écrit des lettres proposant de créer une Union
                des prisonniers politiques de Russie. Il encourt jusqu'à dix ans de prison.
            """),
        },
    },
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
    "translations": {
        "uk": {
            "name": "Дар'я Полюдова",
            "summary": _prose("""
                Молода ліва активістка, яка 2017 року заснувала «Лівий спротив»; перебуває в
                ув'язненні після вироку 2021 року, а тепер її також обвинувачують у створенні
                екстремістської спільноти.
            """),
            "biography": _prose("""
                2017 року Дар'я Полюдова заснувала «Лівий спротив» як альтернативу Комуністичній
                партії Російської Федерації, яку учасники групи вважають опортуністичною; свою мету
                вони називають захистом справжніх комуністичних ідей.

                У 2021 році її засудили в іншій справі за іншою статтею, і вона перебуває в
                ув'язненні. У справі ФСБ проти «Лівого спротиву» її обвинувачують у створенні
                екстремістської спільноти (ч. 1 ст. 282.1 КК РФ).
            """),
        },
        "ru": {
            "name": "Дарья Полюдова",
            "summary": _prose("""
                Молодая левая активистка, основавшая в 2017 году «Левое сопротивление»; находится в
                заключении после осуждения в 2021 году, теперь также обвиняется в создании
                экстремистского сообщества.
            """),
            "biography": _prose("""
                В 2017 году Дарья Полюдова основала «Левое сопротивление» как альтернативу
                Коммунистической партии Российской Федерации, которую участники группы считают
                оппортунистической; свою цель они называют защитой подлинных коммунистических идей.

                В 2021 году она была осуждена по другому делу и по другой статье и находится в
                заключении. По делу ФСБ против «Левого сопротивления» ей вменяется создание
                экстремистского сообщества (ч. 1 ст. 282.1 УК РФ).
            """),
        },
        "fr": {
            "name": "Daria Polioudova",
            "summary": _prose("""
                Jeune militante de gauche, fondatrice de Résistance de gauche en 2017 ; emprisonnée
                après une condamnation en 2021, elle est désormais aussi accusée d'avoir créé une
                communauté extrémiste.
            """),
            "biography": _prose("""
                En 2017, Daria Polioudova a fondé Résistance de gauche pour proposer autre chose que
                le Parti communiste de la Fédération de Russie, que ses membres jugent opportuniste ;
                ils disent avoir pour but de défendre les véritables idées communistes.

                Elle a été condamnée en 2021 dans une autre affaire, au titre d'un autre article, et
                se trouve en prison. Dans l'affaire ouverte par le FSB contre Résistance de gauche,
                elle est accusée d'avoir créé une communauté extrémiste (art. 282.1, partie 1, du
                Code pénal russe).
            """),
        },
    },
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
# Their names in Ukrainian and in French transliteration; in Russian it is the name in Russian.
CODEFENDANT_NAMES = {
    "dmitry-chebanov": {"uk": "Дмитро Чебанов", "fr": "Dmitri Tchebanov"},
    "zhanna-chernova": {"uk": "Жанна Чернова", "fr": "Janna Tchernova"},
    "nikita-kreshchuk": {"uk": "Микита Крещук", "fr": "Nikita Krechtchouk"},
    "alexey-kurlov": {"uk": "Олексій Курлов", "fr": "Alexeï Kourlov"},
    "maria-platonova": {"uk": "Марія Платонова", "fr": "Maria Platonova"},
    "vyacheslav-abramov": {"uk": "В'ячеслав Абрамов", "fr": "Viatcheslav Abramov"},
    "alexey-yanochkin": {"uk": "Олексій Яночкін", "fr": "Alexeï Ianotchkine"},
    "dmitry-lamanov": {"uk": "Дмитро Ламанов", "fr": "Dmitri Lamanov"},
    "sergey-kirsanov": {"uk": "Сергій Кірсанов", "fr": "Sergueï Kirsanov"},
    "kirill-kotov": {"uk": "Кирило Котов", "fr": "Kirill Kotov"},
    "alena-krylova": {"uk": "Альона Крилова", "fr": "Aliona Krylova"},
    "andrey-romanov": {"uk": "Андрій Романов", "fr": "Andreï Romanov"},
}


def _names(slug, name, name_original):
    """A co-defendant's name in every language."""
    return {"en": name, "ru": name_original, **CODEFENDANT_NAMES[slug]}


# What the appeal says of each co-defendant, by language; {name} is the name in that language. The
# translations are worded so that they hold for a man or a woman (no gendered past participle).
RIOT_CODEFENDANT_TEXT = {
    "en": {
        "summary": _prose("""
            Arrested on 16 September 2021 in the “What to do!” chat case and accused of inciting
            mass riots; in pre-trial detention as of December 2021.
        """),
        "biography": _prose("""
            {name} is one of several young people arrested in different Russian cities on 16
            September 2021, the same day as Igor Kuznetsov. They are accused of inciting mass
            riots (art. 212 part 1.1 of the Criminal Code) over conversations in the Telegram
            chat “What to do!” about the State Duma elections of 17–19 September 2021. No riots
            took place. This page reflects the appeal of 9 December 2021; later developments are
            not recorded here.
        """),
    },
    "uk": {
        "summary": _prose("""
            Арешт 16 вересня 2021 року у справі чату «Що робити!», обвинувачення у схилянні до
            масових заворушень; станом на грудень 2021 року перебуває під вартою.
        """),
        "biography": _prose("""
            {name} — серед кількох молодих людей, заарештованих 16 вересня 2021 року в різних
            містах Росії, того самого дня, що й Ігор Кузнєцов. Їх обвинувачують у схилянні до
            масових заворушень (ч. 1.1 ст. 212 КК РФ) через листування в Telegram-чаті «Що
            робити!» про вибори до Державної думи 17–19 вересня 2021 року. Жодних заворушень не
            було. Ця сторінка ґрунтується на зверненні від 9 грудня 2021 року; пізніших подій тут
            не відображено.
        """),
    },
    "ru": {
        "summary": _prose("""
            Арест 16 сентября 2021 года по делу чата «Что делать!», обвинение в склонении к
            массовым беспорядкам; по состоянию на декабрь 2021 года находится под стражей.
        """),
        "biography": _prose("""
            {name} — в числе нескольких молодых людей, арестованных 16 сентября 2021 года в разных
            городах России, в один день с Игорем Кузнецовым. Их обвиняют в склонении к массовым
            беспорядкам (ч. 1.1 ст. 212 УК РФ) из-за переписки в Telegram-чате «Что делать!» о
            выборах в Государственную Думу 17–19 сентября 2021 года. Никаких беспорядков не было.
            Эта страница основана на обращении от 9 декабря 2021 года; более поздние события здесь
            не отражены.
        """),
    },
    "fr": {
        "summary": _prose("""
            Arrestation le 16 septembre 2021 dans l'affaire du chat « Que faire ! », accusation
            d'incitation à des troubles massifs ; en détention provisoire en décembre 2021.
        """),
        "biography": _prose("""
            {name} fait partie des jeunes gens arrêtés dans différentes villes de Russie le 16
            septembre 2021, le même jour qu'Igor Kouznetsov. Ils sont accusés d'incitation à des
            troubles massifs (art. 212, partie 1.1, du Code pénal russe) pour des conversations
            dans le chat Telegram « Que faire ! » sur les élections à la Douma d'État du 17 au 19
            septembre 2021. Aucun trouble n'a eu lieu. Cette page s'appuie sur l'appel du 9
            décembre 2021 ; les développements ultérieurs n'y figurent pas.
        """),
    },
}
LEFT_RESISTANCE_CODEFENDANT_TEXT = {
    "en": {
        "summary": _prose("""
            Accused of taking part in Left Resistance (art. 282.1 part 2). The December 2021
            appeal calls for their release but gives no details of their custody.
        """),
        "biography": _prose("""
            {name} is accused, together with Igor Kuznetsov, of taking part in Left Resistance,
            which the FSB treats as an extremist community (art. 282.1 part 2 of the Criminal
            Code). The appeal of 9 December 2021, which calls for the release of all the
            accused, gives no further details; later developments are not recorded here.
        """),
    },
    "uk": {
        "summary": _prose("""
            Обвинувачення в участі в «Лівому спротиві» (ч. 2 ст. 282.1 КК РФ). Грудневе звернення
            2021 року закликає звільнити всіх обвинувачених, але не повідомляє подробиць про
            запобіжний захід.
        """),
        "biography": _prose("""
            {name} обвинувачується разом з Ігорем Кузнєцовим в участі в «Лівому спротиві», який
            ФСБ вважає екстремістською спільнотою (ч. 2 ст. 282.1 КК РФ). Звернення від 9 грудня
            2021 року, яке закликає звільнити всіх обвинувачених, інших подробиць не наводить;
            пізніших подій тут не відображено.
        """),
    },
    "ru": {
        "summary": _prose("""
            Обвинение в участии в «Левом сопротивлении» (ч. 2 ст. 282.1 УК РФ). Декабрьское
            обращение 2021 года призывает освободить всех обвиняемых, но не сообщает подробностей о мере
            пресечения.
        """),
        "biography": _prose("""
            {name} обвиняется вместе с Игорем Кузнецовым в участии в «Левом сопротивлении»,
            которое ФСБ считает экстремистским сообществом (ч. 2 ст. 282.1 УК РФ). Обращение от 9
            декабря 2021 года, призывающее освободить всех обвиняемых, других подробностей не
            сообщает; более поздние события здесь не отражены.
        """),
    },
    "fr": {
        "summary": _prose("""
            Accusation de participation à Résistance de gauche (art. 282.1, partie 2). L'appel de
            décembre 2021 demande la libération de tous les accusés, sans préciser leurs
            conditions de détention.
        """),
        "biography": _prose("""
            {name} fait partie des personnes accusées, avec Igor Kouznetsov, de participation à
            Résistance de gauche, que le FSB considère comme une communauté extrémiste (art.
            282.1, partie 2, du Code pénal russe). L'appel du 9 décembre 2021, qui demande la
            libération de tous les accusés, ne donne pas d'autres détails ; les développements
            ultérieurs ne figurent pas sur cette page.
        """),
    },
}


def _codefendant(slug, name, name_original, text, status):
    names = _names(slug, name, name_original)
    return {
        "slug": slug, "name": name, "name_original": name_original, "birth_year": None,
        "city": "", "status": status, "facility": None,
        "summary": text["en"]["summary"], "biography": text["en"]["biography"].format(name=name),
        "translations": {
            language: {
                "name": names[language],
                "summary": text[language]["summary"],
                "biography": text[language]["biography"].format(name=names[language]),
            }
            for language in TRANSLATED_LANGUAGES
        },
    }


PRISONERS = [
    KUZNETSOV,
    POLYUDOVA,
    # Arrested on 16 September 2021, the appeal says; of the Left Resistance case it says only that
    # they "were also accused".
    *(_codefendant(*row, RIOT_CODEFENDANT_TEXT, P.PRETRIAL_DETENTION) for row in RIOT_CASE_CODEFENDANTS),
    *(_codefendant(*row, LEFT_RESISTANCE_CODEFENDANT_TEXT, P.ACCUSED) for row in LEFT_RESISTANCE_CODEFENDANTS),
]

# --- Criminal cases (natural key: slug) ----------------------------------------------------------
# Charges are kept per defendant: in the Left Resistance case Polyudova is accused under part 1
# (creating the group) and the others under part 2 (taking part), so the case's articles differ
# from any one defendant's.


def _descriptions(texts, undated=False):
    """A case event's translations: {"uk": text, ...} -> {"uk": {"description": text}, ...}."""
    return {
        language: {"description": text + (UNDATED_TRANSLATIONS[language] if undated else "")}
        for language, text in texts.items()
    }


# A co-defendant's arrest, by language; {name} is the name in that language.
CODEFENDANT_ARREST = {
    "uk": "{name} — серед затриманих під час тієї самої хвилі арештів, що й Ігор Кузнєцов; "
          "затримання відбулися в кількох містах Росії.",
    "ru": "{name} — в числе задержанных в ходе той же волны арестов, что и Игорь Кузнецов; "
          "задержания прошли в нескольких городах России.",
    "fr": "{name} fait partie des personnes interpellées lors de la même vague d'arrestations "
          "qu'Igor Kouznetsov, menée dans plusieurs villes de Russie.",
}

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
        "translations": {
            "uk": {
                "title": "Справа чату «Що робити!» (схиляння до масових заворушень)",
                "summary": _prose("""
                    16 вересня 2021 року, напередодні виборів до Державної думи 17–19 вересня,
                    затримали Ігоря Кузнєцова, а також низку молодих людей в інших містах Росії. Їх
                    обвинувачують у схилянні до масових заворушень (ч. 1.1 ст. 212 КК РФ) через
                    листування в Telegram-чаті «Що робити!», де обговорювали вибори та ідею мирних
                    протестів на випадок, якщо «Єдина Росія» сфальсифікує їхні результати. На цих
                    виборах справді зафіксували чимало порушень, але жодних заворушень не було.
                """),
            },
            "ru": {
                "title": "Дело чата «Что делать!» (склонение к массовым беспорядкам)",
                "summary": _prose("""
                    16 сентября 2021 года, накануне выборов в Государственную Думу 17–19 сентября,
                    были задержаны Игорь Кузнецов и ряд молодых людей в других городах России. Их
                    обвиняют в склонении к массовым беспорядкам (ч. 1.1 ст. 212 УК РФ) из-за
                    переписки в Telegram-чате «Что делать!», где обсуждались выборы и идея мирных
                    протестов на случай, если «Единая Россия» сфальсифицирует их итоги. На этих
                    выборах действительно было зафиксировано множество нарушений, но никаких
                    беспорядков не было.
                """),
            },
            "fr": {
                "title": "L'affaire du chat « Que faire ! » (incitation à des troubles massifs)",
                "summary": _prose("""
                    Le 16 septembre 2021, à la veille des élections à la Douma d'État du 17 au 19
                    septembre, Igor Kouznetsov a été interpellé, de même que plusieurs jeunes dans
                    d'autres villes de Russie. Ils sont accusés d'incitation à des troubles massifs
                    (art. 212, partie 1.1, du Code pénal russe) pour des conversations dans le chat
                    Telegram « Que faire ! », où l'on discutait des élections et de l'idée de
                    manifestations pacifiques si Russie unie truquait les résultats. De nombreuses
                    violations ont effectivement été constatées lors de ce scrutin, mais il n'y a eu
                    aucun trouble.
                """),
            },
        },
        "defendants": [
            ("igor-kuznetsov", ["212-1.1"], {}),
            *((slug, ["212-1.1"], {}) for slug, _name, _original in RIOT_CASE_CODEFENDANTS),
        ],
        # (kind, date, prisoner's slug, description, its translations)
        "events": [
            (
                K.ARREST, ARRESTS_DATE, "igor-kuznetsov",
                "Arrested in his home city of Tomsk, in Siberia, on the same day as several young "
                "people in other cities.",
                _descriptions({
                    "uk": "Заарештований у рідному Томську, у Сибіру, того самого дня, що й кілька "
                          "молодих людей в інших містах.",
                    "ru": "Арестован в родном Томске, в Сибири, в один день с несколькими молодыми "
                          "людьми в других городах.",
                    "fr": "Arrêté dans sa ville natale de Tomsk, en Sibérie, le même jour que "
                          "plusieurs jeunes dans d'autres villes.",
                }),
            ),
            *(
                (
                    K.ARREST, ARRESTS_DATE, slug,
                    f"{name} arrested in the same sweep as Igor Kuznetsov, which reached several "
                    "Russian cities.",
                    _descriptions({
                        language: template.format(name=_names(slug, name, original)[language])
                        for language, template in CODEFENDANT_ARREST.items()
                    }),
                )
                for slug, name, original in RIOT_CASE_CODEFENDANTS
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
                _descriptions({
                    "uk": _prose("""
                        Із томського СІЗО Кузнєцов заявив, що діяв виключно як журналіст RusNews за
                        редакційним завданням висвітлювати протести, нічого не організовував і не
                        публікував жодних закликів, що всі заарештовані разом із ним — порядні й
                        толерантні люди, які відкидають насильство, і що провокатора в закритому
                        чаті не було. Він закликав громадськість визнати всіх їх в'язнями сумління.
                    """),
                    "ru": _prose("""
                        Из томского СИЗО Кузнецов заявил, что действовал исключительно как журналист
                        RusNews по редакционному заданию освещать протестные акции, ничего не
                        организовывал и не публиковал никаких призывов, что все арестованные вместе
                        с ним — порядочные и терпимые люди, отвергающие насилие, и что провокатора в
                        закрытом чате не было. Он призвал общественность признать всех их узниками
                        совести.
                    """),
                    "fr": _prose("""
                        Depuis le centre de détention de Tomsk, Kouznetsov a déclaré qu'il avait agi
                        uniquement en tant que journaliste de RusNews, chargé par sa rédaction de
                        couvrir des manifestations, qu'il n'avait rien organisé ni publié aucun
                        appel, que toutes les personnes arrêtées avec lui étaient des gens honnêtes
                        et tolérants qui rejettent la violence, et qu'il n'y avait eu aucun
                        provocateur dans le chat fermé. Il a demandé à l'opinion publique de les
                        reconnaître tous comme prisonniers d'opinion.
                    """),
                }, undated=True),
            ),
            (
                K.TRANSFER, APPEAL_DATE, "igor-kuznetsov",
                "Taken from Tomsk to Moscow, where he is held in pre-trial detention centre No. 5 "
                "(SIZO-5) as of December 2021." + UNDATED,
                _descriptions({
                    "uk": "Перевезений із Томська до Москви, де станом на грудень 2021 року "
                          "утримується в слідчому ізоляторі № 5 (СІЗО-5).",
                    "ru": "Этапирован из Томска в Москву, где по состоянию на декабрь 2021 года "
                          "содержится в следственном изоляторе № 5 (СИЗО-5).",
                    "fr": "Transféré de Tomsk à Moscou, où il est détenu, en décembre 2021, au "
                          "centre de détention provisoire n° 5 (SIZO-5).",
                }, undated=True),
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
        "translations": {
            "uk": {
                "title": "Справа «Лівого спротиву» (екстремістська спільнота)",
                "investigating_body": "ФСБ (Федеральна служба безпеки)",
                "summary": _prose("""
                    У другій справі, яку порушила ФСБ, ліву групу «Лівий спротив» розглядають як
                    екстремістську спільноту. Ігоря Кузнєцова, Сергія Кірсанова, Кирила Котова,
                    Альону Крилову та Андрія Романова обвинувачують в участі в ній (ч. 2 ст. 282.1
                    КК РФ), а засновницю групи Дар'ю Полюдову — в її створенні (ч. 1). Законні
                    одиночні пікети 2019 року, після яких поліція затримала учасників, а суди їх
                    оштрафували, тепер подають як спроби дискредитувати владу й спровокувати
                    сутички з поліцією. Товариші Кузнєцова вважають, що ця справа — відповідь на
                    тверду позицію, яку він зайняв у своїй заяві з Томська.
                """),
            },
            "ru": {
                "title": "Дело «Левого сопротивления» (экстремистское сообщество)",
                "investigating_body": "ФСБ (Федеральная служба безопасности)",
                "summary": _prose("""
                    Во втором деле, возбуждённом ФСБ, левая группа «Левое сопротивление»
                    рассматривается как экстремистское сообщество. Игорю Кузнецову, Сергею
                    Кирсанову, Кириллу Котову, Алёне Крыловой и Андрею Романову вменяется участие в
                    нём (ч. 2 ст. 282.1 УК РФ), а основательнице группы Дарье Полюдовой — его
                    создание (ч. 1). Законные одиночные пикеты 2019 года, после которых полиция
                    задержала участников, а суды их оштрафовали, теперь представлены как попытки
                    дискредитировать власть и спровоцировать столкновения с полицией. Товарищи
                    Кузнецова считают, что это дело — ответ на твёрдую позицию, которую он занял в
                    своём заявлении из Томска.
                """),
            },
            "fr": {
                "title": "L'affaire « Résistance de gauche » (communauté extrémiste)",
                "investigating_body": "FSB (Service fédéral de sécurité)",
                "summary": _prose("""
                    Dans une seconde affaire, ouverte par le FSB, le groupe de gauche « Résistance
                    de gauche » est traité comme une communauté extrémiste. Igor Kouznetsov,
                    Sergueï Kirsanov, Kirill Kotov, Aliona Krylova et Andreï Romanov sont accusés
                    d'y avoir participé (art. 282.1, partie 2), et sa fondatrice Daria Polioudova
                    de l'avoir créé (partie 1). Des piquets individuels légaux de 2019, après
                    lesquels la police avait interpellé les participants et les tribunaux leur
                    avaient infligé des amendes, sont désormais présentés comme des tentatives de
                    discréditer les autorités et de provoquer des affrontements avec la police. Les
                    camarades de Kouznetsov estiment que cette affaire répond à la position ferme
                    qu'il a prise dans sa déclaration depuis Tomsk.
                """),
            },
        },
        "defendants": [
            ("darya-polyudova", ["282.1-1"], {
                "en": "Accused of founding the group; already imprisoned after a conviction in "
                      "2021 under a different article.",
                "uk": "Обвинувачена у створенні групи; уже перебуває в ув'язненні після вироку "
                      "2021 року за іншою статтею.",
                "ru": "Обвиняется в создании группы; уже находится в заключении после осуждения в "
                      "2021 году по другой статье.",
                "fr": "Accusée d'avoir fondé le groupe ; déjà emprisonnée après une condamnation en "
                      "2021 au titre d'un autre article.",
            }),
            ("igor-kuznetsov", ["282.1-2"], {}),
            *((slug, ["282.1-2"], {}) for slug, _name, _original in LEFT_RESISTANCE_CODEFENDANTS),
        ],
        "events": [
            (
                K.CHARGE, APPEAL_DATE, None,
                "The FSB opened a case under art. 282.1 part 2 against Igor Kuznetsov, Sergey "
                "Kirsanov, Kirill Kotov, Alena Krylova and Andrey Romanov for taking part in Left "
                "Resistance, which it calls an extremist community." + UNDATED,
                _descriptions({
                    "uk": "ФСБ порушила справу за ч. 2 ст. 282.1 КК РФ проти Ігоря Кузнєцова, "
                          "Сергія Кірсанова, Кирила Котова, Альони Крилової та Андрія Романова за "
                          "участь у «Лівому спротиві», який відомство називає екстремістською "
                          "спільнотою.",
                    "ru": "ФСБ возбудила дело по ч. 2 ст. 282.1 УК РФ против Игоря Кузнецова, "
                          "Сергея Кирсанова, Кирилла Котова, Алёны Крыловой и Андрея Романова за "
                          "участие в «Левом сопротивлении», которое ведомство называет "
                          "экстремистским сообществом.",
                    "fr": "Le FSB a ouvert une affaire au titre de l'article 282.1, partie 2, contre "
                          "Igor Kouznetsov, Sergueï Kirsanov, Kirill Kotov, Aliona Krylova et Andreï "
                          "Romanov pour participation à Résistance de gauche, qu'il qualifie de "
                          "communauté extrémiste.",
                }, undated=True),
            ),
            (
                K.CHARGE, APPEAL_DATE, "darya-polyudova",
                "A case was opened against Darya Polyudova for creating an extremist community "
                "(art. 282.1 part 1); earlier in 2021 she had been convicted in a separate case, "
                "on a different charge." + UNDATED,
                _descriptions({
                    "uk": "Проти Дар'ї Полюдової порушено справу про створення екстремістської "
                          "спільноти (ч. 1 ст. 282.1 КК РФ); раніше, того ж 2021 року, її засудили "
                          "в іншій справі за іншою статтею.",
                    "ru": "Против Дарьи Полюдовой возбуждено дело о создании экстремистского "
                          "сообщества (ч. 1 ст. 282.1 УК РФ); ранее, в том же 2021 году, она была "
                          "осуждена по другому делу и по другой статье.",
                    "fr": "Une affaire a été ouverte contre Daria Polioudova pour création d'une "
                          "communauté extrémiste (art. 282.1, partie 1) ; plus tôt en 2021, elle "
                          "avait été condamnée dans une autre affaire, pour un autre chef "
                          "d'accusation.",
                }, undated=True),
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
        prosecuted in Russia for their views, together with twelve co-defendants named so far.
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
    "translations": {
        "uk": {
            "title": "Свободу Ігорю Кузнєцову, Дар'ї Полюдовій та їхнім товаришам",
            "summary": _prose("""
                У Росії за переконання переслідують сибірського профспілкового діяча й журналіста та
                молоду засновницю лівої групи, а разом із ними — ще дванадцятьох обвинувачених, чиї
                імена вже відомі. Соціалісти України та Росії вимагають їх звільнити.
            """),
            "story": _prose("""
                Ігоря Кузнєцова, 57-річного профспілкового діяча й журналіста з Томська,
                заарештували 16 вересня 2021 року й перевезли до Москви. Слідчі ведуть проти нього
                дві кримінальні справи, йому загрожує до десяти років позбавлення волі. Разом із ним
                обвинувачують ще п'ятнадцятьох людей із семи міст Росії.

                Перша справа стосується Telegram-чату «Що робити!», де обговорювали вибори до
                Державної думи 17–19 вересня 2021 року та мирний протест на випадок фальсифікації
                їхніх результатів. Напередодні початку голосування Кузнєцова та кількох молодих
                людей в інших містах затримали й обвинуватили у схилянні до масових заворушень.
                Жодних заворушень не було. Із томського СІЗО Кузнєцов заявив, що стежив за чатом як
                кореспондент RusNews; він заступився за інших обвинувачених, назвавши їх мирними
                людьми, і закликав визнати їх в'язнями сумління.

                Згодом ФСБ порушила другу справу — проти лівої групи «Лівий спротив», яку 2017 року
                заснувала Дар'я Полюдова. Кузнєцова та ще чотирьох людей обвинувачують в участі в
                екстремістській спільноті, а Полюдову, яка вже перебуває в ув'язненні після вироку,
                ухваленого раніше у 2021 році, — в її створенні. Мирні одиночні пікети 2019 року
                тепер подають як докази.

                Товариші Кузнєцова вважають ці справи частиною ширшої хвилі репресій: на тлі
                зростання нерівності блогерів штрафують за критику чиновників, мирних демонстрантів
                б'ють і затримують, критиків оголошують «іноземними агентами», а незалежним
                профспілкам чинять перешкоди. Вони побоюються за безпеку обвинувачених, адже
                катування в російських місцях несвободи задокументовані, зокрема є свідчення про
                московський СІЗО, де утримують Кузнєцова, а розголос за кордоном лишається одним із
                небагатьох способів їх захистити.

                15 грудня 2021 року соціалісти провели протест біля посольства Росії в Києві.
                Звернення від 9 грудня закликає ліві організації всього світу розповідати про цю
                справу, проводити акції солідарності й писати до російських посольств із вимогою
                звільнити Кузнєцова та інших обвинувачених. Саме це й робить ця петиція.
            """),
        },
        "ru": {
            "title": "Свободу Игорю Кузнецову, Дарье Полюдовой и их товарищам",
            "summary": _prose("""
                В России за убеждения преследуют сибирского профсоюзного деятеля и журналиста и
                молодую основательницу левой группы, а вместе с ними — ещё двенадцать обвиняемых,
                чьи имена уже известны. Социалисты Украины и России требуют их освободить.
            """),
            "story": _prose("""
                Игорь Кузнецов, 57-летний профсоюзный деятель и журналист из Томска, был арестован
                16 сентября 2021 года и этапирован в Москву. Следователи ведут против него два
                уголовных дела, ему грозит до десяти лет лишения свободы. Вместе с ним обвиняются
                ещё пятнадцать человек из семи городов России.

                Первое дело касается Telegram-чата «Что делать!», где обсуждали выборы в
                Государственную Думу 17–19 сентября 2021 года и мирный протест на случай
                фальсификации их итогов. Накануне начала голосования Кузнецова и ряд молодых людей в
                других городах задержали и обвинили в склонении к массовым беспорядкам. Никаких
                беспорядков не было. Из томского СИЗО Кузнецов заявил, что следил за чатом как
                корреспондент RusNews; он заступился за других обвиняемых, назвав их мирными людьми,
                и призвал признать их узниками совести.

                Позднее ФСБ возбудила второе дело — против левой группы «Левое сопротивление»,
                основанной в 2017 году Дарьей Полюдовой. Кузнецова и ещё четырёх человек обвиняют в
                участии в экстремистском сообществе, а Полюдову, которая уже находится в заключении
                после осуждения ранее в 2021 году, — в его создании. Мирные одиночные пикеты 2019
                года теперь выдают за доказательства.

                Товарищи Кузнецова считают эти дела частью более широкой волны репрессий: на фоне
                растущего неравенства блогеров штрафуют за критику чиновников, мирных демонстрантов
                избивают и задерживают, критиков объявляют «иностранными агентами», а независимым
                профсоюзам чинят препятствия. Они опасаются за безопасность обвиняемых: пытки в
                российских местах заключения задокументированы, в том числе есть свидетельства о
                московском СИЗО, где содержится Кузнецов, а огласка за рубежом остаётся одной из
                немногих возможностей их защитить.

                15 декабря 2021 года социалисты провели акцию протеста у посольства России в Киеве.
                Обращение от 9 декабря призывает левые организации всего мира рассказывать об этом
                деле, проводить акции солидарности и писать в российские посольства с требованием
                освободить Кузнецова и других обвиняемых. Именно этому и служит настоящая петиция.
            """),
        },
        "fr": {
            "title": "Liberté pour Igor Kouznetsov, Daria Polioudova et leurs camarades",
            "summary": _prose("""
                Un syndicaliste et journaliste sibérien et la jeune fondatrice d'un groupe de gauche
                sont poursuivis en Russie pour leurs opinions, avec douze coaccusés dont les noms
                sont connus à ce jour. Des socialistes d'Ukraine et de Russie demandent leur
                libération.
            """),
            "story": _prose("""
                Igor Kouznetsov, syndicaliste et journaliste de Tomsk âgé de 57 ans, a été arrêté le
                16 septembre 2021 et transféré à Moscou. Les enquêteurs montent contre lui deux
                affaires pénales, et il encourt jusqu'à dix ans de prison. Quinze autres personnes,
                originaires de sept villes russes, sont accusées avec lui.

                La première affaire porte sur le chat Telegram « Que faire ! », où l'on parlait des
                élections à la Douma d'État du 17 au 19 septembre 2021 et de manifestations
                pacifiques au cas où les résultats seraient truqués. La veille de l'ouverture du
                scrutin, Kouznetsov et plusieurs jeunes dans d'autres villes ont été interpellés et
                accusés d'incitation à des troubles massifs. Il n'y a eu aucun trouble. Depuis sa
                cellule de Tomsk, Kouznetsov a déclaré avoir suivi le chat en tant que reporter de
                RusNews, a pris la défense de ses coaccusés, des gens pacifiques, et a demandé qu'ils
                soient reconnus prisonniers d'opinion.

                Le FSB a ensuite ouvert une seconde affaire, contre Résistance de gauche, un groupe
                de gauche fondé en 2017 par Daria Polioudova. Kouznetsov et quatre autres personnes
                sont accusés de participation à une communauté extrémiste, et Polioudova, déjà
                emprisonnée à la suite d'une condamnation prononcée plus tôt en 2021, de l'avoir
                créée. Des piquets individuels pacifiques de 2019 sont désormais présentés comme des
                preuves.

                Ses camarades voient dans ces affaires un volet d'une répression plus large :
                alors que les inégalités se creusent, des blogueurs sont condamnés à des amendes pour
                avoir critiqué des fonctionnaires, des manifestants pacifiques sont frappés et
                arrêtés, des voix critiques sont qualifiées d'« agents de l'étranger » et les
                syndicats indépendants sont entravés. Ils craignent pour la sécurité des accusés, car
                la torture dans les lieux de détention russes est documentée, y compris par des
                témoignages sur la maison d'arrêt de Moscou où Kouznetsov est détenu, et la
                médiatisation à l'étranger est l'une des rares protections qui leur restent.

                Le 15 décembre 2021, des socialistes ont manifesté devant l'ambassade de Russie à
                Kyiv. L'appel du 9 décembre demande aux organisations de gauche du monde entier de
                faire connaître l'affaire, d'organiser des actions de solidarité et d'écrire aux
                ambassades de Russie pour exiger la libération de Kouznetsov et des autres accusés.
                C'est précisément ce que fait cette pétition.
            """),
        },
    },
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
    "translations": {
        "uk": {
            "title": "Протест біля посольства Росії в Києві",
            "place": "Посольство Російської Федерації",
            "city": "Київ",
            "description": _prose("""
                Учасники протесту біля посольства Росії в Києві вимагали свободи для Ігоря
                Кузнєцова та Дар'ї Полюдової — двох соціалістів, які публічно засуджують війну
                Кремля проти України. Протест ініціював історик і один із провідних українських
                соціалістів Андрій Здоров; до нього долучилися активісти «Соціального руху»,
                марксистської групи «Проти течії» та інтернет-журналу «Нігіліст».
            """),
        },
        "ru": {
            "title": "Акция протеста у посольства России в Киеве",
            "place": "Посольство Российской Федерации",
            "city": "Киев",
            "description": _prose("""
                Участники акции у посольства России в Киеве требовали свободы для Игоря Кузнецова и
                Дарьи Полюдовой — двух социалистов, открыто осуждающих войну Кремля против Украины.
                Инициатором акции выступил историк и один из ведущих украинских социалистов Андрей
                Здоров; к нему присоединились активисты организации «Социальный рух», марксистской
                группы «Против течения» и интернет-журнала «Нигилист».
            """),
        },
        "fr": {
            "title": "Manifestation devant l'ambassade de Russie à Kyiv",
            "place": "Ambassade de la Fédération de Russie",
            "city": "Kyiv",
            "description": _prose("""
                Devant l'ambassade de Russie à Kyiv, des manifestants ont réclamé la liberté pour
                Igor Kouznetsov et Daria Polioudova, deux socialistes qui ont dénoncé la guerre du
                Kremlin contre l'Ukraine. Andriï Zdorov, historien et l'un des principaux
                socialistes ukrainiens, avait appelé à la manifestation ; des militants de
                Sotsialnyi Rukh (Mouvement social), du groupe marxiste Contre le courant et de la
                revue en ligne Nihilist l'ont rejoint.
            """),
        },
    },
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
    # The Russian letter is what the embassies read (petitions/pdf.py prints it above the English):
    # formal register, "ч. 1.1 ст. 212 УК РФ" for the articles, one demand per line as in English.
    "translations": {
        "uk": {
            "title": "Звільнити Ігоря Кузнєцова, Дар'ю Полюдову та інших обвинувачених у їхніх справах",
            "summary": _prose("""
                Попросіть посольство Росії у вашій країні передати вимогу: звільнити томського
                профспілкового діяча Ігоря Кузнєцова, Дар'ю Полюдову та інших обвинувачених разом
                із ними.
            """),
            "addressee": "Послу Російської Федерації",
            "appeal": _prose("""
                Ваша Ексцеленціє!

                Просимо Вас передати органам влади Російської Федерації наш заклик звільнити Ігоря
                Кузнєцова, Дар'ю Полюдову та інших людей, обвинувачених разом із ними.

                Ігоря Кузнєцова, профспілкового діяча й журналіста з Томська, заарештували 16
                вересня 2021 року й перевезли до Москви, де він перебуває в слідчому ізоляторі № 5.
                Разом із кількома молодими людьми, затриманими того самого дня в інших містах, його
                обвинувачують у схилянні до масових заворушень (ч. 1.1 ст. 212 КК РФ) через
                листування в Telegram-чаті напередодні виборів до Державної думи. Жодних заворушень
                не було, а сам Кузнєцов заявляє, що стежив за чатом як журналіст за редакційним
                завданням.

                Згодом ФСБ порушила другу справу за ст. 282.1 КК РФ, кваліфікувавши ліву групу
                «Лівий спротив» як екстремістську спільноту. Кузнєцова та ще чотирьох людей
                обвинувачують в участі в ній, а її засновницю Дар'ю Полюдову, яка вже перебуває в
                ув'язненні після вироку 2021 року, — в її створенні. Серед доказів фігурують законні
                одиночні пікети, проведені 2019 року.

                Цих людей переслідують за мирне висловлення своїх поглядів. Повідомлення про
                катування в російських слідчих ізоляторах, зокрема в московському СІЗО-5, змушують
                нас побоюватися за їхню безпеку. Тому ми висуваємо такі вимоги.
            """),
            "demands": "\n".join([
                "Звільнити Ігоря Кузнєцова, Дар'ю Полюдову та інших обвинувачених у їхніх справах.",
                "Зняти з них обвинувачення у схилянні до масових заворушень (ч. 1.1 ст. 212 КК РФ) "
                "та в екстремізмі (ст. 282.1 КК РФ).",
                "Захистити їх від катувань, побиття та примусу до давання показань під час тримання "
                "під вартою.",
                "Забезпечити їм вільні й конфіденційні зустрічі з адвокатами.",
                "Припинити переслідування людей за журналістську діяльність, профспілкову роботу та "
                "мирний протест.",
            ]),
        },
        "ru": {
            "title": "Освободить Игоря Кузнецова, Дарью Полюдову и других обвиняемых по их делам",
            "summary": _prose("""
                Попросите посольство России в вашей стране передать требование: освободить томского
                профсоюзного деятеля Игоря Кузнецова, Дарью Полюдову и других обвиняемых вместе с
                ними.
            """),
            "addressee": "Послу Российской Федерации",
            "appeal": _prose("""
                Ваше Превосходительство!

                Просим Вас передать властям Российской Федерации наш призыв освободить Игоря
                Кузнецова, Дарью Полюдову и других лиц, обвиняемых вместе с ними.

                Игорь Кузнецов, профсоюзный деятель и журналист из Томска, был арестован 16 сентября
                2021 года и этапирован в Москву, где содержится в следственном изоляторе № 5. Вместе
                с несколькими молодыми людьми, арестованными в тот же день в других городах, он
                обвиняется в склонении к массовым беспорядкам (ч. 1.1 ст. 212 УК РФ) в связи с
                перепиской в Telegram-чате накануне выборов в Государственную Думу. Никаких
                беспорядков не было; сам Кузнецов заявляет, что следил за чатом как журналист по
                редакционному заданию.

                Впоследствии ФСБ возбудила второе уголовное дело по ст. 282.1 УК РФ, квалифицировав
                левую группу «Левое сопротивление» как экстремистское сообщество. Кузнецову и ещё
                четырём лицам вменяется участие в нём, а основательнице группы Дарье Полюдовой, уже
                находящейся в заключении после осуждения в 2021 году, — его создание. В числе
                доказательств фигурируют законные одиночные пикеты, проведённые в 2019 году.

                Эти люди подвергаются преследованию за мирное выражение своих взглядов. Сообщения о
                применении пыток в российских следственных изоляторах, в том числе в СИЗО-5 г.
                Москвы, вызывают у нас серьёзные опасения за их безопасность. В связи с этим мы
                выдвигаем следующие требования.
            """),
            "demands": "\n".join([
                "Освободить Игоря Кузнецова, Дарью Полюдову и других обвиняемых по их делам.",
                "Снять с них обвинения в склонении к массовым беспорядкам (ч. 1.1 ст. 212 УК РФ) и "
                "в экстремизме (ст. 282.1 УК РФ).",
                "Обеспечить их защиту от пыток, избиений и принуждения к даче показаний в период "
                "содержания под стражей.",
                "Обеспечить им беспрепятственные и конфиденциальные встречи с адвокатами.",
                "Прекратить уголовное преследование людей за журналистскую деятельность, "
                "профсоюзную работу и мирный протест.",
            ]),
        },
        "fr": {
            "title": "Libérez Igor Kouznetsov, Daria Polioudova et leurs coaccusés",
            "summary": _prose("""
                Demandez à l'ambassade de Russie dans votre pays de transmettre cette exigence :
                libérer le syndicaliste de Tomsk Igor Kouznetsov, Daria Polioudova et les autres
                personnes accusées avec eux.
            """),
            "addressee": "À l'Ambassadeur de la Fédération de Russie",
            "appeal": _prose("""
                Excellence,

                Nous vous demandons de transmettre aux autorités de la Fédération de Russie notre
                appel à la libération d'Igor Kouznetsov, de Daria Polioudova et des personnes
                accusées avec eux.

                Igor Kouznetsov, syndicaliste et journaliste de Tomsk, a été arrêté le 16 septembre
                2021 puis transféré à Moscou, où il est détenu au centre de détention provisoire n°
                5. Avec plusieurs jeunes arrêtés le même jour dans d'autres villes, il est accusé
                d'incitation à des troubles massifs (art. 212, partie 1.1, du Code pénal russe) pour
                des conversations tenues dans un chat Telegram avant les élections à la Douma d'État.
                Aucun trouble n'a eu lieu, et M. Kouznetsov affirme avoir suivi ce chat en tant que
                journaliste, à la demande de sa rédaction.

                Le FSB a depuis ouvert une seconde affaire au titre de l'article 282.1, qualifiant de
                communauté extrémiste le groupe de gauche « Résistance de gauche ». M. Kouznetsov et
                quatre autres personnes sont accusés d'y avoir participé, et sa fondatrice Daria
                Polioudova, déjà emprisonnée à la suite d'une condamnation en 2021, de l'avoir créé.
                Les éléments à charge comprennent des piquets individuels légaux organisés en 2019.

                Ces personnes sont poursuivies pour avoir exprimé pacifiquement leurs opinions. Les
                informations faisant état de tortures dans les centres de détention russes,
                notamment au SIZO-5 de Moscou, nous font craindre pour leur sécurité. Nous formulons
                donc les demandes suivantes.
            """),
            "demands": "\n".join([
                "Libérer Igor Kouznetsov, Daria Polioudova et leurs coaccusés.",
                "Abandonner les accusations d'incitation à des troubles massifs (art. 212, partie 1.1) "
                "et d'extrémisme (art. 282.1) portées contre eux.",
                "Les protéger, pendant leur détention, de la torture, des coups et des pressions "
                "visant à leur extorquer des déclarations.",
                "Leur permettre de s'entretenir librement et en toute confidentialité avec leurs "
                "avocats.",
                "Cesser de poursuivre des personnes pour leur travail de journaliste, leur action "
                "syndicale ou leurs manifestations pacifiques.",
            ]),
        },
    },
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
    """What a run did, per model: rows created and rows already there (left unchanged).

    "<Model> translations" counts the rows already there whose missing translations this run filled
    in (as "created": text that was not there before); a row created with them is not counted twice.
    """

    counts: dict = field(default_factory=dict)
    #: Whether the demo was loaded before (see `_load`): then no row of it is made again.
    again: bool = False

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


#: What `_ensure` gives for a row of the demo that is not there on a second run.
GONE = object()


def _ensure(summary, model, lookup, values, translations=None):
    """Create the row if it is missing, in every language; of an existing row, only fill in the
    translations it lacks (see `_fill_translations`), everything else is left exactly as it is.

    On a second run (`summary.again`) a row that is not there is not made again, and GONE stands
    for it: the demo finds its rows by slug, name or date, which organisers edit. A prisoner whose
    slug was changed came back as a second one, in both cases and on the campaign's page; a
    campaign's, as a second live campaign on the home page; an event whose date was corrected, as
    the same event twice in the timeline. A row deleted on purpose came back too.

    `make run` loads the demo on every start: an organiser's edits made in admin since (a closed
    petition, a corrected address, an import of newer embassy data) must survive it.
    `translations` is {"uk": {"title": ...}, "ru": ..., "fr": ...}; `values` holds the English.
    """
    translations = translations or {}
    columns = {
        build_localized_fieldname(name, language): _typeset(language, text)
        for language, fields in translations.items()
        for name, text in fields.items()
    }
    if any(value is GONE for value in lookup.values()):
        return GONE  # a row under one the organisers renamed or deleted: theirs to add again
    if summary.again:
        obj, created = model.objects.filter(**lookup).first(), False
        if obj is None:
            return GONE
    else:
        obj, created = model.objects.get_or_create(**lookup, defaults={**values, **columns})
    summary.record(model.__name__, "created" if created else "unchanged")
    if not created and translations:
        _fill_translations(summary, obj, {**lookup, **values}, translations)
    return obj


def _fill_translations(summary, obj, english, translations):
    """Write the translations an existing row lacks, e.g. one an older, English-only run created.

    A translated column is filled only while it is empty (whatever is there, an organiser's text
    included, is never overwritten) and while the English beside it is still the demo's own: if an
    organiser has rewritten the English, a translation of the old text would contradict it, and the
    empty column keeps falling back to their English instead. Nothing to fill, nothing written.
    """
    missing = {}
    for language, fields in translations.items():
        for name, text in fields.items():
            column = build_localized_fieldname(name, language)
            if (getattr(obj, column) or "").strip():
                continue
            if getattr(obj, build_localized_fieldname(name, "en")) != english[name]:
                continue
            missing[column] = _typeset(language, text)
    if not missing:
        return
    for column, text in missing.items():
        setattr(obj, column, text)
    touched = [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
    obj.save(update_fields=[*missing, *touched])
    summary.record(f"{type(obj).__name__} translations", "created")


def _typeset(language, text):
    """French puts a space before : ; ! ? and inside « »; the texts are typed with a plain one and
    get a no-break space here, so that a line never starts with the punctuation mark."""
    if language != "fr":
        return text
    text = re.sub(r" ([:;!?»])", "\u00a0\\1", text)
    return text.replace("« ", "«\u00a0").replace("n° ", "n°\u00a0")


def _ensure_linked(summary, label, owner, name, wanted):
    """Add the missing many-to-many links of `owner.<name>`; existing ones (and any added by hand) stay."""
    if owner is GONE:
        return
    manager = getattr(owner, name)
    wanted = [obj for obj in wanted if obj is not GONE]
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
    """Create the demo campaign, or fill in the translations and links an earlier run's rows lack;
    return a Summary of what it did."""
    # modeltranslation writes `title=...` to the active language's column: the English data must
    # land in the English columns whatever language the caller (a request, a test) left active.
    with translation.override("en"):
        return _load(Summary())


def _load(summary):
    # Its petition (whose slug is fixed once it is open or signed) or its campaign is there: the
    # demo was loaded before, and what of it is missing now an organiser renamed or deleted.
    summary.again = (Petition.objects.filter(slug=PETITION["slug"]).exists()
                     or Campaign.objects.filter(slug=CAMPAIGN["slug"]).exists())

    facilities = {
        key: _ensure(summary, DetentionFacility, {"name": data["name"], "city": data["city"]},
                     _without(data, "name", "city", "translations"), data["translations"])
        for key, data in FACILITIES.items()
    }
    articles = {
        key: _ensure(summary, CodeArticle,
                     {"code": CodeArticle.Code.CRIMINAL, "article": article, "part": part},
                     {"title": title},
                     {language: {"title": text} for language, text in ARTICLE_TITLES[key].items()})
        for key, (article, part, title) in ARTICLES.items()
    }
    organisations = {
        key: _ensure(summary, Organisation, {"name": data["name"]}, _without(data, "name"),
                     {language: {"description": text}
                      for language, text in ORGANISATION_DESCRIPTIONS[key].items()})
        for key, data in ORGANISATIONS.items()
    }
    prisoners = {}
    for data in PRISONERS:
        values = _without(data, "slug", "translations")
        values["facility"] = facilities[data["facility"]] if data["facility"] else None
        prisoners[data["slug"]] = _ensure(summary, Prisoner, {"slug": data["slug"]}, values,
                                          data["translations"])

    for data in CASES:
        case = _ensure(summary, CriminalCase, {"slug": data["slug"]},
                       _without(data, "slug", "defendants", "events", "translations"),
                       data["translations"])
        for position, (slug, charges, notes) in enumerate(data["defendants"]):
            # notes: {} for none, else the note by language, English included.
            link = _ensure(
                summary, Defendant, {"case": case, "prisoner": prisoners[slug]},
                {"role": Defendant.Role.ACCUSED, "notes": notes.get("en", ""), "position": position},
                {language: {"notes": notes[language]} for language in TRANSLATED_LANGUAGES if notes},
            )
            _ensure_linked(summary, "Defendant charges", link, "charges",
                           [articles[key] for key in charges])
        for kind, date, slug, description, translations in data["events"]:
            _ensure(
                summary, CaseEvent,
                {"case": case, "kind": kind, "date": date,
                 "prisoner": prisoners[slug] if slug else None},
                {"description": description, "source_title": APPEAL_SOURCE, "source_url": "",
                 "date_precision": CaseEvent.DatePrecision.YEAR if description.endswith(UNDATED)
                 else CaseEvent.DatePrecision.DAY},
                {language: {**fields, "source_title": APPEAL_SOURCE_TRANSLATIONS[language]}
                 for language, fields in translations.items()},
            )

    campaign = _ensure(summary, Campaign, {"slug": CAMPAIGN["slug"]},
                       _without(CAMPAIGN, "slug", "featured", "organisations", "translations"),
                       CAMPAIGN["translations"])
    featured = CAMPAIGN["featured"]
    others = [slug for slug in prisoners if slug not in featured]
    for position, slug in enumerate(featured + others):
        _ensure(summary, CampaignPrisoner, {"campaign": campaign, "prisoner": prisoners[slug]},
                {"featured": slug in featured, "position": position})
    _ensure_linked(summary, "Campaign organisations", campaign, "organisations",
                   [organisations[key] for key in CAMPAIGN["organisations"]])

    action = _ensure(
        summary, SolidarityAction,
        {"campaign": campaign, "kind": ACTION["kind"], "date": ACTION["date"],
         "city": ACTION["city"]},
        _without(ACTION, "kind", "date", "city", "organisers", "translations"),
        ACTION["translations"],
    )
    _ensure_linked(summary, "Action organisers", action, "organisers",
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
            {**_without(PETITION, "slug", "translations"), "campaign": campaign, "fallback_embassy": mfa},
            PETITION["translations"])
    return summary
