"""What a dataset remembers between and during runs, under ``OUTPUT/_state/`` (and,
for what a run hands from one phase to the next, ``OUTPUT/_staging/``): line counts
and document signatures (``linestats``), the inputs seen and a pending plan
(``inputs``), the writer's lock (``lock``), each finished shard's marker
(``markers``), what the counting pass prepared (``prepared``) and live progress
(``progress``)."""

STATE_DIR = "_state"
