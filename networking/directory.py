"""Who a participant can find: the directory's search, and suggestions of complementary people
(their offers match what one looks for; other platforms and regions first)."""
import re

from django.db.models import Q
from django.utils.translation import gettext as _

from networking.models import Meeting, Profile

SUGGESTIONS = 6
KEYWORDS = 8  # of what one looks for, matched against others' offers
# Words that say nothing about a field, in the event's three languages; shorter words are left out anyway.
COMMON_WORDS = {
    "with", "from", "that", "this", "have", "looking", "look", "find", "some", "other", "about", "into", "also",
    "more", "their", "them", "they", "your", "would", "like", "people", "partners", "partner",
    "para", "como", "sobre", "entre", "busco", "buscamos", "otros", "otras", "nuestro", "nuestra",
    "eta", "edo", "bila", "baita",
}
MAX_WORDS = 5


def listed_profiles(event, viewer):
    """Profiles the viewer may see in the directory, with what the list shows, in one query
    each for the rows and their platforms."""
    return (
        Profile.objects.listed_to_participants(event)
        .exclude(registration=viewer)
        .select_related("registration")
        .prefetch_related("registration__platforms")
        .order_by("registration__last_name", "registration__first_name", "pk")
    )


def search(profiles, filters):
    """The profiles that pass the directory's filters (DirectoryForm.filters())."""
    if platform := filters.get("platform"):
        profiles = profiles.filter(registration__platforms__slug=platform)
    if partnership := filters.get("partnership"):
        profiles = profiles.filter(registration__partnerships=partnership)
    if country := filters.get("country"):
        profiles = profiles.filter(registration__country=country)
    if region := filters.get("region"):
        profiles = profiles.filter(registration__region=region)
    if stakeholder_type := filters.get("stakeholder_type"):
        profiles = profiles.filter(registration__stakeholder_type=stakeholder_type)
    for word in filters.get("q", "").split()[:MAX_WORDS]:
        profiles = profiles.filter(
            Q(registration__first_name__icontains=word) | Q(registration__last_name__icontains=word)
            | Q(registration__organisation__icontains=word) | Q(about__icontains=word)
            | Q(expertise__icontains=word) | Q(offers__icontains=word) | Q(looking_for__icontains=word)
        )
    return profiles.distinct() if filters.get("platform") or filters.get("partnership") else profiles


def keywords(text):
    """The words of `text` worth matching: four letters or more, not common ones, at most KEYWORDS."""
    found = []
    for word in re.findall(r"\w{4,}", text.lower()):
        if word not in COMMON_WORDS and word not in found:
            found.append(word)
    return found[:KEYWORDS]


def suggestions(event, viewer, viewer_profile):
    """[(profile, why)] of up to SUGGESTIONS people: those whose offers hold most of the words
    the viewer looks for, then those of no platform of the viewer's, then those of another region.
    Someone matching no word is suggested only for joining another platform.

    Ranked in Python from one light query (a row per person and platform): a SQL expression
    with a CASE per word costs more to compile than this takes to run."""
    words = keywords(viewer_profile.looking_for if viewer_profile else "")
    my_platforms = list(viewer.platforms.all())
    my_platform_ids = {platform.pk for platform in my_platforms}
    people = {}
    # Nobody one has already asked, met or been declined by, nor anyone who takes no requests.
    already = Meeting.objects.filter(Q(requester=viewer_profile) | Q(invitee=viewer_profile)).values_list(
        "requester_id", "invitee_id") if viewer_profile and viewer_profile.pk else []
    rows = listed_profiles(event, viewer).prefetch_related(None).filter(accepts_requests=True).exclude(
        pk__in={pk for pair in already for pk in pair}).values_list(
        "pk", "offers", "registration__country", "registration__region", "registration__region_other",
        "registration__last_name", "registration__platforms")
    my_place = place_key(viewer.country, viewer.region, viewer.region_other)
    for pk, offers, country, region, region_other, last_name, platform_id in rows:
        person = people.setdefault(pk, {"offers": offers.lower(), "place": place_key(country, region, region_other),
                                        "name": last_name.lower(), "shares_a_platform": False})
        person["shares_a_platform"] |= platform_id in my_platform_ids
    ranked = []
    for pk, person in people.items():
        matches = sum(1 for word in words if word in person["offers"])
        if matches or not person["shares_a_platform"]:
            other_region = not (my_place and person["place"] == my_place)
            ranked.append((-matches, person["shares_a_platform"], not other_region, person["name"], pk))
    chosen = [pk for *_rank, pk in sorted(ranked)[:SUGGESTIONS]]
    found = listed_profiles(event, viewer).in_bulk(chosen)
    return [(found[pk], why(found[pk], words, my_platforms, viewer)) for pk in chosen if pk in found]


def place_key(country, region, region_other):
    """Where someone is from, as the staff page counts regions: the NUTS code, or the place they
    typed (case-folded) within their country; "" for nowhere given."""
    if region:
        return region
    return f"{country}:{region_other.casefold().strip()}" if region_other.strip() else ""


def why(profile, words, my_platforms, viewer):
    """One line saying why this person is suggested."""
    reasons = []
    offered = [word for word in words if word in profile.offers.lower()]
    if offered:
        reasons.append(_("offers %(words)s, which you look for") % {"words": ", ".join(f"“{word}”" for word in offered)})
    theirs = [platform for platform in profile.registration.platforms.all() if platform not in my_platforms]
    if theirs and my_platforms:
        reasons.append(_("%(theirs)s and your %(yours)s") % {
            "theirs": ", ".join(platform.name for platform in theirs),
            "yours": ", ".join(platform.name for platform in my_platforms)})
    registration = profile.registration
    theirs = place_key(registration.country, registration.region, registration.region_other)
    if not theirs or theirs != place_key(viewer.country, viewer.region, viewer.region_other):
        place = registration.region_name or registration.country.name
        if place:
            reasons.append(_("from another region: %(region)s") % {"region": place})
    return " · ".join(reasons)
