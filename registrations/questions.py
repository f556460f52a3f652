"""The organisers' own questions: a form field per question (`question_<id>`), the answers as
services.save_answers stores them, and the answers in words for pages, emails and exports."""
import decimal

from django import forms
from django.utils import formats
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agenda.cache import cached_until_agenda_changes
from registrations.models import Answer, Question, QuestionOption

Kind = Question.Kind
YES_NO_CHOICES = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]
TEXT_MAX_LENGTH, LONG_TEXT_MAX_LENGTH = 500, 3000


def event_questions(event):
    """The event's questions in order, each with `options_list`; cached like the agenda and
    renewed when an organiser saves a question (questions_admin.py)."""

    def build():
        questions = list(event.questions.prefetch_related("options"))
        for question in questions:
            question.options_list = list(question.options.all())
        return questions

    return cached_until_agenda_changes(f"questions:{event.pk}", build)


def full_option_ids(event):
    """Options whose places are all taken right now (for the "(full)" mark; the service decides)."""
    limited = QuestionOption.objects.filter(question__event=event, limit__isnull=False).with_taken()
    return {option.pk for option in limited if option.taken >= option.limit}


class OptionChoiceMixin:
    """Validates against the question's option ids; the labels, which need the places taken (a
    query), are built only if the form is shown."""

    def valid_value(self, value):
        return str(value) in self.option_ids


class OptionChoiceField(OptionChoiceMixin, forms.TypedChoiceField):
    pass


class OptionsChoiceField(OptionChoiceMixin, forms.TypedMultipleChoiceField):
    pass


def question_field(question, full_ids):
    """The form field of one question. `full_ids()` gives the ids of options used up."""
    # crispy shows help texts unescaped (ours carry links): an organiser's text is escaped here.
    common = {"label": question.label, "help_text": escape(question.help_text), "required": question.required}
    if question.kind == Kind.TEXT:
        return forms.CharField(max_length=TEXT_MAX_LENGTH, **common)
    if question.kind == Kind.LONG_TEXT:
        return forms.CharField(max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}), **common)
    if question.kind == Kind.NUMBER:
        # Localised: "2,5" in Spanish and Basque. inputmode: a phone shows its number keys.
        return forms.DecimalField(max_digits=12, decimal_places=2, localize=True,
                                  widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if question.kind == Kind.YES_NO:
        return forms.ChoiceField(choices=YES_NO_CHOICES, widget=forms.RadioSelect, **common)

    def choices():
        full = full_ids()
        return [
            (option.pk, _("%(answer)s (full)") % {"answer": option.label} if option.pk in full else option.label)
            for option in question.options_list
        ]

    if question.kind == Kind.SINGLE_CHOICE:
        field = OptionChoiceField(coerce=int, empty_value=None, choices=choices, widget=forms.RadioSelect, **common)
    else:
        field = OptionsChoiceField(coerce=int, choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    field.option_ids = {str(option.pk) for option in question.options_list}
    field.error_messages["invalid_choice"] = _("Please choose from the answers offered.")
    return field


class QuestionFieldsMixin:
    """Adds a field per question of the event, after the fixed fields."""

    def add_question_fields(self, event, registration=None):
        self.questions = event_questions(event)
        full = []  # computed once, on the first choice field shown

        def full_ids():
            if not full:
                full.append(full_option_ids(event))
            return full[0]

        for question in self.questions:
            self.fields[question.field_name] = question_field(question, full_ids)
        if registration is not None and not self.is_bound:
            self.initial.update(initial_answers(registration, self.questions))

    @property
    def question_field_names(self):
        return [question.field_name for question in self.questions]

    def answers(self):
        """{question: value} as services.save_answers takes them."""
        return {question: self.cleaned_data.get(question.field_name) for question in self.questions}


def stored(question, value):
    """(text, option ids) to store for a cleaned value; ("", []) for no answer."""
    if question.kind == Kind.SINGLE_CHOICE:
        return "", [value] if value else []
    if question.kind == Kind.MULTIPLE_CHOICE:
        return "", sorted(value or [])
    if question.kind == Kind.NUMBER:
        return ("" if value in (None, "") else format(decimal.Decimal(value).normalize(), "f")), []
    return (value or "").strip(), []


def initial_answers(registration, questions):
    """{field name: value} of the registration's answers, for a form shown to change them."""
    answers = {answer.question_id: answer for answer in registration.answers.prefetch_related("options")}
    initial = {}
    for question in questions:
        answer = answers.get(question.pk)
        if answer is None:
            continue
        option_ids = [option.pk for option in answer.options.all()]
        if question.kind == Kind.SINGLE_CHOICE:
            initial[question.field_name] = option_ids[0] if option_ids else None
        elif question.kind == Kind.MULTIPLE_CHOICE:
            initial[question.field_name] = option_ids
        else:
            initial[question.field_name] = answer.text
    return initial


def answer_in_words(question, text, option_labels):
    """What the participant answered, as a person reads it."""
    if question.kind in Question.CHOICE_KINDS:
        return ", ".join(option_labels) or text
    if question.kind == Kind.YES_NO:
        return str(dict(YES_NO_CHOICES).get(text, text))
    if question.kind == Kind.NUMBER and text:
        try:
            return formats.number_format(decimal.Decimal(text), use_l10n=True)
        except decimal.InvalidOperation:  # answered before the question became a number
            return text
    return ", ".join([text, *option_labels]) if option_labels and text else text or ", ".join(option_labels)


def answers_in_words(registration):
    """[(question label, answer)] of every question of the event, in order ("" where unanswered)."""
    answers = {
        answer.question_id: answer
        for answer in Answer.objects.filter(registration=registration).prefetch_related("options")
    }
    rows = []
    for question in event_questions(registration.event):
        answer = answers.get(question.pk)
        labels = [option.label for option in answer.options.all()] if answer else []
        rows.append((question.label, answer_in_words(question, answer.text, labels) if answer else ""))
    return rows
