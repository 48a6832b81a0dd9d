"""The pricing policy (pricing.yaml) as a resource, so a run records which policy it used."""


import dagster as dg

from dropship_core.pricing import PricingPolicy, load_policy


class PricingResource(dg.ConfigurableResource):
    """Empty path: pricing.yaml in the working directory if present, else the built-in defaults."""

    policy_path: str = ""

    def policy(self) -> PricingPolicy:
        return load_policy(self.policy_path or None)
