"""/healthz for load balancers: 200 when the database answers, 503 when it does not."""
from django.db import connection
from django.http import HttpResponse, JsonResponse


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"database": "ok"})
    except Exception as error:  # any failure to reach the database means "not healthy"
        return JsonResponse({"database": f"error: {type(error).__name__}"}, status=503)


def csrf_failure(request, reason=""):
    """A 403 in the site's look when a form comes without its CSRF token (nothing is saved)."""
    from django.shortcuts import render

    return render(request, "403_csrf.html", status=403)


def ceiling(request):
    """The cheapest response Django can give: the benchmarks' ceiling (BENCH_CEILING_VIEW=1)."""
    return HttpResponse("ok", content_type="text/plain")
