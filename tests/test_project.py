"""The project's wiring: settings, checks, migrations, the compose file."""

import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

BASE = settings.BASE_DIR
# The interface every deployment relies on (DESIGN.md, "Environment").
INTERFACE_VARIABLES = {
    "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DEFAULT_FROM_EMAIL", "SECRET_KEY", "DEBUG",
    "ALLOWED_HOSTS", "SITE_URL", "DELIVERY_LIVE",
}


def variables_read_by_settings():
    source = (BASE / "campaign" / "settings.py").read_text()
    return set(re.findall(r'env_[a-z_]+\(\s*"([A-Z_]+)"', source))


def start_django(code="import django; django.setup()", **environ):
    """Load the settings (or run `code`) in a fresh interpreter with exactly these variables set."""
    env = {k: v for k, v in os.environ.items() if k not in variables_read_by_settings()}
    env.update(environ)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE, env=env, capture_output=True, text=True, timeout=60,
    )


def test_settings_read_every_interface_variable():
    assert variables_read_by_settings() >= INTERFACE_VARIABLES


def readme_lines():
    return (BASE / "README.md").read_text().splitlines()


def test_every_variable_the_settings_read_is_documented_in_the_readme():
    """An operator configures the site from the README's table; SESSION_COOKIE_AGE was read but
    not listed there, so no one deploying knew admin sessions could be made shorter or longer."""
    table = "\n".join(line for line in readme_lines() if line.startswith("| `"))
    undocumented = {name for name in variables_read_by_settings() if f"`{name}`" not in table}
    assert not undocumented, f"read by campaign/settings.py but not in README's table: {sorted(undocumented)}"
    # And the other way: a row for a variable the settings no longer read sends an operator to set nothing.
    rows = {name for line in table.splitlines() for name in re.findall(r"`([A-Z_]+)`", line.split("|")[1])}
    stale = rows - variables_read_by_settings()
    assert not stale, f"in README's table but never read by campaign/settings.py: {sorted(stale)}"


def test_the_readmes_email_urls_do_what_it_says():
    """Its example was smtp://user:pass@host:587, which django-environ reads as no TLS at all (the
    password in the clear), and filemail://path, which wrote the emails to no path."""
    import environ

    row = next(line for line in readme_lines() if line.startswith("| `EMAIL_URL` |"))
    examples = re.findall(r"`((?:smtp[a-z+]*|filemail)://[^`]*)`", row)
    assert len(examples) >= 3, row
    for url in examples:
        config = environ.Env.email_url_config(url)
        if config["EMAIL_HOST_PASSWORD"]:
            assert config.get("EMAIL_USE_TLS") or config.get("EMAIL_USE_SSL"), f"{url}: a password in the clear"
        if url.startswith("filemail"):
            assert config["EMAIL_FILE_PATH"] == "var/mail" and "`var/mail/`" in row, url


def test_the_readme_says_what_the_browser_tests_need():
    """It said make test needed only Python and make; tests/browser/ fails without this Chromium."""
    chromium = re.search(r'^CHROMIUM = "([^"]+)"', (BASE / "tests" / "browser" / "conftest.py").read_text(), re.M)[1]
    readme = "\n".join(readme_lines())
    assert f"`{chromium}`" in readme
    assert "chromium" in re.findall(r"need\+=\((\S+)\)", (BASE / ".ci" / "run").read_text())


