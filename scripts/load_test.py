"""Load test: 20 people browsing the tracker and logging replies for 60 s, against gunicorn.

People arrive one every half second; each signs in, then keeps opening a tracker and a letter,
and now and then logs a reply with a document, pausing 1 to 3 s between pages as a person
reading them would (locust's `between(1, 3)`); `--think 0` hammers the server instead.

    python scripts/load_test.py [--users 20] [--seconds 60] [--database postgres://...]

Starts gunicorn (production settings: DEBUG=0) on a fresh PostgreSQL database with the demo
loaded, a Celery worker on Redis, and plain concurrent clients on loopback, each signing in
through the real form. Prints requests per second, p50/p95/p99 latency and the error count,
then checks that every reply a client logged is in the database.
"""

import argparse
import http.client
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
PORT = 8765
TODAY = date.today()  # a received date valid for every round's letters
WORKERS = "workers and threads as gunicorn.conf.py sets them"
PASSWORD = secrets.token_urlsafe(16)


def _kind(method: str, path: str) -> str:
    if path.startswith("/sign-in"):
        return "sign in"
    if path.startswith("/rounds/"):
        return "tracker"
    if path.startswith("/letters/"):
        return "letter page"
    return "log a reply (form)" if method == "GET" else "log a reply (send)"


class Browser:
    """One person's cookies; records every request's latency and every failure.

    A connection per request: people pause longer than a server keeps an idle one open.
    """

    def __init__(self, latencies: list, errors: list):
        self.cookies: dict[str, str] = {}
        self.latencies, self.errors = latencies, errors

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        """(status, page text); status 0 when no answer came."""
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.errors.append(f"{method} {path}: {error}")
            return 0, ""
        finally:
            connection.close()
        self.latencies.append((_kind(method, path), time.perf_counter() - started))
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.status >= 400:
            self.errors.append(f"{method} {path}: HTTP {response.status}")
        return response.status, content

    def form_post(self, path: str, fields: list[tuple[str, str]], files=()):
        token = self.cookies.get("csrftoken", "")
        headers = {"Referer": f"https://127.0.0.1{path}", "X-CSRFToken": token}
        if not files:
            body = urlencode([("csrfmiddlewaretoken", token), *fields]).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return self.request("POST", path, body, headers)
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in [("csrfmiddlewaretoken", token), *fields]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            )
        for name, filename, data in files:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n{data}\r\n'
            )
        parts.append(f"--{boundary}--\r\n")
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        return self.request("POST", path, "".join(parts).encode(), headers)


def person(
    username: str, start: float, until: float, plan: dict, latencies, errors, logged: list
) -> None:
    # People arrive over the first seconds, as at the start of a working day, not all at once:
    # signing in is deliberately slow (Argon2), twenty at the same instant would queue.
    time.sleep(max(0.0, start - time.monotonic()))
    browser = Browser(latencies, errors)
    browser.request("GET", "/sign-in/")
    browser.form_post("/sign-in/", [("username", username), ("password", PASSWORD)])
    rng = random.Random(username)  # noqa: S311 - load pattern, not security

    def think():
        time.sleep(rng.uniform(plan["think"], plan["think"] * 3))

    while time.monotonic() < until:
        browser.request("GET", rng.choice(plan["trackers"]))
        think()
        browser.request("GET", f"/letters/{rng.choice(plan['letters'])}/")
        think()
        if rng.random() < 0.3:
            letter = rng.choice(plan["letters"])
            browser.request("GET", f"/replies/new/?letter={letter}")
            think()
            marker = f"Load test {uuid.uuid4().hex[:12]}"
            status, page = browser.form_post(
                "/replies/new/",
                [
                    ("letter", str(letter)),
                    ("received_on_0", str(TODAY.day)),
                    ("received_on_1", str(TODAY.month)),
                    ("received_on_2", str(TODAY.year)),
                    ("channel", "email"),
                    ("from_name", marker),
                    ("kind", "full"),
                ],
                files=[("documents", "reply.txt", f"{marker}: our force works with the ROCU.")],
            )
            if status == 302:
                logged.append(marker)
            elif status:
                errors.append(f"reply refused for letter {letter}: HTTP {status}")


