"""A worked example for a first look: the October 2019 round to the 43 forces, and a live one.

The October 2019 round follows the seed letter's story: every force was written to on
11 October 2019; the eight sample replies are logged and coded as their labels say; most other
forces replied too (their replies are composed below), and four are left overdue: one of them
had a first reminder in November 2019, so `send_chase_ups` has a second reminder and three
first reminders to make. A second, current round shows letters awaiting a reply, holding
replies and an extension.
"""

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from commissioner.roles import ADMIN, COMMISSIONER, SECRETARIAT
from forces.models import Force, HeadOfForce, ProsecutionFigures
from letters.documents import check_document
from letters.models import Addressee, Judgement, Reply, Round, Theme, ThemeReview
from letters.services.chase_ups import reminder_create
from letters.services.coding import coding_save
from letters.services.letters import letter_extend
from letters.services.replies import reply_log
from letters.services.rounds import round_create, round_issue
from letters.working_days import add_working_days

DATA = Path(__file__).resolve().parent / "demo_data"

DEMO_USERS = {
    "secretariat": (SECRETARIAT, "Sam", "Okafor"),
    "commissioner": (COMMISSIONER, "Cara", "Whitlock"),
    "admin": (ADMIN, "Ada", "Lindqvist"),
}

ROUND_2019_BODY = """\
I am writing to you, as I am to every chief officer in England and Wales, about the number \
of modern slavery and human trafficking offenders referred to the Crown Prosecution Service, \
which fell in 2018. I am concerned that fewer referrals will lead to fewer prosecutions and \
convictions under the Modern Slavery Act 2015, and that offenders who see little risk of \
prosecution will not be deterred from what is, at heart, an economic crime.

I would be grateful if you could tell me how {{ force_name }}:

- structures its response to modern slavery and coordinates with other forces and regions, \
including how it shares intelligence;
- seeks, records, monitors and enforces Slavery and Trafficking Prevention Orders and Risk Orders;
- trains and guides its officers and staff on modern slavery, now and in future;
- resources modern slavery investigations.

Please reply by {{ due_date }}, quoting our reference {{ reference }}.

I look forward to hearing from you."""

FOLLOW_UP_BODY = """\
Thank you for your reply to my letter of October 2019. I am following up two of its themes \
with every force.

Please tell me how many Slavery and Trafficking Prevention Orders and Risk Orders \
{{ force_name }} has sought and obtained in the last twelve months, how each is recorded so \
that other forces can see it, and how breaches are found and dealt with.

Please also tell me what training on modern slavery your officers and staff now receive, and \
from whom, since national training passed to the College of Policing.

I would be grateful for your reply by {{ due_date }}, quoting {{ reference }}."""

