"""E-mail addresses as the platform keeps them: one spelling per address, and none that
passes for another.

An address is normalised (NFKC, surrounding whitespace stripped, lowercase), so full-width
letters, ligatures and the like find the account the letters they show spell. It is then
refused when it still holds a character a reader cannot see or tell apart: an invisible or
control character (zero-width space, no-break space, newline...), a symbol outside ASCII, a
part written in two scripts ("pаypal" with a Cyrillic "а"), or a part written wholly in
Cyrillic or Greek letters that all look like Latin ones ("сосо"). A part is what comes
before the @, and each name between dots after it; a part in one script (Latin with
accents, Cyrillic, Greek, Arabic...) passes, and so do Han with Hiragana and Katakana, or
with Hangul or Bopomofo, which are written together.
"""

from __future__ import annotations

import unicodedata

from kernel.errors import BadUserInputError

# The column's length, and the longest address SMTP carries (RFC 5321's path, less its <>).
MAX_LENGTH = 254

# Categories of characters nobody sees for what they are: controls, format characters (the
# zero-width ones), separators (no-break and other spaces, line and paragraph separators),
# surrogates, private use and unassigned code points.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}
# Scripts written together in one word: Japanese, Korean, Chinese with its phonetic letters.
_WRITTEN_TOGETHER = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "HANGUL"}),
    frozenset({"HAN", "BOPOMOFO"}),
)
# How a script's first word in the Unicode names differs from the script's own name.
_SCRIPT_ALIASES = {
    "CJK": "HAN",
    "IDEOGRAPHIC": "HAN",
    "KATAKANA-HIRAGANA": "KATAKANA",
    "ARABIC-INDIC": "ARABIC",
    "EXTENDED": "ARABIC",
}
# Lowercase Cyrillic and Greek letters that read as a Latin one in common fonts.
_LATIN_LOOKALIKES = {
    "CYRILLIC": dict(zip("аеіјорсѕухһԁԛԝӏү", "aeijopcsyxhdqwly", strict=True)),
    "GREEK": dict(zip("αιονρυχ", "aiovpux", strict=True)),
}


def normalize_email(email: str) -> str:
    """The address as it is stored and looked up: NFKC, stripped, lowercase."""
    # Lowercasing can leave a letter and a combining mark that NFKC composes ("İ"): twice.
    once = unicodedata.normalize("NFKC", email).strip().lower()
    return unicodedata.normalize("NFKC", once)


def _described(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".strip()


def _invisible(text: str) -> str | None:
    return next((c for c in text if unicodedata.category(c) in _INVISIBLE), None)


def _letter_digit_or_mark(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LM" or category == "Nd"


def _script(char: str) -> str | None:
    """The script of a letter, digit or mark outside ASCII; None for those of every script."""
    if char.isascii():
        return "LATIN" if char.isalpha() else None
    name = unicodedata.name(char, "")
    if name.startswith("COMBINING"):
        return None
    first = name.split(" ", 1)[0]
    return _SCRIPT_ALIASES.get(first, first)


def _script_problem(part: str) -> str | None:
    """Why this part of an address could pass for another, if it could."""
    scripts = {s for s in map(_script, part) if s is not None}
    if len(scripts) > 1 and not any(scripts <= together for together in _WRITTEN_TOGETHER):
        names = " and ".join(sorted(s.title() for s in scripts))
        return (
            f"mixes {names} letters in “{part}”; each part of an address (before the @, "
            "and each name between dots after it) must be written in one script"
        )
    if len(scripts) == 1:
        (script,) = scripts
        lookalikes = _LATIN_LOOKALIKES.get(script)
        letters = [c for c in part if c.isalpha()]
        if lookalikes is not None and all(c in lookalikes for c in letters):
            latin = "".join(lookalikes.get(c, c) for c in part)
            return (
                f"is written in {script.title()} letters that all look like Latin ones "
                f"(“{part}” reads as “{latin}”); type it in Latin letters"
            )
    return None


def checked_email(email: str) -> str:
    """The normalised address; BAD_USER_INPUT when it is no address, is too long, or holds
    an invisible character or one that passes for another."""
    # The input first: NFKC turns a no-break space into a plain one, and the message should
    # name the character the client sent.
    hidden = _invisible(email.strip()) or _invisible(normalize_email(email))
    if hidden is not None:
        raise BadUserInputError(
            f"The e-mail address {email.strip()!r} contains a space, an invisible or a "
            f"control character ({_described(hidden)}); type the address again without it."
        )
    address = normalize_email(email)
    local, at, domain = address.rpartition("@")
    labels = domain.split(".")
    if not at or not local or "@" in local or len(labels) < 2 or not all(labels):
        raise BadUserInputError(f"{address!r} is not an email address.")
    if len(address) > MAX_LENGTH:
        raise BadUserInputError(
            f"An e-mail address has at most {MAX_LENGTH} characters (this one has {len(address)})."
        )
    strange = next((c for c in address if not c.isascii() and not _letter_digit_or_mark(c)), None)
    if strange is not None:
        raise BadUserInputError(
            f"The e-mail address {address!r} contains {_described(strange)}: outside ASCII, an "
            "address may hold only letters, digits and accents."
        )
    for part in (local, *labels):
        problem = _script_problem(part)
        if problem is not None:
            raise BadUserInputError(f"The e-mail address {address!r} {problem}.")
    return address
