"""The codebook's first four themes (from the 2019 round) and the office's three roles."""

from django.db import migrations

# code, name, question, keywords
THEMES = [
    (
        "structures",
        "Structures and coordination",
        "Do the force's structures and operational arrangements reflect the complex, organised and "
        "cross-border nature of modern slavery, and how does it share intelligence and coordinate with "
        "other forces and regions?",
        "structure;structures;dedicated team;regional;ROCU;coordination;collaboration;intelligence "
        "sharing;organised crime;serious and organised;SPOC;single point of contact;governance;tasking",
    ),
    (
        "ancillary-orders",
        "Ancillary orders",
        "How does the force seek, record, monitor and enforce Slavery and Trafficking Prevention Orders "
        "and Risk Orders, and can other forces see them?",
        "ancillary order;prevention order;risk order;STPO;STRO;interim order;PND;police national "
        "database;ViSOR;breach;enforce;monitoring",
    ),
    (
        "training",
        "Training and guidance",
        "What training and guidance do officers and staff receive on modern slavery and human "
        "trafficking, and who provides it now and in future?",
        "training;trained;guidance;College of Policing;Modern Slavery Police Transformation "
        "Unit;MSPTU;e-learning;CPD;awareness;first responder;NRM;National Referral Mechanism",
    ),
    (
        "resourcing",
        "Resourcing and investment",
        "Is the force investing enough people and money for officers to investigate modern slavery "
        "without fear of uncovering crime they cannot resource?",
        "resource;resources;resourcing;funding;investment;capacity;demand;officers;staff;uplift;budget;detectives",
    ),
]

ROLES = ["Secretariat", "Commissioner", "Admin"]


def add_themes_and_roles(apps, schema_editor):
    Theme = apps.get_model("letters", "Theme")
    Group = apps.get_model("auth", "Group")
    for order, (code, name, question, keywords) in enumerate(THEMES, start=1):
        Theme.objects.get_or_create(
            code=code,
            defaults={"name": name, "question": question, "keywords": keywords, "order": order},
        )
    for role in ROLES:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [("letters", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(add_themes_and_roles, migrations.RunPython.noop)]
