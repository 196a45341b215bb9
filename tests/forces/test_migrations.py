from django.contrib.auth.models import Group

from forces.models import Force, HeadOfForce
from letters.models import Theme


def test_the_43_forces_exist_after_migrate_with_region_and_country(db):
    assert Force.objects.count() == 43
    assert Force.objects.filter(country="Wales").count() == 4
    gwent = Force.objects.get(code="gwent")
    assert (gwent.region, gwent.country, gwent.short_code) == ("Wales", "Wales", "GWE")
    assert gwent.domains.get().domain == "gwent.police.uk"


def test_every_force_has_one_current_head_titled_for_its_office(db):
    heads = HeadOfForce.objects.filter(until__isnull=True)
    assert heads.count() == 43
    commissioners = set(heads.filter(title="Commissioner").values_list("force__code", flat=True))
    assert commissioners == {"metropolitan", "city-of-london"}
    assert heads.get(force__code="kent").salutation == "Dear Chief Constable"
    assert heads.get(force__code="metropolitan").salutation == "Dear Commissioner"


def test_the_codebook_and_roles_exist_after_migrate(db):
    assert list(Theme.objects.values_list("code", flat=True)) == [
        "structures",
        "ancillary-orders",
        "training",
        "resourcing",
    ]
    assert "STPO" in Theme.objects.get(code="ancillary-orders").keyword_list
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Secretariat",
        "Commissioner",
        "Admin",
    }
