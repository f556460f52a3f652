"""PDFs for people, drawn with reportlab: name badges (8 on an A4 sheet or one per A6 page),
a participant's ticket and a certificate of attendance. Each person's part is drawn in their
own language (translation.override), whoever prints it."""
import io
from pathlib import Path

import segno
from django.http import HttpResponse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, A6, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from registrations.models import Booking

# DejaVu (vendored from npm's dejavu-fonts-ttf, see package.json): the PDF core fonts only know
# Western European letters, and names come from all over Europe (Łódź, Ελλάδα, Пловдив).
FONTS = Path(__file__).parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
pdfmetrics.registerFont(TTFont(REGULAR, FONTS / "DejaVuSans.ttf"))
pdfmetrics.registerFont(TTFont(BOLD, FONTS / "DejaVuSans-Bold.ttf"))

BRAND = HexColor("#003399")
INK = HexColor("#1a1a1a")
GREY = HexColor("#555555")
SMALLEST = 3  # points: below this nothing is readable, so wrapping goes on instead
LEADING = 1.15


def pdf_response(content, filename):
    """A PDF to show in the browser; never kept by a shared cache (it holds someone's data)."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def wrap(text, font, size, width):
    """`text` in lines no wider than `width` at `size`: words kept whole where they fit, a word
    longer than a line broken between letters (a badge never cuts a name off)."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for letter in word:
            if line and pdfmetrics.stringWidth(line + letter, font, size) > width:
                lines.append(line)
                line = ""
            line += letter
    if line:
        lines.append(line)
    return lines


def fit(text, font, largest, width, height, max_lines=2):
    """(size, lines): the largest size from `largest` down at which `text` fits the box, on at
    most `max_lines` lines down to half of `largest`, on as many as it takes below that."""
    size = largest
    while True:
        lines = wrap(text, font, size, width)
        tall_enough = len(lines) * size * LEADING <= height
        if tall_enough and (len(lines) <= max_lines or size <= largest / 2):
            return size, lines
        if size <= SMALLEST:
            return size, lines
        size = max(SMALLEST, size - 0.5)


BOTTOM = 20 * mm  # the last line of a page's text stays above this


def room_for(canvas, top, height, page_height):
    """`top`, or the top of a new page when `height` more would run into the bottom margin (a
    long list of sessions, long practical information)."""
    if top - height >= BOTTOM:
        return top
    canvas.showPage()
    canvas.setFillColor(INK)
    return page_height - BOTTOM


def draw_lines(canvas, lines, font, size, x, top, centred=False, width=0):
    """Draws `lines` downwards from `top`; returns the y below the last one."""
    canvas.setFont(font, size)
    y = top
    for line in lines:
        y -= size
        if centred:
            canvas.drawCentredString(x + width / 2, y, line)
        else:
            canvas.drawString(x, y, line)
        y -= size * (LEADING - 1)
    return y


