// chunk_snapshot.cpp — see chunk_snapshot.h.
#include "chunk_snapshot.h"

#include <cstdio>
#include <cstdlib>

namespace flatwal {

bool ChunkSnapshot::Invisible(uint32_t xid) const {
	if (static_cast<int32_t>(xid - xmax) >= 0) return true;
	for (uint32_t r : running)
		if (r == xid) return true;
	return false;
}

bool ParseChunkSnapshot(const std::string& text, ChunkSnapshot* snapshot) {
	// xid8 values are 64-bit (epoch and xid); frames carry the low 32 bits.
	unsigned long long xmin = 0, xmax = 0;
	int used = 0;
	if (sscanf(text.c_str(), "%llu:%llu:%n", &xmin, &xmax, &used) != 2 || used == 0) return false;
	snapshot->xmax = static_cast<uint32_t>(xmax);
	snapshot->running.clear();
	for (const char* p = text.c_str() + used; *p != '\0';) {
		char* end = nullptr;
		unsigned long long xid = strtoull(p, &end, 10);
		if (end == p) return false;
		snapshot->running.push_back(static_cast<uint32_t>(xid));
		p = *end == ',' ? end + 1 : end;
	}
	return true;
}

}  // namespace flatwal
