"""The sign-up form and the change-sessions form. They validate; services.py writes."""
import functools
import itertools
import unicodedata

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy, pgettext
from django_countries import countries

from agenda.cache import cached_until_agenda_changes
from agenda.models import Partnership, Platform, Session
from registrations import extensions, regions
from registrations.models import Booking, Registration
from registrations.questions import QuestionFieldsMixin

ALLOWED_CONTROL_CHARACTERS = {"\t", "\n", "\r"}


def reject_control_characters(value):
    if any(unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROL_CHARACTERS for char in value):
        raise ValidationError(_("Please remove the invisible control characters from this text."))


def bookable_sessions(event):
    """The sessions a participant may choose, in programme order. Cached like the agenda: for a
    few seconds, and renewed at once when an organiser changes the programme."""
    return cached_until_agenda_changes(
        f"bookable-sessions:{event.pk}",
        lambda: list(
            Session.objects.filter(event=event).registrable().select_related("room").order_by("starts_at", "title")
        ),
    )


class CachedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Checks the ticked ids against a short list cached like the agenda (the platforms, the
    partnerships) instead of querying for them on every sign-up."""

    def __init__(self, queryset, cache_key, **kwargs):
        super().__init__(queryset, **kwargs)
        self.cache_key = cache_key  # one per queryset

    def _check_values(self, value):
        try:
            ticked = {str(pk) for pk in value}
        except TypeError:
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        known = cached_until_agenda_changes(self.cache_key, lambda: list(self.queryset))
        chosen = [choice for choice in known if str(choice.pk) in ticked]
        unknown = ticked - {str(choice.pk) for choice in chosen}
        if unknown:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": min(unknown)}
            )
        return chosen


COUNTRY_CODES = {code for code, _name in countries}


@functools.cache
def country_choices_in(language):
    """The countries named and sorted in one language (django-countries translates them)."""
    with translation.override(language):
        return [("", _("Choose a country")), *((code, str(name)) for code, name in countries)]


class CountryChoiceField(forms.ChoiceField):
    """The 250 countries, validated by a set lookup and not copied into every form instance
    (the sign-up POST is the app's hottest path)."""

    def __init__(self, **kwargs):
        super().__init__(choices=lambda: country_choices_in(translation.get_language()), **kwargs)

    def valid_value(self, value):
        return value in COUNTRY_CODES


@functools.cache
def region_choices_in(language):
    """The NUTS regions grouped by country, countries named and sorted in one language."""
    with translation.override(language):
        return regions.region_choices(lambda code: str(countries.name(code)))


class RegionChoiceField(forms.ChoiceField):
    """A NUTS-2 code or regions.OTHER, validated by a set lookup (no copy of 367 choices per
    form); RegionFieldsMixin checks that the region is in the chosen country."""

    widget = regions.RegionSelect

    def __init__(self, **kwargs):
        super().__init__(choices=lambda: region_choices_in(translation.get_language()), **kwargs)

    def valid_value(self, value):
        return value == regions.OTHER or regions.region(value) is not None


class RegionFieldsMixin:
    """`region` (a NUTS-2 region of the chosen country, or "other") and `region_other` (the
    place in words, required with "other")."""

    def add_region_fields(self, registration=None):
        self.fields["region"] = RegionChoiceField(
            label=_("Region"),
            help_text=_("The NUTS region you work in. Not in the list? Choose “Other” and write it below."),
            error_messages={"required": _("Please choose your region, or “Other”.")},
        )
        self.fields["region_other"] = forms.CharField(
            label=_("Your region, if not in the list"), max_length=120, required=False,
        )
        if registration is not None and not self.is_bound:
            self.initial["region"] = registration.region or (regions.OTHER if registration.region_other else "")
            self.initial["region_other"] = registration.region_other

    def clean_region_fields(self, cleaned):
        region, country = cleaned.get("region"), cleaned.get("country")
        if region and region != regions.OTHER:
            if country and not regions.belongs_to(region, country):
                self.add_error("region", _("%(region)s is not a region of %(country)s: please choose one of "
                                           "%(country)s, or “Other”.") % {
                    "region": regions.region(region).name, "country": countries.name(country)})
            cleaned["region_other"] = ""
        elif region == regions.OTHER and not cleaned.get("region_other", "").strip():
            self.add_error("region_other", _("Please write the name of your region."))
        return cleaned

    def region_details(self):
        region = self.cleaned_data["region"]
        return {
            "region": "" if region == regions.OTHER else region,
            "region_other": self.cleaned_data["region_other"].strip() if region == regions.OTHER else "",
        }


def describe_session(session):
    """The text beside a session's checkbox: when, where, and how full (needs the seat counts)."""
    local_start, local_end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    parts = [f"{local_start:%H:%M}-{local_end:%H:%M}", session.title]
    if session.room:
        parts.append(session.room.name)
    if session.seats_left is not None:
        parts.append(
            _("%(left)s of %(seats)s seats left") % {"left": session.seats_left, "seats": session.seat_limit}
            if session.seats_left
            else _("Full: tick to join the waitlist")
        )
    return ", ".join(parts)


class SessionChoiceField(forms.TypedMultipleChoiceField):
    """Validates against the bookable ids alone; the labels, which need the seat counts (a query
    over every booking), are built only if the form is shown."""

    def __init__(self, bookable_ids, **kwargs):
        super().__init__(**kwargs)
        self.bookable_ids = {str(pk) for pk in bookable_ids}

    def valid_value(self, value):
        return str(value) in self.bookable_ids


class SessionChoiceMixin:
    """Adds the `sessions` field: the event's bookable sessions grouped by day, none of which
    may overlap another."""

    def add_sessions_field(self, event):
        self.sessions_by_pk = {session.pk: session for session in bookable_sessions(event)}

        @functools.cache
        def choices_by_day():
            counted = (
                Session.objects.filter(pk__in=self.sessions_by_pk).select_related("room").with_seat_counts()
            )
            counts = {session.pk: (session.confirmed_count, session.held_count) for session in counted}
            for pk, session in self.sessions_by_pk.items():
                session.confirmed_count, session.held_count = counts[pk]
            by_day = itertools.groupby(
                self.sessions_by_pk.values(), key=lambda session: timezone.localtime(session.starts_at).date()
            )
            return [
                (capfirst(formats.date_format(day, pgettext("date format", "l j F Y"))),
                 [(session.pk, describe_session(session)) for session in sessions])
                for day, sessions in by_day
            ]

        self.fields["sessions"] = SessionChoiceField(
            bookable_ids=self.sessions_by_pk,
            label=_("Sessions"),
            required=False,
            coerce=int,
            choices=choices_by_day,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            help_text=_("Times are %(time_zone)s time. A full session puts you on its waitlist.")
            % {"time_zone": event.time_zone},
            error_messages={"invalid_choice": _("That session cannot be booked. Please choose from the list.")},
        )

    def sessions_by_day(self):
        """[(day label, [(checkbox, session), ...]), ...] for templates/registrations/session_choices.html."""
        checkboxes = {int(checkbox.data["value"]): checkbox for checkbox in self["sessions"]}
        return [
            (day, [(checkboxes[pk], self.sessions_by_pk[pk]) for pk, _label in options])
            for day, options in self.fields["sessions"].choices
        ]

    def clean_sessions(self):
        chosen = sorted((self.sessions_by_pk[pk] for pk in self.cleaned_data["sessions"]), key=lambda s: s.starts_at)
        for earlier, later in itertools.combinations(chosen, 2):
            if earlier.overlaps(later):
                raise ValidationError(
                    _("“%(earlier)s” and “%(later)s” take place at the same time: please choose one.")
                    % {"earlier": earlier.title, "later": later.title}
                )
        return chosen


class RegistrationForm(SessionChoiceMixin, RegionFieldsMixin, QuestionFieldsMixin, forms.ModelForm):
    # The sign-up form itself; the details page (DetailsForm) is not: it has no sessions (their
    # own form is on the private page) and none of other apps' sign-up questions.
    for_sign_up = True

    platforms = CachedModelMultipleChoiceField(
        queryset=Platform.objects.all(),
        cache_key="choices:platforms",
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Thematic platforms"),
        help_text=gettext_lazy("The platforms you belong to or work with: one or more."),
        error_messages={"required": gettext_lazy("Please choose at least one platform.")},
    )
    partnerships = CachedModelMultipleChoiceField(
        queryset=Partnership.objects.select_related("platform"),
        cache_key="choices:partnerships",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=gettext_lazy("Partnerships (optional)"),
        help_text=gettext_lazy("The interregional partnerships you take part in."),
    )
    country = CountryChoiceField(
        label=gettext_lazy("Country"),
        error_messages={"invalid_choice": gettext_lazy("Please choose a country from the list.")},
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": gettext_lazy("We can only register you if you agree to the privacy notice.")},
    )
    listed = forms.BooleanField(
        required=False, label=gettext_lazy("Show my name and organisation in the list of participants.")
    )

    class Meta:
        model = Registration
        fields = [
            "first_name",
            "last_name",
            "email",
            "organisation",
            "country",
            "stakeholder_type",
            "platforms",
            "partnerships",
            "dietary_needs",
            "accessibility_needs",
        ]
        labels = {
            "email": gettext_lazy("Email address"),
            "stakeholder_type": gettext_lazy("You are"),
            "dietary_needs": gettext_lazy("Dietary needs (optional)"),
            "accessibility_needs": gettext_lazy("Accessibility needs (optional)"),
        }
        help_texts = {
            "email": gettext_lazy("Your confirmation and your private link go here."),
        }
        widgets = {"stakeholder_type": forms.RadioSelect}

    def __init__(self, event, *args, registration=None, **kwargs):
        super().__init__(*args, instance=registration, **kwargs)
        self.event = event
        if self.for_sign_up:
            self.add_sessions_field(event)
        # Other apps' parts of the sign-up form (networking's opt-in): registrations/extensions.py.
        self.extension_fields = extensions.signup_fields_for(event) if self.for_sign_up else {}
        self.fields.update(self.extension_fields)
        self.add_region_fields(registration)
        self.add_question_fields(event, registration)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators.append(reject_control_characters)
        # Radio buttons need no "---------" choice: none ticked already means "not chosen".
        self.fields["stakeholder_type"].choices = Registration.StakeholderType.choices
        self.fields["consent"].label = format_html(
            _('I agree that the organisers process my personal data to run the event, as the <a href="{}">privacy notice</a> says.'),
            reverse("registrations:privacy", args=[event.slug]),
        )
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"

    @functools.cached_property
    def helper(self):
        """The crispy layout, built only when the form is shown (not for a valid sign-up)."""
        helper = FormHelper()
        # The page writes the <form> tag and its CSRF token: the fields are cached (views.py).
        helper.form_tag = False
        helper.disable_csrf = True
        helper.layout = Layout(*self.fieldsets(), Submit("submit", self.submit_label, css_class="btn-lg"))
        return helper

    submit_label = gettext_lazy("Register")

    def fieldsets(self):
        """The form's parts in order; the details page shows the same without what it lacks."""
        return [
            Fieldset(
                _("About you"),
                Div(Div("first_name", css_class="col-md-6"), Div("last_name", css_class="col-md-6"), css_class="row"),
                Field("email", autocomplete="email"),
                "organisation",
                Div(Div("country", css_class="col-md-6"), Div("region", css_class="col-md-6"), css_class="row"),
                "region_other",
                "stakeholder_type",
            ),
            Fieldset(_("Platforms"), "platforms",
                     Field("partnerships", template="registrations/partnership_choices.html")),
            *([Fieldset(_("Sessions"), Field("sessions", template="registrations/session_choices.html"))]
              if "sessions" in self.fields else []),
            Fieldset(_("Anything we should know"), "dietary_needs", "accessibility_needs"),
            *([Fieldset(_("A few more questions"), *self.question_field_names)] if self.questions else []),
            Fieldset(_("Your data"), *(name for name in ("consent", "listed") if name in self.fields),
                     *self.extension_fields),
        ]

    def _get_validation_exclusions(self):
        # The country was checked against the same list just above; the model field would
        # check it again through django-countries' lazy choices, which costs more than the rest.
        return {*super()._get_validation_exclusions(), "country"}

    def clean(self):
        return self.clean_region_fields(super().clean())

    def details(self):
        """The registration's own fields, as services.register takes them."""
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields if name not in ("platforms", "partnerships")}
        return {**fields, **self.region_details()}

    def partnerships_by_platform(self):
        """[(platform name, [checkbox, ...]), ...] for templates/registrations/partnership_choices.html
        (partnerships come ordered by platform)."""
        checkboxes = {str(checkbox.data["value"]): checkbox for checkbox in self["partnerships"]}
        known = cached_until_agenda_changes("choices:partnerships", lambda: list(self.fields["partnerships"].queryset))
        by_platform = itertools.groupby(known, key=lambda partnership: partnership.platform.name)
        return [(platform, [checkboxes[str(p.pk)] for p in partnerships]) for platform, partnerships in by_platform]


