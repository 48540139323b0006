#!/usr/bin/env python3
"""Frames a hostile producer could write: well-formed FlatBuffers that break
the format's rules. Built here with the flatc-generated Python code, apart
from the C++ under test.

    crafted_frames.py hex NAME          prints one frame as hex (for psql)
    crafted_frames.py produce BOOTSTRAP TOPIC
                                        produces every crafted frame, then a
                                        valid one, as Kafka message values
    crafted_frames.py schema BOOTSTRAP PREFIX
                                        produces a Schema frame whose type name
                                        is SQL (the type OID says integer) and
                                        a row of it, as a shipper with topic
                                        prefix PREFIX would
Frames: deep_array (an array of 100,000 dimensions of length 1, which once
crashed to_json through recursion), nested_array (an array whose element
is an array), no_body (an event type without its event).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../build/gen/python"))
import flatbuffers  # noqa: E402
from flatwal.wire import Array, Body, Change, ChangeHeader, Column, Event, Kind, Row, Schema  # noqa: E402

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


# What a sink must never run: the frame's type name in its DDL.
INJECTED_TYPE = "integer); CREATE TABLE public.flatwal_injected (x int); --"


def injected_schema():
    """Schema version 1 of public.crafted_t: one key column id, type OID 23
    (integer) but a type name that is SQL."""
    b = flatbuffers.Builder(512)
    name, type_name = b.CreateString("id"), b.CreateString(INJECTED_TYPE)
    Column.ColumnStart(b)
    Column.ColumnAddName(b, name)
    Column.ColumnAddTypeOid(b, 23)
    Column.ColumnAddTypeName(b, type_name)
    Column.ColumnAddBaseTypeOid(b, 23)
    Column.ColumnAddTypmod(b, -1)
    Column.ColumnAddNotNull(b, True)
    Column.ColumnAddKey(b, True)
    Column.ColumnAddAttnum(b, 1)
    column = Column.ColumnEnd(b)
    columns = vector(b, Schema.SchemaStartColumnsVector, [column], b.PrependUOffsetTRelative)
    keys = vector(b, Schema.SchemaStartKeyColumnsVector, [0], b.PrependUint16)
    schema_name, table_name = b.CreateString("public"), b.CreateString("crafted_t")
    Schema.SchemaStart(b)
    Schema.SchemaAddRelid(b, 16384)
    Schema.SchemaAddSchemaName(b, schema_name)
    Schema.SchemaAddTableName(b, table_name)
    Schema.SchemaAddVersion(b, 1)
    Schema.SchemaAddColumns(b, columns)
    Schema.SchemaAddKeyColumns(b, keys)
    return finish(b, Body.Body.Schema, Schema.SchemaEnd(b))


def injected_row():
    """An insert of id 42 into that version."""
    b = flatbuffers.Builder(256)
    after = row(b, [Kind.Kind.Int], ints=[42])
    Change.ChangeStart(b)
    Change.ChangeAddHeader(b, ChangeHeader.CreateChangeHeader(b, 0x100, 0x200, 700, 0, 1, 16384, 1, 0, 0))
    Change.ChangeAddAfter(b, after)
    return finish(b, Body.Body.Change, Change.ChangeEnd(b))


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
    elif sys.argv[1] == "schema":
        from confluent_kafka import Producer
        producer = Producer({"bootstrap.servers": sys.argv[2]})
        prefix = sys.argv[3]
        producer.produce(f"{prefix}.flatwal.schemas", key="public.crafted_t:1", value=injected_schema())
        producer.flush(30)
        producer.produce(f"{prefix}.public.crafted_t", key="[42]", value=injected_row())
        if producer.flush(30) != 0:
            sys.exit("not every crafted frame was delivered")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
