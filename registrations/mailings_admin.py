"""Mailings in the admin: written in three languages side by side, recipients chosen by
filters; "Preview and send" shows how many it reaches and the email as the first of them will
see it, sends a test to the organiser, and sends for real after a confirmation (only with the
send_mailing permission). Sent mailings are read-only, with their delivery counts."""
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.admin import TranslationAdmin

from agenda.admin import in_event_time
from registrations import mailings, services
from registrations.emails import build_message
from registrations.models import Mailing, OutgoingEmail

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


class MailingForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        for field in ("subject", "body"):
            for code in LANGUAGE_CODES:
                name = f"{field}_{code}"
                try:
                    mailings.check(cleaned.get(name) or "")
                except mailings.PlaceholderError as error:
                    self.add_error(name, str(error))
        event, sessions = cleaned.get("event"), cleaned.get("sessions")
        if event and sessions and any(session.event_id != event.pk for session in sessions):
            self.add_error("sessions", _("Choose sessions of the mailing's event."))
        return cleaned


@admin.register(Mailing)
class MailingAdmin(TranslationAdmin):
    form = MailingForm
    # Narrow enough for 1280 px with the admin's menu open: the event is a filter, the status
    # carries its time.
    list_display = ["subject", "status_and_time", "recipients", "delivery"]
    list_filter = ["event", "status"]
    search_fields = ["subject"]
    filter_horizontal = ["sessions", "platforms"]
    readonly_fields = ["status", "sent_at", "recipients", "delivery", "preview_and_send"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_editable:  # what was sent stays as it was
            return [field.name for field in self.model._meta.get_fields() if field.concrete and not field.auto_created
                    ] + [f"{field}_{code}" for field in ("subject", "body") for code in LANGUAGE_CODES] + self.readonly_fields
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            # Locked: the scheduled send may be taking it this moment; what was sent stays as it was.
            current = Mailing.objects.select_for_update().get(pk=obj.pk)
            if not current.is_editable:
                self.message_user(request, _("This mailing was sent meanwhile: your changes were not saved."),
                                  messages.ERROR)
                return
            obj.sent_at, obj.recipients = current.sent_at, current.recipients
        # Scheduling is sending: only those who may send schedule; anyone else's save unschedules.
        may_send = request.user.has_perm("registrations.send_mailing")
        obj.status = Mailing.Status.SCHEDULED if obj.send_at and may_send else Mailing.Status.DRAFT
        if obj.send_at and not may_send:
            self.message_user(request, _("Saved as a draft: scheduling a mailing needs the permission to send "
                                         "mailings."), messages.WARNING)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if form.instance.is_editable or not change:
            super().save_related(request, form, formsets, change)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event").annotate(
            queued=Count("emails", filter=Q(emails__status__in=["queued", "sending"])),
            sent=Count("emails", filter=Q(emails__status="sent")),
            failed=Count("emails", filter=Q(emails__status="failed")),
        )

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_and_time(self, mailing):
        moment = mailing.sent_at or mailing.send_at
        if not moment:
            return mailing.get_status_display()
        return format_html("{}<br>{}", mailing.get_status_display(),
                           in_event_time(moment, mailing.event, "SHORT_DATETIME_FORMAT"))

    @admin.display(description=gettext_lazy("delivery"))
    def delivery(self, mailing):
        if not getattr(mailing, "pk", None) or mailing.status != Mailing.Status.SENT:
            return "–"
        return _("%(queued)d queued, %(sent)d sent, %(failed)d failed") % {
            "queued": mailing.queued, "sent": mailing.sent, "failed": mailing.failed}

    @admin.display(description=gettext_lazy("preview and send"))
    def preview_and_send(self, mailing):
        if not mailing.pk:
            return _("Save the mailing first.")
        return format_html('<a class="button" href="{}">{}</a>',
                           reverse("admin:registrations_mailing_send", args=[mailing.pk]), _("Preview and send"))

    def get_urls(self):
        return [path("<int:mailing_id>/send/", self.admin_site.admin_view(self.send_view),
                     name="registrations_mailing_send"), *super().get_urls()]

    def send_view(self, request, mailing_id):
        mailing = get_object_or_404(Mailing.objects.select_related("event"), pk=mailing_id)
        if not self.has_view_permission(request, mailing):
            raise PermissionDenied
        can_send = request.user.has_perm("registrations.send_mailing") and mailing.is_editable
        people = mailings.recipients(mailing)
        count, first = people.count(), people.first()
        preview, problem = None, None
        if first is not None:
            try:
                preview = build_message(OutgoingEmail(kind=OutgoingEmail.Kind.MAILING, registration=first,
                                                      mailing=mailing, to_address=first.email), preview=True)
            except (mailings.PlaceholderError, ValueError, KeyError, IndexError) as error:
                problem = str(error) or _("The subject or the body cannot be filled in.")
        action = request.POST.get("action")
        if request.method == "POST" and action == "test" and preview is not None:
            if not request.user.email:
                self.message_user(request, _("Your account has no email address: add one to get tests."), messages.ERROR)
            else:
                preview.to = [request.user.email]
                preview.subject = "[TEST] " + preview.subject
                try:
                    preview.send()
                    self.message_user(request, _("A test went to %(email)s.") % {"email": request.user.email})
                except Exception as error:  # the mail server's answer, shown to the organiser
                    self.message_user(request, _("The test could not be sent: %(error)s") % {"error": error},
                                      messages.ERROR)
            return redirect(request.path)
        if request.method == "POST" and action in ("send", "confirm"):
            if not can_send:
                raise PermissionDenied
            if action == "confirm" and problem is None and count:
                queued = services.send_mailing(mailing)
                self.message_user(request, _("The mailing is on its way to %(people)s.") % {
                    "people": services.people(queued)}, messages.SUCCESS)
                return redirect("admin:registrations_mailing_changelist")
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "mailing": mailing,
            "title": _("Preview and send: %(subject)s") % {"subject": mailing.subject},
            "people": services.people(count), "count": count, "first": first, "preview": preview,
            "problem": problem, "can_send": can_send, "confirming": action == "send" and problem is None,
        }
        return TemplateResponse(request, "admin/registrations/mailing_send.html", context)