def _wait_for_port(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/sign-in/")
            return
        except OSError:
            time.sleep(0.3)
    sys.exit("gunicorn did not start")


def _warm_up(env: dict) -> None:
    """Measure the running service, not its start: wait for the worker, visit every web worker."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ping = subprocess.run(
            [sys.executable, "-m", "celery", "-A", "commissioner", "inspect", "ping", "-t", "2"],
            cwd=ROOT,
            env=env,
            capture_output=True,
        )
        if ping.returncode == 0:
            break
    warm = Browser([], [])
    for _ in range(30):
        warm.request("GET", "/sign-in/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/loadtest")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/7")
    parser.add_argument(
        "--think", type=float, default=1.0, help="shortest pause between pages, in seconds"
    )
    args = parser.parse_args()

    name = args.database.rsplit("/", 1)[1]
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": args.database,
        "CELERY_BROKER_URL": args.broker,
        "MEDIA_ROOT": f"/tmp/loadtest-media-{name}",
        "STATIC_ROOT": f"/tmp/loadtest-static-{name}",
    }
    manage = [sys.executable, "manage.py"]
    # The demo's letters are drawn in-process first, so no backlog competes with the test.
    setup_env = {key: value for key, value in env.items() if key != "CELERY_BROKER_URL"}
    for command in (["migrate", "--no-input"], ["collectstatic", "--no-input"], ["load_demo"]):
        subprocess.run([*manage, *command, "-v", "0"], cwd=ROOT, env=setup_env, check=True)
    setup = (
        "from django.contrib.auth.models import Group, User\n"
        "from letters.models import Letter, Round\n"
        "g = Group.objects.get(name='Secretariat')\n"
        f"for n in range({args.users}):\n"
        f"    u = User.objects.create_user(f'load{{n}}', password='{PASSWORD}')\n"
        "    u.groups.add(g)\n"
        "print(' '.join(r.slug for r in Round.objects.all()))\n"
        "print(' '.join(str(pk) for pk in Letter.objects.values_list('pk', flat=True)))\n"
    )
    out = subprocess.run(
        [*manage, "shell", "-v", "0", "-c", setup],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    plan = {
        "trackers": [f"/rounds/{slug}/" for slug in out[0].split()],
        "letters": [int(pk) for pk in out[1].split()],
        "think": args.think,
    }

    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "commissioner.wsgi",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--access-logfile",
                "/dev/null",
            ],
            cwd=ROOT,
            env=env,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "commissioner",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "1",
            ],
            cwd=ROOT,
            env=env,
        ),
    ]
    try:
        _wait_for_port()
        _warm_up(env)
        latencies, errors, logged = [], [], []
        begin = time.monotonic()
        until = begin + args.seconds
        threads = [
            threading.Thread(
                target=person,
                args=(f"load{n}", begin + n * 0.5, until, plan, latencies, errors, logged),
            )
            for n in range(args.users)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(timeout=30)

    quantiles = statistics.quantiles([seconds for _, seconds in latencies], n=100)
    print(
        f"{args.users} users for {elapsed:.0f} s against gunicorn ({WORKERS}), "
        f"pausing {args.think:g}-{args.think * 3:g} s between pages"
    )
    print(f"requests: {len(latencies)}, {len(latencies) / elapsed:.1f} per second")
    print(
        f"latency: p50 {quantiles[49] * 1000:.0f} ms, p95 {quantiles[94] * 1000:.0f} ms, "
        f"p99 {quantiles[98] * 1000:.0f} ms"
    )
    for kind in sorted({kind for kind, _ in latencies}):
        times = sorted(seconds for name, seconds in latencies if name == kind)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(
            f"  {kind}: {len(times)} requests, median {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms"
        )
    print(f"errors: {len(errors)}" + "".join(f"\n  {error}" for error in errors[:10]))
    check = (
        "from letters.models import Reply\n"
        f"wanted = {logged!r}\n"
        "found = set(\n"
        "    Reply.objects.filter(from_name__in=wanted).values_list('from_name', flat=True)\n"
        ")\n"
        "print(len(wanted), len(found))\n"
    )
    wanted, found = subprocess.run(
        [*manage, "shell", "-v", "0", "-c", check],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    print(f"replies logged by the clients: {wanted}; found in the database: {found}")


if __name__ == "__main__":
    main()
