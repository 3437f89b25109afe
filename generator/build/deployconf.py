"""Configuration files for the public host (`chenglai deploy-config`): nginx serves the
published site and proxies search to gunicorn; systemd runs the search service.

The nginx text goes into nginx's `http` block (`http { include mime.types; include it; }`),
for the layout `chenglai publish` makes under ROOT (site/, index/, gone.map).
"""

from __future__ import annotations

import re
import shlex

from generator.errors import UsageError

_ADDR = re.compile(r"(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})")
_SAFE = re.compile(r"/[A-Za-z0-9._/@+-]*")

# The theme has no inline script or style (tests/test_deploy_nginx.py checks the built site):
# nothing needs 'unsafe-inline'. Same policy as the search service's own headers.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),  # a search address holds what was typed: never sent on
]
ASSET_MAX_AGE = 30 * 86400  # assets: long (their names change rarely; a CDN is purged by publish)
PAGE_MAX_AGE = 3600  # record pages: an hour
LIST_MAX_AGE = 300  # lists, home, feeds, data: five minutes (a removal leaves them quickly)
GZIP_TYPES = (
    "text/css application/javascript application/json application/atom+xml application/rss+xml "
    "application/xml text/xml text/csv text/plain image/svg+xml"
)
# no query string in the log: a query may hold a person's name or ID number
LOG_FORMAT = (
    '$remote_addr - [$time_local] "$request_method $uri $server_protocol" $status $body_bytes_sent $request_time'
)
# gunicorn's access log, likewise without the query (%(U)s is the path alone)
GUNICORN_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(L)s'


def _addr(text: str) -> str:
    m = _ADDR.fullmatch(text)
    if not m or not 0 < int(m.group(2)) < 65536:
        raise UsageError(f"地址应为 主机:端口（如 127.0.0.1:8001）：{text!r}")
    return text


def _path(text: str) -> str:
    if not _SAFE.fullmatch(text):
        raise UsageError(f"路径应为绝对路径，只含字母、数字与 ._/@+-：{text!r}")
    return text.rstrip("/") or "/"


def _headers(cache: str, indent: str = "        ") -> str:
    # add_header in a location replaces the server's: every location repeats the whole set
    lines = [f'add_header Cache-Control "{cache}" always;']
    lines += [f'add_header {name} "{value}" always;' for name, value in SECURITY]
    return "\n".join(indent + line for line in lines)


