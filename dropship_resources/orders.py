"""The order workflow as a Dagster resource: the order store plus market and supplier clients
from the same environment the listing side uses."""


import dagster as dg

from dropship_core.db import database_url as resolve_database_url
from dropship_core.orders.service import Orders
from dropship_core.orders.store import OrderStore


class OrdersResource(dg.ConfigurableResource):
    database_url: str = ""
    # a supplier order left `placing` is re-sent (after a negative note lookup) only this long
    # after the last attempt, so an in-flight create has landed
    settle_s: float = 60.0

    def open(self) -> Orders:
        return Orders(OrderStore(self.database_url or resolve_database_url()),
                      settle_s=self.settle_s)