# Sample replies: the passages a coder quoted for each theme the labels say is addressed or partly.
SAMPLE_EXCERPTS = {
    "avon-somerset": {
        "structures": [
            "Modern slavery is investigated by our Major Crime Investigation Team, supported by "
            "the South West Regional Organised Crime Unit where a case reaches beyond the force "
            "area."
        ],
        "ancillary-orders": [
            "Since the Modern Slavery Act 2015 came into force, the courts have made seventeen "
            "orders at our request: fifteen on conviction under section 14, and two under section "
            "23 against people who had not been convicted.",
            "Every order is recorded on the Police National Computer and, if the subject moves, "
            "the details are sent to the force in whose area they now live.",
        ],
        "training": [
            "Every new recruit receives a day of modern slavery training at the start of their "
            "career, and the College of Policing e-learning module is mandatory for every "
            "frontline officer."
        ],
    },
    "gwent": {
        "resourcing": [
            "I can say now that I have approved two additional investigator posts for our "
            "exploitation team from January, paid for from this year's precept, because the "
            "number of cases referred to the team has risen sharply."
        ],
    },
    "lincolnshire": {
        "ancillary-orders": [
            "Since 2016 we have applied for fourteen and been granted twelve, and in July we "
            "obtained our first interim Risk Order, against a labour provider in Boston, while "
            "our investigation continued.",
            "Every order is placed on the Police National Database on the day it is made.",
        ],
        "training": [
            "Investigators have attended a three-day course on building cases that do not rely "
            "on the victim's evidence, led by the national modern slavery policing programme, and "
            "every new investigator receives a briefing note on the lines of enquiry to pursue."
        ],
    },
    "metropolitan": {
        "structures": [
            "Complex modern slavery investigations are led by our Modern Slavery and Child "
            "Exploitation Unit within Specialist Crime, and each of our twelve Basic Command "
            "Units has a named exploitation lead who acts as the single point of contact for "
            "the Unit."
        ],
        "ancillary-orders": [
            "Since 2016 the Service has obtained 58 Slavery and Trafficking Prevention Orders "
            "and 11 Risk Orders.",
            "Many subjects move out of London, and I would support a national standard for "
            "recording and managing these orders so that every force can act on them.",
        ],
        "training": [
            "Every frontline officer in London has taken the College of Policing's modern "
            "slavery e-learning course."
        ],
        "resourcing": [
            "The Unit now has 118 officers and staff, an increase of 42 since 2017, achieved by "
            "moving posts from elsewhere in Specialist Crime.",
            "Even so, demand is rising faster than capacity: we recorded 1,104 modern slavery "
            "crimes in 2018, a rise of 30 per cent.",
        ],
    },
    "nottinghamshire": {
        "structures": [
            "The most serious modern slavery cases in the county are taken on by the East "
            "Midlands Special Operations Unit, and the remainder by our public protection teams."
        ],
        "training": [
            "All officers, PCSOs and special constables have completed the College of Policing "
            "e-learning, and 450 response and neighbourhood officers have attended a half-day "
            "awareness session designed with the Nottingham Modern Slavery Partnership."
        ],
        "resourcing": [
            "I have therefore allocated part of the force's share of the national uplift to a "
            "new Exploitation Investigation Team of eight detectives, which will begin work in "
            "April 2020, and the Police and Crime Commissioner has set aside £350,000 in the "
            "2020/21 budget for specialist staff, including a financial investigator and two "
            "analysts."
        ],
    },
    "surrey": {
        "structures": [
            "Surrey and Sussex Police have shared a single Specialist Crime Command for several "
            "years, and modern slavery cases in either county are investigated by one joint "
            "exploitation unit under a Detective Chief Inspector.",
            "Cases with links to other forces or abroad are passed to the multi-force unit that "
            "pursues the most serious criminal networks in the south east, and we exchange "
            "information on suspects and premises with the Metropolitan Police at a weekly "
            "meeting of the forces that border London.",
        ],
        "training": [
            "This year we have given face-to-face training to 800 first responders on making "
            "National Referral Mechanism referrals and on the Duty to Notify, and our "
            "investigators have attended courses run by the Modern Slavery Police Transformation "
            "Unit, whose guidance on evidence-led prosecutions we have adopted as force policy."
        ],
        "resourcing": [
            "The joint exploitation unit gained two investigators this year, but caseloads remain "
            "high, and I will consider whether further capacity is needed when the force budget "
            "for 2020/21 is set in February."
        ],
    },
    "west-midlands": {
        "structures": [
            "Our Modern Slavery and Organised Immigration Crime Unit is therefore co-located with "
            "the West Midlands Regional Organised Crime Unit, and the two share a tasking and "
            "coordination meeting every fortnight.",
            "Intelligence sharing with Staffordshire, Warwickshire and West Mercia takes place "
            "under a regional agreement, and a joint analytical cell produces a monthly "
            "assessment of the networks operating across all four force areas.",
        ],
        "ancillary-orders": [
            "Since 2016 we have also obtained 23 Slavery and Trafficking Prevention Orders."
        ],
        "resourcing": [
            "The Unit has grown from 28 to 46 investigators and analysts since 2017, and a further "
            "£1.2 million a year, approved by the Police and Crime Commissioner, will let it grow "
            "again from April 2020."
        ],
    },
}

SAMPLE_RECEIVED = {
    "avon-somerset": date(2019, 11, 27),
    "gwent": date(2019, 11, 8),
    "lincolnshire": date(2019, 11, 15),
    "metropolitan": date(2019, 12, 3),
    "northumbria": date(2019, 10, 24),
    "nottinghamshire": date(2019, 12, 16),
    "surrey": date(2019, 11, 12),
    "west-midlands": date(2019, 11, 21),
}