def test_settings_start_with_nothing_but_debug_set():
    result = start_django(DEBUG="true")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"DEBUG": "maybe"}, "DEBUG must be true or false"),
        ({"DEBUG": "true", "DELIVERY_LIVE": "ja"}, "DELIVERY_LIVE must be true or false"),
        ({"DEBUG": "false"}, "SECRET_KEY must be set"),
        ({"DEBUG": "true", "DATABASE_URL": "mysql://db/x"}, "DATABASE_URL must be a URL"),
        ({"DEBUG": "true", "REDIS_URL": "localhost:6379"}, "REDIS_URL must be a URL"),
        ({"DEBUG": "true", "EMAIL_URL": "mailgun://key"}, "EMAIL_URL must be a URL"),
        ({"DEBUG": "true", "SITE_URL": "example.org"}, "SITE_URL must be a URL"),
        ({"DEBUG": "true", "CONN_MAX_AGE": "forever"}, "CONN_MAX_AGE must be a whole number"),
        ({"DEBUG": "true", "SITE_URL": "https://"}, "SITE_URL must name the site's host"),
        # Served at the root of its host only: with a path, the links in emails pointed under it and
        # the pages' own links outside it, and one of the two sets was broken whatever the proxy did.
        ({"DEBUG": "true", "SITE_URL": "https://example.org/petitions"}, "SITE_URL must be the site's address"),
        ({"DEBUG": "true", "SITE_URL": "https://example.org/?utm=x"}, "SITE_URL must be the site's address"),
        ({"DEBUG": "true", "SITE_URL": "https://example.org:99999"}, "SITE_URL has a port that is not a number"),
        ({"DEBUG": "true", "EMAIL_URL": "smtp://mail:abc"}, "EMAIL_URL has a port that is not a number"),
        ({"DEBUG": "true", "REDIS_URL": "redis://redis:xx/0"}, "REDIS_URL has a port that is not a number"),
        # Every send raised ValueError, and each signer's confirmation was dropped as undeliverable.
        ({"DEBUG": "true", "DEFAULT_FROM_EMAIL": "Solidarity petitions <noreply@>"}, "DEFAULT_FROM_EMAIL must be one"),
        ({"DEBUG": "true", "DEFAULT_FROM_EMAIL": "not an address"}, "DEFAULT_FROM_EMAIL must be one address"),
        ({"DEBUG": "true", "DEFAULT_FROM_EMAIL": "a@example.org, b@example.org"}, "DEFAULT_FROM_EMAIL must be one"),
        # A zero period: every sign POST died dividing by it (petitions.limits).
        ({"DEBUG": "true", "SIGN_RATE_BURST": "10/0m"}, "SIGN_RATE_BURST must look like 10/m"),
        ({"DEBUG": "true", "SIGN_RATE_SUSTAINED": "0/h"}, "SIGN_RATE_SUSTAINED must look like 10/m"),
        ({"DEBUG": "true", "SIGN_RATE_SUSTAINED": "100/hour"}, "SIGN_RATE_SUSTAINED must look like 10/m"),
        ({"DEBUG": "true", "CELERY_TASK_SOFT_TIME_LIMIT": "600"}, "must be less than CELERY_TASK_TIME_LIMIT"),
        ({"DEBUG": "true", "CELERY_TASK_SOFT_TIME_LIMIT": "300"}, "must be less than CELERY_TASK_TIME_LIMIT"),
        ({"DEBUG": "true", "ADMIN_URL": "/"}, "ADMIN_URL must be a path"),
        ({"DEBUG": "true", "ADMIN_URL": ""}, "ADMIN_URL must be a path"),
        ({"DEBUG": "true", "CELERY_RESULT_BACKEND": "nonsense"}, "CELERY_RESULT_BACKEND must be a result backend"),
        ({"DEBUG": "true", "NAMING_RISK_COUNTRIES": "RU,Belarus"}, "not a country: BELARUS"),
        ({"DEBUG": "true", "NAMING_RISK_COUNTRIES": "RU;BY"}, "not a country: RU;BY"),
    ],
)
def test_malformed_settings_fail_at_start_up_with_a_clear_message(variables, message):
    result = start_django(**variables)
    assert result.returncode != 0
    assert message in result.stderr
    assert "ImproperlyConfigured" in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("name", ["DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"])
def test_a_malformed_port_is_named_without_showing_the_password(name):
    scheme = "postgres" if name == "DATABASE_URL" else "redis"
    result = start_django(DEBUG="true", **{name: f"{scheme}://user:hunter2secret@host:notaport/0"})
    assert result.returncode != 0
    assert f"{name} has a port that is not a number from 0 to 65535" in result.stderr
    assert "hunter2secret" not in result.stderr and "notaport" not in result.stderr


