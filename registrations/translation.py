"""The organisers' own questions, in the host's languages (django-modeltranslation, as in
agenda/translation.py): label_en, label_es, label_eu..., falling back to English."""
from modeltranslation.translator import TranslationOptions, register

from registrations.models import Mailing, Question, QuestionOption


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ("label", "help_text")


@register(QuestionOption)
class QuestionOptionTranslation(TranslationOptions):
    fields = ("label",)


@register(Mailing)
class MailingTranslation(TranslationOptions):
    fields = ("subject", "body")