# Composed replies for the other forces: per theme, what a full answer and a brief one say.
THEME_PASSAGES = {
    "structures": {
        Judgement.ADDRESSED: [
            "Modern slavery investigations in {force} are led by a dedicated exploitation team "
            "that sits within our serious and organised crime command.",
            "The team attends the regional organised crime unit's tasking meeting every month, "
            "and intelligence on suspects who cross the force boundary is shared with "
            "neighbouring forces through that meeting.",
            "A detective inspector acts as the single point of contact for other forces and "
            "for the regional coordinator.",
        ],
        Judgement.PARTLY: [
            "Complex cases are referred to the regional organised crime unit, and the rest are "
            "investigated by local CID.",
        ],
    },
    "ancillary-orders": {
        Judgement.ADDRESSED: [
            "Since 2016 {force} has obtained {orders} Slavery and Trafficking Prevention Orders "
            "and {risk_orders} Risk Orders.",
            "Each order is entered on the Police National Database on the day it is made, and "
            "a named officer checks the subject's compliance every month.",
            "Breaches are treated as new offences and referred to the Crown Prosecution Service.",
        ],
        Judgement.PARTLY: [
            "We have obtained {orders} Slavery and Trafficking Prevention Orders since 2016, "
            "although we do not yet monitor them centrally.",
        ],
    },
    "training": {
        Judgement.ADDRESSED: [
            "All frontline officers and staff have completed the College of Policing "
            "e-learning on modern slavery.",
            "Investigators attend the specialist course developed by the Modern Slavery Police "
            "Transformation Unit, and first responders have guidance on National Referral "
            "Mechanism referrals and the Duty to Notify.",
        ],
        Judgement.PARTLY: [
            "Officers are encouraged to complete the College of Policing e-learning on modern "
            "slavery.",
        ],
    },
    "resourcing": {
        Judgement.ADDRESSED: [
            "The exploitation team has grown to {officers} officers and staff, and the Police "
            "and Crime Commissioner has agreed funding for {extra} more posts from next April.",
            "Demand continues to rise, and we review the team's capacity against recorded crime "
            "every quarter.",
        ],
        Judgement.PARTLY: [
            "Resourcing for exploitation work will be considered when next year's budget is set.",
        ],
    },
}

OPENING = (
    "Thank you for your letter of 11 October 2019 about modern slavery prosecutions. "
    "I am pleased to set out the response of {force}."
)

# Forces left overdue in the 2019 round with no reply at all (the samples add two holding replies).
SILENT_2019 = ("cleveland", "dyfed-powys")

REVIEWS_2019 = {
    "structures": (
        "Most forces route complex cases to a regional organised crime unit or a dedicated "
        "team, but the arrangements differ widely, and only some describe regular intelligence "
        "sharing with neighbouring forces.",
        "The structures and operational arrangements of forces still do not match the complex, "
        "organised nature of modern slavery. Because the crime ignores force boundaries, "
        "inconsistent arrangements make communication and intelligence sharing harder; the "
        "review of serious and organised crime should bring closer coordination and "
        "collaboration between forces.",
    ),
    "ancillary-orders": (
        "Forces report more Prevention and Risk Orders than before. Recording varies: some place "
        "every order on the Police National Database, others on local systems only, and few "
        "describe how compliance is checked.",
        "It is welcome that forces are making more use of ancillary orders, but there must be "
        "arrangements to enforce them and a national record every force can see. A Risk Order "
        "achieves nothing if no one knows it exists or enforces it.",
    ),
    "training": (
        "Almost every force relies on the College of Policing e-learning and on courses and "
        "advice from the Modern Slavery Police Transformation Unit, and several ask what will "
        "replace the Unit.",
        "The Modern Slavery Police Transformation Unit has given forces good guidance and "
        "excellent training. As the College of Policing takes this work on, it must have enough "
        "knowledgeable people to do it well.",
    ),
    "resourcing": (
        "Around half of the forces describe growth in their exploitation teams; several say "
        "demand is outgrowing capacity or defer the question to next year's budget.",
        "Modern slavery cases are complex and need proper investment from chief constables. No "
        "officer should hold back from uncovering serious crime for fear that there is no one "
        "to investigate it.",
    ),
}


@dataclass(frozen=True)
class DemoResult:
    created: bool
    rounds: list[Round]


def ensure_demo_users() -> dict:
    User = get_user_model()
    users = {}
    for username, (role, first, last) in DEMO_USERS.items():
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "is_staff": role == ADMIN},
        )
        user.groups.add(Group.objects.get(name=role))
        users[role] = user
    return users


def _sample_labels() -> dict[str, dict[str, str]]:
    with open(DATA / "sample_replies" / "labels.csv", newline="") as handle:
        return {row["force"]: row for row in csv.DictReader(handle)}


def _log_text_reply(letter, *, kind, received_on, from_name, text, filename, by, summary=""):
    document = check_document(text.encode(), filename=filename)
    return reply_log(
        letter=letter,
        kind=kind,
        received_on=received_on,
        channel=Reply.Channel.EMAIL,
        from_name=from_name,
        summary=summary,
        documents=[document],
        logged_by=by,
    )


