"""`chenglai deploy-config nginx|systemd`: configuration for the public host, printed."""

from __future__ import annotations

import argparse

from generator.cli.registry import EXIT_OK, command


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=["nginx", "systemd"], help="nginx：http 块中的站点配置；systemd：搜索服务单元")
    p.add_argument(
        "--root", default="/srv/chenglai", metavar="DIR", help="发布目录（chenglai publish 的目标；默认 /srv/chenglai）"
    )
    p.add_argument("--listen", default="80", metavar="ADDR:PORT", help="nginx 监听地址（默认 80）")
    p.add_argument(
        "--search", nargs="+", default=["127.0.0.1:8001"], metavar="ADDR:PORT",
        help="搜索服务进程的地址，可多个（默认 127.0.0.1:8001）",
    )  # fmt: skip
    p.add_argument("--rate", type=int, default=10, metavar="N", help="每个访问者每秒搜索请求数上限（默认 10）")
    p.add_argument("--burst", type=int, default=20, metavar="N", help="允许的突发请求数（默认 20）")
    p.add_argument(
        "--access-log",
        default="/var/log/nginx/chenglai.access.log",
        metavar="FILE",
        help="nginx 访问日志（不记录查询）",
    )
    p.add_argument("--server-name", default="_", metavar="NAME", help="nginx server_name（默认 _）")
    p.add_argument("--gunicorn", default="/opt/chenglai/.venv/bin/gunicorn", metavar="FILE", help="gunicorn 程序路径")
    p.add_argument("--workdir", default="/opt/chenglai", metavar="DIR", help="chenglai 安装目录（systemd）")
    p.add_argument("--user", default="chenglai", metavar="NAME", help="运行搜索服务的用户（systemd）")
    p.add_argument("--workers", type=int, default=2, metavar="N", help="每个搜索服务的 gunicorn 进程数（systemd）")


def run(args: argparse.Namespace) -> int:
    from generator.build import deployconf

    if args.what == "nginx":
        text = deployconf.nginx(
            root=args.root, listen=args.listen, search=args.search, rate=args.rate, burst=args.burst,
            access_log=args.access_log, server_name=args.server_name,
        )  # fmt: skip
    else:
        text = deployconf.systemd(
            root=args.root, gunicorn=args.gunicorn, workdir=args.workdir, user=args.user, workers=args.workers
        )
    print(text, end="")
    return EXIT_OK


command("deploy-config", "打印公网主机的配置：nginx 站点配置或搜索服务的 systemd 单元")((configure, run))
