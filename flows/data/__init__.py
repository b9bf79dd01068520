"""What a run reads and writes: discovery and readers of the inputs (``readers``,
``partitions``), where files live (``storage``: a folder or a bucket), the output
dataset's files (``dataset``) and their declared schema (``schema``), and the rows
that go in them (``records``)."""
