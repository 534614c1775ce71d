"""Time to permits (DOMAIN.md §5): hand-computed cases, no database.

Durations used below (app/data/procedures.csv, months min / typical / max):
P1 1.5/2/3, P2 12/12/12, P3 4/6/8, P4 3/6/9, P5 6/12/24, P6 5.75/9/17, P7a 5/5/7, P7b 0/0/0,
P7c 2/2/3, P8 6/9/12, P9 3/4/5, P10 3/3/3, P11 2/2/4.
"""

import subprocess
import sys
from dataclasses import replace
from datetime import date

import pytest

from app.matching.permits import (
    DossierEntry,
    Project,
    Span,
    dependencies,
    estimate,
)
from app.sites.procedures import ProcedureSpec, catalogue

AUTORISATION = Project(icpe="autorisation")


def dossier(**todo: str) -> dict[str, DossierEntry | str]:
    """Return a turnkey dossier (all done or not needed), overridden by ``todo``."""
    base: dict[str, DossierEntry | str] = dict.fromkeys(
        ("P2", "P3", "P4", "P6", "P9", "P10", "P11", "P12"), "done"
    )
    base.update(dict.fromkeys(("P1", "P5", "P7a", "P7b", "P7c", "P8"), "not_needed"))
    base.update(todo)
    return base


# The issue's case: everything done but the permit, the authorisation and their purges.
ISSUE = dossier(P6="todo", P9="todo", P10="todo", P11="todo")


def spans(est, attr="end"):
    """Return {code: (min, typical, max)} of the remaining procedures' start or end."""
    return {p.code: tuple(getattr(p, attr)[i] for i in range(3)) for p in est.remaining}


def test_issue_case_turnkey_site_autorisation():
    # P6 → P11: 5.75+2 / 9+2 / 17+4 = 7.75 / 11 / 21; P9 → P10: 3+3 / 4+3 / 5+3 = 6 / 7 / 8.
    # Permits final = max of both chains = 7.75 / 11 / 21; on typical the P6 chain is longest.
    est = estimate(ISSUE, AUTORISATION)
    assert est.months == Span(7.75, 11, 21)
    assert est.critical_path == ("P6", "P11")
    assert [p.code for p in est.remaining] == ["P6", "P9", "P10", "P11"]  # by typical start
    assert spans(est, "start") == {
        "P6": (0, 0, 0),
        "P9": (0, 0, 0),
        "P10": (3, 4, 5),
        "P11": (5.75, 9, 17),
    }
    assert spans(est) == {
        "P6": (5.75, 9, 17),
        "P9": (3, 4, 5),
        "P10": (6, 7, 8),
        "P11": (7.75, 11, 21),
    }
    assert all(p.status == "todo" for p in est.remaining)
    assert est.works_delays == ()
    assert est.assumptions == ()


def test_greenfield_empty_dossier_autorisation():
    # Autorisation needs P2, P3, P6, P11 (not P1); P4, P9, P10 always; unknown P8 is not needed.
    # Typical: P2 0→12, P3 12→18, P6 starts at max(P2, P3) = 18 → 27, P11 27→29;
    #          P4 0→6, P9 starts at max(P3 18, P4 6) = 18 → 22, P10 22→25.  Final max(29, 25) = 29.
    # Min:     P2 12, P3 16, P6 21.75, P11 23.75; P4 3, P9 16→19, P10 22.   Final 23.75.
    # Max:     P2 12, P3 20, P6 37, P11 41;       P4 9, P9 20→25, P10 28.   Final 41.
    est = estimate({}, AUTORISATION)
    assert est.months == Span(23.75, 29, 41)
    assert est.critical_path == ("P2", "P3", "P6", "P11")
    assert spans(est) == {
        "P2": (12, 12, 12),
        "P3": (16, 18, 20),
        "P4": (3, 6, 9),
        "P6": (21.75, 27, 37),
        "P9": (19, 22, 25),
        "P10": (22, 25, 28),
        "P11": (23.75, 29, 41),
    }
    assert all(p.status is None for p in est.remaining)
    todo = [a.split()[0] for a in est.assumptions if a.endswith("counted as to do")]
    assert todo == ["P2", "P3", "P4", "P6", "P9", "P10", "P11"]
    assert any(a.startswith("P8 ") and a.endswith("counted as not needed") for a in est.assumptions)
    assert any(a.startswith("P5 ") and a.endswith("not counted") for a in est.assumptions)
    assert any(a.startswith("P12:") for a in est.assumptions)
    assert not any(a.startswith(("P1 ", "P7")) for a in est.assumptions)  # not needed: silent
    # Seveso (low or high threshold) is an autorisation.
    assert estimate({}, Project(icpe="seveso_high")) == est


