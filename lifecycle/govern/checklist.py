"""The governance checklist of a model version: each item, where it comes from (the EU AI Act's
Annex IV, the US Federal Reserve's SR 11-7 on model risk, the NIST AI Risk Management Framework
1.0 and the model-card sections of Mitchell et al. 2019 / Hugging Face), the evidence the app
holds for it (:mod:`lifecycle.govern.evidence_links`), and whether it blocks a sign-off at the
project's risk tier (stage 1).

Which items block, by risk tier (``Item.blocks_from``): every tier needs the inventory entry, the
intended purpose, performance with intervals, the change log and the risks accepted; a medium tier
adds what the EU AI Act asks of any documented system (regulations, design, data, validation data,
groups, explanations, limitations, human oversight); a high tier adds the bias and proxy check,
robustness and calibration, a benchmark, the privacy and security review, independent validation
and retirement criteria. The monitoring plan and prediction logging block nothing: their evidence
(monitoring windows, the prediction log) exists only once a version serves, after its approval; a
reviewer may approve with a condition on them. Make them blocking once stage 6 supplies a
pre-deployment monitoring plan (one word in ``ITEMS``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from lifecycle.govern.evidence_links import ATTESTATION, MISSING, PRESENT, EvidenceLink, Found, find
from lifecycle.govern.record import VersionRecord, load_record
from lifecycle.hashing import sha256_json
from lifecycle.records import RISK_TIERS, SignOff
from lifecycle.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class Item:
    """One checklist item: what it asks, its sources, whether a reviewer's statement is the
    evidence (``attestation``), and the lowest risk tier at which it blocks (None: never)."""

    id: str
    title: str
    asks: str
    sources: tuple[str, ...]
    attestation: bool = False
    blocks_from: str | None = "low"

    def blocks(self, risk_tier: str) -> bool:
        """True when this item must be satisfied before a version of a ``risk_tier`` project is approved
        (an unknown tier counts as high)."""
        if self.blocks_from is None:
            return False
        tier = risk_tier if risk_tier in RISK_TIERS else RISK_TIERS[-1]
        return RISK_TIERS.index(tier) >= RISK_TIERS.index(self.blocks_from)


ANNEX, SR, NIST, CARD = "EU AI Act Annex IV", "SR 11-7", "NIST AI RMF", "Model card"

ITEMS: tuple[Item, ...] = (
    Item(id="inventory", title="Inventory entry", asks="Is the model in the inventory: id, version, owner, risk tier, "
         "state?", sources=(f"{SR} (model inventory)", f"{ANNEX} 1(a)", f"{NIST} GOVERN 1.6", f"{CARD}: Model Details")),
    Item(id="intended_purpose", title="Intended purpose, users, out-of-scope use",
         asks="Are the intended purpose, its users and the uses out of scope written down?",
         sources=(f"{ANNEX} 1(a), 1(h)", f"{NIST} MAP 1.1", f"{CARD}: Uses")),
    Item(id="regulations", title="Applicable regulations", asks="Which laws and policies apply to this use?",
         sources=(f"{ANNEX} 7", f"{NIST} GOVERN 1.1", f"{SR} (policies and compliance)"), attestation=True,
         blocks_from="medium"),
    Item(id="design_choices", title="Design choices and rationale",
         asks="Which algorithm, parameters and search, and why?",
         sources=(f"{ANNEX} 2(a), 2(b)", f"{SR} (model development)", f"{CARD}: Training Details"), blocks_from="medium"),
    Item(id="data_provenance", title="Data provenance", asks="Where does the training data come from, in which version?",
         sources=(f"{ANNEX} 2(d)", f"{NIST} MAP 2.3", f"{CARD}: Training Data"), blocks_from="medium"),
    Item(id="training_data_bias", title="Training data checked for bias and proxies",
         asks="Was the training data checked for bias across groups and for proxies of sensitive attributes?",
         sources=(f"{ANNEX} 2(d)", "EU AI Act Art. 10(2)(f)", f"{NIST} MEASURE 2.11"), attestation=True,
         blocks_from="high"),
    Item(id="validation_data", title="Validation data and its closeness to production",
         asks="On which held-out data was it validated, and how close is that data to production?",
         sources=(f"{ANNEX} 2(g)", f"{SR} (outcomes analysis)", f"{CARD}: Testing Data"), blocks_from="medium"),
    Item(id="performance_intervals", title="Performance with intervals",
         asks="How well does it perform on held-out data, with confidence intervals?",
         sources=(f"{ANNEX} 2(g), 3", f"{NIST} MEASURE 2.3", f"{CARD}: Evaluation")),
    Item(id="group_accuracy", title="Accuracy per group and intersection",
         asks="How does it perform for each sensitive group and their intersections?",
         sources=(f"{ANNEX} 2(g), 3", f"{NIST} MEASURE 2.11", f"{CARD}: Bias, Risks, and Limitations"),
         blocks_from="medium"),
    Item(id="robustness_calibration", title="Robustness and calibration",
         asks="Does it hold up under noise and missing values, and are its probabilities calibrated?",
         sources=(f"{ANNEX} 2(g)", "EU AI Act Art. 15", f"{NIST} MEASURE 2.5"), blocks_from="high"),
    Item(id="explanations_reviewed", title="Explanations reviewed",
         asks="Are the model's drivers explained and were they read?",
         sources=(f"{ANNEX} 2(b), 3", f"{NIST} MEASURE 2.9", f"{CARD}: Model Examination"), blocks_from="medium"),
    Item(id="limitations", title="Limitations", asks="Where does it do badly, and what must it not be used for?",
         sources=(f"{ANNEX} 3", f"{SR} (limitations)", f"{CARD}: Bias, Risks, and Limitations"), blocks_from="medium"),
    Item(id="benchmark_challenger", title="Comparison with a benchmark or challenger",
         asks="Does it beat a naive baseline or the current champion?",
         sources=(f"{SR} (benchmarking, effective challenge)", f"{NIST} MEASURE 2.13"), blocks_from="high"),
    Item(id="monitoring_plan", title="Monitoring plan with thresholds",
         asks="What is watched in production, against which thresholds, and who is alerted?",
         sources=(f"{ANNEX} 9", f"{SR} (ongoing monitoring)", f"{NIST} MANAGE 4.1"), blocks_from=None),
    Item(id="prediction_logging", title="Prediction logging", asks="Is every prediction logged, to trace decisions?",
         sources=("EU AI Act Art. 12", f"{ANNEX} 2(g)", f"{NIST} MEASURE 2.8"), blocks_from=None),
    Item(id="human_oversight", title="Human oversight", asks="Who oversees the decisions, and how can they override them?",
         sources=(f"{ANNEX} 2(e), 3", "EU AI Act Art. 14", f"{NIST} GOVERN 3.2"), attestation=True,
         blocks_from="medium"),
    Item(id="risks_accepted", title="Risks and mitigations accepted",
         asks="Which risks remain, how are they mitigated, and are they accepted?",
         sources=(f"{ANNEX} 5", "EU AI Act Art. 9", f"{NIST} MANAGE 1.3", f"{SR} (model risk)"), attestation=True),
    Item(id="privacy_security", title="Privacy and security review",
         asks="Were privacy (personal data, retention) and security (access, artifact) reviewed?",
         sources=(f"{ANNEX} 2(h)", f"{NIST} MEASURE 2.7, 2.10"), attestation=True, blocks_from="high"),
    Item(id="independent_validation", title="Independent validation",
         asks="Was it validated, or its validation challenged, by someone who did not build it?",
         sources=(f"{SR} (independent validation)", f"{NIST} GOVERN 1.5"), blocks_from="high"),
    Item(id="change_log", title="Change log", asks="Is every change to the version on record?",
         sources=(f"{ANNEX} 6", f"{NIST} GOVERN 1.4")),
    Item(id="retirement_criteria", title="Retirement criteria", asks="When must the version be retired, and who decides?",
         sources=(f"{NIST} GOVERN 1.7", f"{SR} (model inventory: retired models)"), attestation=True,
         blocks_from="high"),
)
ITEM_IDS = tuple(item.id for item in ITEMS)
BY_ID = {item.id: item for item in ITEMS}


ATTESTED = "attested"  # shown, not a status: an attestation item a sign-off already holds a statement for


@dataclass(frozen=True, kw_only=True)
class Statement:
    """A reviewer's statement on an attestation item, as their sign-off recorded it."""

    signer: str
    comment: str
    signoff_id: int


