"""Thin views: check access, call the form and services.py, render."""
import hashlib
import json
import secrets

from django.conf import settings
from django.contrib import messages
from django.core.signing import BadSignature
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from agenda.cache import cached_until_agenda_changes
from agenda.calendar import build_calendar
from agenda.decorators import event_view
from registrations import documents, extensions, ratelimit, services
from registrations.emails import my_agenda_name
from registrations.forms import (
    ChangeSessionsForm, DetailsForm, InvitationForm, LinkRequestForm, RegistrationForm, bookable_sessions,
)
from registrations.questions import answers_in_words
from registrations.models import Booking, Invitation, Registration


SIGNUP_COOKIE = "s3days-signup"
BROWSER_COOKIE = "s3days-browser"


def too_many_requests(request, event):
    return render(request, "429.html", {"event": event}, status=429)


def registration_closed(request, event):
    return render(request, "registrations/closed.html", {"event": event, "state": event.registration_state()})


@event_view
def privacy(request, event):
    return render(request, "registrations/privacy.html", {"event": event})


def blank_form_html(event, session=None):
    """The empty sign-up form, with `session` ticked if one is given (a "Register" link of that
    session), rendered at most once every few seconds: it is the costliest part of the page
    (crispy templates, every country, every session), and its only live content, the seat
    counts, may be that old. The CSRF token is outside it, in the page."""
    initial = {"sessions": [session.pk]} if session else None
    return cached_until_agenda_changes(
        f"signup-form:{event.pk}" + (f":session-{session.pk}" if session else ""),
        lambda: render_to_string("registrations/_form_fields.html", {"form": RegistrationForm(event, initial=initial)}),
    )


def session_asked_for(request, event):
    """The bookable session named by ?session=<slug>, if any (anything else is ignored: one
    cached form per bookable session at most)."""
    slug = request.GET.get("session")
    return next((session for session in bookable_sessions(event) if session.slug == slug), None) if slug else None


def browser_cookie(request):
    """This browser's random BROWSER_COOKIE, made up if it has none yet. Its hash tells
    services.register that a second sign-up for an address comes from the browser that made
    the first (a double click, the back button)."""
    return request.COOKIES.get(BROWSER_COOKIE) or secrets.token_urlsafe(32)


def hashed(value):
    return hashlib.sha256(value.encode()).hexdigest()


def private_cookie(event):
    """Options of our cookies: this event's pages only, out of reach of scripts, for an hour
    (as long as services.SAME_BROWSER_FOR)."""
    return {
        "max_age": int(services.SAME_BROWSER_FOR.total_seconds()), "httponly": True, "samesite": "Lax",
        "secure": settings.SESSION_COOKIE_SECURE, "path": f"/{event.slug}/",
    }


