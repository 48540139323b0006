// wire_names.h — the names flatwal gives the wire enums in text: JSON
// rendering, Kafka headers, logs. One spelling everywhere. Pure C++.
#ifndef FLATWAL_WIRE_NAMES_H
#define FLATWAL_WIRE_NAMES_H

#include "wire.h"

namespace flatwal {

const char* OpName(wire::Op op);                          // insert, update, delete, read
const char* OldImageName(wire::OldImage image);           // none, key, full, unavailable, key_unchanged
const char* ReplicaIdentityName(wire::ReplicaIdentity identity);  // default, nothing, full, index
// The tag a typed value carries in to_json ("int", "text", ...); nullptr for
// the markers (null, absent, unchanged) and for kinds this build does not know.
const char* KindName(wire::Kind kind);

}  // namespace flatwal

#endif  // FLATWAL_WIRE_NAMES_H
