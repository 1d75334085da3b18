"""The streaming runtime: the Faust app, the broker and what the product needs of Kafka.

Layer 3 (imports `core` and below; knows no agent). Its modules:

- `app`: `create_app`, the bare Faust app and its topics, on which agents register from above.
- `broker`: the embedded Tansu broker (`EmbeddedBroker`, `broker_for`) and `free_port`.
- `clock`: the live clock, wall-clock ticks on the clock topic.
- `eventloop`: `use_event_loop`, uvloop or asyncio for the processes that run long.
- `kafka_compat`: measured broker and Faust quirks and the patches the product lives with.
- `kafka_security`: Kafka client security (TLS, SASL) from the settings, for every client.
- `metrics`: Prometheus metrics shared by workers and the console.
- `partitioning`: where a dispatch centre's records land (`home_partition`, `centres_on`): the desk's partitions are its centres.
- `profiling`: where a worker's time goes (cProfile over every thread, summed by library) for the benchmark.
- `topics_admin`: the one place topics are created and checked (`ensure_topics`).

Import the modules (`from pipeline.broker import broker_for`); this package file imports nothing.
"""

__all__ = ["app", "broker", "clock", "eventloop", "kafka_compat", "kafka_security", "metrics", "partitioning", "profiling", "topics_admin"]
