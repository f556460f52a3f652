from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from agenda.admin import breakable, in_event_time
from agenda.models import Event
from registrations import admission, documents, exports, outbox, programme_admin, regions, services  # noqa: F401 (programme_admin: see there)
from registrations.admin_pages import action_page, confirmed
from registrations.invitations_admin import InvitationAdmin  # noqa: F401 (registers it)
from registrations.mailings_admin import MailingAdmin  # noqa: F401 (registers it)
from registrations.questions_admin import AnswerInline
from registrations.staff import csv_response, xlsx_response
from registrations.models import Booking, OutgoingEmail, Registration


def shortened(text, length=60):
    """The first `length` characters of a long text for a change list (a row three lines high,
    not ten), all of it on hover; free to wrap (breakable)."""
    shown = Truncator(text).chars(length)
    if shown == text:
        return breakable(text)
    return format_html('<span title="{}">{}</span>', text, breakable(shown))


class BookingInline(admin.TabularInline):
    model = Booking
    extra = 0
    fields = ["session", "status", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
    # Seats are given and taken by registrations/services.py, which keeps the waitlist in order.
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("session")


class OutgoingEmailInline(admin.TabularInline):
    model = OutgoingEmail
    extra = 0
    fields = ["kind", "status", "attempts", "last_error", "created_at", "sent_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RegistrationAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        region, country = cleaned.get("region"), cleaned.get("country")
        if region and country and not regions.belongs_to(region, country):
            self.add_error("region", _("Not a NUTS-2 code of this country (e.g. ES21 for País Vasco). Empty it and "
                                       "use “region (other)” for a place NUTS does not cover."))
        return cleaned


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    form = RegistrationAdminForm
    # Fits a 1280 px screen beside the admin's menu and filters, the seats in view: name and
    # address in one column, country and region in another, the day of registration under the
    # status; platforms and the kind of stakeholder are filters (and on each registration's page).
    list_display = ["participant", "organisation_name", "place", "seats", "status_and_day"]
    list_filter = ["event", "platforms", "stakeholder_type", "country", "status"]
    search_fields = ["first_name", "last_name", "email", "organisation"]
    # Status and seats change only through services.py (the actions below, the private page),
    # which keeps the waitlists in order and tells the participant.
    # The private token is the participant's key: it is shown to nobody here (no field, no "View
    # on site", which would open their private page). Staff email them their link instead.
    readonly_fields = [
        "event", "status", "checkin_code", "checked_in_at", "created_at", "updated_at",
        "consent_given_at", "listed_consent_at",
    ]
    view_on_site = False
    filter_horizontal = ["platforms", "partnerships"]
    inlines = [BookingInline, AnswerInline, OutgoingEmailInline]
    date_hierarchy = "created_at"
    actions = ["approve_selected", "reject_selected", "resend_confirmation", "email_private_link",
               "cancel_registrations", "export_csv", "export_xlsx", "print_badges"]

    def has_admit_permission(self, request):
        return request.user.has_perm("registrations.admit")

    @admin.action(description=gettext_lazy("Approve the selected registrations awaiting approval…"), permissions=["admit"])
    def approve_selected(self, request, queryset):
        return self.decide(request, queryset, "approve")

    @admin.action(description=gettext_lazy("Reject the selected registrations awaiting approval…"), permissions=["admit"])
    def reject_selected(self, request, queryset):
        return self.decide(request, queryset, "reject")

    def decide(self, request, queryset, decision):
        """Django's delete-confirmation pattern: a page listing those concerned, with a message
        for their emails; its POST (carrying `post`) decides."""
        pending = list(queryset.filter(status=Registration.Status.PENDING))
        if not pending:
            self.message_user(request, _("None of the selected registrations awaits approval."), messages.WARNING)
            return None
        form = admission.DecisionForm(request.POST if confirmed(request) else None, initial={"decision": decision})
        if form.is_bound and form.is_valid():
            count = admission.decide(pending, decision, form.cleaned_data["message"])
            text = _("%(people)s approved.") if decision == "approve" else _("%(people)s rejected.")
            self.message_user(request, text % {"people": services.people(count)}, messages.SUCCESS)
            return None
        return action_page(self, request, "admin/registrations/decide.html", _("Are you sure?"), pending,
                           pending=pending, form=form, decision=decision)

    def has_export_permission(self, request):
        return request.user.has_perm("registrations.export_attendees")

    @admin.action(description=gettext_lazy("Export the selected registrations as CSV"), permissions=["export"])
    def export_csv(self, request, queryset):
        return self.export(request, queryset, "csv")

    @admin.action(description=gettext_lazy("Export the selected registrations as XLSX"), permissions=["export"])
    def export_xlsx(self, request, queryset):
        return self.export(request, queryset, "xlsx")

    @admin.action(description=gettext_lazy("Print name badges of the selected participants (PDF)"),
                  permissions=["export"])
    def print_badges(self, request, queryset):
        """Badges of the selected people who are in (a late arrival, a reprint), 8 to a sheet."""
        if (event := self.one_event(request, queryset)) is None:
            return None
        admitted = queryset.filter(status=Registration.Status.ACTIVE)
        if skipped := queryset.count() - admitted.count():
            # Said on the next page the organiser opens: the PDF is the answer to this request.
            self.message_user(request, ngettext(
                "%(count)d selected registration is not admitted (cancelled, awaiting approval or confirmation): no badge.",
                "%(count)d selected registrations are not admitted (cancelled, awaiting approval or confirmation): no "
                "badge.", skipped) % {"count": skipped}, messages.WARNING)
        return documents.pdf_response(documents.badges_pdf(admitted), exports.file_name(event, status="badges", extension="pdf"))

    def one_event(self, request, queryset):
        """The event of the selected registrations, or None with a message when they are of several
        (a file's times and texts are one event's)."""
        event_ids = list(queryset.order_by().values_list("event_id", flat=True).distinct()[:2])  # not every row
        if len(event_ids) != 1:
            self.message_user(request, _("Select registrations of one event at a time."), messages.ERROR)
            return None
        return Event.objects.get(pk=event_ids[0])

    def export(self, request, queryset, extension):
        if (event := self.one_event(request, queryset)) is None:
            return None
        respond = csv_response if extension == "csv" else xlsx_response
        return respond(event, queryset, exports.file_name(event, status="selected", extension=extension))

    def confirm_first(self, request, concerned, question):
        """Django's delete-confirmation pattern for actions that email people: None once the
        organiser has confirmed (the POST carries `post`), else the page that asks, naming how
        many people will be emailed."""
        if confirmed(request):
            return None
        return action_page(self, request, "admin/registrations/confirm_action.html", _("Are you sure?"), concerned,
                           question=question, concerned=concerned, people=services.people(len(concerned)))

    @admin.action(description=gettext_lazy("Resend the confirmation email…"), permissions=["change"])
    def resend_confirmation(self, request, queryset):
        active = list(queryset.filter(status=Registration.Status.ACTIVE))
        if page := self.confirm_first(request, active, _("Send the confirmation email again to these people?")):
            return page
        count = services.email_each_active(queryset, OutgoingEmail.Kind.CONFIRMATION)
        self.message_user(request, _("Confirmation email queued for %(people)s.") % {"people": services.people(count)}, messages.SUCCESS)
        return None

    @admin.action(description=gettext_lazy("Email the private link to the selected participants…"), permissions=["change"])
    def email_private_link(self, request, queryset):
        active = list(queryset.filter(status=Registration.Status.ACTIVE))
        if page := self.confirm_first(request, active, _("Email these people the link to their registration?")):
            return page
        count = services.email_each_active(queryset, OutgoingEmail.Kind.PRIVATE_LINK)
        self.message_user(request, _("Private link emailed to %(people)s.") % {"people": services.people(count)}, messages.SUCCESS)
        return None

    @admin.action(description=gettext_lazy("Cancel the selected registrations (frees their seats)…"), permissions=["change"])
    def cancel_registrations(self, request, queryset):
        live = list(queryset.filter(status__in=Registration.LIVE_STATUSES))
        if page := self.confirm_first(request, live, _("Cancel these registrations? Their seats go to the people "
                                                        "waiting, and each person is emailed.")):
            return page
        for registration in live:
            services.cancel(registration)
        self.message_user(request, _("Registrations of %(people)s cancelled.") % {"people": services.people(len(live))},
                          messages.SUCCESS)
        return None

    def delete_model(self, request, obj):
        # Deleting bookings would free seats without promoting anyone: cancel first.
        services.cancel(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for registration in queryset:
            self.delete_model(request, registration)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("event")
            .annotate(seat_total=Count("bookings", filter=Q(bookings__status__in=Booking.TAKING_A_SEAT)))
        )

    @admin.display(description=gettext_lazy("participant"), ordering="last_name")
    def participant(self, registration):
        return format_html("{}, {}<br>{}", breakable(registration.last_name), breakable(registration.first_name),
                           breakable(registration.email))

    @admin.display(description=gettext_lazy("organisation"), ordering="organisation")
    def organisation_name(self, registration):
        return shortened(registration.organisation)

    @admin.display(description=gettext_lazy("from"), ordering="country")
    def place(self, registration):
        return format_html("{}<br>{}", registration.country.code, breakable(registration.region_name))

    # Seats taken as the staff page counts them: confirmed, or held while the address is
    # confirmed or an organiser approves (the status says which).
    @admin.display(description=gettext_lazy("seats"), ordering="seat_total")
    def seats(self, registration):
        return registration.seat_total

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_and_day(self, registration):
        return format_html("{}<br>{}", registration.get_status_display(),
                           in_event_time(registration.created_at, registration.event, "j M Y"))


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """The outbox, to read. Its rows are the senders' (outbox.py) alone: a sent email set back
    to queued by hand would be sent again. Staff act through the actions only."""

    # Fits a 1280 px screen beside the admin's menu and filters, the attempts in view.
    list_display = ["address", "kind", "status_and_time", "attempts", "error"]
    list_filter = ["status", "kind"]
    search_fields = ["to_address"]
    list_select_related = ["registration"]
    actions = ["retry", "resend"]

    @admin.display(description=gettext_lazy("to"), ordering="to_address")
    def address(self, email):
        return breakable(email.to_address)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_and_time(self, email):
        """The status, and when it was sent (or queued, until it is)."""
        when = email.sent_at or email.created_at
        return format_html("{}<br>{}", email.get_status_display(),
                           formats.date_format(timezone.localtime(when), "j M H:i"))

    @admin.display(description=gettext_lazy("last error"))
    def error(self, email):
        return shortened(email.last_error)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # every field read-only, for everyone; a POST to a row's page is refused

    def has_resend_permission(self, request):
        # The actions write new attempts or rows, never edit one: allowed to those who held
        # "change" on the outbox before it became read-only (Registration staff).
        return request.user.has_perm("registrations.change_outgoingemail")

    @admin.action(description=gettext_lazy("Retry the selected failed emails"), permissions=["resend"])
    def retry(self, request, queryset):
        count = outbox.retry_failed(queryset)
        self.message_user(request, ngettext("%(count)d failed email queued again.", "%(count)d failed emails queued again.", count) % {"count": count}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Resend the selected emails"), permissions=["resend"])
    def resend(self, request, queryset):
        count = services.resend_copies(queryset)
        self.message_user(request, ngettext("Queued a new copy of %(count)d email.", "Queued a new copy of %(count)d emails.", count) % {"count": count}, messages.SUCCESS)