def test_enregistrement_screening_then_p7a():
    # Enregistrement needs P1 then P7a; P1 also precedes P9 (R431-16 a: the permit file holds the
    # screening decision). P4 done, no evaluation (P2/P3/P6/P11 not needed).
    # Typical: P1 0→2, P7a 2→7, P9 2→6, P10 6→9.         Final 9, path P1 → P9 → P10.
    # Min:     P1 1.5, P7a 6.5, P9 1.5→4.5, P10 7.5.     Final 7.5.
    # Max:     P1 3, P7a 10, P9 3→8, P10 11.             Final 11.
    est = estimate(
        dossier(P1="todo", P7a="todo", P9="todo", P10="todo", P6="not_needed", P11="not_needed"),
        Project(icpe="enregistrement"),
    )
    assert est.months == Span(7.5, 9, 11)
    assert est.critical_path == ("P1", "P9", "P10")
    assert spans(est) == {
        "P1": (1.5, 2, 3),
        "P7a": (6.5, 7, 10),
        "P9": (4.5, 6, 8),
        "P10": (7.5, 9, 11),
    }
    assert est.assumptions == ()


def test_enregistrement_when_the_screening_asks_for_an_evaluation():
    # The dossier says P2/P3 to do: P1 → P2 → P3 → P9 → P10 (P7a runs alongside, ends at 7).
    # Typical 2+12+6+4+3 = 27; min 1.5+12+4+3+3 = 23.5; max 3+12+8+5+3 = 31.
    est = estimate(
        dossier(
            P1="todo",
            P2="todo",
            P3="todo",
            P7a="todo",
            P9="todo",
            P10="todo",
            P6="not_needed",
            P11="not_needed",
        ),
        Project(icpe="enregistrement"),
    )
    assert est.months == Span(23.5, 27, 31)
    assert est.critical_path == ("P1", "P2", "P3", "P9", "P10")


def test_enregistrement_with_an_empty_dossier():
    # Unknown P1 and P7a are needed (to do); P2, P3, P6, P7c, P8, P11 unknown: not needed.
    # Typical: P1 2 → P7a 7; P4 6 → P9 starts at max(P1 2, P4 6) = 6 → 10 → P10 13.
    # Min: P7a 6.5; P4 3 → P9 6 → P10 9.  Max: P7a 10; P4 9 → P9 14 → P10 17.
    est = estimate({}, Project(icpe="enregistrement"))
    assert est.months == Span(9, 13, 17)
    assert est.critical_path == ("P4", "P9", "P10")
    todo = [a.split()[0] for a in est.assumptions if a.endswith("counted as to do")]
    assert todo == ["P1", "P4", "P7a", "P9", "P10"]


def test_declaration_costs_nothing_itself():
    # P7b is 0/0/0: the permit chain alone counts. P4 → P9 → P10:
    # 3+3+3 = 9, 6+4+3 = 13, 9+5+3 = 17.
    est = estimate(
        dossier(P4="todo", P7b="todo", P9="todo", P10="todo", P6="not_needed", P11="not_needed"),
        Project(icpe="declaration"),
    )
    assert est.months == Span(9, 13, 17)
    assert est.critical_path == ("P4", "P9", "P10")
    assert spans(est)["P7b"] == (0, 0, 0)


def test_done_and_not_needed_cost_nothing():
    # Everything done or not needed: nothing remains.
    est = estimate(dossier(), AUTORISATION)
    assert (est.months, est.critical_path, est.remaining) == (Span(0, 0, 0), (), ())
    # Only the purge P10 left: 3 / 3 / 3.
    est = estimate(dossier(P10="todo"), AUTORISATION)
    assert (est.months, est.critical_path) == (Span(3, 3, 3), ("P10",))
    # The dossier's not_needed is trusted even where autorisation needs P6 / P11, with a note:
    # only P9 → P10 is left, 6 / 7 / 8.
    est = estimate(dossier(P9="todo", P10="todo", P6="not_needed", P11="not_needed"), AUTORISATION)
    assert (est.months, est.critical_path) == (Span(6, 7, 8), ("P9", "P10"))
    assert [a.split()[0] for a in est.assumptions] == ["P6", "P11"]
    # A screening or an enregistrement the dossier says to do is not needed under autorisation.
    est = estimate({**ISSUE, "P1": "todo", "P7a": "todo"}, AUTORISATION)
    assert est.months == Span(7.75, 11, 21)
    assert [a.split()[0] for a in est.assumptions] == ["P1", "P7a"]


def test_in_progress_counts_what_is_left():
    # P6 started 15 Feb, today 15 May: 3 months elapsed, so P6 has 2.75 / 6 / 14 left and
    # P11 ends at 4.75 / 8 / 18. P9 → P10 ends at 6 / 7 / 8. Final: 6 / 8 / 18.
    issue = {**ISSUE, "P6": DossierEntry("in_progress", started_on=date(2024, 2, 15))}
    est = estimate(issue, AUTORISATION, today=date(2024, 5, 15))
    assert est.months == Span(6, 8, 18)
    assert est.critical_path == ("P6", "P11")
    assert est.assumptions == ()
    # Without today (or a start date) the full duration counts, as the issue's case: 7.75 / 11 / 21.
    est = estimate(issue, AUTORISATION)
    assert est.months == Span(7.75, 11, 21)
    assert est.assumptions[0].startswith("P6 is in progress with no start date")
    # Started 24 months ago, beyond its max of 17: P6 ends now, P11 2 / 2 / 4; P9 → P10 wins.
    issue["P6"] = DossierEntry("in_progress", started_on=date(2022, 5, 15))
    est = estimate(issue, AUTORISATION, today=date(2024, 5, 15))
    assert est.months == Span(6, 7, 8)
    assert est.critical_path == ("P9", "P10")
    assert "beyond its max" in est.assumptions[0]


