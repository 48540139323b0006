"""Reads whole Kafka topics for the Debezium-format checkers (python3-confluent-kafka)."""
from confluent_kafka import TopicPartition


def read_topic(consumer, topic, partitions):
    """Every message of `topic` in partition then offset order: a list of
    (partition, offset, key, value, headers) with raw bytes (None for null)."""
    messages = []
    for partition in sorted(partitions):
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        if high <= low:
            continue
        consumer.assign([TopicPartition(topic, partition, low)])
        offset = low
        while offset < high:
            m = consumer.poll(10)
            if m is None:
                raise SystemExit(f"{topic}[{partition}]: nothing at offset {offset} of {high}")
            if m.error():
                continue
            offset = m.offset() + 1
            messages.append((partition, m.offset(), m.key(), m.value(), m.headers() or []))
    return messages
