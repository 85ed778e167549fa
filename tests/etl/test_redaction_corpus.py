"""The redaction corpus (`redaction_corpus.py`, written apart from the generator): every form
redacted, every ordinary word and offence term untouched, and one file's names matched by one
automaton at the speed a large force's file needs."""

from __future__ import annotations

import polars as pl
import pytest

from etl.redaction import Redactor
from tests.etl.redaction_corpus import FORMS, SURVIVORS, Form

pytestmark = pytest.mark.unit


def test_the_corpus_is_as_large_as_promised() -> None:
    assert len(FORMS) >= 60 and len(set(SURVIVORS)) >= 200
    kinds = {f.kind for f in FORMS}
    assert kinds == {"phone", "email", "handle", "url", "postcode", "name"}
    countries = {f.text.split("+")[1][:2] for f in FORMS if f.kind == "phone" and "+" in f.text}
    assert len(countries) >= 6  # +44, +1, +353, +33, +49, +61, +91


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.kind}:{f.text[:40]}")
def test_every_form_is_redacted(form: Form) -> None:
    out = Redactor.for_file(form.names, form.handles).text(form.text)
    assert form.secret.lower() not in out.lower(), out
    assert "[" in out  # replaced by a placeholder, not dropped silently


def test_every_form_is_redacted_in_one_batch() -> None:
    """As ingest calls it: one redactor for the file, every text at once."""
    redactor = Redactor.for_file([n for f in FORMS for n in f.names],
                                 [h for f in FORMS for h in f.handles])
    out = redactor.series(pl.Series([f.text for f in FORMS])).to_list()
    leaks = [(f.secret, o) for f, o in zip(FORMS, out, strict=True)
             if f.secret.lower() in o.lower()]
    assert leaks == []


@pytest.mark.parametrize("template", [
    "The {w} was noted in the report.",
    "{W} was noted in the report.",
    "Officers recorded {w}, {w} and more {w}.",
    "REPORT: {W} AND {W}",
])
def test_ordinary_words_and_offence_terms_survive(template: str) -> None:
    redactor = Redactor.for_file()
    texts = [template.format(w=w, W=w.capitalize() if template[0] == "{" else w.upper())
             for w in sorted(set(SURVIVORS))]
    out = redactor.series(pl.Series(texts)).to_list()
    changed = [(t, o) for t, o in zip(texts, out, strict=True) if t != o]
    assert changed == []


def test_ordinary_words_survive_even_when_the_file_names_someone_with_a_word_name() -> None:
    """A file's own people are removed in any case; the words around them stay."""
    redactor = Redactor.for_file(["Orla Wrenfield"])
    out = redactor.text("ORLA said orla wrenfield will regret the vote, Wrenfield's office")
    assert "orla" not in out.lower() and "wrenfield" not in out.lower()
    assert "will regret the vote" in out and "office" in out


def test_names_next_to_each_other_become_one_placeholder() -> None:
    out = Redactor.for_file().text("The caller asked for Sarah Thompson by name.")
    assert out == "The caller asked for [name] by name."


def test_word_names_count_only_next_to_a_name() -> None:
    redactor = Redactor.for_file()
    assert redactor.text("We will mark the date.") == "We will mark the date."
    assert "Grace" not in redactor.text("Letter signed Grace Okafor arrived.")


def test_coordinates_in_text_keep_two_decimals() -> None:
    out = Redactor.for_file().text("Seen at 51.501364, -0.141890 near the office.")
    assert out == "Seen at 51.50, -0.14 near the office."


def test_references_and_dates_are_not_phone_numbers() -> None:
    text = "Crime ref 01/123456/24 and WY-26-000123, dated 12/03/2024, PW/2024/0001234."
    assert Redactor.for_file().text(text) == text


def test_one_automaton_holds_every_name_of_a_large_file() -> None:
    """30,000 of a file's names in one automaton, every one found in 60,000 texts (the
    automaton is built once per file: no name × row scan)."""
    people = [f"Given{i:05d} Family{i:05d}" for i in range(30_000)]
    texts = [f"Abusive email to {people[i % 30_000].upper() if i % 3 else people[i % 30_000]}"
             f" after the vote{' on 07700 900123' if i % 20 == 0 else ''}."
             for i in range(60_000)]
    redactor = Redactor.for_file(people)
    out = redactor.series(pl.Series(texts))
    assert out[0] == "Abusive email to [name] after the vote on [phone]."
    assert out.str.starts_with("Abusive email to [name] after the vote").all()
    assert not out.str.contains("(?i)family|given").any()
