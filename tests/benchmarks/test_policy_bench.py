"""Benchmarks of the ODRL policy engine (`policies`): decisions per second, parse and compile times, explanation
cost and memory. Run with `make bench`; results and targets are in docs/benchmarks.md.

These are benchmarks, not timed tests: nothing asserts on a duration. Every benchmark does assert that the engine
gives the expected answer, so a benchmark of a broken engine fails instead of reporting a meaningless speed.

The reference case is an agreement with five constraints (dateTime interval, purpose, recipient category, count,
spatial inclusion in the commune of Nantes), parsed once, compiled once, then decided many times over the same
request and state of the world, on one thread."""

from __future__ import annotations

import copy
import cProfile
import gc
import pstats
import subprocess
import sys
import textwrap
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from policies import (
    NOT_APPLICABLE,
    PERMIT,
    LogicalConstraint,
    World,
    compile_policy,
    load_request,
    load_world,
    parse_policy,
    request_from_json,
)

DSP = "https://w3id.org/dspace/2025/1/context.jsonld"
JNT = "https://w3id.org/jnt/odrl/"
PURPOSE = "https://w3id.org/jnt/purpose/"
NANTES = "https://w3id.org/jnt/territory/commune/44109"
ASSIGNEE = "did:web:nantes-metropole.example"
TARGET = "urn:jnt:dataset:flood-zones"

# ~500 m x ~490 m around Nantes city centre (-1.5536 47.2184), well inside commune 44109.
AREA_WKT = ("POLYGON((-1.5569 47.2162, -1.5503 47.2162, -1.5503 47.2206, -1.5569 47.2206, -1.5569 47.2162))")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # inside [2026-01-01, 2027-01-01)
COUNT = 3  # uses so far: this one is the 4th, count lteq 5 holds
DECISIONS_FOR_MEMORY = 10_000


def _c(left: str, operator: str, right) -> dict:
    return {"leftOperand": left, "operator": operator, "rightOperand": right}


def _dt(text: str) -> dict:
    return {"@value": text, "@type": "xsd:dateTime"}


# The agreement, as a DSP 2025-1 JSON-LD document (as a connector receives it).
AGREEMENT_JSONLD = {
    "@context": [DSP],
    "@id": "urn:jnt:agreement:bench",
    "@type": "Agreement",
    "target": TARGET,
    "assigner": "did:web:provider.example",
    "assignee": ASSIGNEE,
    "permission": [
        {
            "action": "use",
            "constraint": [
                {"and": [_c("dateTime", "gteq", _dt("2026-01-01T00:00:00Z")),
                         _c("dateTime", "lt", _dt("2027-01-01T00:00:00Z"))]},
                _c("purpose", "isAnyOf", ["flood-risk-simulation", "crisis-management"]),
                _c(JNT + "recipientCategory", "isAnyOf", [{"@id": JNT + "category/public-body"}]),
                _c("count", "lteq", {"@value": "5", "@type": "xsd:integer"}),
                _c("spatial", "isPartOf", {"@id": NANTES}),
            ],
        }
    ],
}

# The same agreement in Turtle (for information: the Turtle path goes through rdflib).
AGREEMENT_TURTLE = textwrap.dedent(f"""\
    @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    @prefix jnt: <{JNT}> .

    <urn:jnt:agreement:bench> a odrl:Agreement ;
        odrl:target <{TARGET}> ;
        odrl:assigner <did:web:provider.example> ;
        odrl:assignee <{ASSIGNEE}> ;
        odrl:permission [
            odrl:action odrl:use ;
            odrl:constraint
                [ odrl:and
                    [ odrl:leftOperand odrl:dateTime ; odrl:operator odrl:gteq ;
                      odrl:rightOperand "2026-01-01T00:00:00Z"^^xsd:dateTime ] ,
                    [ odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt ;
                      odrl:rightOperand "2027-01-01T00:00:00Z"^^xsd:dateTime ] ] ,
                [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isAnyOf ;
                  odrl:rightOperand <{PURPOSE}flood-risk-simulation> , <{PURPOSE}crisis-management> ] ,
                [ odrl:leftOperand jnt:recipientCategory ; odrl:operator odrl:isAnyOf ;
                  odrl:rightOperand <{JNT}category/public-body> ] ,
                [ odrl:leftOperand odrl:count ; odrl:operator odrl:lteq ; odrl:rightOperand 5 ] ,
                [ odrl:leftOperand odrl:spatial ; odrl:operator odrl:isPartOf ; odrl:rightOperand <{NANTES}> ]
        ] .
    """)

