from django.apps import AppConfig


class NetworkingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "networking"
    verbose_name = "Networking"

    def ready(self):
        # registrations cannot import networking (the dependencies point one way): its private
        # page, personal calendar, emails and sign-up form reach networking through the
        # providers registered here (registrations/extensions.py).
        from networking import hooks

        hooks.register()
