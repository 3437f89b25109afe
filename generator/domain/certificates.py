"""信用修复证明 (SPEC §6): which removals a certificate may attest, and its number.

A certificate number is an HMAC of the record id under the court's secret (the environment
variable CHENGLAI_CERT_SECRET, read at the edges: the `certificate` command and the build), so
the /verify/<number>/ pages cannot be found by trying numbers: knowing a case number (public on
the removal notice) does not give its certificate's address. Pure: the secret comes in as bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

ENV = "CHENGLAI_CERT_SECRET"

REGULATION = "《最高人民法院关于公布失信被执行人名单信息的若干规定》"
# The removals a credit-repair certificate attests, with the article that allows each.
CERTIFIED_REASONS: dict[str, str] = {
    "early_deletion": f"{REGULATION}第二条第二款（积极履行义务或主动纠正失信行为，提前删除失信信息）",
    "performed": f"{REGULATION}第十条第一款第（一）项（已履行生效法律文书确定的义务或已执行完毕）",
}

# How long a verify page stays after the removal: 5 years, the retention of negative credit
# information under 《征信业管理条例》第十六条. A lender checking a certificate does so while the
# old listing can still surface in a credit report or a copy of the list; after five years the
# negative information itself must be gone there too (docs/staff-guide.md, 信用修复).
DEFAULT_VERIFY_YEARS = 5

_DOMAIN = b"chenglai certificate number\0"  # keeps these MACs apart from any other use of the secret
_KEY_ID = b"chenglai certificate key id\0"


def secret_bytes(text: str | None) -> bytes | None:
    """The secret as the environment gives it; None when unset or blank (no certificates)."""
    if text is None or not text.strip():
        return None
    return text.encode("utf-8")


def certificate_number(record_id: str, secret: bytes) -> str:
    """The certificate number of a record: 80 bits of HMAC-SHA256(secret, record id) in base32
    (A–Z, 2–7: no 0/O or 1/I to misread), in four groups of four, e.g. `K7QX-2MHD-…`."""
    mac = hmac.new(secret, _DOMAIN + record_id.encode("utf-8"), hashlib.sha256).digest()
    text = base64.b32encode(mac[:10]).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def key_id(secret: bytes) -> str:
    """What the build may keep of the secret: a MAC of a fixed text (it names the secret in a
    digest of inputs, and tells nothing of it)."""
    return hmac.new(secret, _KEY_ID, hashlib.sha256).hexdigest()