def test_values_starting_with_a_dollar_sign_are_read_as_they_are():
    """django-environ reads "$NAME" as the value of NAME: a generated SECRET_KEY starting with "$"
    was reported as not set, and such an IP_HASH_KEY silently became SECRET_KEY."""
    result = start_django(
        "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY, s.IP_HASH_KEY)",
        DEBUG="false", SECRET_KEY="$" + "k" * 59, IP_HASH_KEY="$separate-key",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["$" + "k" * 59, "$separate-key"]


def test_a_batch_of_signers_emails_is_leased_for_longer_than_a_task_may_run():
    """The lease was 10 minutes whatever CELERY_TASK_TIME_LIMIT said: with a longer limit, a worker
    still sending a batch saw another claim the same rows and send them again."""
    code = "import django; django.setup(); from petitions import outbox; print(outbox.LEASE.total_seconds())"
    assert float(start_django(code, DEBUG="true", CELERY_TASK_TIME_LIMIT="1200").stdout) > 1200
    assert float(start_django(code, DEBUG="true").stdout) == 600


def test_naming_risk_countries_are_read_in_any_case_and_may_be_none():
    code = "import django; django.setup(); from django.conf import settings as s; " \
           "print(*sorted(s.NAMING_RISK_COUNTRIES))"
    assert start_django(code, DEBUG="true", NAMING_RISK_COUNTRIES="by, ru ,kz").stdout.split() == ["BY", "KZ", "RU"]
    assert start_django(code, DEBUG="true", NAMING_RISK_COUNTRIES="").stdout.split() == []
    assert start_django(code, DEBUG="true").stdout.split() == ["BY", "RU"]


def test_old_secret_keys_are_read_as_a_list_of_fallbacks():
    code = "import django; django.setup(); from django.conf import settings as s; print(*s.SECRET_KEY_FALLBACKS)"
    result = start_django(code, DEBUG="false", SECRET_KEY="k" * 50, SECRET_KEY_FALLBACKS="$old-one, older-one")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["$old-one", "older-one"]


def test_the_web_servers_default_workers_are_the_cpus_it_may_run_on_not_the_hosts():
    """A container pinned to some of a big host's cores (docker --cpuset-cpus) started a worker per
    core of the host, each holding WEB_THREADS database connections: Postgres's 100 ran out."""
    code = "import django; django.setup(); from django.conf import settings as s; print(s.WEB_CONCURRENCY)"
    env = {k: v for k, v in os.environ.items() if k not in variables_read_by_settings()}
    env["DEBUG"] = "true"
    pinned = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", code], cwd=BASE, env=env,
                            capture_output=True, text=True, timeout=60)
    assert pinned.returncode == 0, pinned.stderr
    assert pinned.stdout.split() == ["1"]
    assert start_django(code, DEBUG="true", WEB_CONCURRENCY="3").stdout.split() == ["3"]


def _cpu_cgroup(quota_us):
    """A real cgroup with a CPU quota, made here as root: v1's cpu controller (this machine) or v2's."""
    for mount, files in [(Path("/sys/fs/cgroup/cpu"), {"cpu.cfs_quota_us": str(quota_us)}),
                         (Path("/sys/fs/cgroup"), {"cpu.max": f"{quota_us} 100000"})]:
        group = mount / f"petitions-test-{os.getpid()}"
        try:
            group.mkdir()
        except OSError:
            continue
        try:
            for name, value in files.items():
                (group / name).write_text(value)
            return group
        except OSError:
            group.rmdir()
    pytest.skip("no cgroup with a CPU controller can be made on this machine (not root?)")


def test_the_web_servers_default_workers_stay_within_the_containers_cpu_quota():
    """docker run --cpus=1 on a many-core host: a worker per core of the host, each with its own
    database connections, ran Postgres out of connections while the quota gave each a sliver."""
    code = "import django; django.setup(); from django.conf import settings as s; print(s.WEB_CONCURRENCY)"
    env = {k: v for k, v in os.environ.items() if k not in variables_read_by_settings()}
    env["DEBUG"] = "true"
    group = _cpu_cgroup(100000)  # 100 ms of every 100 ms: one CPU
    try:
        limited = subprocess.run(
            [sys.executable, "-c", code], cwd=BASE, env=env, capture_output=True, text=True, timeout=60,
            preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())),  # noqa: PLW1509
        )
    finally:
        group.rmdir()  # the process has exited: the group is empty
    assert limited.returncode == 0, limited.stderr
    assert limited.stdout.split() == ["1"]
    assert len(os.sched_getaffinity(0)) > 1  # it may run on more cores than that; else this proves nothing