@event_view
def register(request, event):
    if event.registration_state() != "open":
        return registration_closed(request, event)
    if event.invitation_only:
        return render(request, "registrations/by_invitation.html", {"event": event})
    form_html = None
    if request.method == "POST":
        if ratelimit.exceeded(request, "register", email=request.POST.get("email", "")):
            return too_many_requests(request, event)
        form = RegistrationForm(event, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            browser = browser_cookie(request)
            try:
                registration, created, places = services.register(
                    event,
                    details={**form.details(), "language": translation.get_language()},
                    platforms=data["platforms"],
                    partnerships=data["partnerships"],
                    sessions=data["sessions"],
                    listed=data["listed"],
                    browser=hashed(browser),
                    answers=form.answers(),
                )
            except services.OptionFull as full:
                form.add_error(full.question.field_name, str(full))
            else:
                if created:
                    extensions.signed_up(registration, data)  # e.g. networking's opt-in
                # The next page shows what was typed and the places services.register returned. A
                # signed cookie carries them: the web process keeps no state and writes no row.
                signup = {
                    "first_name": data["first_name"],
                    "email": data["email"],
                    "places": [[session_id, *place] for session_id, place in places.items()],
                }
                response = redirect("registrations:registered", event.slug)
                response.set_signed_cookie(SIGNUP_COOKIE, json.dumps(signup), salt=SIGNUP_COOKIE, **private_cookie(event))
                response.set_cookie(BROWSER_COOKIE, browser, **private_cookie(event))
                return response
        form_html = render_to_string("registrations/_form_fields.html", {"form": form})
    has_errors = form_html is not None  # a POST that did not validate
    form_html = form_html or blank_form_html(event, session_asked_for(request, event))
    context = {"event": event, "form_html": form_html, "has_errors": has_errors}
    response = render(request, "registrations/register.html", context)
    response.set_cookie(BROWSER_COOKIE, browser_cookie(request), **private_cookie(event))
    return response


def signup_from_cookie(request):
    # The signature carries its time: a copied cookie stops working with the hour it was made for
    # (the browser's own expiry is the browser's to keep). SignatureExpired is a BadSignature.
    try:
        signup = json.loads(
            request.get_signed_cookie(SIGNUP_COOKIE, salt=SIGNUP_COOKIE, max_age=services.SAME_BROWSER_FOR)
        )
    except (KeyError, ValueError, BadSignature):
        return None
    return signup if isinstance(signup, dict) and {"first_name", "email", "places"} <= signup.keys() else None


@never_cache
@event_view
def registered(request, event):
    signup = signup_from_cookie(request)
    if signup is None:
        return redirect("registrations:register", event.slug)
    places = {pk: services.Place(status, position) for pk, status, position in signup["places"]}
    sessions = [session for session in bookable_sessions(event) if session.pk in places]  # cached
    if len(sessions) < len(places):  # one was closed to booking since
        sessions = list(event.sessions.filter(pk__in=places).select_related("room").order_by("starts_at", "title"))
    for session in sessions:
        session.place = places[session.pk]
    context = {
        "event": event,
        "signup": signup,
        "confirmed": [session for session in sessions if session.place.status == Booking.Status.CONFIRMED],
        "held": [session for session in sessions if session.place.status == Booking.Status.HELD],
        "waitlisted": [session for session in sessions if session.place.status == Booking.Status.WAITLISTED],
    }
    return render(request, "registrations/registered.html", context)


@event_view
def request_link(request, event):
    form = LinkRequestForm(event, request.POST or None)
    if request.method == "POST":
        if ratelimit.exceeded(request, "link", email=request.POST.get("email", "")):
            return too_many_requests(request, event)
        if form.is_valid():
            services.send_private_link(event, form.cleaned_data["email"])
            return render(request, "registrations/link_sent.html", {"event": event, "email": form.cleaned_data["email"]})
    return render(request, "registrations/request_link.html", {"event": event, "form": form})


def active_registration(event, token):
    """The registration the private link opens: one that is in, or awaits the organisers'
    approval (an address not confirmed yet has no private link)."""
    return get_object_or_404(
        Registration.objects.select_related("event"), event=event, token=token,
        status__in=[Registration.Status.ACTIVE, Registration.Status.PENDING],
    )


def render_manage(request, event, registration, form, status=200):
    context = {
        "event": event,
        "registration": registration,
        "bookings": list(registration.bookings.live()),
        "platforms": registration.platforms.all(),
        "answers": answers_in_words(registration),
        "form": form,
        "can_change": event.registration_state() == "open",
        "extra_sections": extensions.sections_for(registration, request),  # e.g. networking's meetings
    }
    return render(request, "registrations/manage.html", context, status=status)


@never_cache
@event_view
def manage(request, event, token):
    registration = active_registration(event, token)
    return render_manage(request, event, registration, ChangeSessionsForm(event, registration))


@never_cache
@require_POST
@event_view
def change_sessions(request, event, token):
    registration = active_registration(event, token)
    if event.registration_state() != "open":
        return registration_closed(request, event)
    if ratelimit.exceeded(request, "change"):
        return too_many_requests(request, event)
    form = ChangeSessionsForm(event, registration, request.POST)
    if not form.is_valid():
        return render_manage(request, event, registration, form)
    try:
        services.change_sessions(registration, form.cleaned_data["sessions"])
    except services.ClashesWithCommitment as clash:
        for session, what in clash.clashes:
            form.add_error("sessions", _("“%(session)s” is at the time of %(what)s: cancel that first, or choose "
                                         "another session.") % {"session": session.title, "what": what})
        return render_manage(request, event, registration, form)
    messages.success(request, _("Your sessions are saved. An email with the details is on its way."))
    return redirect(registration)


@never_cache
@event_view
def details(request, event, token):
    """The participant corrects their own details; each change is confirmed by email."""
    registration = active_registration(event, token)
    form = DetailsForm(event, registration, request.POST or None)
    if request.method == "POST":
        if ratelimit.exceeded(request, "change"):
            return too_many_requests(request, event)
        if form.is_valid():
            data = form.cleaned_data
            try:
                changed = services.update_details(
                    registration,
                    details={name: value for name, value in form.details().items() if name != "email"},
                    platforms=data["platforms"], partnerships=data["partnerships"], listed=data["listed"],
                    answers=form.answers(), email=data["email"],
                )
            except services.OptionFull as full:
                form.add_error(full.question.field_name, str(full))
            except services.TooManyAddressChanges:
                form.add_error("email", _("You have asked for several new addresses within the hour: please try "
                                          "again later, or write to the organisers."))
            else:
                if "new_email" in changed:
                    messages.success(request, _("We have sent a link to %(email)s: your address changes once you "
                                                "open it.") % {"email": data["email"]})
                messages.success(request, _("Your details are saved. An email confirms the change.") if changed
                                 else _("Nothing has changed."))
                return redirect(registration)
    context = {"event": event, "registration": registration, "form": form}
    return render(request, "registrations/details.html", context)


@never_cache
@event_view
def confirm_email(request, event, key):
    """The link sent to a new address: a button (a mail scanner opening the link changes
    nothing), which replaces the registration's address."""
    if request.method == "POST":
        try:
            registration = services.confirm_new_email(event, key)
        except services.EmailNotConfirmed as refused:
            return render(request, "registrations/confirm_email.html", {"event": event, "error": str(refused)}, status=400)
        messages.success(request, _("Your email address is changed. We write to you there from now on."))
        return redirect(registration)
    return render(request, "registrations/confirm_email.html", {"event": event})


@never_cache
@require_POST
@event_view
def change_language(request, event, token):
    """The language of the participant's emails, calendars and documents; the page follows."""
    registration = active_registration(event, token)
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Please choose one of the languages offered."))
        return redirect(registration)
    services.set_language(registration, language)
    with translation.override(language):
        messages.success(request, _("From now on we will write to you in this language."))
    response = redirect(registration)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return response


@never_cache
@event_view
def cancel_booking(request, event, token, booking_id):
    registration = active_registration(event, token)
    booking = get_object_or_404(
        registration.bookings.select_related("session").exclude(status=Booking.Status.CANCELLED), pk=booking_id
    )
    if request.method == "POST":
        services.cancel_booking(booking)
        messages.success(request, _("You have given up your place in “%(session)s”.") % {"session": booking.session.title})
        return redirect(registration)
    return render(
        request, "registrations/cancel_booking.html", {"event": event, "registration": registration, "booking": booking}
    )


@never_cache
@event_view
def cancel_registration(request, event, token):
    registration = active_registration(event, token)
    if request.method == "POST":
        services.cancel(registration)
        return render(request, "registrations/cancelled.html", {"event": event})
    return render(request, "registrations/cancel_registration.html", {"event": event, "registration": registration})


@event_view
def my_agenda_ics(request, event, token):
    registration = active_registration(event, token)
    sessions = [booking.session for booking in registration.bookings.live().filter(status=Booking.Status.CONFIRMED)]
    with translation.override(registration.language):  # a calendar of theirs, in their language
        calendar = build_calendar(event, sessions, my_agenda_name(event), extensions.calendar_events_for(registration))
    response = HttpResponse(calendar, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-agenda.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@event_view
def ticket_pdf(request, event, token):
    """The participant's ticket (QR code for the door, sessions), once they are admitted."""
    registration = active_registration(event, token)
    if not registration.is_admitted:
        raise Http404("Not admitted yet.")
    return documents.pdf_response(documents.ticket_pdf(registration), f"{event.slug}-ticket.pdf")


@event_view
def certificate_pdf(request, event, token):
    """A certificate of attendance, for someone checked in."""
    registration = active_registration(event, token)
    if not registration.checked_in_at:
        raise Http404("Not checked in.")
    return documents.pdf_response(documents.certificate_pdf(registration), f"{event.slug}-certificate.pdf")


@never_cache
@event_view
def verify(request, event, key):
    """The link of the verification email: a button (a mail scanner opening the link changes
    nothing), which confirms the address."""
    registration = Registration.objects.filter(event=event, verification_key=key).first() if key else None
    if registration is None:
        return render(request, "registrations/verify.html", {"event": event, "state": "unknown"}, status=404)
    if request.method == "POST":
        registration = services.verify(registration)
        if registration.has_ended:  # too late: the seats went to those waiting
            return render(request, "registrations/verify.html", {"event": event, "state": "expired"}, status=410)
        if registration.status == Registration.Status.PENDING:
            messages.success(request, _("Thank you: your address is confirmed. Your registration now awaits the "
                                        "organisers' approval; we will email you."))
        else:
            messages.success(request, _("Thank you: your address is confirmed and your seats are yours. An email "
                                        "with your private link is on its way."))
        return redirect(registration)
    return render(request, "registrations/verify.html", {"event": event, "state": "ask"})


def open_invitation(event, token):
    return get_object_or_404(Invitation.objects.select_related("event"), event=event, token=token)


@never_cache
@event_view
def invitation(request, event, token):
    """An invitee's own sign-up form: name and address filled in, the address fixed; no
    approval or verification needed."""
    invitation = open_invitation(event, token)
    if invitation.status != Invitation.Status.INVITED:
        return render(request, "registrations/invitation_used.html", {"event": event, "invitation": invitation})
    if event.registration_state() != "open":
        return registration_closed(request, event)
    form = InvitationForm(event, invitation, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration, created, _places = services.register(
                event, details={**form.details(), "language": translation.get_language()},
                platforms=data["platforms"], partnerships=data["partnerships"], sessions=data["sessions"],
                listed=data["listed"], answers=form.answers(), invitation=invitation,
            )
        except services.OptionFull as full:
            form.add_error(full.question.field_name, str(full))
        else:
            if not created:  # registered before: their private link goes to their address, not to this page
                invitation.refresh_from_db()
                return render(request, "registrations/invitation_used.html", {"event": event, "invitation": invitation})
            extensions.signed_up(registration, data)
            messages.success(request, _("Thank you: you are registered. An email with the details is on its way."))
            return redirect(registration)
    context = {"event": event, "invitation": invitation, "form": form, "has_errors": bool(form.errors)}
    return render(request, "registrations/invitation.html", context)


@never_cache
@event_view
def decline_invitation(request, event, token):
    invitation = open_invitation(event, token)
    if request.method == "POST" and invitation.status == Invitation.Status.INVITED:
        services.decline_invitation(invitation)
        invitation.refresh_from_db()
    return render(request, "registrations/decline_invitation.html", {"event": event, "invitation": invitation})
