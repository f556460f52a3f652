from django.http import HttpResponseBadRequest


class RejectNulBytesMiddleware:
    """A NUL byte in the path or the query string is never meaningful, and PostgreSQL refuses
    text that holds one (an error, a 500, in whatever query it reaches): answer 400 first.
    Form fields refuse NUL bytes with a message of their own (Django's CharField)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.GET
        if "\x00" in request.path or any("\x00" in key or any("\x00" in value for value in query.getlist(key)) for key in query):
            return HttpResponseBadRequest("NUL bytes are not allowed in addresses.", content_type="text/plain")
        return self.get_response(request)