def qr_png(code, scale):
    """The check-in code as a PNG QR code. make_qr, not make: segno picks a Micro QR code for
    short texts, which jsQR and most phone cameras cannot read."""
    buffer = io.BytesIO()
    segno.make_qr(code, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_image(code):
    # Four pixels a module: sharp when printed at 26 mm, small in a 250-page file.
    return ImageReader(io.BytesIO(qr_png(code, scale=4)))


def platform_band(canvas, platforms, x, y, width, height):
    """The platforms as coloured stripes with their names in white: staff and other
    participants see someone's platforms from across the room."""
    stripes = platforms or [None]
    stripe_width = width / len(stripes)
    for index, platform in enumerate(stripes):
        left = x + index * stripe_width
        canvas.setFillColor(HexColor(platform.colour) if platform else BRAND)
        canvas.rect(left, y, stripe_width, height, stroke=0, fill=1)
        if platform:
            canvas.setFillColor(white)
            size, lines = fit(platform.name, BOLD, 9, stripe_width - 2 * mm, height - 1 * mm)
            text_height = len(lines) * size * LEADING
            draw_lines(canvas, lines, BOLD, size, left + 1 * mm, y + (height + text_height) / 2,
                       centred=True, width=stripe_width - 2 * mm)


def badge(canvas, registration, x, y, width, height):
    """One badge with its lower left corner at (x, y)."""
    margin = 5 * mm
    band = 11 * mm
    with translation.override(registration.language):
        platforms = list(registration.platforms.all())
        platform_band(canvas, platforms, x, y + height - band, width, band)
        qr_side = 38 * mm if height > 100 * mm else 26 * mm
        canvas.drawImage(qr_image(registration.checkin_code), x + width - margin - qr_side, y + margin + 3 * mm,
                         qr_side, qr_side)
        canvas.setFillColor(GREY)
        canvas.setFont(REGULAR, 6.5)
        canvas.drawCentredString(x + width - margin - qr_side / 2, y + margin, registration.checkin_code)
        # The event's name on one line beside the code, however long the organisers made it.
        size, lines = fit(registration.event.short_name or registration.event.name, REGULAR, 6.5,
                          width - 3 * margin - qr_side, 8, max_lines=1)
        draw_lines(canvas, [lines[0] + ("…" if len(lines) > 1 else "")], REGULAR, size, x + margin, y + margin + size)
        text_width = width - 2 * margin
        top = y + height - band - 4 * mm
        name_height = (height - band) * 0.42
        canvas.setFillColor(INK)
        size, lines = fit(registration.full_name, BOLD, 24 if height > 100 * mm else 20, text_width, name_height)
        top = draw_lines(canvas, lines, BOLD, size, x + margin, top) - 2 * mm
        below_name = top - (y + margin + qr_side + 4 * mm)
        text_width_beside_qr = width - 3 * margin - qr_side
        size, lines = fit(registration.organisation, REGULAR, 11, text_width, max(below_name, 12), max_lines=3)
        top = draw_lines(canvas, lines, REGULAR, size, x + margin, top) - 1.5 * mm
        canvas.setFillColor(GREY)
        size, lines = fit(str(registration.country.name), REGULAR, 10, text_width_beside_qr, 24)
        draw_lines(canvas, lines, REGULAR, size, x + margin, top)


def with_badge_data(registrations):
    return registrations.select_related("event").prefetch_related("platforms").order_by(
        "last_name", "first_name", "pk")


def badges_pdf(registrations, layout="a4"):
    """The badges as PDF bytes: `a4` puts 8 on a sheet (105 x 74 mm each, with light cutting
    lines), `a6` one per page (lanyard holders)."""
    buffer = io.BytesIO()
    page = A6 if layout == "a6" else A4
    canvas = Canvas(buffer, pagesize=page, pageCompression=1)
    canvas.setTitle(_("Name badges"))
    columns, rows = (1, 1) if layout == "a6" else (2, 4)
    width, height = page[0] / columns, page[1] / rows
    per_page = columns * rows
    count = 0
    for count, registration in enumerate(with_badge_data(registrations).iterator(chunk_size=500), start=1):
        slot = (count - 1) % per_page
        x, y = (slot % columns) * width, page[1] - (slot // columns + 1) * height
        badge(canvas, registration, x, y, width, height)
        if layout != "a6":
            canvas.setStrokeColor(HexColor("#cccccc"))
            canvas.setLineWidth(0.3)
            canvas.rect(x, y, width, height, stroke=1, fill=0)
        if slot == per_page - 1:
            canvas.showPage()
    if count % per_page or count == 0:
        if count == 0:
            canvas.setFont(REGULAR, 12)
            canvas.drawString(20 * mm, page[1] - 30 * mm, _("Nobody matches this choice."))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def event_dates(event):
    start, end = event.start_date, event.end_date
    day_month_year = pgettext("date format", "j F Y")
    if start == end:
        return formats.date_format(start, day_month_year)
    return _("%(start)s to %(end)s") % {"start": formats.date_format(start, day_month_year),
                                        "end": formats.date_format(end, day_month_year)}


def session_line(session, event):
    starts = timezone.localtime(session.starts_at, event.tz)
    ends = timezone.localtime(session.ends_at, event.tz)
    when = formats.date_format(starts, pgettext("date format", "l j F, H:i"))
    room = f", {session.room.name}" if session.room else ""
    return f"{when}–{ends:%H:%M} {session.title}{room}"


def heading(canvas, event, page_width, top):
    canvas.setFillColor(BRAND)
    canvas.rect(0, top - 22 * mm, page_width, 22 * mm, stroke=0, fill=1)
    canvas.setFillColor(white)
    size, lines = fit(event.name, BOLD, 18, page_width - 30 * mm, 16 * mm)
    draw_lines(canvas, lines, BOLD, size, 15 * mm, top - 4 * mm)


def ticket_pdf(registration):
    """A participant's own ticket: the QR code the door scans, who, when, where, and the sessions
    with a seat (or a waitlist place), in their language."""
    event = registration.event
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    width, height = A4
    margin = 18 * mm
    with translation.override(registration.language):
        canvas.setTitle(_("Ticket: %(event)s") % {"event": event.name})
        heading(canvas, event, width, height)
        top = height - 32 * mm
        canvas.setFillColor(INK)
        size, lines = fit(registration.full_name, BOLD, 22, width - 2 * margin - 60 * mm, 30 * mm)
        top = draw_lines(canvas, lines, BOLD, size, margin, top) - 2 * mm
        for text in (registration.organisation, str(registration.country.name)):
            size, lines = fit(text, REGULAR, 12, width - 2 * margin - 60 * mm, 30)
            top = draw_lines(canvas, lines, REGULAR, size, margin, top) - 1 * mm
        qr_side = 50 * mm
        canvas.drawImage(qr_image(registration.checkin_code), width - margin - qr_side, height - 32 * mm - qr_side,
                         qr_side, qr_side)
        canvas.setFont(REGULAR, 10)
        canvas.drawCentredString(width - margin - qr_side / 2, height - 36 * mm - qr_side,
                                 _("Check-in code: %(code)s") % {"code": registration.checkin_code})
        top = min(top, height - 45 * mm - qr_side) - 4 * mm
        where = ", ".join(part for part in (event.venue, event.city) if part)
        for text in (event_dates(event), where):
            size, lines = fit(text, REGULAR, 12, width - 2 * margin, 40)
            top = draw_lines(canvas, lines, REGULAR, size, margin, top) - 1 * mm
        top -= 5 * mm
        canvas.setFont(BOLD, 13)
        canvas.drawString(margin, top - 13, _("Your sessions"))
        top -= 20
        bookings = list(registration.bookings.live().select_related("session__room"))
        for booking in bookings or [None]:
            if booking is None:
                text = _("No session booked.")
            elif booking.status == Booking.Status.WAITLISTED:
                text = _("%(session)s (waitlist, position %(position)s)") % {
                    "session": session_line(booking.session, event), "position": booking.waitlist_position}
            else:
                text = session_line(booking.session, event)
            size, lines = fit(text, REGULAR, 10, width - 2 * margin, 40)
            top = room_for(canvas, top, len(lines) * size * LEADING, height)
            top = draw_lines(canvas, lines, REGULAR, size, margin, top) - 1.5 * mm
        if event.practical_information:
            top = room_for(canvas, top - 5 * mm, 40, height)
            canvas.setFont(BOLD, 13)
            canvas.drawString(margin, top - 13, _("Practical information"))
            top -= 20
            for paragraph in event.practical_information.splitlines():
                for line in wrap(paragraph, REGULAR, 9.5, width - 2 * margin) or [""]:
                    top = room_for(canvas, top, 9.5 * LEADING, height)
                    top = draw_lines(canvas, [line], REGULAR, 9.5, margin, top)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def attended_sessions(registration, now=None):
    """The sessions the person attended: those they were checked into; for a session nobody
    was checked into (no desk at its door), one they had a seat in that has ended."""
    now = now or timezone.now()
    seats = list(registration.bookings.filter(status=Booking.Status.CONFIRMED).select_related(
        "session__room").order_by("session__starts_at"))
    with_a_desk = set(Booking.objects.filter(
        session__in=[booking.session_id for booking in seats], checked_in_at__isnull=False,
    ).values_list("session_id", flat=True).distinct())
    return [booking.session for booking in seats if booking.checked_in_at or (
        booking.session_id not in with_a_desk and booking.session.ends_at <= now)]


def certificate_pdf(registration):
    """A certificate of attendance (A4 landscape) for someone checked in."""
    event = registration.event
    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height))
    margin = 25 * mm
    text_width = width - 2 * margin
    with translation.override(registration.language):
        canvas.setTitle(_("Certificate of attendance"))
        heading(canvas, event, width, height)
        canvas.setFillColor(INK)
        top = height - 45 * mm
        canvas.setFont(BOLD, 26)
        canvas.drawCentredString(width / 2, top, _("Certificate of attendance"))
        top -= 16 * mm
        canvas.setFont(REGULAR, 13)
        canvas.drawCentredString(width / 2, top, _("This is to certify that"))
        top -= 6 * mm
        size, lines = fit(registration.full_name, BOLD, 24, text_width, 22 * mm)
        top = draw_lines(canvas, lines, BOLD, size, margin, top, centred=True, width=text_width) - 3 * mm
        if registration.organisation:
            size, lines = fit(registration.organisation, REGULAR, 13, text_width, 12 * mm)
            top = draw_lines(canvas, lines, REGULAR, size, margin, top, centred=True, width=text_width) - 3 * mm
        where = ", ".join(part for part in (event.venue, event.city) if part)
        sentence = _("attended %(event)s, held in %(place)s, %(dates)s, organised by %(host)s.") % {
            "event": event.name, "place": where, "dates": event_dates(event), "host": event.host}
        size, lines = fit(sentence, REGULAR, 13, text_width, 20 * mm, max_lines=3)
        top = draw_lines(canvas, lines, REGULAR, size, margin, top, centred=True, width=text_width) - 5 * mm
        sessions = attended_sessions(registration)
        if sessions:
            canvas.setFont(BOLD, 11)
            canvas.drawString(margin, top - 11, _("Sessions attended:"))
            top -= 16
            for session in sessions:
                size, lines = fit(session_line(session, event), REGULAR, 10, text_width, 30)
                top = room_for(canvas, top, len(lines) * size * LEADING, height)
                top = draw_lines(canvas, lines, REGULAR, size, margin, top) - 1 * mm
        # The issue line at the foot of the last page, clear of the last session (room_for
        # keeps text above 20 mm).
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(GREY)
        issued = formats.date_format(timezone.localdate(timezone.now(), event.tz), pgettext("date format", "j F Y"))
        canvas.drawString(margin, 12 * mm, _("Issued on %(date)s by %(host)s.") % {"date": issued, "host": event.host})
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()
