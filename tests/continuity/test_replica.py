"""Read replicas: a primary and a streaming replica (pg_basebackup -R) as throwaway clusters, the app pointed at
both (DATABASE_URL, QENEX_DATABASE_REPLICA_URL). With the replica's replay paused, an entry posted on the primary
is not on the replica: the statement selector does not see it (it reads the replica, which is in recovery), while
inside a request that wrote, the same selector reads the primary and sees both that entry and its own write.
"""

from __future__ import annotations

import pytest

from tests.continuity.clusters import Clusters, worker
from tests.throwaway import app_env, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def clusters():
    made = Clusters()
    yield made
    made.destroy()


def test_statements_read_the_replica_and_a_request_that_wrote_reads_the_primary(clusters, tmp_path):
    primary = clusters.new()
    primary.init_migrated()
    primary.start()
    env = app_env(primary.url("qenex"), tmp_path / "var", REDIS_URL="", QENEX_SECRET_KEY="replica-" + "k" * 50)
    accounts = worker(env, "open", "replica", "2")
    replicated = worker(env, "post", "replicated", "3", *accounts)

    replica = clusters.new()
    replica._run(
        str(replica.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
        "-D", str(replica.data), "-R", "-X", "stream", "--checkpoint=fast",
    )  # fmt: skip
    replica.start()
    assert replica.psql("SELECT pg_is_in_recovery()") == "t"
    wait_for(lambda: primary.psql("SELECT COUNT(*) FROM pg_stat_replication WHERE state = 'streaming'") == "1",
             "the replica to stream")  # fmt: skip
    replica.psql("SELECT pg_wal_replay_pause()")
    wait_for(lambda: replica.psql("SELECT pg_get_wal_replay_pause_state()") == "paused", "replay to pause")
    hidden = worker(env, "post", "hidden", "1", accounts[0])  # on the primary only, while replay is paused

    both = {**env, "QENEX_DATABASE_REPLICA_URL": replica.url("qenex")}
    seen = worker(both, "statement", accounts[0])
    before, after = seen["before"], seen["after_write"]
    assert before["alias"] == "replica" and before["in_recovery"] is True and before["replica_queries"] >= 1
    assert set(replicated[:1]) <= set(before["lines"]) and hidden[0] not in before["lines"]
    assert seen["unpinned"] == "replica"  # a request that has not written yet may read the replica
    # The write went to the primary (the replica is read-only and paused) and the request reads its own write.
    assert after["alias"] == "default" and after["in_recovery"] is False and after["replica_queries"] == 0
    assert hidden[0] in after["lines"] and seen["written"] in after["lines"]
    assert seen["next_request"] == "replica"  # the pin lasts one request
    assert (
        primary.psql(f"SELECT COUNT(*) FROM ledger_journalentry WHERE public_id = '{seen['written']}'", "qenex") == "1"
    )
