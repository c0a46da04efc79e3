"""Stage 8 · Govern: the checklist with its evidence, the reviewers' sign-off (four eyes), the model
card and the Annex IV documentation pack, and the audit trail made verifiable and anchorable.

Modules: ``record`` (what the workspace holds about a version, read once), ``finders`` (the
registry of evidence finders and how their answers merge), ``evidence_links`` (the functions that
find each item's evidence: the hook later stages plug into),
``checklist`` (the items, their sources and which block at each risk tier), ``signoff``
(approve, approve with conditions or reject, item by item; the approval move), ``document`` (a
small document model rendered as Markdown through skops.card and as HTML), ``card`` (the model
card), ``card_charts`` (its evidence charts), ``annex_iv`` (the technical documentation pack),
``audit_trail`` (filter, verify, export, excerpt), ``anchor`` (Ed25519-signed chain heads),
``status`` (the stage's status).
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["anchor", "annex_iv", "audit_trail", "card", "card_charts", "checklist", "document", "evidence_links",
                "finders", "record", "signoff", "status"],
    submod_attrs={
        "anchor": ["Anchor", "AnchorVerdict", "anchor_trail", "keygen", "verify_anchor"],
        "annex_iv": ["DocsPack", "docs_zip", "write_docs"],
        "audit_trail": ["TrailFilter", "audit_excerpt", "export"],
        "card": ["model_card"],
        "checklist": ["Checklist", "Item", "ItemStatus", "ITEMS", "version_checklist"],
        "evidence_links": ["EvidenceLink", "Found", "finder"],
        "record": ["VersionRecord", "load_record"],
        "signoff": ["ItemInput", "SignOffOutcome", "sign_off"],
    },
)
