"""统一社会信用代码 (unified social credit code, USCC) per GB 32100-2015.

Structure of the 18 characters::

    1      登记管理部门码 (registration department)
    2      机构类别码 (organisation category within that department)
    3-8    登记管理机关行政区划码 (GB/T 2260 administrative division of the registering authority)
    9-17   主体标识码 (GB 11714 organisation code)
    18     校验码 (check character)

The check character: each of the first 17 characters has a value (its index in the charset
``0-9 A-H J-N P-R T-U W-Y``, 31 symbols; I, O, S, V, Z are never used); the weights are 3^(i) mod 31
(1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28); check = 31 - (Σ value×weight mod 31),
with 31 written as 0. Because 31 is prime and every weight is non-zero mod 31, any single-character
substitution changes the sum mod 31, so it is always detected.

The department and category tables are GB 32100-2015 附录 with the departments the standard's
administrator added later (外交, 司法行政, 文化, 旅游, 宗教, 工会, 中央军委改革和编制办公室, 农业).
The region code is checked for shape only (six digits, a real province prefix, or 100000 for
organisations registered at national level); the full GB/T 2260 list changes every year and is not kept here.

``validate_uscc`` does not normalise its input: call ``normalise_uscc`` first when accepting user input
(that is where lower case and surrounding spaces are forgiven, visibly, at the edge).
"""

from __future__ import annotations

from dataclasses import dataclass

from sihua_shared.errors import DomainError

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {c: i for i, c in enumerate(CHARSET)}

# 登记管理部门码 → (name, {机构类别码: name})
DEPARTMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常住新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构", "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}

# GB/T 2260 province-level prefixes; "10" only as 100000 (national level).
PROVINCE_PREFIXES: frozenset[str] = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
        "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
    }
)
NATIONAL_REGION = "100000"


@dataclass(frozen=True, slots=True)
class UsccInfo:
    """A valid USCC, taken apart."""

    code: str
    department_code: str
    department_zh: str
    category_code: str
    category_zh: str
    region_code: str
    organisation_code: str
    check_character: str

    @property
    def province_code(self) -> str:
        """The two-digit province prefix of the region code ("10" for national level)."""
        return self.region_code[:2]

    @property
    def is_enterprise(self) -> bool:
        """Registered by 工商 (market regulation) as 企业 — the organisations the programme transforms or hires."""
        return self.department_code == "9" and self.category_code == "1"


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters (which must be in the charset)."""
    if len(first17) != 17:
        raise ValueError("the check character is computed over exactly 17 characters")
    total = sum(_VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalise_uscc(raw: str) -> str:
    """What a person typed → the canonical form: surrounding blanks removed, upper case (full-width ASCII folded)."""
    folded = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in raw.strip())
    return folded.upper()


def _error(code: str, zh: str, en: str, field: str, **details: object) -> DomainError:
    return DomainError(code, zh, en, field=field, details=details)


def validate_uscc(code: str, *, field: str = "uscc") -> UsccInfo:
    """Validate a USCC exactly as given; return its parts or raise ``DomainError``.

    Codes: ``uscc_length``, ``uscc_charset``, ``uscc_department``, ``uscc_category``, ``uscc_region``, ``uscc_check``.
    The check character is tested last, so a code with a wrong structure reports the structural fault.
    """
    if len(code) != 18:
        raise _error(
            "uscc_length", f"统一社会信用代码应为18位，实为{len(code)}位", f"a USCC has 18 characters, got {len(code)}", field,
            length=len(code),
        )
    bad = [(i + 1, c) for i, c in enumerate(code) if c not in _VALUES]
    if bad:
        pos, char = bad[0]
        raise _error(
            "uscc_charset",
            f"统一社会信用代码第{pos}位字符“{char}”无效（只能使用数字和除I、O、S、V、Z以外的大写字母）",
            f"character {pos} ({char!r}) is not allowed (digits and upper-case letters except I, O, S, V, Z)",
            field, position=pos,
        )
    department = DEPARTMENTS.get(code[0])
    if department is None:
        raise _error(
            "uscc_department", f"登记管理部门码“{code[0]}”不存在", f"registration department code {code[0]!r} does not exist", field,
            position=1,
        )
    department_zh, categories = department
    category_zh = categories.get(code[1])
    if category_zh is None:
        raise _error(
            "uscc_category",
            f"登记管理部门“{department_zh}”下不存在机构类别码“{code[1]}”",
            f"organisation category {code[1]!r} does not exist under registration department {code[0]!r}",
            field, position=2,
        )
    region = code[2:8]
    if not region.isdigit() or not (region[:2] in PROVINCE_PREFIXES or region == NATIONAL_REGION):
        raise _error(
            "uscc_region",
            f"登记管理机关行政区划码“{region}”格式无效",
            f"administrative division code {region!r} is not a valid six-digit GB/T 2260 code",
            field, position=3,
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise _error(
            "uscc_check", "统一社会信用代码校验位错误，请核对后重新输入", "the USCC check character does not match; please check the code",
            field, position=18,
        )
    return UsccInfo(
        code=code,
        department_code=code[0],
        department_zh=department_zh,
        category_code=code[1],
        category_zh=category_zh,
        region_code=region,
        organisation_code=code[8:17],
        check_character=code[17],
    )


def is_valid_uscc(code: str) -> bool:
    """``True`` when ``validate_uscc`` would accept ``code``."""
    try:
        validate_uscc(code)
    except DomainError:
        return False
    return True
