"""Field validators with no library equivalent: GB 32100 credit codes and mainland mobile numbers."""

from __future__ import annotations

import re

# GB 32100-2015 unified social credit code: 18 characters from 31 symbols (no I, O, S, V, Z).
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_CREDIT_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
_MOBILE_SEPARATORS = re.compile(r"[\s\-()]")


def credit_code_check_char(first17: str) -> str:
    """The check character of a credit code: C18 = 31 - (sum(value_i * 3^i mod 31) mod 31), 31 -> 0."""
    total = sum(CREDIT_CODE_CHARSET.index(ch) * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is."""
    if len(code) != 18:
        return "must be 18 characters"
    if not _CREDIT_PATTERN.match(code):
        return "contains characters outside GB 32100 (digits and A-Y without I, O, S, V, Z)"
    if credit_code_check_char(code[:17]) != code[17]:
        return "check character does not match (GB 32100 mod 31); if it is printed so, set the override"
    return None


def normalize_mobile(raw: str) -> str | None:
    """Strip separators and a +86/0086/86 prefix; return the 11-digit number, or None if not a mobile."""
    number = _MOBILE_SEPARATORS.sub("", raw)
    for prefix in ("+86", "0086", "86"):
        if number.startswith(prefix) and len(number) == len(prefix) + 11:
            number = number[len(prefix) :]
            break
    return number if _MOBILE_PATTERN.match(number) else None


def mask_mobile(mobile: str | None) -> str | None:
    """138****8000: enough to recognise a caller, not enough to call them."""
    if not mobile:
        return mobile
    return mobile[:3] + "****" + mobile[-4:]


def mask_email(email: str | None) -> str | None:
    """z***@example.com: the first character of the mailbox and the domain."""
    if not email:
        return email
    mailbox, _, domain = email.partition("@")
    return f"{mailbox[:1]}***@{domain}"


def mask_contact(contact: str | None) -> str | None:
    """A mobile number or e-mail address masked as its kind needs (recipients in log lines)."""
    if not contact:
        return contact
    return mask_email(contact) if "@" in contact else mask_mobile(contact)


def mask_name(name: str | None) -> str | None:
    """张* / 欧阳** : keep the first character only."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)
