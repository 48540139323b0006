// frames.h — how frames are packed into one replication message, and read back.
//
// A replication message (one XLogData payload, one row of
// pg_logical_slot_get_binary_changes) holds one or more frames, each preceded
// by its length as a 4-byte little-endian unsigned integer:
//
//     [u32 len][frame: len bytes][u32 len][frame] ...
//
// A frame is one finished FlatBuffer with file identifier "FWAL" whose
// root is flatwal.wire.Event. Inside a message a frame may sit at any byte
// offset, so a reader copies a frame into suitably aligned memory before it
// reads fields (a Kafka message value is a frame on its own, already copied).
// Pure C++, shared by the plugin, the SQL functions and the shipper.
#ifndef FLATWAL_FRAMES_H
#define FLATWAL_FRAMES_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace flatwal {

constexpr size_t kFrameLengthBytes = 4;
constexpr char kFileIdentifier[] = "FWAL";
// Offset of the file identifier inside a frame (after the root table offset).
constexpr size_t kIdentifierOffset = 4;
constexpr uint16_t kFormatVersion = 1;

// The 4-byte little-endian length that precedes a frame in a message.
inline void EncodeFrameLength(size_t length, char prefix[kFrameLengthBytes]) {
	for (size_t i = 0; i < kFrameLengthBytes; ++i) prefix[i] = static_cast<char>(length >> (8 * i));
}

inline void AppendFrame(std::string* message, const uint8_t* frame, size_t length) {
	char prefix[kFrameLengthBytes];
	EncodeFrameLength(length, prefix);
	message->append(prefix, sizeof prefix);
	message->append(reinterpret_cast<const char*>(frame), length);
}

// True when the bytes start like a bare frame (not a length-prefixed message).
inline bool LooksLikeBareFrame(const uint8_t* data, size_t size) {
	return size >= kIdentifierOffset + 4 && std::memcmp(data + kIdentifierOffset, kFileIdentifier, 4) == 0;
}

// Walks the frames of one message. Usage:
//     FrameReader reader(data, size);
//     const uint8_t* frame; size_t length;
//     while (reader.Next(&frame, &length)) { ... }
//     if (reader.malformed()) { ... }
class FrameReader {
 public:
	FrameReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

	bool Next(const uint8_t** frame, size_t* length) {
		if (offset_ == size_ || malformed_) return false;
		if (size_ - offset_ < kFrameLengthBytes) {
			malformed_ = true;
			return false;
		}
		const uint8_t* p = data_ + offset_;
		uint32_t len = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
		if (len == 0 || len > size_ - offset_ - kFrameLengthBytes) {
			malformed_ = true;
			return false;
		}
		*frame = p + kFrameLengthBytes;
		*length = len;
		offset_ += kFrameLengthBytes + len;
		return true;
	}

	bool malformed() const { return malformed_; }
	size_t offset() const { return offset_; }

 private:
	const uint8_t* data_;
	size_t size_;
	size_t offset_ = 0;
	bool malformed_ = false;
};

}  // namespace flatwal

#endif  // FLATWAL_FRAMES_H