REQUEST_JSON = {
    "assignee": ASSIGNEE,
    "target": TARGET,
    "purpose": "flood-risk-simulation",
    "category": "public",
    "area": AREA_WKT,
}



# ---------------------------------------------------------------------------------------------------------------
# Helpers


def _record_rate(benchmark, unit: str = "decisions_per_s", per_call: int = 1) -> float:
    """Put 1/mean (times `per_call`) in extra_info; returns it (0 when benchmarks are disabled)."""
    stats = getattr(benchmark, "stats", None)
    mean = stats.stats.mean if stats is not None else 0.0
    rate = per_call / mean if mean else 0.0
    benchmark.extra_info[unit] = round(rate, 1)
    if mean:
        benchmark.extra_info["mean_us"] = round(mean * 1e6, 2)
    return rate


def _record_ms(benchmark) -> float:
    stats = getattr(benchmark, "stats", None)
    mean = stats.stats.mean if stats is not None else 0.0
    benchmark.extra_info["mean_ms"] = round(mean * 1e3, 3)
    return mean * 1e3


def _assert_permit(decision) -> None:
    assert decision.outcome == PERMIT, decision.explain("en")
    assert decision.reason == "permitted" and decision.permitted
    (rule,) = decision.rules
    assert rule.matched and rule.active
    assert len(rule.constraints) == 5 and all(r.satisfied for r in rule.constraints)


def _assert_wrong_purpose_denied(decision) -> None:
    # Closed world: the only permission is inactive, so the request is not permitted (not-applicable = denied).
    assert decision.outcome == NOT_APPLICABLE, decision.explain("en")
    assert decision.reason == "no-applicable-rule" and not decision.permitted
    (rule,) = decision.rules
    assert rule.matched and not rule.active
    failed = [r.constraint.left_operand for r in rule.constraints if not r.satisfied]
    assert failed == ["http://www.w3.org/ns/odrl/2/purpose"], failed


def _count_constraints(constraints) -> tuple[int, int]:
    """(atomic, logical) constraints, nested ones included."""
    atomic = logical = 0
    for c in constraints:
        if isinstance(c, LogicalConstraint):
            a, lo = _count_constraints(c.operands)
            atomic, logical = atomic + a, logical + lo + 1
        else:
            atomic += 1
    return atomic, logical


# ---------------------------------------------------------------------------------------------------------------
# Fixtures: parse once, compile once, read the request once


@pytest.fixture(scope="module")
def agreement():
    return compile_policy(parse_policy(copy.deepcopy(AGREEMENT_JSONLD)))


@pytest.fixture(scope="module")
def world():
    return World(now=NOW, count=COUNT)


@pytest.fixture(scope="module")
def permit_request():
    return request_from_json(dict(REQUEST_JSON))


@pytest.fixture(scope="module")
def wrong_purpose_request():
    return request_from_json({**REQUEST_JSON, "purpose": "urban-planning"})


@pytest.fixture(scope="module")
def solidlab(shared_dir):  # shared_dir: tests/conftest.py
    return shared_dir / "testsuites" / "odrl-solidlab" / "data"


# ---------------------------------------------------------------------------------------------------------------
# Decisions: the 20,000 decisions/s target