@pytest.mark.parametrize(("lines", "files", "expected"), [
    # v2, the container's own cgroup at the root; a quota of 1.5 CPUs, an unlimited parent
    ("0::/\n", {"cpu.max": "150000 100000"}, 1.5),
    ("0::/a/b\n", {"a/cpu.max": "max 100000", "a/b/cpu.max": "200000 100000"}, 2),
    # a parent's quota binds the child's too
    ("0::/a/b\n", {"a/cpu.max": "50000 100000", "a/b/cpu.max": "max 100000"}, 0.5),
    # v1 "cpu,cpuacct", the host's path not visible in the container: the mount's root applies
    ("4:cpu,cpuacct:/docker/abc\n", {"cpu,cpuacct/cpu.cfs_quota_us": "300000",
                                      "cpu,cpuacct/cpu.cfs_period_us": "100000"}, 3),
    ("4:cpu,cpuacct:/\n", {"cpu,cpuacct/cpu.cfs_quota_us": "-1", "cpu,cpuacct/cpu.cfs_period_us": "100000"}, None),
    ("0::/\n", {}, None),  # no cpu controller
])
def test_the_cpu_quota_is_read_from_either_cgroup_version(tmp_path, lines, files, expected):
    from campaign import cpus

    (tmp_path / "proc").write_text(lines)
    for name, value in files.items():
        (tmp_path / "fs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / name).write_text(value)
    (tmp_path / "fs").mkdir(exist_ok=True)
    assert cpus.quota_in_cpus(tmp_path / "proc", tmp_path / "fs") == expected
    assert cpus.available(tmp_path / "proc", tmp_path / "fs") == (
        min(len(os.sched_getaffinity(0)), max(1, math.ceil(expected))) if expected else len(os.sched_getaffinity(0)))


def test_a_postgres_host_that_does_not_answer_fails_within_seconds_unless_the_url_says_otherwise():
    code = "import django; django.setup(); from django.conf import settings as s; " \
        "print(s.DATABASES['default']['OPTIONS'].get('connect_timeout'))"
    for url, expected in [("postgres://u@db/x", "5"), ("postgres://u@db/x?connect_timeout=2", "2")]:
        result = start_django(code, DEBUG="true", DATABASE_URL=url)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [expected]


def test_allowed_hosts_are_trimmed_and_always_include_the_host_of_site_url():
    code = "import django; django.setup(); from django.conf import settings as s; print(*s.ALLOWED_HOSTS)"
    result = start_django(code, DEBUG="true", ALLOWED_HOSTS="localhost, example.org ,",
                          SITE_URL="https://petitions.example.org")
    assert result.returncode == 0, result.stderr
    # Compose lists its own hosts; overriding SITE_URL alone left the site answering 400 to its own name.
    assert result.stdout.split() == ["localhost", "example.org", "petitions.example.org"]


SERVICES = {"DATABASE_URL": "postgres://u:p@db:5432/x", "REDIS_URL": "redis://redis:6379/0",
            "EMAIL_URL": "smtp://relay:25", "DEFAULT_FROM_EMAIL": "Solidarity petitions <noreply@example.org>"}


@pytest.mark.parametrize("missing", SERVICES)
def test_production_behind_https_refuses_the_development_defaults(missing):
    """Without EMAIL_URL signers' emails (and addresses) went to the log; without DATABASE_URL into a
    SQLite file in the container; without REDIS_URL the broker was the container's disk; without
    DEFAULT_FROM_EMAIL every email came from noreply@localhost, which receivers reject as unverifiable."""
    variables = {k: v for k, v in SERVICES.items() if k != missing}
    result = start_django(DEBUG="false", SECRET_KEY="x" * 50, SITE_URL="https://petitions.example.org", **variables)
    assert result.returncode != 0
    assert f"{missing} must be set when SITE_URL is https:// and DEBUG is false" in result.stderr
    assert start_django(DEBUG="false", SECRET_KEY="x" * 50, SITE_URL="https://petitions.example.org",
                        **SERVICES).returncode == 0
    # The operator reads the requirement in the README's SITE_URL row (DEFAULT_FROM_EMAIL was left out).
    site_url_row = next(line for line in readme_lines() if line.startswith("| `SITE_URL` |"))
    assert f"`{missing}`" in site_url_row


def test_production_settings_on_plain_http_need_no_services():
    # Tests, benchmarks and .ci/run start DEBUG=false on http://127.0.0.1 with what they have.
    result = start_django(DEBUG="false", SECRET_KEY="x" * 50, SITE_URL="http://127.0.0.1:8000")
    assert result.returncode == 0, result.stderr


def test_the_web_servers_application_leaves_what_it_loaded_out_of_the_garbage_collectors_passes():
    result = start_django("import gc, campaign.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))",
                          DEBUG="true")
    assert result.returncode == 0, result.stderr
    frozen, tracked = map(int, result.stdout.split())
    assert frozen > 20_000 and tracked < frozen / 10


def test_processes_start_from_the_dependencies_compiled_bytecode():
    """`make install` compiles them (as the image does): with PYTHONDONTWRITEBYTECODE set, as on this
    machine and in the image, every process would otherwise compile each module it imports, every
    time it starts -- 1.8 s of CPU and 13 MB of memory more per web or worker process."""
    code = (
        "import importlib.util, os, sys, campaign.wsgi, campaign.celery\n"
        "sources = [m.__spec__.origin for m in list(sys.modules.values()) if getattr(m, '__spec__', None)"
        " and (m.__spec__.origin or '').endswith('.py') and m.__spec__.origin.startswith(sys.prefix)]\n"
        "missing = [s for s in sources if not os.path.exists(importlib.util.cache_from_source(s))]\n"
        "print(len(sources), len(missing), *missing[:3])"
    )
    result = start_django(code, DEBUG="true", PYTHONDONTWRITEBYTECODE="1")
    assert result.returncode == 0, result.stderr
    loaded, missing, *examples = result.stdout.split()
    assert int(loaded) > 500
    assert int(missing) == 0, f"compiled by nobody (make install compiles them): {examples}"


def test_the_image_installs_a_pinned_uv():
    """The dependencies come from uv.lock, but the uv that reads it came from whatever PyPI had on the
    day: builds were not reproducible."""
    dockerfile = (BASE / "Dockerfile").read_text()
    assert re.search(r"pip install [^\n]*\buv==\d+\.\d+\.\d+", dockerfile), "pin uv in the Dockerfile"


def test_the_image_ships_compiled_bytecode_as_well():
    """The image sets PYTHONDONTWRITEBYTECODE and runs as a user who cannot write the code: its
    bytecode must be made while it is built (no Docker here: read the Dockerfile)."""
    dockerfile = (BASE / "Dockerfile").read_text()
    assert "PYTHONDONTWRITEBYTECODE=1" in dockerfile  # the reason for the two lines below
    assert re.search(r"^\s*UV_COMPILE_BYTECODE=1\b", dockerfile, re.MULTILINE), "uv sync must compile the venv"
    compiled = re.search(r"python -m compileall -q ([\w ]+?) \\", dockerfile)
    assert compiled, "the project's own packages must be compiled"
    apps = {entry.split(".")[0] for entry in settings.INSTALLED_APPS}
    ours = {path.name for path in BASE.iterdir() if (path / "__init__.py").exists()} & apps
    assert ours and ours <= set(compiled.group(1).split())


def test_https_only_settings_follow_the_scheme_of_site_url():
    check = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.ADMIN_TWO_FACTOR)"
    )
    common = {k: v for k, v in os.environ.items() if k not in variables_read_by_settings()}
    common.update(DEBUG="false", SECRET_KEY="x" * 50, DJANGO_SETTINGS_MODULE="campaign.settings", **SERVICES)
    outputs = {}
    for url in ("http://127.0.0.1:8000", "https://petitions.example.org"):
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {check}"],
            cwd=BASE, env={**common, "SITE_URL": url}, capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        outputs[url] = result.stdout.split()
    assert outputs["http://127.0.0.1:8000"] == ["False", "False", "False", "False"]
    assert outputs["https://petitions.example.org"] == ["True", "True", "True", "True"]


