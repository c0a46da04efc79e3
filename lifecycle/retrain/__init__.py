"""Stage 7 · Retrain (placeholder face, completed below)."""
