// array_walk.h — the elements of an array value nested by dimension, the one
// walk behind every renderer's arrays: [[1,2],[3,4]] for a 2x2 array in JSON,
// {{1,2},{3,4}} in PostgreSQL's text. Pure C++, header-only.
#ifndef FLATWAL_ARRAY_WALK_H
#define FLATWAL_ARRAY_WALK_H

#include <cstdint>
#include <string>

#include "frame_reader.h"
#include "row_reader.h"

namespace flatwal {

// Appends the elements of a non-empty array whose dimensions
// ArrayDimensionsMatchElements() accepted, in one pass without recursion:
// before element i `open` is written for every dimension whose block starts
// at i, after it `close` for every block that ends there, and `separator`
// between elements. `append(element)` writes one element; false stops the walk, and
// so does an element that is itself an array (arrays do not nest). Returns
// false when stopped.
template <typename AppendElement>
bool AppendNestedElements(const wire::Array* array, char open, char close, char separator, std::string* out,
                          AppendElement&& append) {
	const auto* dims = array->dimensions();
	const size_t rank = dims->size();
	uint64_t block[kMaxArrayDimensions];  // elements in one block of dimension d and all after it
	uint64_t size = 1;
	for (size_t d = rank; d-- > 0;)
		block[d] = size *= static_cast<uint64_t>(dims->Get(static_cast<flatbuffers::uoffset_t>(d)));
	RowReader elements(array->elements());
	ValueRef element;
	for (uint64_t i = 0; elements.Next(&element); ++i) {
		if (i > 0) out->push_back(separator);
		for (size_t d = 0; d < rank; ++d)
			if (i % block[d] == 0) out->push_back(open);
		if (element.kind == wire::Kind::Array || !append(element)) return false;
		for (size_t d = 0; d < rank; ++d)
			if ((i + 1) % block[d] == 0) out->push_back(close);
	}
	return true;
}

}  // namespace flatwal

#endif  // FLATWAL_ARRAY_WALK_H
