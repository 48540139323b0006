// stored_text.h — the text PostgreSQL's numeric_out and jsonb_out print,
// written straight from the stored bytes of a value.
//
// The plugin sends numeric and jsonb values as text (exact decimals, JSON).
// Calling the types' output functions through fmgr costs an allocation per
// value and, for jsonb, an iterator and a numeric_out call per number; these
// writers read the on-disk formats (stable across versions: pg_upgrade keeps
// them) and append the same characters to a reused buffer.
//
// Pure C++, no PostgreSQL headers: the layout constants below mirror
// numeric.c and utils/jsonb.h, and encoder.cpp checks them against
// PostgreSQL's own definitions at compile time. Both writers return false,
// having appended nothing, when the bytes are not what they expect (then the
// caller uses the output function), so a surprise costs speed, never data.
#ifndef FLATWAL_STORED_TEXT_H
#define FLATWAL_STORED_TEXT_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace flatwal {
namespace stored {

// numeric (src/backend/utils/adt/numeric.c): a uint16 header, then base-10000 int16 digits.
constexpr uint16_t kNumericSignMask = 0xC000;
constexpr uint16_t kNumericNeg = 0x4000;
constexpr uint16_t kNumericShort = 0x8000;
constexpr uint16_t kNumericSpecial = 0xC000;
constexpr uint16_t kNumericNaN = 0xC000;
constexpr uint16_t kNumericPosInf = 0xD000;
constexpr uint16_t kNumericNegInf = 0xF000;
constexpr uint16_t kNumericShortSignMask = 0x2000;
constexpr uint16_t kNumericShortDscaleMask = 0x1F80;
constexpr int kNumericShortDscaleShift = 7;
constexpr uint16_t kNumericShortWeightSignMask = 0x0040;
constexpr uint16_t kNumericShortWeightMask = 0x003F;
constexpr uint16_t kNumericDscaleMask = 0x3FFF;

// jsonb (utils/jsonb.h): a container header, one JEntry per child, then the children's data.
constexpr uint32_t kJsonbCountMask = 0x0FFFFFFF;
constexpr uint32_t kJsonbScalarFlag = 0x10000000;
constexpr uint32_t kJsonbObjectFlag = 0x20000000;
constexpr uint32_t kJsonbArrayFlag = 0x40000000;
constexpr uint32_t kJEntryOffLenMask = 0x0FFFFFFF;
constexpr uint32_t kJEntryTypeMask = 0x70000000;
constexpr uint32_t kJEntryHasOff = 0x80000000;
constexpr uint32_t kJEntryString = 0x00000000;
constexpr uint32_t kJEntryNumeric = 0x10000000;
constexpr uint32_t kJEntryFalse = 0x20000000;
constexpr uint32_t kJEntryTrue = 0x30000000;
constexpr uint32_t kJEntryNull = 0x40000000;
constexpr uint32_t kJEntryContainer = 0x50000000;

// Deeper jsonb documents are left to jsonb_out (bounded recursion here).
constexpr int kMaxJsonbDepth = 256;

}  // namespace stored

// numeric_out's text for a numeric's data (the bytes after its varlena header).
bool AppendNumericText(const uint8_t* data, size_t size, std::string* out);

// jsonb_out's text for a jsonb's root container (the bytes after its varlena header).
// Nested numerics carry their own varlena headers, read as stored on a
// little-endian machine; encoder.cpp uses this writer only there.
bool AppendJsonbText(const uint8_t* data, size_t size, std::string* out);

}  // namespace flatwal

#endif  // FLATWAL_STORED_TEXT_H
