"""Content in the host's languages (django-modeltranslation): each field below gets a column
per language (name_en, name_es, name_eu...) edited side by side in the admin; reading `name`
gives the page's language, falling back to English where a translation is empty."""
from modeltranslation.translator import TranslationOptions, register

from agenda.models import Event, Partnership, Platform, Session


@register(Event)
class EventTranslation(TranslationOptions):
    fields = ("name", "short_name", "host", "co_host", "city", "venue", "description", "practical_information", "controller")


@register(Platform)
class PlatformTranslation(TranslationOptions):
    fields = ("name", "short_description")


@register(Partnership)
class PartnershipTranslation(TranslationOptions):
    fields = ("name",)


@register(Session)
class SessionTranslation(TranslationOptions):
    fields = ("title", "description")
