"""The collector is tuned for throughput only where asked, and put back after a batch job."""

import gc

from shared.runtime import THROUGHPUT_GC_THRESHOLD, collecting_for_throughput


def test_a_batch_job_collects_less_often_and_restores_the_settings_after() -> None:
    before = gc.get_threshold()
    with collecting_for_throughput():
        assert gc.get_threshold() == THROUGHPUT_GC_THRESHOLD
    assert gc.get_threshold() == before