def test_the_web_server_refuses_to_start_without_the_collected_static_files(tmp_path):
    """Without collectstatic's manifest (a deployment outside the image, or STATIC_ROOT set at run
    time away from where the image collected them) every page was a 500 while /healthz said ok."""
    env = {k: v for k, v in os.environ.items() if k not in variables_read_by_settings()}
    env.update(DEBUG="false", SECRET_KEY="x" * 50, STATIC_ROOT=str(tmp_path))
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--bind", "127.0.0.1:8102"],
        cwd=BASE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        _out, err = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # granian's worker processes too
        server.communicate()
        pytest.fail("manage.py serve started without the static files")
    assert server.returncode != 0
    assert f"No collected static files in STATIC_ROOT ({tmp_path})" in err
    assert "collectstatic" in err and "Traceback" not in err


def test_system_checks_are_clean():
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def compose():
    return yaml.safe_load((BASE / "docker-compose.yml").read_text())


def test_compose_runs_the_whole_stack():
    services = compose()["services"]
    assert {"postgres", "redis", "mailcatcher", "web", "worker", "beat"} <= services.keys()
    assert "manage.py serve" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "campaign", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "campaign", "beat"]


def test_the_mail_catcher_shows_signers_emails_to_this_machine_only():
    """Mailpit shows every email with its address and links: published on every interface, anyone
    who reaches a machine running the compose file could read them."""
    for port in compose()["services"]["mailcatcher"]["ports"]:
        assert str(port).startswith("127.0.0.1:"), port


