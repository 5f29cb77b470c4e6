"""GB 32100 credit codes and mainland mobile numbers."""

import pytest

from complaints.validators import (
    credit_code_check_char,
    credit_code_problem,
    mask_mobile,
    mask_name,
    normalize_mobile,
)

# Published codes of real companies (check characters computed by their registrars).
VALID_CODES = [
    "91350100M000100Y43",
    "91110000600037341L",
    "914403001922038216",
    "91440300708461136T",
    "911100001000044477",
]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_credit_codes_pass(code):
    assert credit_code_problem(code) is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("914403001922038217", "check character"),  # last character altered
        ("91350100M000100Y44", "check character"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M00010OY43", "outside GB 32100"),  # letter O is not in the charset
        ("9135010OM000100Y43", "outside GB 32100"),  # region part must be digits
        ("", "18 characters"),
    ],
)
def test_invalid_credit_codes_say_why(code, reason):
    assert reason in credit_code_problem(code)


def test_check_character_formula_maps_31_to_zero():
    # Any 17-character body whose weighted sum is divisible by 31 must get check character "0".
    assert credit_code_check_char("0" * 17) == "0"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086-13800138000", "13800138000"),
        ("8613912345678", "13912345678"),
        ("(199) 1234-5678", "19912345678"),
    ],
)
def test_mobiles_are_normalised(raw, expected):
    assert normalize_mobile(raw) == expected


@pytest.mark.parametrize(
    "raw", ["12800138000", "1380013800", "138001380000", "+1 13800138000", "0591-83001234", "abcdefghijk", ""]
)
def test_non_mobiles_are_refused(raw):
    assert normalize_mobile(raw) is None


def test_masks_keep_only_what_triage_needs():
    assert mask_mobile("13800138000") == "138****8000"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_mobile(None) is None
