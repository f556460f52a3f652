"""The one way other apps add to registrations' pages, calendars, emails and sign-up form.

Why it exists: the dependencies point one way (networking -> registrations -> agenda), so
registrations cannot import networking, yet a participant's private page, personal .ics and
emails must show their meetings, and the sign-up form offers networking's opt-in. An app
appends its providers here in its AppConfig.ready(); registrations calls them without
knowing who they are. Each provider gets the registration (or the event) and may return
nothing, so an event without the feature shows nothing of it.
"""

# (registration, request) -> HTML (safe string) or "": sections of the private page.
private_page_sections = []
# (registration) -> [icalendar.Event]: entries of the personal calendar besides sessions.
calendar_events = []
# (outbox row) -> {}: more template context for the emails of the provider's own kinds.
email_context = []
# (outbox row) -> [(filename, content, mimetype)]: files the provider's own emails carry.
email_attachments = []
# (registration) -> None: called when a registration ends (cancelled, rejected, expired), inside
# its transaction with the registration locked, for what other apps hold for it (meetings).
registration_closed = []
# (registrations) -> None: inside privacy.anonymise, to remove what other apps hold that says
# who they were; (registration) -> {}: more of privacy.personal_data's export of one person.
anonymised = []
personal_data = []
# (registration) -> [(starts_at, ends_at, what)]: times the person has promised elsewhere (an
# accepted meeting); a session overlapping one is not booked by their own change of sessions.
busy_times = []
# Sign-up form parts: objects with fields(event) -> {name: form field}, and
# saved(registration, cleaned_data) called once a new registration is saved.
signup_fields = []


def sections_for(registration, request):
    return [html for provider in private_page_sections if (html := provider(registration, request))]


def calendar_events_for(registration):
    return [entry for provider in calendar_events for entry in provider(registration)]


def email_context_for(email):
    context = {}
    for provider in email_context:
        context.update(provider(email))
    return context


def email_attachments_for(email):
    return [attachment for provider in email_attachments for attachment in provider(email)]


def closed(registration):
    for provider in registration_closed:
        provider(registration)


def anonymise(registrations):
    for provider in anonymised:
        provider(registrations)


def personal_data_of(registration):
    data = {}
    for provider in personal_data:
        data.update(provider(registration))
    return data


def busy_times_of(registration):
    return [busy for provider in busy_times for busy in provider(registration)]


def signup_fields_for(event):
    return {name: field for part in signup_fields for name, field in part.fields(event).items()}


def signed_up(registration, cleaned_data):
    for part in signup_fields:
        part.saved(registration, cleaned_data)