def _signatory(text: str) -> tuple[str, str]:
    """The name and title that sign a sample reply (its last two lines)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-2], lines[-1]


def _composed_reply(force: Force, rng: random.Random) -> tuple[str, dict]:
    """A plausible full reply for a force, and the passages quoted for each theme."""
    numbers = {
        "force": force.name,
        "orders": rng.randint(2, 30),
        "risk_orders": rng.randint(0, 6),
        "officers": rng.randint(8, 40),
        "extra": rng.randint(2, 8),
    }
    paragraphs = [OPENING.format(**numbers)]
    codings = {}
    for theme_code, passages in THEME_PASSAGES.items():
        judgement = rng.choices(
            [Judgement.ADDRESSED, Judgement.PARTLY, Judgement.NOT_ADDRESSED], weights=[5, 3, 2]
        )[0]
        sentences = [s.format(**numbers) for s in passages.get(judgement, [])]
        if sentences:
            paragraphs.append(" ".join(sentences))
        codings[theme_code] = (judgement, sentences[:2])
    paragraphs.append("I hope this is helpful.\n\nYours sincerely\n\nChief Constable")
    return "\n\n".join(paragraphs), codings


def _load_figures() -> None:
    with open(DATA / "prosecution_figures.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            ProsecutionFigures.objects.update_or_create(
                force=None,
                year=int(row["year"]),
                defaults={
                    "period_start": row["period_start"],
                    "period_end": row["period_end"],
                    "recorded_crimes": int(row["recorded_crimes"]),
                    "suspects_charged": int(row["suspects_charged"]),
                    "defendants_prosecuted": int(row["defendants_prosecuted"]),
                    "defendants_convicted": int(row["defendants_convicted"]),
                    "part_year": bool(row["note"]),
                    "note": row["note"],
                    "source": row["source"],
                },
            )


def _name_sample_heads() -> None:
    for code in SAMPLE_RECEIVED:
        text = (DATA / "sample_replies" / f"{code}.txt").read_text()
        name, _ = _signatory(text)
        HeadOfForce.objects.filter(force__code=code, until__isnull=True, name="").update(
            name=name, since=date(2019, 1, 1)
        )


def _demo_force_emails() -> None:
    # Example addresses only: the demo must never email a real police force.
    for force in Force.objects.filter(email="").exclude(code="city-of-london"):
        force.email = f"chief.officer@{force.code}.police.example"
        force.save(update_fields=["email"])


def _round_2019(users: dict, themes: list[Theme]) -> Round:
    secretariat = users[SECRETARIAT]
    round_ = round_create(
        title="Modern slavery prosecutions: your force's response",
        reference_prefix="IASC/2019-10",
        body=ROUND_2019_BODY,
        themes=themes,
        created_by=secretariat,
    )
    round_issue(round=round_, issued_by=secretariat, issued_on=date(2019, 10, 11))
    letters = {letter.force.code: letter for letter in round_.letters.select_related("force")}
    themes_by_code = {theme.code: theme for theme in themes}
    labels = _sample_labels()

    for code, received_on in SAMPLE_RECEIVED.items():
        text = (DATA / "sample_replies" / f"{code}.txt").read_text()
        name, title = _signatory(text)
        holding = labels[code]["holding"] == "yes"
        reply = _log_text_reply(
            letters[code],
            kind=Reply.Kind.HOLDING if holding else Reply.Kind.FULL,
            received_on=received_on,
            from_name=f"{title} {name}",
            text=text,
            filename=f"{code}-reply.txt",
            by=secretariat,
        )
        for theme_code, theme in themes_by_code.items():
            judgement = labels[code][theme_code]
            coding_save(
                reply=reply,
                theme=theme,
                judgement=judgement,
                excerpts=SAMPLE_EXCERPTS.get(code, {}).get(theme_code, []),
                coded_by=secretariat,
            )
    letter_extend(
        letter=letters["gwent"],
        new_due_on=date(2019, 11, 29),
        reason="An audit of case files is under way; the Chief Constable promised a full reply.",
        agreed_with="Chief Constable Owain Treharne",
        granted_by=secretariat,
    )

    rng = random.Random(2019)  # noqa: S311 - reproducible demo data, not security
    others = [
        code for code in sorted(letters) if code not in SAMPLE_RECEIVED and code not in SILENT_2019
    ]
    for code in others:
        text, codings = _composed_reply(letters[code].force, rng)
        received_on = date(2019, 10, 25) + timedelta(days=rng.randint(0, 45))
        reply = _log_text_reply(
            letters[code],
            kind=Reply.Kind.FULL,
            received_on=received_on,
            from_name="Chief Constable",
            text=text,
            filename=f"{code}-reply.txt",
            by=secretariat,
        )
        for theme_code, (judgement, excerpts) in codings.items():
            coding_save(
                reply=reply,
                theme=themes_by_code[theme_code],
                judgement=judgement,
                excerpts=excerpts,
                coded_by=secretariat,
            )

    # The nightly job ran once, in November 2019, and then (in this story) not again.
    reminder_create(letter=letters[SILENT_2019[0]], today=date(2019, 11, 12))

    reviewed_at = timezone.make_aware(datetime(2020, 1, 31, 16, 0))
    for theme_code, (summary, observation) in REVIEWS_2019.items():
        ThemeReview.objects.create(
            round=round_,
            theme=themes_by_code[theme_code],
            summary=summary,
            summary_by=secretariat,
            summary_at=reviewed_at,
            observation=observation,
            observation_by=users[COMMISSIONER],
            observation_at=reviewed_at,
            reviewed_by=users[COMMISSIONER],
            reviewed_at=reviewed_at,
        )
    return round_


def _follow_up_round(users: dict, themes: list[Theme]) -> Round:
    """A round issued fifteen working days ago: most forces have not replied yet."""
    secretariat = users[SECRETARIAT]
    today = timezone.localdate()
    issued_on = today
    while add_working_days(issued_on, 15) > today:
        issued_on -= timedelta(days=1)
    round_ = round_create(
        title="Follow-up: ancillary orders and training",
        reference_prefix=f"IASC/{issued_on:%Y-%m}",
        body=FOLLOW_UP_BODY,
        themes=[theme for theme in themes if theme.code in ("ancillary-orders", "training")],
        created_by=secretariat,
    )
    round_issue(round=round_, issued_by=secretariat, issued_on=issued_on)
    letters = {letter.force.code: letter for letter in round_.letters.select_related("force")}
    received_on = min(today, issued_on + timedelta(days=7))
    for code in ("kent", "essex", "surrey", "lancashire", "merseyside"):
        _log_text_reply(
            letters[code],
            kind=Reply.Kind.FULL,
            received_on=received_on,
            from_name="Chief Constable",
            text=(
                f"Thank you for your letter. {letters[code].force.name} has obtained six Slavery "
                "and Trafficking Prevention Orders in the last twelve months, each recorded on "
                "the Police National Database on the day it was made. All frontline officers "
                "have completed the College of Policing e-learning on modern slavery."
            ),
            filename=f"{code}-follow-up.txt",
            by=secretariat,
        )
    for code in ("norfolk", "suffolk", "hampshire"):
        _log_text_reply(
            letters[code],
            kind=Reply.Kind.HOLDING,
            received_on=received_on,
            from_name="Staff officer to the Chief Constable",
            text="Thank you for your letter, which the Chief Constable will answer in full soon.",
            filename=f"{code}-holding.txt",
            by=secretariat,
        )
    letter_extend(
        letter=letters["hampshire"],
        new_due_on=add_working_days(letters["hampshire"].due_on, 10),
        reason="Figures for the year are being checked by the force's analysts.",
        agreed_with="Staff officer to the Chief Constable",
        granted_by=secretariat,
    )
    return round_


def _demo_addressee(users: dict) -> None:
    """The Minister the 2019 round's findings go to (a made-up name, the real office)."""
    Addressee.objects.get_or_create(
        name="The Rt Hon Jo Harland MP",
        position="Minister of State for Crime, Policing and the Fire Service",
        organisation="House of Commons",
        defaults={
            "address": "London\nSW1A 0AA",
            "salutation": "Dear Minister",
            "created_by": users[COMMISSIONER],
        },
    )


@transaction.atomic
def load_demo() -> DemoResult:
    """Build the demo once; running it again changes nothing."""
    if Round.objects.filter(reference_prefix="IASC/2019-10").exists():
        return DemoResult(created=False, rounds=list(Round.objects.all()))
    users = ensure_demo_users()
    themes = list(Theme.objects.filter(active=True))
    _load_figures()
    _name_sample_heads()
    _demo_force_emails()
    rounds = [_round_2019(users, themes), _follow_up_round(users, themes)]
    _demo_addressee(users)
    return DemoResult(created=True, rounds=rounds)
