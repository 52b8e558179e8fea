"""Sequential and parallel activities, as ``bench_end_to_end`` runs them with swfasync.

mypy runs without simpleflow installed (it lives in ``.venv-simpleflow``), so its names
are ``Any`` here and the lines that subclass or decorate with them are marked.
"""

from simpleflow import Workflow, activity, futures  # type: ignore[import-not-found]

TASK_LIST = "bench-simpleflow"
SEQUENTIAL_STEPS = 3
PARALLEL_WIDTH = 4


@activity.with_attributes(  # type: ignore[untyped-decorator]
    task_list=TASK_LIST,
    version="1",
    schedule_to_start_timeout=60,
    start_to_close_timeout=60,
    schedule_to_close_timeout=120,
    heartbeat_timeout=60,
)
def increment(value: int) -> int:
    return value + 1


class Sequential(Workflow):  # type: ignore[misc]
    name = "SimpleflowSequential"
    version = "1"
    task_list = TASK_LIST

    def run(self, value: int) -> int:
        for _ in range(SEQUENTIAL_STEPS):
            value = self.submit(increment, value).result
        return value


class Parallel(Workflow):  # type: ignore[misc]
    name = "SimpleflowParallel"
    version = "1"
    task_list = TASK_LIST

    def run(self, value: int) -> int:
        pending = [self.submit(increment, value + i) for i in range(PARALLEL_WIDTH)]
        futures.wait(*pending)
        return sum(future.result for future in pending)
