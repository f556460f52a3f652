"""The staff pages: attendee CSVs, the session overview with the organisers' numbers,
printable sign-in sheets, and check-in at the door. Staff log in through the admin."""
import functools
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Prefetch, Q, When
from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from agenda.decorators import event_view
from agenda.models import Platform
from registrations import admission, documents, exports, services, stats
from registrations.inputs import digits, plain_text
from registrations.models import Arrival, Booking, Registration


def staff_only(permission):
    """Anonymous: to the login page. Logged in without `permission`: 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return never_cache(wrapper)

    return decorator


def csv_response(event, registrations, filename, delimiter=","):
    response = StreamingHttpResponse(exports.csv_rows(event, registrations, delimiter),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(event, registrations, filename):
    return FileResponse(exports.xlsx_file(event, registrations), as_attachment=True, filename=filename,
                        content_type=XLSX)


def export_filters(request, event):
    """(session, platform, status) from ?session=, ?platform=, ?status=, or a 400 response."""
    session = platform = None
    if slug := request.GET.get("session"):
        session = event.sessions.filter(slug=slug).first()
        if session is None:
            return HttpResponseBadRequest(_("No session %(slug)r in this event.") % {"slug": slug}, content_type="text/plain")
    if slug := request.GET.get("platform"):
        platform = Platform.objects.filter(slug=slug).first()
        if platform is None:
            return HttpResponseBadRequest(_("No platform %(slug)r.") % {"slug": slug}, content_type="text/plain")
    status = request.GET.get("status") or None
    if status not in (None, *Booking.Status.values):
        return HttpResponseBadRequest(_("status is confirmed, held, waitlisted or cancelled."), content_type="text/plain")
    return session, platform, status


def attendee_list(request, event, extension):
    """The attendee list the filters select, as a file; CSV takes ?delimiter=semicolon for
    Excel in locales with a decimal comma."""
    filters = export_filters(request, event)
    if isinstance(filters, HttpResponseBadRequest):
        return filters
    registrations = exports.attendees(event, *filters)
    name = exports.file_name(event, *filters, extension=extension)
    if extension == "xlsx":
        return xlsx_response(event, registrations, name)
    return csv_response(event, registrations, name, ";" if request.GET.get("delimiter") == "semicolon" else ",")


@staff_only("registrations.export_attendees")
@event_view
def attendees_csv(request, event):
    return attendee_list(request, event, "csv")


@staff_only("registrations.export_attendees")
@event_view
def attendees_xlsx(request, event):
    return attendee_list(request, event, "xlsx")


@staff_only("registrations.view_registration")
@event_view
def staff_home(request, event):
    sessions = list(event.sessions.select_related("room").with_seat_counts().order_by("starts_at", "title"))
    context = {
        "event": event,
        "sessions": sessions,
        "numbers": stats.event_numbers(event, sessions),
        "can_export": request.user.has_perm("registrations.export_attendees"),
        "can_check_in": request.user.has_perm("registrations.check_in"),
        "can_admit": request.user.has_perm("registrations.admit"),
        "can_manage": request.user.has_perm("registrations.change_registration"),
    }
    return render(request, "staff/home.html", context)


@staff_only("registrations.export_attendees")
@event_view
def badges_pdf(request, event):
    """Name badges of the people admitted, with the export's filters (?session=, ?platform=),
    8 on an A4 sheet or one per A6 page (?layout=a6)."""
    filters = export_filters(request, event)
    if isinstance(filters, HttpResponseBadRequest):
        return filters
    layout = request.GET.get("layout", "a4")
    if layout not in ("a4", "a6"):
        return HttpResponseBadRequest(_("layout is a4 (8 badges a sheet) or a6 (one a page)."), content_type="text/plain")
    session, platform, status = filters
    if session and not status:  # a session's badges are for its seats, not its waitlist
        status = Booking.Status.CONFIRMED
    people = exports.attendees(event, session, platform, status).filter(status=Registration.Status.ACTIVE)
    name = exports.file_name(event, *filters, extension="pdf").replace("attendees", "badges", 1)
    return documents.pdf_response(documents.badges_pdf(people, layout), name)


@staff_only("registrations.view_registration")
@event_view
def sign_in_sheet(request, event, session_slug):
    session = get_object_or_404(event.sessions.select_related("room"), slug=session_slug)
    people = (
        Registration.objects.filter(
            bookings__session=session, bookings__status=Booking.Status.CONFIRMED, status=Registration.Status.ACTIVE
        )
        .order_by("last_name", "first_name", "id")
        .only("first_name", "last_name", "organisation", "country")
    )
    return render(request, "staff/sign_in_sheet.html", {"event": event, "session": session, "people": people})


SEARCH_LIMIT = 25
LIVE_BOOKINGS = Prefetch(
    "bookings",
    queryset=Booking.objects.exclude(status=Booking.Status.CANCELLED).with_waitlist_position().select_related(
        "session").order_by("session__starts_at"),
)


def desk_session(request, event):
    """(session, error): the session the desk checks people into (?session=<slug>, in the query
    or the form), or (None, None) for the door; (None, message) for a slug that is not a session
    people can book now (mistyped, or cancelled since the desk's page was opened)."""
    slug = plain_text(request.POST.get("session") or request.GET.get("session"), 100)
    if not slug:
        return None, None
    session = event.sessions.filter(slug=slug, registrable=True, cancelled_at__isnull=True).first()
    return session, None if session else _("No session “%(slug)s” to check people into: this is the door.") % {
        "slug": slug}


def desk_url(event, session, query=""):
    """The desk's page, for `session` (or the door), searching `query`."""
    params = {key: value for key, value in (("session", session and session.slug), ("q", query)) if value}
    return f"{reverse('registrations:checkin', args=[event.slug])}{'?' + urlencode(params) if params else ''}"


@staff_only("registrations.check_in")
@event_view
def checkin(request, event):
    """The desk: find people by code (typed, or scanned by the camera: static/js/scan.js) or
    name, check them in at the door or into one session (?session=), with live counts."""
    session, error = desk_session(request, event)
    if error:
        messages.error(request, error)
    query = request.GET.get("q", "").strip()[:200]
    found = []
    if query:
        words = Q()
        for word in query.split()[:5]:
            words &= Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(
                email__icontains=word) | Q(organisation__icontains=word)
        found = list(
            Registration.objects.filter(event=event)
            .filter(Q(checkin_code=query.upper()) | words)
            .prefetch_related(LIVE_BOOKINGS)
            .order_by("last_name", "first_name")[:SEARCH_LIMIT]
        )
        came_today = dict(Arrival.objects.filter(
            registration__in=found, day=timezone.localdate(timezone.now(), event.tz)).values_list("registration_id", "at"))
        for registration in found:
            registration.arrived_today_at = came_today.get(registration.pk)
            here = session and next((booking for booking in registration.bookings.all()
                                     if booking.session_id == session.pk), None)
            registration.seat_here = here if here and here.status == Booking.Status.CONFIRMED else None
            registration.place_here = here if here and here.status == Booking.Status.WAITLISTED else None
    context = {"event": event, "query": query, "found": found, "session": session,
               "sessions_to_check": event.sessions.registrable().order_by("starts_at", "title"),
               **stats.arrivals(event, session)}
    return render(request, "staff/checkin.html", context)


@require_POST
@staff_only("registrations.check_in")
@event_view
def undo_check_in(request, event, registration_id):
    """A check-in made by mistake (the wrong person's row): the arrival is taken back."""
    registration = get_object_or_404(Registration, event=event, pk=registration_id)
    session, error = desk_session(request, event)
    if error:  # never the door's undo (every check-in of the person) in place of a session's
        return refused(request, event, error)
    services.undo_check_in(registration, session)
    text = _("%(name)s is no longer checked into this session.") if session else _(
        "%(name)s is no longer checked in.")
    messages.success(request, text % {"name": registration.full_name})
    return redirect(desk_url(event, session, registration.checkin_code))


@require_POST
@staff_only("registrations.check_in")
@event_view
def check_in(request, event, registration_id):
    registration = get_object_or_404(Registration, event=event, pk=registration_id)
    session, error = desk_session(request, event)
    if error:
        return refused(request, event, error)
    return checked_in(request, event, registration, session)


@require_POST
@staff_only("registrations.check_in")
@event_view
def scan(request, event):
    """A code read by the camera: the person is checked in at once, as pretix's desk does; the
    page then shows them, with undo."""
    session, error = desk_session(request, event)
    if error:
        return refused(request, event, error)
    code = plain_text(request.POST.get("code"), 64).strip().upper()
    registration = Registration.objects.filter(event=event, checkin_code=code).first() if code else None
    if registration is None:
        messages.error(request, _("No registration has the code “%(code)s”.") % {"code": code})
        return redirect(desk_url(event, session))
    return checked_in(request, event, registration, session)


def refused(request, event, error):
    """A desk's POST for a session it cannot check people into: nothing done, and the desk goes
    back to the door, saying why."""
    messages.error(request, _("%(error)s Nothing was done.") % {"error": error})
    return redirect(desk_url(event, None))


def checked_in(request, event, registration, session):
    """Checks the person in (at the door, or into `session`), tells the desk how it went, and
    goes back to the desk showing them."""
    back = redirect(desk_url(event, session, registration.checkin_code))
    name = registration.full_name
    if registration.is_cancelled:
        messages.error(request, _("%(name)s cancelled their registration: not checked in.") % {"name": name})
        return back
    try:
        registration, first_time = services.check_in(registration, session)
    except services.NotAdmitted as refused:
        messages.error(request, _("%(name)s is not admitted (%(status)s): not checked in.") % {
            "name": name, "status": refused})
        return back
    except services.NoSeatHere:
        messages.error(request, _("%(name)s has no seat in “%(session)s”: not checked in.") % {
            "name": name, "session": session.title})
        return back
    if first_time:
        text = _("%(name)s is checked into “%(session)s”.") if session else _("%(name)s is checked in.")
        messages.success(request, text % {"name": name, "session": session and session.title})
    else:
        arrived = services.arrived_today(registration).at.astimezone(event.tz)
        if session:
            messages.warning(request, _("%(name)s was already checked into “%(session)s”.") % {
                "name": name, "session": session.title})
        else:
            messages.warning(request, _("%(name)s was already checked in at %(time)s on %(day)s.") % {
                "name": name, "time": f"{arrived:%H:%M}",
                "day": formats.date_format(arrived, pgettext("date format", "j F"))})
    return back


@staff_only("registrations.admit")
@event_view
def approvals(request, event):
    """Registrations awaiting approval: tick, choose, confirm (the second POST carries
    `confirmed`), and each person gets the email of the decision."""
    pending = Registration.objects.filter(event=event, status=Registration.Status.PENDING).prefetch_related(
        LIVE_BOOKINGS, "platforms").order_by("created_at", "id")
    if request.method == "POST":
        form = admission.DecisionForm(request.POST)
        chosen = list(pending.filter(pk__in=digits(request.POST.getlist("registration"))))
        if not chosen:
            messages.error(request, _("Tick at least one registration."))
        elif not form.is_valid():
            messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        elif request.POST.get("confirmed"):
            decision, message = form.cleaned_data["decision"], form.cleaned_data["message"]
            count = admission.decide(chosen, decision, message)
            text = _("%(people)s approved.") if decision == "approve" else _("%(people)s rejected.")
            messages.success(request, text % {"people": services.people(count)})
            return redirect("registrations:approvals", event.slug)
        else:
            return render(request, "staff/approvals_confirm.html",
                          {"event": event, "chosen": chosen, "form": form, "decision": form.cleaned_data["decision"]})
    return render(request, "staff/approvals.html",
                  {"event": event, "pending": pending, "form": admission.DecisionForm()})


@staff_only("registrations.change_registration")
@event_view
def session_people(request, event, session_slug):
    """A session's people in order (seats, held seats, the waitlist with positions), and what
    staff do with them: give a free seat to someone waiting, move someone to another session,
    cancel someone's place. Each goes through services.py and emails the person."""
    session = get_object_or_404(event.sessions.select_related("room"), slug=session_slug)
    if request.method == "POST":
        ids = digits([request.POST.get("booking", "")])
        booking = get_object_or_404(Booking.objects.select_related("registration").exclude(
            status=Booking.Status.CANCELLED), session=session, pk=ids[0] if ids else 0)
        name = booking.registration.full_name
        action = request.POST.get("action")
        if action == "give":
            given, added = services.give_seat(booking)
            if given is None or given.status not in Booking.TAKING_A_SEAT:
                messages.error(request, _("This place changed meanwhile: nothing was done."))
            else:
                messages.success(request, _("%(name)s has a seat now; the session got one seat more for it.") % {
                    "name": name} if added else _("%(name)s has a seat now.") % {"name": name})
        elif action == "move":
            target = event.sessions.filter(pk__in=digits([request.POST.get("to", "")])).first()
            if target and services.move_booking(booking, target):
                messages.success(request, _("%(name)s moved to “%(session)s”.") % {"name": name, "session": target.title})
            else:
                messages.error(request, _("Choose another session that can be booked."))
        elif action == "cancel":
            services.cancel_booking(booking)
            messages.success(request, _("%(name)s's place is cancelled.") % {"name": name})
        return redirect("registrations:session_people", event.slug, session.slug)
    [counted] = event.sessions.filter(pk=session.pk).select_related("room").with_seat_counts()
    people = list(session.bookings.live().select_related("registration").order_by(
        Case(When(status=Booking.Status.CONFIRMED, then=0), When(status=Booking.Status.HELD, then=1), default=2), "id"))
    others = event.sessions.registrable().exclude(pk=session.pk).order_by("starts_at", "title")
    context = {"event": event, "session": counted, "people": people, "others": others,
               "free": counted.seats_left is None or counted.seats_left > 0}
    return render(request, "staff/session_people.html", context)
