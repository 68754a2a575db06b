"""Concepts questionnaires name in several ways: a question's word is covered by a control
that names the same concept in other words ("laptops" by "workstations", "yearly" by
"annually").

Each concept is a group of words or short phrases that a security questionnaire uses
interchangeably. Groups are deliberately narrow: "access" is not "entry", "vendor" is not
"customer". A word in two groups links neither group to the other.
"""

from __future__ import annotations

from functools import lru_cache

from .language import stems

CONCEPTS: dict[str, tuple[str, ...]] = {
    # who
    # not "contractor": staff and contractors are usually one workforce
    "third_party": (
        "vendor",
        "supplier",
        "third party",
        "third-party",
        "subcontractor",
        "subprocessor",
        "sub-supplier",
        "service provider",
        "outsourcer",
    ),
    "customer": ("customer", "client", "tenant", "subscriber", "institution", "institutional"),
    "workforce": (
        "employee",
        "staff",
        "personnel",
        "workforce",
        "worker",
        "team member",
        "new hire",
        "hire",
    ),
    "individual": ("data subject", "individual", "patient", "consumer", "end user"),
    # things
    "endpoint": (
        "laptop",
        "workstation",
        "desktop",
        "endpoint",
        "end-user device",
        "notebook",
        "computer",
        "pc",
    ),
    "mobile_device": ("mobile device", "smartphone", "phone", "tablet", "byod", "personal device"),
    "removable_media": (
        "removable",
        "usb",
        "thumb drive",
        "flash drive",
        "external drive",
        "portable media",
        "portable storage",
    ),
    "building": ("building", "facility", "premises", "office", "site", "campus"),
    "data_center": ("data center", "datacenter", "colocation", "server room"),
    "badge": ("badge", "keycard", "key card", "access card", "proximity card", "fob"),
    "cctv": ("cctv", "camera", "video surveillance", "closed-circuit"),
    "visitor": ("visitor", "guest"),
    "log": ("log", "logs", "audit trail", "audit log", "event log", "journal"),
    "backup": ("backup", "back-up", "snapshot", "replica", "copy"),
    "key": (
        "cryptographic key",
        "encryption key",
        "key management",
        "kms",
        "hsm",
        "key rotation",
        "key lifecycle",
    ),
    "crypto": ("encrypt", "encryption", "cryptography", "cryptographic", "cipher", "crypto"),
    "password": ("password", "passphrase", "passcode"),
    "mfa": (
        "multi-factor",
        "multifactor",
        "two-factor",
        "2fa",
        "mfa",
        "second factor",
        "one-time code",
        "strong authentication",
    ),
    "sso": ("single sign-on", "sso", "saml", "federation", "federated", "openid", "oidc"),
    "malware": (
        "malware",
        "virus",
        "antivirus",
        "anti-virus",
        "anti-malware",
        "malicious code",
        "malicious software",
    ),
    "vulnerability": ("vulnerability", "weakness", "flaw", "cve"),
    "patch": ("patch", "security update", "hotfix"),
    "pentest": (
        "penetration test",
        "penetration testing",
        "pentest",
        "pen test",
        "pen-test",
        "ethical hack",
    ),
    "firewall": ("firewall", "security group", "network acl"),
    "segmentation": (
        "segmentation",
        "segment",
        "segregate",
        "segregation",
        "vlan",
        "network isolation",
    ),
    "inventory": ("inventory", "asset register", "asset list", "catalog", "cmdb"),
    "disposal": (
        "dispose",
        "disposal",
        "destroy",
        "destruction",
        "sanitize",
        "sanitise",
        "sanitization",
        "wipe",
        "shred",
        "decommission",
    ),
    "deletion": ("delete", "deletion", "erase", "erasure", "purge"),
    "retention": ("retain", "retention", "retained", "preserve", "archive", "archival"),
    "training": ("training", "awareness", "education", "course", "train"),
    "screening": (
        "background check",
        "background screening",
        "screening",
        "vetting",
        "background investigation",
    ),
    "contract": ("contract", "agreement", "contractual", "terms and conditions", "clause"),
    "sbom": ("bill of materials", "bom", "sbom", "component list"),
    "counterfeit": (
        "counterfeit",
        "fake",
        "grey market",
        "gray market",
        "authentic",
        "genuine",
        "provenance",
        "original equipment manufacturer",
        "oem",
        "authorized reseller",
        "authorised reseller",
    ),
    "code_signing": (
        "code signing",
        "signed release",
        "digital signature",
        "checksum",
        "hash verification",
        "release integrity",
        "signed build",
    ),
    "source_code": ("source code", "repository", "code base", "codebase"),
    "code_review": ("code review", "peer review", "pull request", "merge request"),
    "disaster_recovery": ("disaster recovery", "drp", "dr plan"),
    "continuity": ("business continuity", "bcp", "continuity plan", "contingency plan"),
    "screen_lock": (
        "screen lock",
        "lock screen",
        "screensaver",
        "screen saver",
        "session lock",
        "idle timeout",
        "inactivity",
    ),
    "dlp": ("data loss prevention", "dlp", "exfiltration", "data leakage"),
    "phishing": ("phishing", "social engineering", "spoofing"),
    "accessibility": (
        "accessibility",
        "wcag",
        "vpat",
        "section 508",
        "screen reader",
        "assistive technology",
    ),
    "insurance": ("insurance", "insure", "insured", "cyber liability"),
    "remote_access": ("remote access", "vpn", "zero trust", "zero-trust", "bastion"),
    "privileged": (
        "privileged",
        "administrator",
        "admin",
        "root",
        "superuser",
        "elevated privilege",
    ),
    "time_sync": ("ntp", "time synchronization", "time synchronisation", "clock"),
    "threat_intel": ("threat intelligence", "threat intel", "threat feed", "threat information"),
    # when
    "annual": (
        "annual",
        "annually",
        "yearly",
        "every year",
        "once a year",
        "12 months",
        "twelve months",
        "each year",
    ),
    "quarterly": ("quarterly", "every quarter", "three months", "90 days"),
    "monthly": ("monthly", "every month", "30 days"),
}


