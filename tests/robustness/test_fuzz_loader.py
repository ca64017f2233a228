"""Property-based and fuzz tests of the loader: random bytes, random CSV text
and random column types either load into a clean series or raise lstmcast's
own DataError, never anything else."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lstmcast.core.errors import DataError, DataWarning
from lstmcast.data.loading import load

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def check(source, **options) -> None:
    """Load ``source``: a clean series, or a DataError with a message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a stray warning is a failure too
            warnings.simplefilter("ignore", DataWarning)  # documented notes
            data = load(source, **options)
    except DataError as exc:
        assert str(exc).strip()
        event("DataError")
        return
    event("loaded")
    assert data.index.is_monotonic_increasing and data.index.is_unique
    assert list(data.frame.dtypes) == [np.float64] * (1 + len(data.covariates))
    assert not np.isinf(data.frame.to_numpy()).any()
    assert np.isfinite(data.y).any() and len(data) >= 1


@FUZZ
@given(raw=st.binary(max_size=300))
def test_random_bytes(tmp_path, raw):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(raw)
    check(path)


CELL = st.one_of(
    st.sampled_from(["", "nan", "NA", "inf", "-inf", "1,5", "1.234,5", "#VALUE!",
                     "2021-10-31 02:30", "2021-10-31T02:30+02:00", "1970Q1",
                     "1949-01", "3", "-0", "1e400", "ä", '"', "'", ";", "\t"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**30, 10**30).map(str),
    st.dates().map(str),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=5),
)


@st.composite
def csv_texts(draw) -> str:
    sep = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    width = draw(st.integers(1, 4))
    header = draw(st.lists(st.sampled_from(["date", "value", "time", "y", "x", "",
                                            "a b", "date"]),
                           min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(CELL, min_size=width, max_size=width),
                         max_size=12))
    return "\n".join(sep.join(r) for r in [header, *rows]) + draw(
        st.sampled_from(["", "\n", "\r\n"]))


@st.composite
def near_valid_csv(draw) -> str:
    """Daily data with a few faults: reordered, repeated or dropped stamps, odd
    cells, empty edges."""
    n = draw(st.integers(1, 15))
    days = list(pd.date_range("2021-10-25", periods=n, freq=draw(st.sampled_from(
        ["D", "h", "MS"]))).astype(str))
    values = draw(st.lists(st.floats(-1e6, 1e6).map(repr), min_size=n,
                           max_size=n))
    for _ in range(draw(st.integers(0, 2))):
        values[draw(st.integers(0, n - 1))] = draw(CELL)
    rows = [f"{d},{v}" for d, v in zip(days, values, strict=True)]
    for _ in range(draw(st.integers(0, 2))):
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        rows[i] = draw(st.sampled_from([rows[j], rows[i] + ",extra", "",
                                        rows[i].replace("-", "/")]))
    return "date,value\n" + "\n".join(rows) + "\n"


@FUZZ
@given(text=st.one_of(csv_texts(), near_valid_csv()), policy=st.fixed_dictionaries({
    "duplicates": st.sampled_from(["error", "mean", "last"]),
    "gaps": st.sampled_from(["report", "fill", "error"]),
    "unsorted": st.sampled_from(["error", "sort"]),
    "trim": st.sampled_from(["edges", "none"]),
    "timezone": st.sampled_from([None, "Europe/Berlin"])}))
def test_random_csv_text_and_policies(tmp_path, text, policy):
    path = tmp_path / "fuzz.csv"
    path.write_text(text, encoding="utf-8")
    check(path, **policy)


COLUMN = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=6, max_size=6),
    st.lists(st.integers(-2**62, 2**62), min_size=6, max_size=6),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.lists(st.complex_numbers(allow_nan=True), min_size=6, max_size=6),
    st.lists(st.datetimes(), min_size=6, max_size=6),
    st.lists(st.one_of(st.none(), st.text(max_size=4), st.floats(),
                       st.lists(st.integers(), max_size=2)), min_size=6, max_size=6),
)


@FUZZ
@given(columns=st.dictionaries(st.sampled_from(["date", "value", "x", "0", "Ä"]),
                               COLUMN, min_size=1, max_size=3),
       target=st.sampled_from([None, "value", "x"]),
       indexed=st.booleans())
def test_random_column_types_in_a_dataframe(columns, target, indexed):
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) if any(
        isinstance(c, list) for c in v) else v for k, v in columns.items()})
    if indexed and "date" in frame:
        frame = frame.set_index("date")
    check(frame, target=target if target in columns else None)
