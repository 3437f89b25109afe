"""One exception family for the whole project; exit codes are decided only in the CLI."""

from __future__ import annotations

from dataclasses import dataclass

# Every content error code with its short Chinese title. The list is the reference
# for docs/error-codes.md and is checked by a test, so a new code cannot go undocumented.
CODES: dict[str, str] = {
    "E001": "文件不是 UTF-8 编码",
    "E002": "文件为空",
    "E003": "YAML 格式错误",
    "E004": "文件结构不是字段映射",
    "E005": "不允许的 YAML 标签",
    "E006": "不允许的 YAML 锚点/别名",
    "E007": "文件过大",
    "E008": "不是文本文件或无法读取",
    "E010": "未知字段",
    "E011": "缺少必填字段",
    "E012": "字段取值或类型不正确",
    "E013": "日期无效",
    "E020": "执行案号格式不正确",
    "E021": "重复记录（同一案号与序号）",
    "E022": "同一法院代码对应不同法院名称",
    "E030": "立案时间晚于发布时间",
    "E031": "审核时间晚于发布时间",
    "E032": "审核时间早于立案时间",
    "E040": "记录尚未经第二人审核（草稿）",
    "E041": "审核人与录入人相同",
    "E050": "失信情形不正确",
    "E051": "缺少期限",
    "E052": "期限超出范围",
    "E053": "不设固定期限的情形填写了期限",
    "E060": "已删除记录缺少删除日期或原因",
    "E061": "未删除记录不应有删除信息",
    "E062": "删除日期早于发布时间",
    "E070": "未履行金额不正确",
    "E071": "地区代码不是 6 位数字",
    "E072": "未知地区代码",
    "E080": "身份证号码（脱敏）格式不正确",
    "E081": "身份证号码地区码未知",
    "E082": "出生年份与年龄不符",
    "E083": "性别与身份证号码不符",
    "E084": "未成年人不得纳入失信名单",
    "E085": "记录中含有完整身份证号码",
    "E086": "自然人/组织字段不匹配",
    "E087": "身份证号码校验位或出生日期不正确",
    "E090": "统一社会信用代码校验失败",
    "E100": "导入文件缺少必填列",
    "E101": "导入文件无法读取",
    "E102": "记录已存在（导入时未加 --update）",
    "E110": "有纳入期限的记录删除原因不适用",
    "E111": "期限延长理由缺失或多余",
    "E112": "延长理由 violence 缺少对应失信情形",
    "E113": "再次纳入须填写 listing_no",
    "E114": "再次纳入早于前次记录删除",
    "E115": "发布时间早于决定书送达",
    "E116": "决定、送达、宽限日期先后不对",
    "E117": "证件号码与证件类型不符",
    "E118": "组织机构代码校验失败",
    "E140": "记录未以提前删除或履行完毕删除，不能出具信用修复证明",
    "E141": "记录从未公开，不能出具信用修复证明",
    "E142": "删除日期晚于出具日期",
    "E143": "期限届满在删除之前，不属于信用修复",
    "E144": "删除已超过核验页保留年限",
    # the other kinds of exposure (SPEC §7): 限制消费令, 悬赏执行公告, 集中曝光
    "E150": "限制消费令/悬赏公告/曝光批次尚未经第二人审核（草稿）",
    "E151": "限制消费令/悬赏公告/曝光批次的审核人与录入人相同",
    "E152": "审核时间晚于发布时间",
    "E153": "自然人限制消费令填写了受限制人员",
    "E154": "受限制人员不是仅有姓名或重复",
    "E155": "已解除的限制消费令缺少解除日期或原因",
    "E156": "未解除的限制消费令不应有解除信息",
    "E157": "解除日期早于发布日期",
    "E158": "重复的限制消费令或悬赏公告（同一案号与序号）",
    "E160": "悬赏有效期早于发布日期",
    "E161": "悬赏联系电话格式不正确",
    "E162": "悬赏公告含网址、表单或电子邮箱",
    "E180": "曝光批次文件名与发布日期不符",
    "E181": "曝光批次须填写 records 或 selection 之一",
    "E182": "曝光批次选择范围的起始日期晚于截止日期",
    "E183": "曝光批次的记录编号重复",
    "E184": "曝光批次的记录编号不对应任何记录",
}
# Warning codes (`chenglai check` prints them in the same form; they fail neither check nor
# build), also documented in docs/error-codes.md (checked by tests/test_csv_injection.py).
WARNINGS: dict[str, str] = {
    "W001": "文字以电子表格公式符号开头",
    "W110": "未填写决定书送达日期",
    "W111": "单位的法定代表人同案被列为个人",
    "W150": "限制消费令或悬赏公告的文字以电子表格公式符号开头",
}


class PortalError(Exception):
    """Root of every error chenglai raises on purpose."""


@dataclass(frozen=True, order=True)
class RecordError(PortalError):
    """One content problem, located by file and line."""

    path: str
    line: int
    code: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.field}: {self.message}"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # frozen dataclass + Exception: pickle (process pools) must go through __init__
        return (type(self), (self.path, self.line, self.code, self.field, self.message))


class ContentErrors(PortalError):
    """Several content problems found in one run."""

    def __init__(self, errors: list[RecordError]):
        super().__init__(f"{len(errors)} 个内容问题")
        self.errors = sorted(errors)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class UsageError(PortalError):
    """The command was called wrongly (exit code 2)."""


class BuildError(PortalError):
    """The build was refused (leak gate, count-drop guard, …); the previous site is kept."""


# What the machine said, in the words staff read (errno → cause).
_CAUSES = {
    "ENOSPC": "磁盘空间不足", "EDQUOT": "超出磁盘配额", "EACCES": "没有权限", "EPERM": "不允许的操作",
    "EROFS": "文件系统为只读", "ENOENT": "路径不存在", "ENOTDIR": "路径中有一段不是目录", "EIO": "磁盘读写错误",
    "EMFILE": "打开的文件过多", "ENAMETOOLONG": "路径过长", "EEXIST": "文件已存在",
}  # fmt: skip


def machine_error(exc: OSError, doing: str = "构建") -> BuildError:
    """An OSError of the machine (full disk, permission, read-only file system…) as one line
    naming the path and the cause; the caller has left the live build untouched."""
    import errno as errno_names

    name = errno_names.errorcode.get(exc.errno or 0, "")
    cause = _CAUSES.get(name) or (exc.strerror or str(exc))
    where = f"：{exc.filename}" if exc.filename else ""
    code = f"（{name}）" if name else ""
    return BuildError(f"{doing}失败，{cause}{code}{where}。线上站点、搜索索引与构建状态均未改变，处理后重新{doing}即可。")


class SearchError(PortalError):
    """A search request that cannot be answered; carries the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class PublishError(PortalError):
    """`chenglai publish` could not send everything; what was sent is recorded, the run may be repeated."""
