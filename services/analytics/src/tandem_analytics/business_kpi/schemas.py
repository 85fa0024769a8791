"""A program's business-KPI import: rows of (kpi, period, segment, value), as JSON or CSV.

Both formats validate through `BusinessKpiImport`, so an error names the row and the column the same
way (`#/rows/3/value`); a CSV error's detail also names the file's line (`line 5, column value`).
"""

import csv
import io
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tandem_kit.fields import Text

MAX_ROWS = 10_000
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$"
KPI_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,99}$"
CSV_COLUMNS = ("kpi_name", "period", "cohort", "region", "value")


class BusinessKpiRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kpi_name: Text = Field(pattern=KPI_NAME_PATTERN, description="The KPI, snake case, e.g. `csat`.")
    period: Text = Field(pattern=PERIOD_PATTERN, description="A month `YYYY-MM` or a quarter `YYYY-Qn`.")
    cohort: Text | None = Field(
        default=None, min_length=1, max_length=100, description="The cohort this value is for (or none)."
    )
    region: Text | None = Field(
        default=None, min_length=1, max_length=100, description="The region this value is for (or none)."
    )
    value: float = Field(description="The KPI's value for the period and segment.")

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _one_segment(self) -> "BusinessKpiRow":
        if self.cohort is not None and self.region is not None:
            raise ValueError("give a cohort or a region, not both")
        return self

    @property
    def segment(self) -> tuple[str, str]:
        """(segment_kind, segment): the whole program, one cohort or one region."""
        if self.cohort is not None:
            return "cohort", self.cohort
        if self.region is not None:
            return "region", self.region
        return "program", ""


class BusinessKpiImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[BusinessKpiRow] = Field(
        min_length=1, max_length=MAX_ROWS, description="The values; a row whose key exists replaces it."
    )


def duplicates(data: BusinessKpiImport) -> list[tuple[int, int]]:
    """One value per (kpi, period, segment) in an import: (row, earlier row with the same key)."""
    seen: dict[tuple[str, str, str, str], int] = {}
    found = []
    for index, row in enumerate(data.rows):
        key = (row.kpi_name, row.period, *row.segment)
        if key in seen:
            found.append((index, seen[key]))
        seen.setdefault(key, index)
    return found


def _unique(data: BusinessKpiImport, where: Callable[[int], str]) -> BusinessKpiImport:
    errors = [
        {
            "type": "duplicate_key",
            "loc": ("body", "rows", index),
            "msg": f"{where(index)}same kpi_name, period and segment as row {first}",
        }
        for index, first in duplicates(data)
    ]
    if errors:
        raise RequestValidationError(errors)
    return data


class ImportResult(BaseModel):
    program_id: UUID = Field(description="The program.")
    created: int = Field(description="Values new to the program.")
    replaced: int = Field(description="Values that replaced an earlier import of the same key.")


class BusinessKpiValue(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kpi_name: str = Field(description="The KPI.")
    period: str = Field(description="`YYYY-MM` or `YYYY-Qn`.")
    segment_kind: Literal["program", "cohort", "region"] = Field(description="What the value covers.")
    segment: str = Field(description="The cohort or region; empty for the whole program.")
    value: float = Field(description="The imported value.")
    imported_at: datetime = Field(description="When it was (last) imported.")


def _errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [dict(e) for e in exc.errors(include_url=False, include_context=False, include_input=False)]


def parse_json(data: Any) -> BusinessKpiImport:
    try:
        parsed = BusinessKpiImport.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([dict(e, loc=("body", *e["loc"])) for e in _errors(exc)]) from exc
    return _unique(parsed, lambda _index: "")


def parse_csv(text: str) -> BusinessKpiImport:
    """Rows from a CSV with a header line; blank cells are absent values."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in CSV_COLUMNS]
    missing = [name for name in ("kpi_name", "period", "value") if name not in header]
    if unknown or missing:
        problem = f"unknown column(s) {', '.join(unknown)}" if unknown else f"missing {', '.join(missing)}"
        raise RequestValidationError(
            [
                {
                    "type": "csv_header",
                    "loc": ("body", "rows"),
                    "msg": f"line 1: {problem}; columns are {', '.join(CSV_COLUMNS)}",
                }
            ]
        )
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    for record in reader:
        rows.append({k: v for k, v in record.items() if k is not None and v not in (None, "")})
        lines.append(reader.line_num)
    try:
        parsed = BusinessKpiImport.model_validate({"rows": rows})
    except ValidationError as exc:
        errors = []
        for e in _errors(exc):
            loc = e["loc"]
            if len(loc) >= 2 and isinstance(loc[1], int):
                column = str(loc[2]) if len(loc) > 2 else "row"
                e = dict(e, msg=f"line {lines[loc[1]]}, column {column}: {e['msg']}")
            errors.append(dict(e, loc=("body", *loc)))
        raise RequestValidationError(errors) from exc
    return _unique(parsed, lambda index: f"line {lines[index]}: ")
