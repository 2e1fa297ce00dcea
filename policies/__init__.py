"""ODRL 2.2 policies for the JNT data space: parse (JSON-LD, Turtle), a typed model, normalisation, a compiled
decision engine that explains every decision in French and English, the JNT policy profile, and templates from
the licence (C5) and access-mode (C7) criteria. A pure library: no web, no database."""

from .engine import DENY, NOT_APPLICABLE, PERMIT, CompiledPolicy, Decision, compile_policy, decide
from .errors import PolicyError, Problem
from .facts import load_request, load_world, request_from_json, world_from_json
from .model import IRI, Action, Asset, Constraint, Literal, LogicalConstraint, Party, Policy, Rule, RuleKind
from .parse import parse_policies, parse_policy
from .request import Area, Request, World

__all__ = [
    "DENY", "IRI", "NOT_APPLICABLE", "PERMIT", "Action", "Area", "Asset", "CompiledPolicy", "Constraint", "Decision",
    "Literal", "LogicalConstraint", "Party", "Policy", "PolicyError", "Problem", "Request", "Rule", "RuleKind",
    "World", "compile_policy", "decide", "load_request", "load_world", "parse_policies", "parse_policy",
    "request_from_json", "world_from_json",
]