def test_compose_sets_exactly_variables_the_settings_read():
    services = compose()["services"]
    read = variables_read_by_settings()
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env.keys() >= INTERFACE_VARIABLES, name
        assert set(env) <= read, f"{name} sets variables the settings never read"
    web = services["web"]["environment"]
    assert web["DEBUG"] == "false"
    assert web["DATABASE_URL"].startswith("postgres://") and "@postgres:" in web["DATABASE_URL"]
    assert web["REDIS_URL"].startswith("redis://redis:")
    assert interpolate(web["EMAIL_URL"], {}).startswith("smtp://mailcatcher:")
    assert web["DELIVERY_LIVE"] == "false"


def interpolate(value, variables):
    """Compose's ${NAME:-default} and ${NAME:?error}, with `variables` as the operator's shell."""
    def one(match):
        name, op, arg = match.groups()
        if variables.get(name):
            return variables[name]
        if op == ":?":
            raise LookupError(f"{name}: {arg}")
        return arg
    return re.sub(r"\$\{([A-Z_]+)(:-|:\?)([^}]*)\}", one, value)


def test_compose_has_no_default_secret_key():
    """A default written in the compose file is public: compose must refuse to start without one."""
    for name in ("migrate", "web", "worker", "beat"):
        key = compose()["services"][name]["environment"]["SECRET_KEY"]
        with pytest.raises(LookupError, match="set SECRET_KEY"):
            interpolate(key, {})
        assert interpolate(key, {"SECRET_KEY": "k" * 50}) == "k" * 50
    # The README keeps it in .env beside the compose file: never copied into the image.
    assert ".env" in (BASE / ".dockerignore").read_text().split()


