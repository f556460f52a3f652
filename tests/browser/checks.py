"""What the browser tests check on every page: axe-core (WCAG 2.1 A and AA) in the page as
Chromium draws it, and the Nu Html Checker on the HTML it received. Both come from npm
(package.json; `make install-dev`)."""
import json
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AXE = os.path.join(ROOT, "node_modules", "axe-core", "axe.min.js")
VNU = os.path.join(ROOT, "node_modules", "vnu-jar", "build", "dist", "vnu.jar")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_problems(page, name):
    """axe-core's violations in the page as it is now (the context needs bypass_csp: axe is
    injected as a script, which our own Content-Security-Policy rightly forbids)."""
    page.add_script_tag(path=AXE)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [f"{name}: axe {violation['id']} ({violation['impact']}): {violation['help']} "
            f"{[node['target'] for node in violation['nodes']][:3]}" for violation in result["violations"]]


def keep_html(sources, folder, name, html):
    """Saves a page's HTML for html_problems(), under `name`."""
    sources[name] = folder / (re.sub(r"\W+", "-", name) + ".html")
    sources[name].write_text(html, encoding="utf-8")


def html_problems(sources):
    """The Nu Html Checker's errors in the saved pages ({name: path}), in one run of Java."""
    if not sources:
        return []
    checked = subprocess.run(["java", "-jar", VNU, "--format", "json", "--stdout", *map(str, sources.values())],
                             capture_output=True, text=True)
    by_file = {str(path): name for name, path in sources.items()}
    return [f"{by_file.get(message.get('url', '').removeprefix('file:'), message.get('url'))}: "
            f"HTML line {message.get('lastLine')}: {message['message']}"
            for message in json.loads(checked.stdout)["messages"] if message["type"] == "error"]