class DetailsForm(RegistrationForm):
    """The participant's corrections on the details page: the sign-up form without sessions and
    consent (those have their own forms), filled with what they gave."""

    for_sign_up = False

    def __init__(self, event, registration, *args, **kwargs):
        super().__init__(event, *args, registration=registration, **kwargs)
        del self.fields["consent"]  # given at sign-up; the listing consent stays changeable
        if not self.is_bound:
            self.initial.update({
                "email": registration.new_email or registration.email,
                "listed": bool(registration.listed_consent_at),
                "platforms": [platform.pk for platform in registration.platforms.all()],
                "partnerships": [partnership.pk for partnership in registration.partnerships.all()],
            })
        self.fields["email"].help_text = _("A new address takes effect once you open the link we send to it.")
        self.helper.form_tag = True
        self.helper.disable_csrf = False
        self.helper.form_action = reverse("registrations:details", args=[event.slug, registration.token])
        self.helper.attrs = {"novalidate": ""}

    submit_label = gettext_lazy("Save my details")


class InvitationForm(RegistrationForm):
    """The sign-up form of one invitee: their name filled in, their address fixed."""

    def __init__(self, event, invitation, *args, **kwargs):
        super().__init__(event, *args, **kwargs)
        first, _space, last = invitation.name.strip().partition(" ")
        self.initial.setdefault("first_name", first)
        self.initial.setdefault("last_name", last)
        self.fields["email"].initial = invitation.email
        self.fields["email"].disabled = True  # the invitation is for this address
        self.fields["email"].help_text = _("The address you were invited at.")


class ChangeSessionsForm(SessionChoiceMixin, forms.Form):
    def __init__(self, event, registration, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_sessions_field(event)
        if not self.is_bound:
            self.initial["sessions"] = list(
                registration.bookings.exclude(status=Booking.Status.CANCELLED).values_list("session_id", flat=True)
            )
        self.helper = FormHelper()
        self.helper.form_action = reverse("registrations:change_sessions", args=[event.slug, registration.token])
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field("sessions", template="registrations/session_choices.html"),
            Submit("submit", _("Save my sessions")),
        )


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email address you registered with"), max_length=254)

    def __init__(self, event, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("registrations:request_link", args=[event.slug])
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(Field("email", autocomplete="email"), Submit("submit", _("Send me my link")))

