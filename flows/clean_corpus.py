"""The clean_corpus flow (plan -> count -> clean -> commit) and its two tasks.

Thin by design: Prefect's decorators over the phases' task bodies (count.py,
clean.py) and pipeline.py's run, which never import Prefect (a run without Prefect's
API calls them directly). One task per shard (and per group of shards for counting),
never one per document.
"""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import clean, count, pipeline, runners

# With --runner process, a task runs on a thread and its body in a worker process
# (runners.in_shard_pool).
count_lines = task(name="count_lines", cache_policy=NO_CACHE, persist_result=False)(
    runners.in_shard_pool(count.count_lines)
)
clean_shard = task(name="clean_shard", cache_policy=NO_CACHE, persist_result=False)(
    runners.in_shard_pool(clean.clean_shard)
)
runners.register_tasks(count_lines, clean_shard)


# The flow is pipeline.run_corpus itself, as the tasks are the phases' bodies.
clean_corpus = flow(name="clean_corpus", persist_result=False, validate_parameters=False)(
    pipeline.run_corpus
)
