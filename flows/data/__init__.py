"""What a run reads and writes: the input files (``discovery``), a large one split
(``pieces``), read into raw documents or rejects (``readers``, ``documents``),
``partitions``, where files live (``storage``: a folder or a bucket), the output
dataset's files (``dataset``) and their declared schema (``schema``), and the rows
that go in them (``records``)."""
