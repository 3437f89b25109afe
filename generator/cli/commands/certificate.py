"""`chenglai certificate CASE_NUMBER [--seq N] [-o FILE] [--on DATE] [-s SETTINGS]` (SPEC §6).

An A4 信用修复证明 (HTML with print styles: print it, or save it as PDF) for a record removed
as early_deletion or performed: the record, its removal and legal basis, a certificate number
(HMAC of the record id under CHENGLAI_CERT_SECRET) and a QR code to SITEURL/verify/<number>/,
the page the build writes with the same secret. Which removals qualify is the build's own
decision (policy.certificate_of); this command only explains a refusal, one line each.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from generator.cli.commands.remove import find_records
from generator.cli.registry import EXIT_OK, command, parse_date
from generator.domain import casenumber
from generator.domain.certificates import CERTIFIED_REASONS, ENV, certificate_number
from generator.domain.policy import Facts, RemovalNotice, add_years, certificate_of, facts
from generator.domain.records import REMOVAL_REASONS, SourceRecord
from generator.errors import ContentErrors, PortalError, RecordError, UsageError
from generator.read.checker import check_file
from generator.settings import certificate_secret, portal_settings, today_shanghai


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_number", metavar="CASE_NUMBER", help="执行案号，括号、全角数字均可，如 （2024）鲁0502执1234号")
    p.add_argument("--seq", type=int, metavar="N", help="同案多名被执行人时的被执行人序号 debtor_seq")
    p.add_argument("-o", "--output", metavar="FILE", help="写入 HTML 文件（默认输出到标准输出）")
    p.add_argument("--on", type=parse_date, metavar="DATE", help="出具日期 YYYY-MM-DD（默认上海时区今天）")
    p.add_argument("-s", "--settings", default="pelicanconf.py", metavar="FILE",
                   help="设置文件（默认 pelicanconf.py；正式证明用 publishconf.py：二维码需要网站的正式网址）")  # fmt: skip


def _record_file(case: casenumber.CaseNumber, folder: Path, seq: int | None) -> Path:
    matches = find_records(case, folder)
    listing = "；".join(f"--seq {m.seq if m.seq is not None else '（无）'} {m.path}" for m in matches)
    if seq is not None:
        matches = [m for m in matches if m.seq == seq]
    if not matches:
        where = f"（序号 {seq}）" if seq is not None else ""
        more = f"；该案号的记录有：{listing}" if listing else ""
        raise UsageError(f"在 {folder} 中未找到执行案号 {case.text}{where} 的记录{more}")
    if len(matches) > 1:
        raise UsageError(f"执行案号 {case.text} 有 {len(matches)} 名被执行人，请用 --seq 指定：{listing}")
    return matches[0].path


def refusal(src: SourceRecord, f: Facts, on: date, years: int) -> RecordError:
    """Why certificate_of gave nothing: one line naming the field and the article."""
    r = src.record

    def err(code: str, field: str, message: str) -> RecordError:
        return RecordError(src.path, src.line(field), code, field, message)

    allowed = "early_deletion（提前删除，第二条第二款）或 performed（已履行完毕，第十条第一款第（一）项）"
    if f.removed is None:
        return err("E140", "status", f"记录未删除（status: {r.status}），不能出具信用修复证明；"
                   f"证明只出具给依《若干规定》以 {allowed} 删除的记录，请先用 chenglai remove 删除")  # fmt: skip
    removed_on, reason = f.removed
    if reason not in CERTIFIED_REASONS:
        return err("E140", "removal_reason", f"删除原因为 {reason}（{REMOVAL_REASONS[reason]}），不属于信用修复；"
                   f"证明只出具给依《若干规定》以 {allowed} 删除的记录")  # fmt: skip
    if f.record is None:
        return err("E141", "status", "记录从未公开（未审核、草稿或不应纳入），没有可证明删除的失信信息")
    if removed_on > on:
        return err("E142", "removed_on", f"删除日期 {removed_on} 晚于出具日期 {on}：删除生效后才能出具证明")
    end = f.record.term_ends_on
    if end is not None and end < removed_on:
        return err("E143", "removed_on", f"公布期限至 {end} 届满（《若干规定》第二条），记录在删除日 {removed_on} "
                   "前已不再公示，属期限届满而非信用修复，不出具信用修复证明")  # fmt: skip
    if add_years(removed_on, years) <= on:
        return err("E144", "removed_on", f"删除日期 {removed_on} 已超过 {years} 年（PORTAL_VERIFY_YEARS），"
                   "网站不再保留核验页，不能出具带核验二维码的证明；如需证明，请由法院另行出具书面材料")  # fmt: skip
    return err("E140", "removal_reason", "该记录不符合出具信用修复证明的条件")


def certificate_html(settings: dict[str, Any], src: SourceRecord, notice: RemovalNotice, number: str,
                     issued_on: date) -> bytes:  # fmt: skip
    """The certificate page (theme/templates/certificate.html)."""
    from generator.render.notices import qr_paths, qr_svg
    from generator.render.pagecontext import settings_context
    from generator.render.pages import theme_env
    from generator.render.verify import page_values, verify_path

    base = settings_context(settings)
    years = portal_settings(settings)["PORTAL_VERIFY_YEARS"]
    url = f"{base['SITEURL']}/{verify_path(number)}"
    width, path = qr_paths([url])[0]
    f = facts(src)
    values = {
        **base, **page_values(notice, number, years), "r": f.record, "verify_url": url, "issued_on": issued_on,
        "qr": qr_svg(width, path, f"核验二维码：{url}"),
    }  # fmt: skip
    html = theme_env(settings).get_template("certificate.html").render(values)
    return html.encode("utf-8")  # type: ignore[no-any-return]


def run(args: argparse.Namespace) -> int:
    from generator.build.pipeline import read_settings
    from generator.read.view import records_dir

    secret = certificate_secret()
    if secret is None:
        raise PortalError(
            f"未设置环境变量 {ENV}，不能出具信用修复证明：证明编号由这个密钥生成，须与网站构建时所用的相同。"
        )
    case = casenumber.parse(args.case_number)
    if case is None:
        raise UsageError(f"执行案号 {args.case_number!r} 格式不正确，应如 （2024）鲁0502执1234号")
    settings = read_settings(args.settings)
    siteurl = str(settings.get("SITEURL") or "").rstrip("/")
    if not siteurl.startswith(("https://", "http://")):
        raise UsageError(f"{args.settings} 的 SITEURL 不是 http(s) 网址（{siteurl!r}）：证明上的二维码须指向正式网站，"
                         "请用 -s publishconf.py")  # fmt: skip
    folder = records_dir(settings)
    if not folder.is_dir():
        raise UsageError(f"记录目录不存在：{folder}（PATH/PORTAL_RECORDS_DIR）")
    path = _record_file(case, folder, args.seq)
    src, errors = check_file(str(path), path.read_bytes())
    if src is None:
        raise ContentErrors(errors)
    on = args.on or today_shanghai()
    years = portal_settings(settings)["PORTAL_VERIFY_YEARS"]
    f = facts(src)
    notice = certificate_of(f, on, years)
    if notice is None:
        raise refusal(src, f, on, years)
    number = certificate_number(notice.id, secret)
    data = certificate_html(settings, src, notice, number, on)
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"已出具信用修复证明 {number}：{args.output}；核验页 {siteurl}/verify/{number}/"
              f"（网站以同一 {ENV} 构建后生效）", file=sys.stderr)  # fmt: skip
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return EXIT_OK


command("certificate", "出具信用修复证明（A4，可打印或存为 PDF），附核验二维码")((configure, run))
