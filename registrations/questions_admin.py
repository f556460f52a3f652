"""The organisers' questions in the admin: listed inline on the event's page (ordered,
translatable), their answers offered and places on each question's own page.

A question's page is the one place where an option's places can be lowered: it locks the
question's options before the forms are checked (the lock rule's step 3: nothing else is held
there, so it cannot wait in a cycle with a sign-up), and refuses fewer places than people hold.
"""
from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy, ngettext
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline

from agenda.admin import RefreshesAgenda
from registrations.models import Answer, Question, QuestionOption, Registration


def holders(option):
    """Live registrations (in, or awaiting approval or confirmation) whose answer chose the option."""
    return Answer.options.through.objects.filter(
        questionoption=option, answer__registration__status__in=Registration.LIVE_STATUSES
    ).count()


class OptionPlacesForm(forms.ModelForm):
    def clean_limit(self):
        limit = self.cleaned_data.get("limit")
        if self.instance.pk and limit is not None:
            taken = holders(self.instance)  # exact: the question's page holds the options' locks
            if limit < taken:
                raise forms.ValidationError(ngettext(
                    "%(count)d person chose this answer, so it needs at least %(count)d place.",
                    "%(count)d people chose this answer, so it needs at least %(count)d places.", taken,
                ) % {"count": taken})
        return limit


class OptionInline(TranslationTabularInline):
    model = QuestionOption
    form = OptionPlacesForm
    extra = 2
    fields = ["label", "position", "limit", "chosen_by"]
    readonly_fields = ["chosen_by"]

    @admin.display(description=gettext_lazy("chosen by"))
    def chosen_by(self, option):
        return holders(option) if option.pk else "–"


class QuestionKindForm(forms.ModelForm):
    """A question people have answered keeps its kind: their answers would no longer fit it."""

    def clean_kind(self):
        kind = self.cleaned_data.get("kind")
        if self.instance.pk and kind != self.instance.kind:
            answered = self.instance.answers.count()
            if answered:
                raise forms.ValidationError(ngettext(
                    "%(count)d person answered this question, so its kind cannot change: add a new question instead.",
                    "%(count)d people answered this question, so its kind cannot change: add a new question instead.",
                    answered) % {"count": answered})
        return kind


@admin.register(Question)
class QuestionAdmin(RefreshesAgenda, TranslationAdmin):
    form = QuestionKindForm
    list_display = ["label", "event", "kind", "required", "position"]
    list_filter = ["event", "kind"]
    inlines = [OptionInline]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with transaction.atomic():
            if object_id and request.method == "POST" and object_id.isdigit():
                # NO KEY, as sign-ups lock them: answers being written (KEY SHARE) need not wait.
                list(QuestionOption.objects.select_for_update(no_key=True).filter(
                    question_id=object_id).order_by("pk"))
            return super().changeform_view(request, object_id, form_url, extra_context)


class QuestionInline(TranslationStackedInline):
    """On the event's page: the questions in order; their answers offered on their own page."""

    model = Question
    form = QuestionKindForm
    extra = 0
    fields = ["position", "label", "help_text", "kind", "required"]
    show_change_link = True
    verbose_name_plural = gettext_lazy("questions on the sign-up form (answers offered: “Change” on each question)")


class AnswerInline(admin.TabularInline):
    """A participant's answers, as they gave them (they change them on their details page)."""

    model = Answer
    extra = 0
    fields = ["question", "text", "chosen"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("chosen"))
    def chosen(self, answer):
        return ", ".join(option.label for option in answer.options.all())

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question").prefetch_related("options")

