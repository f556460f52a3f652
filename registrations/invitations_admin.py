"""Invitations in the admin: many at once (pasted `Name <email>` lines or a CSV file), their
statuses with counts, and one reminder to those who have not answered."""
import csv
import io
import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from agenda.admin import breakable, in_event_time
from agenda.models import Event
from registrations import services
from registrations.models import Invitation

NAME_AND_ADDRESS = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<\s*(?P<email>[^<>\s]+)\s*>\s*$")


def parse_invitees(text="", csv_file=None):
    """[(name, email)] and [(line number or "CSV row n", the line, what is wrong)] from pasted
    `Name <email>` lines and a CSV file of name,email rows (a header row is skipped)."""
    found, invalid = [], []

    def take(where, line, name, email):
        try:
            validate_email(email)
            if len(email) > Invitation._meta.get_field("email").max_length:
                raise ValidationError("too long")
        except ValidationError:
            invalid.append((where, line, _("not an email address")))
            return
        if not name:
            invalid.append((where, line, _("no name")))
            return
        found.append((name[:200], email))

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = NAME_AND_ADDRESS.match(line)
        if match:
            take(number, line, match["name"].strip(' "'), match["email"])
        else:
            invalid.append((number, line, _("not of the form Name <email>")))
    if csv_file is not None:
        content = csv_file.read().decode("utf-8-sig", errors="replace")
        for number, row in enumerate(csv.reader(io.StringIO(content)), start=1):
            cells = [cell.strip() for cell in row]
            if not any(cells) or (number == 1 and "@" not in ",".join(cells)):
                continue  # blank, or the header
            if len(cells) < 2:
                invalid.append((_("CSV row %(number)d") % {"number": number}, ",".join(row), _("needs name,email")))
                continue
            take(_("CSV row %(number)d") % {"number": number}, ",".join(row), cells[0], cells[1])
    return found, invalid


class InviteManyForm(forms.Form):
    event = forms.ModelChoiceField(Event.objects.all(), label=gettext_lazy("event"))
    people = forms.CharField(
        label=gettext_lazy("People to invite"), required=False, widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
        help_text=gettext_lazy("One per line: Name <email>, e.g. Ane Etxeberria <ane@example.eus>"),
    )
    csv_file = forms.FileField(
        label=gettext_lazy("or a CSV file"), required=False, help_text=gettext_lazy("Two columns: name, email."),
    )
    language = forms.ChoiceField(label=gettext_lazy("language of the emails"), choices=settings.LANGUAGES)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("people", "").strip() and not cleaned.get("csv_file"):
            raise ValidationError(_("Paste some lines or choose a CSV file."))
        return cleaned


class StatusWithCounts(admin.SimpleListFilter):
    """Invited, registered, declined, each with how many (of the event chosen, if one is)."""

    title = gettext_lazy("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        invitations = Invitation.objects.all()
        if event := request.GET.get("event__id__exact"):
            invitations = invitations.filter(event_id=event) if event.isdigit() else invitations.none()
        counts = dict(invitations.values_list("status").annotate(total=Count("id")).order_by())
        return [(value, f"{label} ({counts.get(value, 0)})") for value, label in Invitation.Status.choices]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    # Narrow enough for 1280 px with the admin's menu open: the event is a filter, name and
    # address share a column, so do the two dates.
    list_display = ["name_and_email", "status", "language", "sent_and_reminded", "registration"]
    list_filter = [StatusWithCounts, "event", "language"]
    search_fields = ["name", "email"]
    readonly_fields = ["status", "sent_at", "reminded_at", "registration", "created_at"]
    actions = ["remind"]
    list_select_related = ["event", "registration"]

    def has_add_permission(self, request):
        return False  # "Invite people" below: it sends the emails

    @admin.display(description=gettext_lazy("invitee"), ordering="name")
    def name_and_email(self, invitation):
        return format_html("{}<br>{}", breakable(invitation.name), breakable(invitation.email))

    @admin.display(description=gettext_lazy("sent, reminded"), ordering="sent_at")
    def sent_and_reminded(self, invitation):
        return format_html("{}<br>{}", *(in_event_time(moment, invitation.event, "SHORT_DATE_FORMAT")
                                         for moment in (invitation.sent_at, invitation.reminded_at)))

    def get_urls(self):
        return [path("invite/", self.admin_site.admin_view(self.invite_view), name="registrations_invitation_invite"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "invite_url": reverse("admin:registrations_invitation_invite")}
        return super().changelist_view(request, extra_context)

    def invite_view(self, request):
        if not request.user.has_perm("registrations.add_invitation"):
            raise PermissionDenied
        form = InviteManyForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            people, invalid = parse_invitees(form.cleaned_data["people"], form.cleaned_data["csv_file"])
            created = skipped = 0
            for name, email in people:
                _invitation, new = services.invite(form.cleaned_data["event"], name, email, form.cleaned_data["language"])
                created, skipped = created + new, skipped + (not new)
            report = {"created": created, "skipped": skipped, "invalid": invalid}
            if not invalid:
                self.message_user(request, ngettext(
                    "%(created)d invitation sent; %(skipped)d already invited, skipped.",
                    "%(created)d invitations sent; %(skipped)d already invited, skipped.", created,
                ) % report, messages.SUCCESS)
                return redirect("admin:registrations_invitation_changelist")
        context = {**self.admin_site.each_context(request), "title": _("Invite people"), "form": form,
                   "report": report, "opts": self.model._meta}
        return TemplateResponse(request, "admin/registrations/invite.html", context)

    @admin.action(description=gettext_lazy("Remind those who have not answered (once each)"), permissions=["change"])
    def remind(self, request, queryset):
        count = services.remind_invitations(queryset)
        self.message_user(request, ngettext("%(count)d reminder sent.", "%(count)d reminders sent.", count)
                          % {"count": count}, messages.SUCCESS)