def test_excavation_and_grid_connection_delay_works_not_permits():
    # P5 follows P4 (done: starts now) → 6 / 12 / 24; P12 from the project → 12 / 18 / 36.
    # Permits stay those of the issue's case.
    project = Project(icpe="autorisation", grid_connection_months=Span(12, 18, 36))
    est = estimate({**ISSUE, "P5": "todo", "P12": "todo"}, project)
    assert est.months == Span(7.75, 11, 21)
    assert [(p.code, p.start, p.end) for p in est.works_delays] == [
        ("P5", Span(0, 0, 0), Span(6, 12, 24)),
        ("P12", Span(0, 0, 0), Span(12, 18, 36)),
    ]
    assert "P5" not in spans(est) and "P12" not in spans(est)
    # The diagnostic still to do: the excavation starts after it, 3 / 6 / 9 → 9 / 18 / 33.
    # P4 → P9 now delays the permit too: P9 3→6, 6→10, 9→14; P10 9 / 13 / 17.
    # With P6 → P11 at 7.75 / 11 / 21, permits are final at 9 / 13 / 21.
    est = estimate({**ISSUE, "P4": "todo", "P5": "todo", "P12": "done"}, project)
    assert est.works_delays[0].start == Span(3, 6, 9)
    assert est.works_delays[0].end == Span(9, 18, 33)
    assert len(est.works_delays) == 1
    assert est.months == Span(9, 13, 21)
    assert est.critical_path == ("P4", "P9", "P10")
    # Unknown P12 with a connection time given: counted as to do, and noted.
    est = estimate({k: v for k, v in ISSUE.items() if k != "P12"}, project)
    assert est.works_delays[0].code == "P12"
    assert est.assumptions == ("P12 has no dossier entry: counted as to do",)


def test_durations_come_from_the_catalogue_passed_in():
    # Shorter P6 (3/4/5), P11 (1/1/1), P9 (2/2/2), P10 (2/2/2) on the issue's dossier:
    # P6 → P11 = 4 / 5 / 6; P9 → P10 = 4 / 4 / 4. Final 4 / 5 / 6.
    specs = dict(catalogue())
    shorter = {"P6": (3, 4, 5), "P11": (1, 1, 1), "P9": (2, 2, 2), "P10": (2, 2, 2)}
    for code, (low, typical, high) in shorter.items():
        specs[code] = replace(specs[code], min_months=low, typical_months=typical, max_months=high)
    est = estimate(ISSUE, AUTORISATION, specs)
    assert est.months == Span(4, 5, 6)
    assert est.critical_path == ("P6", "P11")
    # A catalogue and a graph of its own: A (1/2/3) then B (1/1/1) = 2 / 3 / 4.
    tiny = {
        "A": ProcedureSpec("A", "first", "", 1, 2, 3, "permits"),
        "B": ProcedureSpec("B", "second", "A", 1, 1, 1, "permits"),
    }
    est = estimate({"A": "todo", "B": "todo"}, Project(), tiny, edges=[("A", "B")])
    assert (est.months, est.critical_path) == (Span(2, 3, 4), ("A", "B"))


def test_invalid_input_names_the_culprit():
    with pytest.raises(ValueError, match="'finished'"):
        estimate({"P6": "finished"}, AUTORISATION)
    with pytest.raises(ValueError, match="'autorization'"):
        Project(icpe="autorization")
    with pytest.raises(ValueError, match="'P99'"):
        estimate({"P99": "todo"}, AUTORISATION)
    no_p6 = {**catalogue(), "P6": replace(catalogue()["P6"], typical_months=None)}
    with pytest.raises(ValueError, match="'P6' has no duration"):
        estimate(ISSUE, AUTORISATION, no_p6)
    tiny = {"A": ProcedureSpec("A", "a", "", 1, 1, 1, "permits")}
    with pytest.raises(ValueError, match="cycle: A → A"):
        estimate({"A": "todo"}, Project(), tiny, edges=[("A", "A")])
    with pytest.raises(ValueError, match="min <= typical <= max"):
        Span(3, 2, 1)


def test_data_files_hold_domain_graph_and_model_statuses():
    from app.matching.permits import STATUSES
    from app.models.procedure import PROCEDURE_STATUSES

    assert STATUSES == PROCEDURE_STATUSES
    domain = {("P1", "P2"), ("P2", "P3"), ("P3", "P6"), ("P2", "P6"), ("P3", "P9"), ("P4", "P9")}
    domain |= {("P8", "P9"), ("P9", "P10"), ("P6", "P11")}
    assert domain <= set(dependencies())


def test_estimator_is_pure():
    # STYLE.md §2: the core imports nothing that touches the DB or HTTP.
    code = (
        "import sys, app.matching.permits;print(sorted({'sqlalchemy', 'fastapi'} & {*sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
