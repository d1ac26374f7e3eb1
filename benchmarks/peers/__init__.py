"""kwdocs beside the peer language servers (basedpyright, ty, pyrefly, zuban,
jedi-language-server): the same positions for every server, their timings and memory, and
definition and hover scored against the type checkers' consensus. ``python -m benchmarks.peers``
(``probe``, ``run``, ``score``); ``python -m benchmarks --peers`` hooks the run into the
benchmark."""
