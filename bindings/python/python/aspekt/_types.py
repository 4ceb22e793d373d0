"""Typed shapes of the engine's JSON surface, for type checkers.

At run time these are plain dicts parsed from the engine's JSON; the JSON
Schemas (``aspekt.json_schema(kind)``) are the contract.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict

__all__ = [
    "CompileInfo",
    "DefinitionModel",
    "DefinitionRefDict",
    "DisclosureAnalysis",
    "Form",
    "FormItem",
    "FormOption",
    "FormTopic",
    "LibraryEntry",
    "OutcomeFinding",
    "ResultFinding",
    "ResultVisibility",
    "Transparency",
]

DefinitionModel = Dict[str, Any]
"""The definition as written: ``questionnaire``, ``scale``, ``topic``,
``item``, ``score``, ``result`` (see ``aspekt.json_schema("definition")``)."""


class DefinitionRefDict(TypedDict):
    id: str
    version: str
    digest: str


class CompileInfo(TypedDict):
    id: str
    version: str
    digest: str
    locales: List[str]
    audiences: List[str]
    privacy_notice: Optional[str]
    mode: str
    warnings: List[Dict[str, Any]]


class LibraryEntry(TypedDict):
    id: str
    version: str
    title: str
    locales: List[str]
    items: int
    minutes: Optional[int]
    licence: str
    commercial_use: Optional[bool]
    mode: str


class FormOption(TypedDict):
    code: int
    label: str


class FormItem(TypedDict):
    id: str
    text: str
    options: List[FormOption]


class FormTopic(TypedDict):
    id: str
    title: str
    description: Optional[str]
    items: List[FormItem]


class Form(TypedDict):
    id: str
    version: str
    digest: str
    locale: str
    locales: List[str]
    title: str
    description: str
    instructions: Optional[str]
    mode: str
    privacy_notice: Optional[str]
    minutes: Optional[int]
    topics: List[FormTopic]


class ResultVisibility(TypedDict):
    id: str
    title: str
    audiences: List[str]
    seen_by: List[str]
    not_seen_by: List[str]
    waiver: Optional[str]


class Transparency(TypedDict):
    definition: DefinitionRefDict
    title: str
    locale: str
    mode: str
    privacy_notice: Optional[str]
    answers: str
    results: List[ResultVisibility]
    voluntary: str
    no_recommendation: str
    text: str


class OutcomeFinding(TypedDict):
    outcome: str
    min_ambiguity: Optional[int]
    worst_item: Optional[str]


class ResultFinding(TypedDict):
    audience: str
    result: str
    k: int
    method: str
    jointly_with: List[str]
    outcomes: List[OutcomeFinding]
    waiver: Optional[str]


class DisclosureAnalysis(TypedDict):
    results: List[ResultFinding]