@dataclass(frozen=True, kw_only=True)
class ItemStatus:
    """An item of one version's checklist: the item, what was found, whether it blocks at the project's tier,
    and, for an attestation item, the statements the version's sign-offs hold (oldest first)."""

    item: Item
    found: Found
    blocking: bool
    statements: tuple[Statement, ...] = ()

    @property
    def status(self) -> str:
        return self.found.status

    @property
    def shown(self) -> str:
        """The status as a reader wants it: ``attested`` for an attestation item a reviewer has already
        stated (each approving reviewer still states blocking ones: :func:`lifecycle.govern.signoff.judge`),
        else the status. The digest and the sign-off rules read :attr:`status`, which does not change."""
        return ATTESTED if self.status == ATTESTATION and self.statements else self.status

    @property
    def links(self) -> tuple[EvidenceLink, ...]:
        return self.found.links


@dataclass(frozen=True, kw_only=True)
class Checklist:
    """The checklist of one model version, computed once from its record (:func:`checklist`)."""

    record: VersionRecord
    items: tuple[ItemStatus, ...]

    @property
    def risk_tier(self) -> str:
        return self.record.project.risk_tier

    def item(self, item_id: str) -> ItemStatus:
        return next(i for i in self.items if i.item.id == item_id)

    @property
    def blocking_missing(self) -> tuple[ItemStatus, ...]:
        """Blocking items whose evidence is missing: no sign-off can approve the version until they exist."""
        return tuple(i for i in self.items if i.blocking and i.status == MISSING)

    @property
    def blocking_attestations(self) -> tuple[ItemStatus, ...]:
        """Blocking items that each approving reviewer must attest to, with a comment."""
        return tuple(i for i in self.items if i.blocking and i.status == ATTESTATION)

    def counts(self) -> dict[str, int]:
        """How many items are present, missing or need an attestation."""
        return {status: sum(i.status == status for i in self.items) for status in (PRESENT, MISSING, ATTESTATION)}

    def shown_counts(self) -> dict[str, int]:
        """How many items are present, missing, attested by a sign-off already, or still need a statement."""
        return {shown: sum(i.shown == shown for i in self.items) for shown in (PRESENT, MISSING, ATTESTED, ATTESTATION)}

    @cached_property
    def digest(self) -> str:
        """SHA-256 of each item's status and evidence: a sign-off records it, so a later change of the
        evidence is visible."""
        return sha256_json([[i.item.id, i.status, [link.ref for link in i.links]] for i in self.items])


def statements(signoffs: tuple[SignOff, ...] | list[SignOff], item_id: str) -> tuple[Statement, ...]:
    """The statements accepting item ``item_id`` on ``signoffs`` (oldest first)."""
    return tuple(Statement(signer=s.signer, comment=j.comment, signoff_id=s.id) for s in signoffs for j in s.items
                 if j.item == item_id and j.judgement == "accept" and j.comment)


def build(record: VersionRecord) -> Checklist:
    """The checklist of the version in ``record``."""
    tier = record.project.risk_tier
    items = []
    for item in ITEMS:
        found = find(item.id, record)
        said = statements(record.signoffs, item.id) if found.status == ATTESTATION else ()
        items.append(ItemStatus(item=item, found=found, blocking=item.blocks(tier), statements=said))
    return Checklist(record=record, items=tuple(items))


def version_checklist(workspace: Workspace, version_id: int) -> Checklist:
    """The governance checklist of model version ``version_id`` (NotFound for an unknown version)."""
    return build(load_record(workspace, version_id))
