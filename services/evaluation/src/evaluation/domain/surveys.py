"""Satisfaction surveys (客户满意度): questions as data, one survey per served relationship, answered once by that
enterprise; providers see aggregates only. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sihua_shared.errors import Problem, invalid_all


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,19}$")
    text_zh: str = Field(min_length=1)


class Scale(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min: int = Field(ge=0)
    max: int = Field(ge=1, le=10)


class Questionnaire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title_zh: str
    scale: Scale
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Questionnaire:
        if len({q.id for q in self.questions}) != len(self.questions) or self.scale.min >= self.scale.max:
            raise ValueError("question ids repeat or the scale is empty")
        return self

    def score_milli(self, answers: Mapping[str, int]) -> int:
        """Check every question is answered on the scale and nothing else; the score in milli-points (0–100 000)."""
        problems = [Problem(f"body.answers.{q.id}", "missing_answer", "请回答该问题", "answer this question")
                    for q in self.questions if q.id not in answers]
        known = {q.id for q in self.questions}
        problems += [Problem(f"body.answers.{k}", "unknown_question", "没有该问题", "no such question") for k in answers if k not in known]
        problems += [Problem(f"body.answers.{k}", "off_scale", f"应为 {self.scale.min}–{self.scale.max}",
                             f"must be {self.scale.min} to {self.scale.max}")
                     for k, v in answers.items() if k in known and not self.scale.min <= v <= self.scale.max]
        if problems:
            raise invalid_all("survey_answers_invalid", "问卷答案不完整或超出范围", "the answers are incomplete or off the scale",
                              problems)
        mean = Fraction(sum(answers.values()), len(answers))
        return int(mean / self.scale.max * 100_000)


def questionnaire() -> Questionnaire:
    text = resources.files("evaluation.models").joinpath("survey.yaml").read_text(encoding="utf-8")
    return Questionnaire.model_validate(yaml.safe_load(text))
