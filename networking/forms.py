"""Networking's forms: the profile, the directory's search, a meeting request. They validate;
services.py writes."""
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agenda.cache import cached_until_agenda_changes
from agenda.models import Partnership, Platform
from networking.models import Profile
from registrations import regions
from registrations.forms import reject_control_characters
from registrations.models import Registration


def guard_text_fields(form):
    for field in form.fields.values():
        if isinstance(field, forms.CharField):
            field.validators.append(reject_control_characters)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["visibility", "about", "expertise", "offers", "looking_for", "accepts_requests"]
        widgets = {
            "visibility": forms.RadioSelect,
            "about": forms.Textarea(attrs={"rows": 3}),
            "offers": forms.Textarea(attrs={"rows": 3}),
            "looking_for": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "about": _("Your work and interests, in a few lines."),
            "expertise": _("Your fields, as keywords: e.g. bioenergy, smart grids, food safety."),
            "offers": _("What others can get from you: knowledge, partners, a pilot site, funding..."),
            "looking_for": _("What you hope to find here: suggestions match it with what others offer."),
            "accepts_requests": _("Untick to stop receiving meeting requests; your meetings stay."),
        }

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visibility"].choices = Profile.Visibility.choices  # radio buttons: no "------"
        guard_text_fields(self)
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.attrs = {"novalidate": ""}
        # A layout of its own: without one, crispy copies the form's attributes onto radio groups.
        self.helper.layout = Layout(*self.fields, Submit("submit", _("Save my profile")))


class MeetingRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Your message"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why you would like to meet (optional, up to 1,000 characters)."),
    )

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        guard_text_fields(self)
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(*self.fields, Submit("submit", _("Ask for a meeting")))


class DirectoryForm(forms.Form):
    """The directory's search: every field optional; a value that is not offered is an error
    shown on the form, and that filter is left out."""

    q = forms.CharField(label=_("Words"), required=False, max_length=200,
                        help_text=_("Name, organisation, or words from profiles."))
    platform = forms.ChoiceField(label=_("Platform"), required=False)
    partnership = forms.ChoiceField(label=_("Partnership"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    stakeholder_type = forms.ChoiceField(label=_("Kind of stakeholder"), required=False)

    def __init__(self, data, *, countries, region_codes):
        super().__init__(data)
        everything = [("", _("Any"))]
        platforms, partnerships = programme_choices()
        self.fields["platform"].choices = everything + platforms
        self.fields["partnership"].choices = everything + partnerships
        self.fields["country"].choices = everything + sorted(
            ((country.code, country.name) for country in countries), key=lambda choice: choice[1])
        self.fields["region"].choices = everything + sorted(
            ((code, region_name(code)) for code in region_codes), key=lambda choice: choice[1])
        self.fields["stakeholder_type"].choices = everything + Registration.StakeholderType.choices
        guard_text_fields(self)
        # Rendered by a plain template (networking/_search_form.html), not crispy: the directory
        # is the busiest page of networking, and crispy's templates cost more than the rest of it.
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-control" if name == "q" else "form-select"

    def filters(self):
        """The valid filters, by field name; invalid ones are left out (their errors show)."""
        self.is_valid()
        for name in self.errors:
            if name in self.fields:  # the message under the field is read with it
                described_by = [f"id_{name}_error", *([f"id_{name}_helptext"] if self.fields[name].help_text else [])]
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(described_by)
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value}


def programme_choices():
    """(platforms, partnerships) as choices, cached like the agenda (in each language, renewed
    when organisers change them)."""
    return cached_until_agenda_changes("networking:programme-choices", lambda: (
        [(platform.slug, platform.name) for platform in Platform.objects.all()],
        [(str(partnership.pk), partnership.name) for partnership in Partnership.objects.all()],
    ))


def region_name(code):
    found = regions.region(code)
    return found.name if found else code
