"""The /verify/<number>/ pages: what a lender finds behind a 信用修复证明's QR code (SPEC §6).

One page per removal the view lists as certified (policy.certificate_of: removed as early_deletion
or performed, within PORTAL_VERIFY_YEARS), written only when the build has the certificate secret
(RenderContext.cert_secret). A page shows the certificate number, case number, court, removal date
and reason — never the name or ID: it is public to anyone holding the number, and the leak gate
still holds the debtor's name as withheld. The number (certificates.certificate_number) is an
HMAC under the secret, so a page cannot be found by trying case numbers. Pages are not linked,
not in the sitemap, and carry noindex.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from generator.domain.certificates import CERTIFIED_REASONS, certificate_number, key_id
from generator.domain.policy import RemovalNotice, add_years
from generator.render.outputs import Lazy, RenderContext, Single
from generator.render.pagecontext import settings_context
from generator.settings import portal_settings

PAGE = "verify/{number}/index.html"


def verify_path(number: str) -> str:
    """The site path of a certificate's verify page (what its QR code points to)."""
    return f"verify/{number}/"


def page_values(notice: RemovalNotice, number: str, years: int) -> dict[str, Any]:
    """A verify page's own template variables (the certificate command prints the same)."""
    return {
        "n": notice,
        "number": number,
        "basis": CERTIFIED_REASONS[notice.reason],
        "kept_until": add_years(notice.removed_on, years),
        "page_url": verify_path(number),
    }


def render(ctx: RenderContext) -> Iterator[Lazy]:
    """Every verify page; none without the secret. Each is named by its removal, the secret's
    key id (a new secret gives new numbers) and the retention years; never by the build date,
    which the page does not show."""
    secret = ctx.cert_secret
    if secret is None or not ctx.view.certified:
        return
    key = key_id(secret)
    base = settings_context(ctx.settings)
    years = portal_settings(ctx.settings)["PORTAL_VERIFY_YEARS"]
    template = ctx.env.get_template("verify.html")

    def make(values: dict[str, Any]) -> bytes:
        return template.render({**base, **values}).encode("utf-8")  # type: ignore[no-any-return]

    for notice in ctx.view.certified:
        number = certificate_number(notice.id, secret)
        values = page_values(notice, number, years)
        yield Lazy(PAGE.format(number=number), (notice, key, years), functools.partial(make, values))


RENDERER = Single("verify", render)