@lru_cache(maxsize=1)
def _phrases_by_first_stem() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """(phrase as stems, concept) by the phrase's first stem. A phrase two concepts share
    belongs to neither."""
    owners: dict[tuple[str, ...], set[str]] = {}
    for concept, members in CONCEPTS.items():
        for member in members:
            phrase = tuple(s for s in stems(member) if "-" not in s) or tuple(stems(member))
            owners.setdefault(phrase, set()).add(concept)
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for phrase, concepts_of in owners.items():
        if len(concepts_of) == 1:
            by_first.setdefault(phrase[0], []).append((phrase, next(iter(concepts_of))))
    return {first: tuple(found) for first, found in by_first.items()}


def concept_spans(sequence: list[str]) -> list[tuple[str, int, int]]:
    """(concept, start, end) for each phrase found in a sequence of stems; where phrases
    overlap the longest wins ("audit log" over "log")."""
    index = _phrases_by_first_stem()
    found = [
        (phrase, start, concept)
        for start, first in enumerate(sequence)
        for phrase, concept in index.get(first, ())
        if tuple(sequence[start : start + len(phrase)]) == phrase
    ]
    taken = [False] * len(sequence)
    spans = []
    for phrase, start, concept in sorted(found, key=lambda f: (-len(f[0]), f[0], f[1])):
        end = start + len(phrase)
        if not any(taken[start:end]):
            spans.append((concept, start, end))
            for i in range(start, end):
                taken[i] = True
    return sorted(spans, key=lambda span: span[1])


def concepts(sequence: list[str]) -> frozenset[str]:
    return frozenset(concept for concept, _, _ in concept_spans(sequence))
