"""Live collaboration in the studio (issue 15): the Qt bridge to the
network thread, the presence bar and the editor hook-up. The logic lives in
``sync.collab`` / ``sync.live`` (Qt-free)."""
