"""The controls knowledge base: unified controls crosswalked to SOC 2, HIPAA and GDPR, and a
company's own state (facts, control status, evidence, approved answers).

    kb = load_knowledge_base(settings.knowledge_dir)
    company = load_company(settings.knowledge_dir / SAMPLE_PROFILE, kb)
    effective_status(company, "IAM-03", on=date.today()).supports_yes
"""

from .answers import check_answer_templates, render_answer
from .coverage import FrameworkCoverage, RequirementCoverage, framework_coverage
from .issues import Issue, KnowledgeError
from .loader import SAMPLE_PROFILE, load_company, load_knowledge_base
from .model import (
    AnswerTemplates,
    ApprovedAnswer,
    CompanyProfile,
    Control,
    ControlState,
    Domain,
    Evidence,
    Fact,
    Framework,
    KnowledgeBase,
    Mapping,
    Remediation,
    Requirement,
    Status,
)
from .status import ControlAssessment, effective_status, review_company

__all__ = [
    "SAMPLE_PROFILE",
    "AnswerTemplates",
    "ApprovedAnswer",
    "CompanyProfile",
    "Control",
    "ControlAssessment",
    "ControlState",
    "Domain",
    "Evidence",
    "Fact",
    "Framework",
    "FrameworkCoverage",
    "Issue",
    "KnowledgeBase",
    "KnowledgeError",
    "Mapping",
    "Remediation",
    "Requirement",
    "RequirementCoverage",
    "Status",
    "check_answer_templates",
    "effective_status",
    "framework_coverage",
    "load_company",
    "load_knowledge_base",
    "render_answer",
    "review_company",
]
