"""Reading a page's form as a browser would submit it: the admin tests and bench/mixed_drill.py
post the organisers' forms back with one field changed."""
import html.parser


class FormFields(html.parser.HTMLParser):
    """The fields of the page's form with id `form_id`, as a browser submits them: (name, value)."""

    def __init__(self, page, form_id):
        super().__init__()
        self.form_id, self.inside, self.fields, self.select, self.textarea = form_id, False, [], None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name") or ""
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif not self.inside or (tag != "option" and (not name or "__prefix__" in name)):
            return  # outside the form, or the inlines' template for "Add another"
        elif tag == "input" and attrs.get("type") in ("checkbox", "radio"):
            if "checked" in attrs:
                self.fields.append((name, attrs.get("value") or "on"))
        elif tag == "input" and attrs.get("type") not in ("submit", "button", "image", "reset", "file"):
            self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select":
            self.select = {"name": name, "multiple": "multiple" in attrs, "first": None, "chosen": []}
        elif tag == "option" and self.select:
            value = attrs.get("value") or ""
            self.select["first"] = value if self.select["first"] is None else self.select["first"]
            if "selected" in attrs:
                self.select["chosen"].append(value)
        elif tag == "textarea":
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self.select:
            chosen = self.select["chosen"] or ([] if self.select["multiple"] else [self.select["first"] or ""])
            self.fields += [(self.select["name"], value) for value in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea[0], self.textarea[1].removeprefix("\r").removeprefix("\n")))
            self.textarea = None


def form_data(page, form_id):
    """{name: value, or [values] for a field sent more than once} of the page's form."""
    data = {}
    for name, value in FormFields(page, form_id).fields:
        data.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in data.items()}
