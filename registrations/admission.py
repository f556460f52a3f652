"""Organisers' decisions on registrations awaiting approval, from the staff page and the admin:
a list to tick, a confirmation step (with an optional message for the emails), then one
service call per registration (services.approve / services.reject, each its own transaction)."""
from django import forms
from django.utils.translation import gettext_lazy

from registrations import services


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))])
    message = forms.CharField(
        label=gettext_lazy("Message for the email (optional)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Added to the email each person gets, e.g. the reason for a rejection."),
    )


def decide(registrations, decision, message=""):
    """Approves or rejects each registration still awaiting approval; returns how many."""
    act = services.approve if decision == "approve" else services.reject
    return sum(1 for registration in registrations if act(registration, message))
