"""Networking pages under the private link (the participant's key), and the public list.
Thin: check access, call the form and services.py, render."""
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_countries.fields import Country

from agenda.cache import cached_until_agenda_changes
from agenda.decorators import event_view
from networking import directory, services
from networking.forms import DirectoryForm, MeetingRequestForm, ProfileForm
from networking.models import Meeting, Profile
from registrations import ratelimit
from registrations.views import active_registration, too_many_requests

PEOPLE_PER_PAGE = 30
PUBLIC_PER_PAGE = 100


def networking_view(view):
    """An event_view that exists only while the event has matchmaking on."""

    @event_view
    def wrapper(request, event, *args, **kwargs):
        if not event.matchmaking:
            raise Http404("No networking at this event.")
        return view(request, event, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


BIGGEST_ID = 2**63 - 1  # PostgreSQL's bigint: a longer number in the URL is no row, not an error


def row_id(value):
    if value > BIGGEST_ID:
        raise Http404("No such row.")
    return value


def admitted(request, event, token):
    """(registration, None), or (None, response) for someone not admitted yet (awaiting approval):
    the directory shows other people, so only those in may read it."""
    registration = active_registration(event, token)
    if registration.is_admitted:
        return registration, None
    messages.info(request, _("The directory of participants opens once your registration is approved."))
    return None, redirect(registration)


def own_profile(registration):
    """The participant's profile, without making one: a hidden profile is what having none means."""
    return Profile.objects.filter(registration=registration).first() or Profile(registration=registration)


@never_cache
@networking_view
def profile(request, event, token):
    registration = active_registration(event, token)
    mine = own_profile(registration)
    action = reverse("networking:profile", args=[event.slug, token])
    form = ProfileForm(request.POST or None, instance=mine, action=action)
    if request.method == "POST":
        if ratelimit.exceeded(request, "change"):
            return too_many_requests(request, event)
        if form.is_valid():
            if mine.pk is None:
                mine = services.profile_of(registration)
            services.save_profile(mine, **form.cleaned_data)
            messages.success(request, _("Your profile is saved."))
            return redirect(action)
    context = {"event": event, "registration": registration, "form": form, "profile": mine}
    return render(request, "networking/profile.html", context)


@never_cache
@networking_view
def people(request, event, token):
    registration, elsewhere = admitted(request, event, token)
    if elsewhere:
        return elsewhere
    mine = own_profile(registration)
    listed = directory.listed_profiles(event, registration)
    if request.GET:
        form = search_form(event, request.GET)
        filters = form.filters()
        form_html = render_to_string("networking/_search_form.html", {"form": form})
    else:
        filters = {}
        # The same for every participant: made at most every few seconds (the countries and
        # regions offered may be that old), like the sign-up form.
        form_html = cached_until_agenda_changes(
            f"networking:search-form:{event.pk}",
            lambda: render_to_string("networking/_search_form.html", {"form": search_form(event, None)}))
    page = Paginator(directory.search(listed, filters), PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "event": event, "registration": registration, "profile": mine, "form_html": form_html, "page": page,
        "suggestions_html": "" if filters else suggestions_html(request, event, registration, mine),
        "filtered": bool(filters),
        "query": query_without_page(request),
    }
    return render(request, "networking/people.html", context)


def search_form(event, data):
    """The directory's search, offering the countries and regions of the people listed."""
    places = set(Profile.objects.listed_to_participants(event).order_by().values_list(
        "registration__country", "registration__region").distinct())
    return DirectoryForm(data, countries=countries_named({country for country, _region in places}),
                         region_codes={region for _country, region in places} - {""})


# Suggestions are the costliest part of the directory, the busiest networking page; suggestions
# a minute old are as good as fresh ones. Only who and why are kept: the people are read again on
# every request, so someone who hides their profile or leaves is gone at once. The key changes
# with the viewer's profile and language.
SUGGESTIONS_FOR = 60


def suggestions_html(request, event, registration, mine):
    edited = int(mine.updated_at.timestamp()) if mine.pk else 0
    key = f"networking:suggestions:{registration.pk}:{translation.get_language()}:{edited}"
    chosen = cache.get(key)
    if chosen is None:
        chosen = [(profile.pk, why) for profile, why in directory.suggestions(event, registration, mine)]
        cache.set(key, chosen, SUGGESTIONS_FOR)
    still_listed = directory.listed_profiles(event, registration).in_bulk([pk for pk, _why in chosen])
    context = {"event": event, "registration": registration, "profile": mine,
               "suggestions": [(still_listed[pk], why) for pk, why in chosen if pk in still_listed]}
    return render_to_string("networking/_suggestions.html", context, request=request)


def countries_named(codes):
    return [Country(code) for code in codes if code]


def query_without_page(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@never_cache
@networking_view
def person(request, event, token, profile_id):
    registration, elsewhere = admitted(request, event, token)
    if elsewhere:
        return elsewhere
    shown = get_object_or_404(
        directory.listed_profiles(event, registration).prefetch_related("registration__partnerships"),
        pk=row_id(profile_id))
    mine = own_profile(registration)
    action = reverse("networking:person", args=[event.slug, token, shown.pk])
    form = MeetingRequestForm(request.POST or None, action=action)
    between = Q(requester=shown, invitee_id=mine.pk) | Q(requester_id=mine.pk, invitee=shown)
    existing = Meeting.objects.filter(between, status__in=Meeting.OPEN).first() if mine.pk else None
    if request.method == "POST":
        if ratelimit.exceeded(request, "change"):
            return too_many_requests(request, event)
        if form.is_valid():
            try:
                services.request_meeting(mine if mine.pk else services.profile_of(registration), shown,
                                         form.cleaned_data["message"])
            except services.MeetingRefused as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("Your request is sent. We will email you the answer."))
                return redirect("networking:meetings", event.slug, token)
    context = {"event": event, "registration": registration, "shown": shown, "profile": mine, "form": form,
               "existing": existing}
    return render(request, "networking/person.html", context)


@never_cache
@networking_view
def meetings(request, event, token):
    registration = active_registration(event, token)
    mine = own_profile(registration)
    everything = list(
        Meeting.objects.filter(Q(requester__registration=registration) | Q(invitee__registration=registration))
        .select_related("requester__registration", "invitee__registration", "slot__room")
        .order_by("-created_at", "-pk")
    ) if mine.pk else []
    for meeting in everything:
        meeting.mine_sent = meeting.requester.registration_id == registration.pk
        meeting.other = meeting.invitee if meeting.mine_sent else meeting.requester
    accepted = sorted((meeting for meeting in everything if meeting.status == Meeting.Status.ACCEPTED),
                      key=lambda meeting: meeting.slot.starts_at)
    context = {
        "event": event, "registration": registration, "profile": mine,
        "accepted": accepted,
        "received": [meeting for meeting in everything if meeting.status == Meeting.Status.REQUESTED
                     and not meeting.mine_sent],
        "sent": [meeting for meeting in everything if meeting.status == Meeting.Status.REQUESTED and meeting.mine_sent],
        "closed": [meeting for meeting in everything if meeting.status not in Meeting.OPEN],
        "open_requests_cap": services.OPEN_REQUESTS_PER_PERSON,
    }
    return render(request, "networking/meetings.html", context)


ANSWERS = {"accept", "decline", "cancel"}


@never_cache
@require_POST
@networking_view
def answer(request, event, token, meeting_id, action):
    """Accept or decline a request received; cancel a request sent or a meeting (either person)."""
    registration = active_registration(event, token)
    if action not in ANSWERS:
        raise Http404("No such answer.")
    mine = Q(requester__registration=registration) | Q(invitee__registration=registration)
    meeting = get_object_or_404(Meeting.objects.filter(mine).select_related(
        "requester__registration", "invitee__registration"), pk=row_id(meeting_id))
    is_invitee = meeting.invitee.registration_id == registration.pk
    try:
        if action == "accept" and is_invitee:
            meeting = services.accept(meeting)
            messages.success(request, _("Meeting accepted: table %(table)s, %(room)s. We have emailed you both.") % {
                "table": meeting.table, "room": meeting.slot.room.name})
        elif action == "decline" and is_invitee:
            services.decline(meeting)
            messages.success(request, _("You have declined the request. We have told the other person."))
        elif action == "cancel":
            services.cancel(meeting, by=meeting.invitee if is_invitee else meeting.requester)
            messages.success(request, _("Cancelled. We have told the other person."))
        else:
            messages.error(request, _("Only the person asked can accept or decline a request."))
    except services.MeetingRefused as refused:
        messages.error(request, str(refused))
    return redirect("networking:meetings", event.slug, token)


@networking_view
def participants(request, event):
    """The public list: people who chose a public profile; name, organisation and country only."""
    public = (Profile.objects.public(event).select_related("registration")
              .only("registration__first_name", "registration__last_name", "registration__organisation",
                    "registration__country")
              .order_by("registration__last_name", "registration__first_name", "pk"))
    page = Paginator(public, PUBLIC_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "networking/participants.html", {"event": event, "page": page})
