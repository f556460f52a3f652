"""What the scripts in bench/ share: a throw-away PostgreSQL database, gunicorn, a participant
who signs up over HTTP the way a browser does (form first, for its CSRF cookie, then POST)."""
import http.client
import http.cookies
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
PYTHON = os.path.join(BIN, "python")
EVENT = "s3-platform-days-2018"


def environment(database_url, port, **extra):
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "RATE_LIMIT_POSTS": "1000000",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "HTTPS": "0",  # plain HTTP on loopback; production sits behind TLS
        **extra,
    }


def manage(*args, env):
    """Runs manage.py; returns the last line it printed."""
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"manage.py {args[0]} failed:\n{result.stderr[-2000:]}")
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def fresh_database(env):
    """Drops and creates the database of env's DATABASE_URL, migrates it, loads the 2018 event,
    collects the static files."""
    url = env["DATABASE_URL"]
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    maintenance = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", maintenance, "-qc", sql], check=True, stderr=subprocess.DEVNULL)
    manage("migrate", "--noinput", env=env)
    manage("load_s3days", env=env)
    manage("collectstatic", "--noinput", env=env)  # hashed, compressed static files, as in production


def session_ids(env):
    code = "from agenda.models import Session; import json; print(json.dumps({s.slug: s.pk for s in Session.objects.all()}))"
    import json

    return json.loads(manage("shell", "-c", code, env=env))


def start_gunicorn(env, port, workers):
    server = subprocess.Popen(
        [os.path.join(BIN, "gunicorn"), "s3days.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except Exception:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not start")


class Browser:
    """Just enough of a browser for the benchmarks, and light (http.client, not urllib's
    handler chain), so that the load generator leaves the two cores to the server: keeps
    cookies as they were sent, does not follow redirects."""

    def __init__(self, base):
        address = urllib.parse.urlsplit(base)
        self.host, self.port, self.cookies = address.hostname, address.port, {}

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers, body)."""
        headers = {**(headers or {}), "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.coded_value
        return response.status, response.headers, content


def sign_up(base, number, sessions, platform_id="1"):
    """One participant: GET the form, POST it, read the result page it is sent to.
    Returns (HTTP status of the POST, its seconds, the result page's HTML or None)."""
    browser = Browser(base)
    path = f"/{EVENT}/register/"
    form = browser.request("GET", path)[2].decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({
        "csrfmiddlewaretoken": token, "first_name": f"Bench{number}", "last_name": "Participant",
        "email": f"bench{number}@example.org", "organisation": "Bench Lab", "country": "ES",
        "region": "ES21", "stakeholder_type": "research", "platforms": platform_id,
        "sessions": sessions, "consent": "on",
    }, doseq=True)
    started = time.perf_counter()
    status, headers, _ = browser.request("POST", path, body=data, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Referer": base + "/",
    })
    latency = time.perf_counter() - started
    result = None
    if status == 302 and headers.get("Location"):
        result = browser.request("GET", urllib.parse.urlsplit(headers["Location"]).path)[2].decode()
    return status, latency, result


def cpu_seconds(pids):
    """User + system CPU seconds the processes have used so far (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def machine_cpu_ticks():
    """(busy, total) CPU ticks of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def process_ids(*, parent=None, name=None):
    """PIDs of the children of `parent`, or of every process called `name`."""
    command = ["pgrep", "-P", str(parent)] if parent else ["pgrep", "-x", name]
    return [int(pid) for pid in subprocess.run(command, capture_output=True, text=True).stdout.split()]


def stop(process, timeout=10):
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
