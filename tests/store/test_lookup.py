"""SqlDeclarationLookup on SQLite and PostgreSQL: results and batching."""

import pytest

from matcher.lookup import SqlDeclarationLookup
from store import Store
from tests.store.builders import declaration_in, declare, watch
from tests.store.conftest import StatementLog


def test_fetch_returns_exact_and_confusable_candidates(store: Store) -> None:
    exact, near, other = declare(
        store, declaration_in("75A12345"), declaration_in("75A1Z345"), declaration_in("43A99999")
    )
    found = SqlDeclarationLookup(store).fetch(["75a-123.45", "51F00000", ""])
    assert set(found) == {"75A12345", "51F00000"}
    assert {d.id for d in found["75A12345"]} == {exact.id, near.id}
    assert found["51F00000"] == []
    record = next(d for d in found["75A12345"] if d.id == exact.id)
    assert record == exact
    assert other.id not in {d.id for ds in found.values() for d in ds}


def test_watchlisted(store: Store) -> None:
    watch(store, "75A12345")
    lookup = SqlDeclarationLookup(store)
    assert lookup.watchlisted(["75A-123.45", "43A99999"]) == {"75A12345"}
    assert lookup.watchlisted([]) == set()


@pytest.mark.parametrize("batch", [1, 40, 400])
def test_one_query_per_batch_whatever_its_size(
    store: Store, sql_log: StatementLog, batch: int
) -> None:
    declare(store, *(declaration_in(f"75A{i:05d}") for i in range(0, 800, 2)))
    lookup = SqlDeclarationLookup(store)
    plates = [f"75A{i:05d}" for i in range(batch)]
    sql_log.clear()
    found = lookup.fetch(plates)
    watched = lookup.watchlisted(plates)
    assert len(sql_log.statements) == 2, sql_log.statements
    assert sum(1 for p in plates if found[p]) > 0 and watched == set()


def test_large_batches_are_chunked_into_bounded_queries(
    store: Store, sql_log: StatementLog
) -> None:
    lookup = SqlDeclarationLookup(store, chunk=100)
    sql_log.clear()
    lookup.fetch(f"75A{i:05d}" for i in range(250))
    assert len(sql_log.selects()) == 3


def test_empty_batch_asks_nothing(store: Store, sql_log: StatementLog) -> None:
    sql_log.clear()
    assert SqlDeclarationLookup(store).fetch(["", "---"]) == {}
    assert sql_log.statements == []
