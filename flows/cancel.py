"""What Prefect's UI shows for a run someone stopped: Cancelled, not Crashed.

Prefect's engine records an exception out of a flow as a crash; a subflow cut short by
its parent's cancellation crashes too, and the task runs of terminated workers stay
Running. These functions mark them Cancelled (forced: from whatever state they are in).
Best effort: the server may be gone, and stopping must not wait for it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

# Crashed too: a task or subflow the stop cut short crashes on its way out.
CUT_SHORT = ("PENDING", "SCHEDULED", "RUNNING", "CRASHED")
_CANCELLED = ("CANCELLED", "CANCELLING")  # StateType values


def cancel_runs(flow_run_ids: list[UUID], message: str, *, subflows: bool = False) -> None:
    """Mark those of ``flow_run_ids`` that did not end on their own (with ``subflows``,
    their unfinished subflow runs too) and their unfinished task runs Cancelled, with
    ``message``."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas import filters
    from prefect.settings import PREFECT_API_REQUEST_TIMEOUT, temporary_settings

    cut_short = filters.FlowRunFilterStateType(any_=_states())
    try:
        with (
            temporary_settings(updates={PREFECT_API_REQUEST_TIMEOUT: 2.0}),
            get_client(sync_client=True) as client,
        ):
            runs = _not_ended(client, flow_run_ids)
            level = list(runs)
            while subflows and level:  # a backfill's partitions are two levels down
                children = filters.FlowRunFilter(
                    parent_flow_run_id=filters.FlowRunFilterParentFlowRunId(any_=level),
                    state=filters.FlowRunFilterState(type=cut_short),
                )
                level = [run.id for run in client.read_flow_runs(flow_run_filter=children)]
                runs += level
            _cancel_task_runs(client, runs, message)
            for flow_run_id in runs:
                client.set_flow_run_state(flow_run_id, _cancelled(message), force=True)
    except Exception:  # the stop matters more than what the UI shows
        pass


def cut_short_by_stop(deployment_id: UUID) -> bool | None:
    """Did a stop cut the deployment's latest run (by expected start, of those that
    left Scheduled) short: is it Cancelled? Prefect's runner, stopped while the process
    of a run that has ended still exits (a second or two), marks that run Cancelled
    too: it gets its end back, and was not cut short. None when the server does not
    answer."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas import filters
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_REQUEST_TIMEOUT, temporary_settings

    of_deployment = filters.DeploymentFilter(id=filters.DeploymentFilterId(any_=[deployment_id]))
    started = filters.FlowRunFilterStateType(not_any_=[StateType.SCHEDULED])
    try:
        with (
            temporary_settings(updates={PREFECT_API_REQUEST_TIMEOUT: 2.0}),
            get_client(sync_client=True) as client,
        ):
            runs = client.read_flow_runs(
                deployment_filter=of_deployment,
                flow_run_filter=filters.FlowRunFilter(
                    state=filters.FlowRunFilterState(type=started)
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_DESC,
                limit=1,
            )
            if not runs or runs[0].state_type not in _CANCELLED:
                return False
            return not _restore_end(client, runs[0].id)
    except Exception:
        return None


def _restore_end(client: Any, flow_run_id: UUID) -> bool:
    """Give a run Cancelled right after it Completed (or Failed) that end back; False
    if it was Cancelled while it ran."""
    from prefect.client.schemas.objects import State, StateType

    states = sorted(client.read_flow_run_states(flow_run_id), key=lambda s: s.timestamp)
    while states and states[-1].type in _CANCELLED:
        states.pop()
    if not states or states[-1].type not in (StateType.COMPLETED, StateType.FAILED):
        return False
    end = states[-1]
    client.set_flow_run_state(
        flow_run_id, State(type=end.type, name=end.name, message=end.message), force=True
    )
    return True


def cancel_subflows(flow: Any, flow_run: Any, state: Any) -> None:
    """A flow's ``on_cancellation`` hook (run by the runner or worker that cancels
    it): its subflow runs and task runs end Cancelled with it."""
    cancel_runs([flow_run.id], state.message or "Cancelled", subflows=True)


def _not_ended(client: Any, flow_run_ids: list[UUID]) -> list[UUID]:
    """Those of ``flow_run_ids`` that did not end on their own. A served run's process
    outlives its Completed state by a second or two, and a stop in that second runs
    its cancellation hook: it stays Completed (or Failed)."""
    from prefect.client.schemas import filters
    from prefect.client.schemas.objects import StateType

    ended = filters.FlowRunFilterStateType(not_any_=[StateType.COMPLETED, StateType.FAILED])
    of_runs = filters.FlowRunFilter(
        id=filters.FlowRunFilterId(any_=flow_run_ids), state=filters.FlowRunFilterState(type=ended)
    )
    return [run.id for run in client.read_flow_runs(flow_run_filter=of_runs)]


def _cancel_task_runs(client: Any, flow_run_ids: list[UUID], message: str) -> None:
    from prefect.client.schemas import filters

    of_runs = filters.FlowRunFilter(id=filters.FlowRunFilterId(any_=flow_run_ids))
    cut_short = filters.TaskRunFilter(
        state=filters.TaskRunFilterState(type=filters.TaskRunFilterStateType(any_=_states()))
    )
    for task_run in client.read_task_runs(flow_run_filter=of_runs, task_run_filter=cut_short):
        client.set_task_run_state(task_run.id, _cancelled(message), force=True)


def _states() -> list[Any]:
    from prefect.client.schemas.objects import StateType

    return [StateType(name) for name in CUT_SHORT]


def _cancelled(message: str) -> Any:
    from prefect.states import Cancelled

    return Cancelled(message=message)
