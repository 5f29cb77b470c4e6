"""The staff password policy: long, letters and digits, not the username, not a well-known password.

Length beats composition rules (NIST SP 800-63B §5.1.1.2); GB/T 22239-2019 (等保 2.0) asks for
"complexity", which letters plus digits at 12 characters gives, and for refusing guessable passwords,
which the list below does. No periodic forced change: 800-63B advises against it (people then pick
predictable successors); a suspected leak is handled by `flask users reset-password`.
"""

from __future__ import annotations

from core.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
MIN_DISTINCT_CHARACTERS = 5  # "aaaaaaaaaaa1" and "ab12ab12ab12" are long but guessable
SHORTEST_USERNAME_CHECKED = 3  # a two-letter username inside a password says nothing

# Passwords of 12+ characters with letters and digits that lead public leak lists (keyboard walks, "password"
# and "admin" with digits, Chinese favourites such as woaini1314). Compared case-insensitively; shorter ones
# are already refused by the length rule.
COMMON_PASSWORDS = frozenset(
    {
        "1q2w3e4r5t6y",
        "1q2w3e4r5t6y7u",
        "1q2w3e4r5t6y7u8i",
        "1qaz2wsx3edc",
        "1qaz2wsx3edc4rfv",
        "1qazxsw23edc",
        "123qweasdzxc",
        "1234qwerasdf",
        "1234qwerasdfzxcv",
        "1234567890ab",
        "1234567890qwe",
        "123456789abc",
        "123456abcdef",
        "123456qwerty",
        "5201314woaini",
        "a12345678910",
        "a123456789012",
        "aa1234567890",
        "abc123456789",
        "abcd12345678",
        "abcd1234abcd",
        "abcdef123456",
        "abcdefg12345",
        "abcdefgh1234",
        "admin1234567",
        "admin12345678",
        "admin123456789",
        "administrator1",
        "administrator123",
        "asdf1234qwer",
        "asdfghjkl123",
        "asdfghjkl1234",
        "baidu1234567",
        "changeme1234",
        "changeme123456",
        "huawei123456",
        "huawei12345678",
        "iloveyou1234",
        "iloveyou12345",
        "letmein12345",
        "p@ssw0rd1234",
        "p@ssword1234",
        "passw0rd1234",
        "password1234",
        "password12345",
        "password123456",
        "password1234567",
        "password12345678",
        "q1w2e3r4t5y6",
        "qq1234567890",
        "qwer1234asdf",
        "qwer12345678",
        "qwerty123456",
        "qwerty1234567",
        "qwerty12345678",
        "qwertyuiop123",
        "qwertyuiop1234",
        "root12345678",
        "secret123456",
        "test12345678",
        "user12345678",
        "wang12345678",
        "welcome12345",
        "welcome123456",
        "woaini131452",
        "woaini1314520",
        "woaini521131",
        "zaq12wsxcde3",
        "zhang1234567",
        "zxcvbnm12345",
        "zxcvbnm123456",
    }
)


def check_password_policy(password: str, username: str | None = None) -> None:
    """Refuse a password that breaks the policy, naming the first broken rule (422 on `password`)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        raise InvalidInput("password", "must contain letters and digits")
    if len(set(password.lower())) < MIN_DISTINCT_CHARACTERS:
        raise InvalidInput("password", f"must use at least {MIN_DISTINCT_CHARACTERS} different characters")
    if username and len(username) >= SHORTEST_USERNAME_CHECKED and username.lower() in password.lower():
        raise InvalidInput("password", "must not contain the username")
    if password.lower() in COMMON_PASSWORDS:
        raise InvalidInput("password", "is one of the most common passwords")
