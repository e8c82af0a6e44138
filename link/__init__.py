"""xld.link: the linker.

How its modules stand on each other.  A module imports only modules below it, at its top or
inside a function (imported there for start-up time; it counts the same), so there is no
cycle: tests/test_import_graph.py checks link/, arch/, emu/ and tools/.  From the bottom:

- the vocabulary: ``elf`` (records, constants, table helpers), ``errors``, ``kinds``,
  ``arrays``, ``pages``, and ``client`` (the warm server's lean client: it imports nothing);
- reading: ``shlib``, ``compress``, ``script`` (the parsed -T script), then ``input``
  (objects, archives, and what reading knows of IR objects: ``Bitcode``, ``stand_in``), and
  ``options`` (which asks ``flat`` about --oformat binary);
- the passes, each above what it reads: ``resolve``, ``layout``, ``relocate``, ``merge``,
  ``properties``, ``needed``, ``script_layout``, ``lto``, ``write``, ``dynamic``, ``gc``,
  ``shrink``, ``thunks`` ...;
- ``driver``, which holds the flat list of passes and the link's ``Context``; ``autostart``
  (the full client path: hand a command to the server, or start one; it imports none of the
  linker); then ``cli`` (the command line, which hands commands over through ``autostart``);
  then ``server`` (the warm server runs ``cli.main``).

Where a lower module needs what a higher one does, the higher one hands it down instead of
being imported: through the context (``ctx.claim_ir``, the driver's, has ``lto`` claim an IR
object resolution met; ``ctx.script_place``, set by ``script_layout.read``, places a -T
script's SECTIONS for ``layout.place``), through an object it made (``write`` asks the dynamic
plan ``ctx.dyn`` for the tables made ahead and the foreign symbols), or as an argument (the
server's ``prepare_ahead`` for ``input.warm_up_library``).
"""
