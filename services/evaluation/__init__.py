"""Evaluation (评事): ratings, rework, quarterly reviews and annual tiers."""
