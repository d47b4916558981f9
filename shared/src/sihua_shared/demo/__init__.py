"""The demo of ``make run``: the programme's history loaded through the use cases, once.

``kit.Demo`` runs each service's api in-process against that service's database (the same routes and use cases as
the running apis, their business clocks pinned in the past), signs the demo accounts in, and waits for the running
workers to relay the facts and the other services to react. Each service keeps its own part of the story in its
``<service>.demo`` module; ``sihua_shared.demo.__main__`` runs the stages in order and records what it loaded.
"""