def nginx(root: str = "/srv/chenglai", listen: str = "80", search: list[str] | None = None,
          rate: int = 10, burst: int = 20, access_log: str = "/var/log/nginx/chenglai.access.log",
          server_name: str = "_") -> str:  # fmt: skip
    """The server and upstream for nginx's http block."""
    root = _path(root)
    access_log = _path(access_log)
    if not re.fullmatch(r"\d{1,5}|" + _ADDR.pattern, listen):
        raise UsageError(f"监听地址应为 端口 或 主机:端口：{listen!r}")
    if not re.fullmatch(r"[A-Za-z0-9._*-]+", server_name):
        raise UsageError(f"server_name 不正确：{server_name!r}")
    if rate < 1 or burst < 0:
        raise UsageError("限流速率应为正整数")
    upstreams = [_addr(a) for a in (search or ["127.0.0.1:8001"])]
    servers = "\n".join(f"    server {a} max_fails=0;" for a in upstreams)
    proxy = f"""        limit_req zone=chenglai_search burst={burst} nodelay;
        limit_req_status 429;
        proxy_pass http://chenglai_search;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        # a process restarting or an index being swapped: the request goes to another process
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries {len(upstreams) + 1};
        proxy_connect_timeout 2s;
        proxy_read_timeout 10s;"""
    return f"""# chenglai: nginx configuration for the http block (chenglai deploy-config nginx).
#   http {{ include mime.types; include /etc/nginx/conf.d/chenglai.conf; }}
# Layout made by `chenglai publish` under {root}: site/ (served), index/ (search), gone.map.
# Reload nginx after a publish that changed gone.map (docs/deploy.md: a systemd path unit).

upstream chenglai_search {{
{servers}
    keepalive 32;
}}

# search: {rate} requests per second per client, bursts of {burst}
limit_req_zone $binary_remote_addr zone=chenglai_search:10m rate={rate}r/s;

# removed records' pages answer 410 Gone (written by chenglai publish). Their addresses are
# longer than the default hash bucket takes; many thousands over a notice period
map_hash_bucket_size 128;
map_hash_max_size 262144;
map $uri $chenglai_gone {{
    default 0;
    include {root}/gone.map;
}}

log_format chenglai_noquery '{LOG_FORMAT}';

server {{
    listen {listen};
    server_name {server_name};
    root {root}/site;
    index index.html;
    charset utf-8;
    server_tokens off;
    access_log {access_log} chenglai_noquery;

    gzip on;
    gzip_vary on;
    gzip_min_length 512;
    gzip_types {GZIP_TYPES};

    error_page 404 /404.html;

    if ($chenglai_gone) {{
        return 410;
    }}

    location / {{
        try_files $uri $uri/ =404;
{_headers(f"public, max-age={LIST_MAX_AGE}")}
    }}

    location = /404.html {{
        internal;
{_headers("no-store")}
    }}

    location ~ ^/(debtors|news)/(?!page/)[^/]+/ {{
        try_files $uri $uri/ =404;
{_headers(f"public, max-age={PAGE_MAX_AGE}")}
    }}

    location ~* \\.(css|js|png|jpg|jpeg|gif|svg|ico|woff2?|ttf|pdf)$ {{
        try_files $uri =404;
{_headers(f"public, max-age={ASSET_MAX_AGE}")}
    }}

    location ~* \\.(atom|rss|xml|json|csv|opml|txt)$ {{
        try_files $uri =404;
{_headers(f"public, max-age={LIST_MAX_AGE}")}
    }}

    location ~ /\\. {{
        return 404;
    }}

    location = /api/search {{
{proxy}
    }}

    location = /api/health {{
        proxy_pass http://chenglai_search;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        access_log off;
    }}

    location ^~ /search/ {{
{proxy}
    }}
}}
"""


def systemd(root: str = "/srv/chenglai", gunicorn: str = "/opt/chenglai/.venv/bin/gunicorn",
            workdir: str = "/opt/chenglai", user: str = "chenglai", workers: int = 2, threads: int = 4) -> str:  # fmt: skip
    """A template unit: `chenglai-search@8001.service` serves on 127.0.0.1:8001 (one instance per
    search process of nginx's upstream)."""
    root, gunicorn, workdir = _path(root), _path(gunicorn), _path(workdir)
    if not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", user):
        raise UsageError(f"用户名不正确：{user!r}")
    if workers < 1 or threads < 1:
        raise UsageError("进程数与线程数应为正整数")
    args = [
        gunicorn, "--bind", "127.0.0.1:%i", "--workers", str(workers), "--threads", str(threads),
        "--access-logfile", "-", "--access-logformat", GUNICORN_LOG_FORMAT, "--graceful-timeout", "20",
        "search.service:create_app()",
    ]  # fmt: skip
    # systemd expands % specifiers: the log format's own % are doubled, %i (the port) is kept
    exec_start = " ".join(a if a == "127.0.0.1:%i" else shlex.quote(a).replace("%", "%%") for a in args)
    return f"""# chenglai: search service (gunicorn), a systemd template unit (chenglai deploy-config systemd).
# Save as /etc/systemd/system/chenglai-search@.service, then one instance per port of nginx's
# upstream:  systemctl enable --now chenglai-search@8001 chenglai-search@8002
# The service reads {root}/index/CURRENT (written by chenglai publish) at every request and opens
# the new index without a restart. The access log has no query string: a query may hold a name.
[Unit]
Description=chenglai search service on 127.0.0.1:%i
After=network.target

[Service]
Type=notify
NotifyAccess=main
User={user}
Group={user}
WorkingDirectory={workdir}
Environment=CHENGLAI_INDEX={root}/index
ExecStart={exec_start}
ExecReload=/bin/kill -s HUP $MAINPID
KillMode=mixed
TimeoutStopSec=30
Restart=on-failure
RestartSec=2
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
ReadOnlyPaths={root}

[Install]
WantedBy=multi-user.target
"""