def test_decide_permit(benchmark, agreement, permit_request, world):
    """Target: >= 20,000 decisions/s on one core (all five constraints evaluated, permit)."""
    _assert_permit(agreement.decide(permit_request, world))

    # No RDF (rdflib) nor JSON-LD (pyld) work on the hot path.
    profile = cProfile.Profile()
    profile.runcall(agreement.decide, permit_request, world)
    files = {key[0] for key in pstats.Stats(profile).stats}
    assert not [f for f in files if "rdflib" in f or "pyld" in f], sorted(files)

    decision = benchmark(agreement.decide, permit_request, world)
    _assert_permit(decision)
    benchmark.extra_info["target_decisions_per_s"] = 20_000
    _record_rate(benchmark)


def test_decide_deny_wrong_purpose(benchmark, agreement, wrong_purpose_request, world):
    """The same agreement, request for a purpose it does not allow: not permitted."""
    _assert_wrong_purpose_denied(agreement.decide(wrong_purpose_request, world))
    decision = benchmark(agreement.decide, wrong_purpose_request, world)
    _assert_wrong_purpose_denied(decision)
    benchmark.extra_info["target_decisions_per_s"] = 20_000
    _record_rate(benchmark)


def _assert_jsonld_path_without_rdflib() -> None:
    """Parse (JSON-LD) + compile + decide + explain in a fresh interpreter: rdflib is not even imported."""
    code = textwrap.dedent(f"""
        import sys
        from datetime import datetime, UTC
        from policies import World, compile_policy, parse_policy, request_from_json
        policy = compile_policy(parse_policy({AGREEMENT_JSONLD!r}))
        decision = policy.decide(request_from_json({REQUEST_JSON!r}), World(now=datetime(2026, 3, 2, tzinfo=UTC), count=3))
        assert decision.outcome == "permit", decision.explain("en")
        decision.explain("fr")
        assert "rdflib" not in sys.modules, "rdflib was imported on the JSON-LD path"
    """)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


# ---------------------------------------------------------------------------------------------------------------
# Explanations (produced lazily, only when asked for)


def test_explain_permit_fr(benchmark, agreement, permit_request, world):
    decision = agreement.decide(permit_request, world)
    decision.explain("fr")  # first call imports policies.explain
    lines = benchmark(decision.explain, "fr")
    assert lines[0].startswith("autorisé : permission « use »"), lines
    assert len(lines) == 7 and all(line.lstrip().startswith("✓") for line in lines[2:]), lines
    _record_rate(benchmark, "explanations_per_s")


def test_explain_deny_fr(benchmark, agreement, wrong_purpose_request, world):
    decision = agreement.decide(wrong_purpose_request, world)
    decision.explain("fr")  # first call imports policies.explain
    lines = benchmark(decision.explain, "fr")
    assert lines[0].startswith("refusé : "), lines
    assert "la finalité 'urban-planning' n'est pas dans" in lines[0], lines
    _record_rate(benchmark, "explanations_per_s")


# ---------------------------------------------------------------------------------------------------------------
# Parsing and compiling: the 5 ms target


def test_parse_jsonld(benchmark):
    """Target: parsing one policy from JSON-LD (DSP context) <= 5 ms."""
    doc = copy.deepcopy(AGREEMENT_JSONLD)
    _assert_jsonld_path_without_rdflib()
    parse_policy(doc)  # first call: imports, shipped contexts read and cached
    policy = benchmark(parse_policy, doc)
    assert policy.uid == "urn:jnt:agreement:bench" and policy.type == "Agreement"
    assert len(policy.permissions) == 1 and len(policy.permissions[0].constraints) == 5
    assert doc == AGREEMENT_JSONLD  # parsing does not alter the caller's document
    benchmark.extra_info["target_ms"] = 5
    _record_ms(benchmark)


