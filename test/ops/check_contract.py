"""Checks that the Kafka contract (format/kafka_contract.h: topics, headers,
control keys, reserved message prefixes) is written once:
  * no C++ file of the programs, the runtime or format/ spells one of its
    values as a string literal of its own (they use the constants);
  * the extension's SQL writes the snapshot-request prefix the shipper reads;
  * docs/format.md, shipper.md (what the shipper writes) or sink.md (the
    dead-letter headers) names every header and topic suffix.
Prints "N passed, M failed"."""
import pathlib
import re
import sys

from checks import check, finish, root


contract = (root / "format/kafka_contract.h").read_text()
constants = {name: value.encode().decode("unicode_escape")
             for name, value in re.findall(r'constexpr char (k\w+)\[\] = "((?:[^"\\]|\\.)*)";', contract)}
check(len(constants) >= 20, f"format/kafka_contract.h defines {len(constants)} constants")

spelled = []
for folder in ("shipper", "sink", "consumer", "runtime", "format"):
    for path in sorted((root / folder).glob("*.[ch]*")):
        if path.name == "kafka_contract.h":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', line.split("//")[0]):
                text = literal.encode().decode("unicode_escape")
                for name, value in constants.items():
                    if text == value:
                        spelled.append(f"{path.relative_to(root)}:{number} spells {name} ({value})")
check(not spelled, "no program spells a contract value of its own", spelled)

sql = (root / "sql/flatwal--0.1.sql").read_text()
emitted = set(re.findall(r"pg_logical_emit_message\(\s*\w+\s*,\s*'([^']+)'", sql))
check(emitted == {constants["kSnapshotRequestPrefix"]},
      f"the SQL emits the snapshot-request prefix the shipper reads ({', '.join(sorted(emitted)) or 'none'})")

doc = "".join((root / "docs" / name).read_text() for name in ("format.md", "shipper.md", "sink.md"))
undocumented = [f"{n} ({v})" for n, v in constants.items()
                if (n.startswith("kHeader") or n.endswith("TopicSuffix")) and v.lstrip(".") not in doc]
check(not undocumented, "docs/format.md, shipper.md or sink.md names every header and topic", undocumented)

finish("kafka contract")
