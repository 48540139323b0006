// Unit tests for message framing (format/frames.h).
#include "unit.h"

#include <cstring>

#include "frames.h"

namespace {

using flatwal::AppendFrame;
using flatwal::FrameReader;

std::string FakeFrame(size_t size, char fill) {
	std::string f(size, fill);
	if (size >= 8) std::memcpy(&f[4], "FWAL", 4);
	return f;
}

void round_trip_several_frames(void**) {
	std::string message;
	std::string a = FakeFrame(8, 'a'), b = FakeFrame(300, 'b'), c = FakeFrame(70000, 'c');
	for (const std::string* f : {&a, &b, &c})
		AppendFrame(&message, reinterpret_cast<const uint8_t*>(f->data()), f->size());
	assert_int_equal(message.size(), 12 + 8 + 300 + 70000);

	FrameReader reader(reinterpret_cast<const uint8_t*>(message.data()), message.size());
	const uint8_t* frame;
	size_t length;
	for (const std::string* f : {&a, &b, &c}) {
		assert_true(reader.Next(&frame, &length));
		assert_int_equal(length, f->size());
		assert_memory_equal(frame, f->data(), length);
	}
	assert_false(reader.Next(&frame, &length));
	assert_false(reader.malformed());
}

void length_prefix_is_little_endian(void**) {
	std::string message;
	std::string f = FakeFrame(0x0102, 'x');
	AppendFrame(&message, reinterpret_cast<const uint8_t*>(f.data()), f.size());
	assert_int_equal(static_cast<uint8_t>(message[0]), 0x02);
	assert_int_equal(static_cast<uint8_t>(message[1]), 0x01);
	assert_int_equal(static_cast<uint8_t>(message[2]), 0);
	assert_int_equal(static_cast<uint8_t>(message[3]), 0);
}

void truncated_message_is_malformed(void**) {
	std::string message;
	std::string f = FakeFrame(40, 'x');
	AppendFrame(&message, reinterpret_cast<const uint8_t*>(f.data()), f.size());
	message.resize(message.size() - 1);
	FrameReader reader(reinterpret_cast<const uint8_t*>(message.data()), message.size());
	const uint8_t* frame;
	size_t length;
	assert_false(reader.Next(&frame, &length));
	assert_true(reader.malformed());
}

void short_prefix_and_zero_length_are_malformed(void**) {
	const uint8_t three[] = {1, 0, 0};
	FrameReader short_reader(three, sizeof three);
	const uint8_t* frame;
	size_t length;
	assert_false(short_reader.Next(&frame, &length));
	assert_true(short_reader.malformed());

	const uint8_t zero[] = {0, 0, 0, 0, 9};
	FrameReader zero_reader(zero, sizeof zero);
	assert_false(zero_reader.Next(&frame, &length));
	assert_true(zero_reader.malformed());
}

void bare_frame_detection(void**) {
	std::string bare = FakeFrame(16, 'z');
	assert_true(flatwal::LooksLikeBareFrame(reinterpret_cast<const uint8_t*>(bare.data()), bare.size()));
	std::string message;
	AppendFrame(&message, reinterpret_cast<const uint8_t*>(bare.data()), bare.size());
	assert_false(flatwal::LooksLikeBareFrame(reinterpret_cast<const uint8_t*>(message.data()), message.size()));
	assert_false(flatwal::LooksLikeBareFrame(reinterpret_cast<const uint8_t*>("FWAL"), 4));
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip_several_frames),
	    cmocka_unit_test(length_prefix_is_little_endian),
	    cmocka_unit_test(truncated_message_is_malformed),
	    cmocka_unit_test(short_prefix_and_zero_length_are_malformed),
	    cmocka_unit_test(bare_frame_detection),
	};
	return cmocka_run_group_tests_name("frames", tests, nullptr, nullptr);
}
