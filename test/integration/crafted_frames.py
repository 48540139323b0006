#!/usr/bin/env python3
"""Frames a hostile producer could write: well-formed FlatBuffers that break
the format's rules. Built here with the flatc-generated Python code, apart
from the C++ under test.

    crafted_frames.py hex NAME          prints one frame as hex (for psql)
    crafted_frames.py produce BOOTSTRAP TOPIC
                                        produces every crafted frame, then a
                                        valid one, as Kafka message values
Frames: deep_array (an array of 100,000 dimensions of length 1, which once
crashed to_json through recursion), nested_array (an array whose element
is an array), no_body (an event type without its event).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../build/gen/python"))
import flatbuffers  # noqa: E402
from flatwal.wire import Array, Body, Change, ChangeHeader, Event, Kind, Row  # noqa: E402

FORMAT_VERSION = 1


def vector(builder, start, items, prepend):
    """A FlatBuffers vector of `items`; None when there are none."""
    if not items:
        return None
    start(builder, len(items))
    for item in reversed(items):
        prepend(item)
    return builder.EndVector()


def row(builder, kinds, ints=(), arrays=()):
    """A Row of the given kinds with its ints and arrays vectors."""
    kinds_vec = vector(builder, Row.RowStartKindsVector, kinds, builder.PrependUint8)
    ints_vec = vector(builder, Row.RowStartIntsVector, ints, builder.PrependInt64)
    arrays_vec = vector(builder, Row.RowStartArraysVector, arrays, builder.PrependUOffsetTRelative)
    Row.RowStart(builder)
    Row.RowAddKinds(builder, kinds_vec)
    if ints_vec is not None:
        Row.RowAddInts(builder, ints_vec)
    if arrays_vec is not None:
        Row.RowAddArrays(builder, arrays_vec)
    return Row.RowEnd(builder)


def array(builder, dimensions, elements):
    dims_vec = vector(builder, Array.ArrayStartDimensionsVector, dimensions, builder.PrependInt32)
    Array.ArrayStart(builder)
    Array.ArrayAddElementTypeOid(builder, 23)
    Array.ArrayAddDimensions(builder, dims_vec)
    Array.ArrayAddElements(builder, elements)
    return Array.ArrayEnd(builder)


def change_frame(builder, after):
    Change.ChangeStart(builder)
    Change.ChangeAddHeader(builder, ChangeHeader.CreateChangeHeader(builder, 1, 2, 700, 0, 1, 16384, 1, 0, 0))
    Change.ChangeAddAfter(builder, after)
    change = Change.ChangeEnd(builder)
    return finish(builder, Body.Body.Change, change)


def finish(builder, body_type, body):
    Event.EventStart(builder)
    Event.EventAddFormatVersion(builder, FORMAT_VERSION)
    Event.EventAddBodyType(builder, body_type)
    if body is not None:
        Event.EventAddBody(builder, body)
    builder.Finish(Event.EventEnd(builder), file_identifier=b"FWAL")
    return bytes(builder.Output())


def deep_array():
    b = flatbuffers.Builder(1 << 20)
    elements = row(b, [Kind.Kind.Int], ints=[1])
    return change_frame(b, row(b, [Kind.Kind.Array], arrays=[array(b, [1] * 100000, elements)]))


def nested_array():
    b = flatbuffers.Builder(1024)
    inner = array(b, [1], row(b, [Kind.Kind.Int], ints=[1]))
    elements = row(b, [Kind.Kind.Array], arrays=[inner])
    return change_frame(b, row(b, [Kind.Kind.Array], arrays=[array(b, [1], elements)]))


def no_body():
    return finish(flatbuffers.Builder(64), Body.Body.Change, None)


def valid():
    b = flatbuffers.Builder(256)
    return change_frame(b, row(b, [Kind.Kind.Int], ints=[42]))


CRAFTED = {"deep_array": deep_array, "nested_array": nested_array, "no_body": no_body}


def main():
    if sys.argv[1] == "hex":
        print((CRAFTED[sys.argv[2]]() if sys.argv[2] in CRAFTED else valid()).hex())
    elif sys.argv[1] == "produce":
        from confluent_kafka import Producer
        producer = Producer({"bootstrap.servers": sys.argv[2]})
        for name, make in list(CRAFTED.items()) + [("valid", valid)]:
            producer.produce(sys.argv[3], key=name, value=make())
        if producer.flush(30) != 0:
            sys.exit("not every crafted frame was delivered")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
