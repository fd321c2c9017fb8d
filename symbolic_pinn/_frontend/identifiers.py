"""How a name is spelled: one spelling per name, and no two names that look the same.

Names are NFKC-normalised as Python's own identifiers are (a full-width ｘ is x, x₁ is
x1), so two spellings of one name are one name.  Names that look alike but are
different letters — a Cyrillic а beside a Latin a — would be two constants that the
reader takes for one: :func:`skeleton` maps each letter that looks like a Latin one to
it, and the checker refuses a name whose skeleton is another's, and a name that mixes
Cyrillic with other letters.  Greek letters are names of their own (ν, α, κ); only the
Greek letters drawn exactly like Latin ones (ο, and capitals such as Α, Ρ) count as
look-alikes.
"""

from __future__ import annotations

import unicodedata

__all__ = ["normalise", "skeleton", "script", "mixed_scripts", "spelled"]

# letters drawn like a Latin letter, and that letter
_LOOK_ALIKE = {
    **dict(zip("аеорсухіјѕһԁԛԝ", "aeopcyxijshdqw")),  # Cyrillic small
    **dict(zip("АВЕКМНОРСТХІЈЅ", "ABEKMHOPCTXIJS")),  # Cyrillic capital
    **dict(zip("οΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "oABEZHIKMNOPTYX")),  # Greek omicron and capitals
}
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"  # `u²` is answered "write u^2", so NFKC must not make it u2


def normalise(name: str) -> str:
    """The one spelling of a name: NFKC (as Python identifiers), superscripts left for their own error."""
    if any(ch in _SUPERSCRIPTS for ch in name):
        return name
    return unicodedata.normalize("NFKC", name)


def script(ch: str) -> str | None:
    """The script of a letter, by its Unicode name ("LATIN", "CYRILLIC", "GREEK", ...); None for others."""
    if not ch.isalpha():
        return None
    return unicodedata.name(ch, "UNKNOWN").split()[0]


def mixed_scripts(name: str) -> tuple[str, str] | None:
    """Two scripts a name mixes confusably (Cyrillic with anything; a Greek look-alike with Latin), or None."""
    scripts = {script(ch) for ch in name} - {None}
    if "CYRILLIC" in scripts and len(scripts) > 1:
        return "CYRILLIC", sorted(scripts - {"CYRILLIC"})[0]
    if {"LATIN", "GREEK"} <= scripts and any(script(ch) == "GREEK" and ch in _LOOK_ALIKE for ch in name):
        return "GREEK", "LATIN"
    return None


def skeleton(name: str) -> str:
    """The name with each look-alike letter replaced by the Latin letter it is drawn like."""
    return "".join(_LOOK_ALIKE.get(ch, ch) for ch in name)


def spelled(name: str) -> str:
    """A name with the scripts of its letters, for an error: 'а' (Cyrillic)."""
    scripts = sorted({script(ch) for ch in name} - {None})
    return f"'{name}' ({', '.join(s.capitalize() for s in scripts)})" if scripts else f"'{name}'"
