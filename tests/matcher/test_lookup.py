"""The matcher's driver-level lookup answers exactly like the generic SQL lookup."""

from __future__ import annotations

from datetime import timedelta

from matcher.lookup import DriverDeclarationLookup, SqlDeclarationLookup
from store import Store
from tests.matcher.factories import T0
from tests.store.builders import declaration_in, declare, watch


def test_same_candidates_as_the_sql_lookup(store: Store) -> None:
    declare(
        store,
        declaration_in("75A12345"),
        declaration_in("75A12345", checkpoints=frozenset({"QL1A-HAI-VAN", "QL49"})),
        declaration_in("75A1Z345", valid_until=T0 + timedelta(minutes=1)),  # confusable
        declaration_in("43B05678", checkpoints=frozenset({"X"})),
        declaration_in("51G88123"),
    )
    watch(store, "29A99999")
    plates = ["75A12345", "75A-12.345", "75A1Z345", "43B05678", "99Z00000", "29A99999", ""]
    fast, slow = DriverDeclarationLookup(store), SqlDeclarationLookup(store)
    got, want = fast.fetch(plates), slow.fetch(plates)
    assert got == want
    assert len(got["75A12345"]) == 3 and got["99Z00000"] == []
    assert all(d.valid_from.utcoffset() == timedelta(0) for ds in got.values() for d in ds)
    assert fast.watchlisted(plates) == slow.watchlisted(plates) == {"29A99999"}
