"""Response schemas of the matching slice."""

from pydantic import BaseModel, ConfigDict


class SpanRead(BaseModel):
    """Months: min, typical, max."""

    model_config = ConfigDict(from_attributes=True)

    min: float
    typical: float
    max: float


class ScheduledRead(BaseModel):
    """A procedure still to do, with its start and end in months from today."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    status: str | None
    start: SpanRead
    end: SpanRead


class TimeToPermitsRead(BaseModel):
    """Months until permits are final, the critical path, and what delays works."""

    model_config = ConfigDict(from_attributes=True)

    months: SpanRead
    critical_path: list[str]
    remaining: list[ScheduledRead]
    works_delays: list[ScheduledRead]
    assumptions: list[str]