def test_parse_turtle(benchmark, agreement, permit_request, world):
    """For information: the same policy from Turtle (rdflib)."""
    parse_policy(AGREEMENT_TURTLE, format="turtle")
    policy = benchmark(parse_policy, AGREEMENT_TURTLE, format="turtle")
    assert policy.uid == "urn:jnt:agreement:bench" and policy.type == "Agreement"
    compiled = compile_policy(policy)
    _assert_permit(compiled.decide(permit_request, world))
    _record_ms(benchmark)


def test_compile_agreement(benchmark, permit_request, world):
    policy = parse_policy(copy.deepcopy(AGREEMENT_JSONLD))
    compiled = benchmark(compile_policy, policy)
    _assert_permit(compiled.decide(permit_request, world))
    _record_ms(benchmark)


# ---------------------------------------------------------------------------------------------------------------
# Memory: 10,000 decisions kept (e.g. for an audit log) vs discarded one by one


@pytest.mark.parametrize("keep", [False, True], ids=["discarded", "kept"])
def test_memory_10k_decisions(benchmark, agreement, permit_request, world, keep):
    """Peak traced memory while making 10,000 decisions (the time shown includes tracemalloc's overhead)."""
    _assert_permit(agreement.decide(permit_request, world))  # warm: lazy imports and caches are not counted

    def run() -> tuple[int, list]:
        gc.collect()
        tracemalloc.start()
        try:
            kept = []
            decision = None
            for _ in range(DECISIONS_FOR_MEMORY):
                decision = agreement.decide(permit_request, world)
                if keep:
                    kept.append(decision)
            _assert_permit(decision)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return peak, kept

    peak, kept = benchmark.pedantic(run, rounds=1, iterations=1)
    assert len(kept) == (DECISIONS_FOR_MEMORY if keep else 0)
    benchmark.extra_info["decisions"] = DECISIONS_FOR_MEMORY
    benchmark.extra_info["peak_bytes"] = peak
    benchmark.extra_info["peak_MiB"] = round(peak / 2**20, 2)
    benchmark.extra_info["bytes_per_decision"] = round(peak / DECISIONS_FOR_MEMORY, 1)


# ---------------------------------------------------------------------------------------------------------------
# A big policy: SolidLab ODRL test suite policy-20 (weekdays 9-17 of 2024, hundreds of nested constraints)


@pytest.fixture(scope="module")
def policy20(solidlab):
    return parse_policy(solidlab / "policies" / "policy-20.ttl")


def test_decide_solidlab_policy20(benchmark, solidlab, policy20):
    compiled = compile_policy(policy20)
    request, request_world = load_request(solidlab / "requests" / "request-1.ttl")
    assert request_world is None
    world = load_world(solidlab / "sotw" / "temporal.ttl")
    out_of_office = load_world(solidlab / "sotw" / "out-of-office.ttl")
    assert compiled.decide(request, out_of_office).outcome == NOT_APPLICABLE  # testcase 063: Deny

    decision = benchmark(compiled.decide, request, world)
    assert decision.outcome == PERMIT and decision.permitted, decision.explain("en")  # testcase 062: Allow
    atomic, logical = _count_constraints(c for r in policy20.permissions for c in r.constraints)
    benchmark.extra_info["atomic_constraints"] = atomic
    benchmark.extra_info["logical_constraints"] = logical
    _record_rate(benchmark)


def test_compile_solidlab_policy20(benchmark, policy20):
    compiled = benchmark(compile_policy, policy20)
    assert len(compiled.permissions) == 1
    _record_ms(benchmark)


def test_parse_turtle_solidlab_policy20(benchmark, solidlab):
    """For information: Turtle parse of a 3,400-line policy (rdflib dominates)."""
    text = (solidlab / "policies" / "policy-20.ttl").read_text(encoding="utf-8")
    policy = benchmark.pedantic(parse_policy, args=(text,), kwargs={"format": "turtle"}, rounds=5, warmup_rounds=1)
    assert policy.uid == "urn:uuid:29b08c0a-97ea-41b1-b8e9-88400b1230cf" and len(policy.permissions) == 1
    _record_ms(benchmark)
