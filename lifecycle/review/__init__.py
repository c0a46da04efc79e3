"""Stage 4's review: explanations (SHAP), fairness evidence and mitigation, stored as evidence.

Modules: ``explain`` (SHAP by source column, stored once; the what-if), ``shap_explainer``
(the explainer chosen by model), ``explain_summary`` (drivers in plain words),
``fairness_evidence`` (the panel's fairness review, read from or written to evidence),
``mitigation`` (threshold optimizer, exponentiated gradient and correlation remover
candidates), ``mitigation_tradeoff`` (accuracy against fairness), ``fair_models`` (the
skops-safe estimators mitigated candidates are saved as).
Names are loaded on first use: SHAP and Fairlearn are imported only when needed.
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["explain", "explain_summary", "fair_models", "fairness_evidence", "mitigation",
                "mitigation_tradeoff", "shap_explainer"],
    submod_attrs={
        "explain": ["Explanation", "explain_version", "latest_explanation", "what_if"],
        "fairness_evidence": ["StoredReview", "latest_review", "review_version"],
        "mitigation": ["create_candidate"],
        "mitigation_tradeoff": ["TradeOff", "trade_off"],
    },
)
