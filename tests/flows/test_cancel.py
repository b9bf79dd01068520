"""Marking runs Cancelled (flows/cancel.py) against a real Prefect server."""

from __future__ import annotations

from uuid import UUID


def test_a_run_that_ended_keeps_its_state(prefect_server: str) -> None:
    """A served run's process outlives its Completed state by a second or two; a stop
    in that second runs its cancellation hook. The hook marks runs cut short
    Cancelled, never one that ended on its own: it stays Completed (or Failed)."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Completed, Failed, State

    from flows.cancel import cancel_runs

    @flow(persist_result=False)
    def ends(fail: bool) -> State:
        return Failed(message="its own failure") if fail else Completed()

    completed = ends(False, return_state=True).state_details.flow_run_id
    failed = ends(True, return_state=True).state_details.flow_run_id
    cancel_runs([completed, failed], "stopped", subflows=True)
    with get_client(sync_client=True) as client:
        states = [client.read_flow_run(i).state_type.value for i in (completed, failed)]
    assert states == ["COMPLETED", "FAILED"]


def test_a_stop_after_the_run_ended_cut_nothing_short(prefect_server: str) -> None:
    """Prefect's runner, stopped while the process of a run that Completed still exits,
    marks the run Cancelled: the run gets Completed back and was not cut short. A run
    Cancelled while it ran was."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled, Completed, Running, State

    from flows.cancel import cut_short_by_stop

    @flow
    def served() -> None:
        pass

    with get_client(sync_client=True) as client:
        flow_id = client.create_flow(served)
        deployment_id = client.create_deployment(flow_id, "cut-short")

        def latest_run(*states: State) -> UUID:
            run = client.create_flow_run_from_deployment(deployment_id)
            for state in states:
                client.set_flow_run_state(run.id, state, force=True)
            return run.id

        ended = latest_run(Running(), Completed(), Cancelled(message="Runner is shutting down."))
        assert cut_short_by_stop(deployment_id) is False
        assert client.read_flow_run(ended).state_type.value == "COMPLETED"
        latest_run(Running(), Cancelled(message="Runner is shutting down."))
        assert cut_short_by_stop(deployment_id) is True