def test_compose_answers_to_the_site_url_the_operator_sets():
    """ALLOWED_HOSTS was written into the compose file while SITE_URL could be overridden: the
    site then answered 400 to its own name. The web healthcheck asks under that name too."""
    web = compose()["services"]["web"]
    shell = {"SECRET_KEY": "x" * 50, "SITE_URL": "https://petitions.example.org"}
    variables = {name: interpolate(value, shell) for name, value in web["environment"].items()}
    assert interpolate(web["environment"]["ALLOWED_HOSTS"], {"ALLOWED_HOSTS": "a.example"}) == "a.example"
    # The services it names do not run here; only the site's answer to its own host matters.
    variables.update(DATABASE_URL="sqlite:///:memory:", DJANGO_SETTINGS_MODULE="campaign.settings")
    healthcheck = web["healthcheck"]["test"]
    assert healthcheck[:3] == ["CMD", "python", "-c"] and "/healthz" in healthcheck[3]
    code = (
        "import django; django.setup(); from django.test import Client;"
        " print(Client().get('/healthz', HTTP_HOST='petitions.example.org').status_code)"
    )
    result = start_django(code, **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200"]  # not 400 (host not allowed), not 301 (to https)


def test_compose_sends_mail_through_the_relay_the_operator_sets_else_to_mailpit():
    """EMAIL_URL was written into the compose file: with an https SITE_URL in .env, the settings'
    refusal to start without a mail relay never fired, and every email went to Mailpit."""
    relay = "smtp+tls://petitions:secret@relay.example.org:587"
    for name in ("web", "worker", "beat"):
        setting = compose()["services"][name]["environment"]["EMAIL_URL"]
        assert interpolate(setting, {"EMAIL_URL": relay}) == relay, name
        assert interpolate(setting, {}) == "smtp://mailcatcher:1025", name


def test_compose_migrates_once_before_web_worker_and_beat_start():
    """The web service migrated while the worker and beat (whose DatabaseScheduler reads its tables)
    were already starting; a one-shot service now migrates and the others wait for it."""
    services = compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"  # a finished one-shot must not be started again
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy", name
        assert "migrate" not in str(services[name]["command"]), name
    for name in ("postgres", "redis", "web"):
        assert services[name]["healthcheck"]["test"], name


def test_the_image_makes_the_volumes_mount_points_for_the_user_it_runs_as():
    """Docker creates a missing mount point owned by root, and the app runs as `app`: photo uploads
    and letters failed with PermissionError."""
    dockerfile = (BASE / "Dockerfile").read_text()
    user = dockerfile.index("\nUSER app\n")
    made = re.search(r"mkdir -p ([^&]+?) && chown -R app:app (\S+)", dockerfile[:user])
    assert made, "the Dockerfile must make and chown the mount points before USER app"
    for volume in compose()["x-django"]["volumes"]:
        target = volume.split(":")[1]
        assert target in made.group(1).split() and target.startswith(made.group(2)), target


# A python3 as Debian 12 ships it: pip refuses to install outside a virtualenv (PEP 668, "externally
# managed") unless told --break-system-packages. `pip install` here just writes a uv that prints its home.
FAKE_PYTHON = r"""#!/bin/bash
home="$(cd "$(dirname "$0")/.." && pwd)"
case "$1 $2 $3" in
  "-m pip install")
    if [ ! -e "$home/pyvenv.cfg" ] && [ -n "$REFUSE" ] && [[ " $* " != *" --break-system-packages "* ]]; then
      echo "error: externally-managed-environment" >&2; exit 1; fi
    printf '#!/bin/sh\necho uv from %s\n' "$home" > "$home/bin/uv"; chmod +x "$home/bin/uv" ;;
  "-m venv "*)
    [ -n "$NO_VENV" ] && exit 1
    mkdir -p "$3/bin" && touch "$3/pyvenv.cfg" && cp "$0" "$3/bin/python" ;;
  "-c "*) echo "$home/bin/uv" ;;
esac
"""


@pytest.mark.parametrize("system, installed_by", [
    ({}, "pip --user"),
    ({"REFUSE": "1"}, "a virtualenv of its own"),  # Debian 12: pip --user fails
    ({"REFUSE": "1", "NO_VENV": "1"}, "--break-system-packages"),  # ... and no python3-venv
])
def test_uv_is_installed_where_the_makefile_looks_for_it(tmp_path, system, installed_by):
    """make install and .ci/run bootstrapped uv with `pip install --user uv`, which a PEP 668 system
    Python (Debian 12) refuses: the fallbacks must leave a working uv at ~/.local/bin/uv."""
    python = tmp_path / "system" / "bin" / "python3"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    home = tmp_path / "home"
    env = {"HOME": str(home), "PATH": f"{python.parent}:/usr/bin:/bin", **system}
    result = subprocess.run(["bash", BASE / ".ci" / "install-uv"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    uv = subprocess.run([home / ".local" / "bin" / "uv"], capture_output=True, text=True).stdout
    bootstrap = home / ".local" / "share" / "uv-bootstrap"
    expected = bootstrap if installed_by == "a virtualenv of its own" else tmp_path / "system"
    assert uv.strip() == f"uv from {expected}"
    makefile = (BASE / "Makefile").read_text()
    assert '$(HOME)/.local/bin/uv' in makefile and re.search(r"^\$\(UV\):\n\tbash \.ci/install-uv$", makefile, re.M)
    assert ".ci/install-uv" in (BASE / ".ci" / "run").read_text()


def test_the_process_memory_cache_hands_out_what_it_keeps_and_forgets_it_in_time():
    """caches["local"] (campaign.cache.ProcessMemoryCache): LocMemCache's behaviour, without pickling."""
    from datetime import timedelta

    import time_machine
    from django.core.cache import caches
    from django.utils import timezone

    local = caches["local"]
    page = {"count": 12}
    local.set("page", page, 2)
    assert local.get("page") is page  # not a copy
    assert not local.add("page", {"count": 13}) and local.get("page") is page
    assert local.add("visits", 1, 2) and local.incr("visits") == 2
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):
        assert local.get("page") is None and local.add("page", page, 2)
