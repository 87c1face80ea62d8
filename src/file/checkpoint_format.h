// The checkpoint file's format (docs/output.md, "Resuming an interrupted
// run"): a fixed header, a header body describing the run (its RunInfo,
// scenario text included), then records of raw doubles, each with a CRC-32.
// Internal to the file stage: checkpoint.cpp reads and writes files of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ehcpsim/results.h"

namespace ehcpsim::checkpoint_format {

inline constexpr char magic[8] = {'E', 'H', 'C', 'P', 'C', 'K', 'P', 'T'};
// 2: the header body is the whole RunInfo (version 1 held a hash of the
// scenario and a few settings).
inline constexpr std::uint32_t version = 2;
inline constexpr std::uint32_t byte_order_mark = 0x01020304;  // reads 0x04030201 on a machine of the other byte order
inline constexpr std::uint32_t record_magic = 0x31434552;     // "REC1" in a little-endian file
inline constexpr std::size_t fixed_header = sizeof magic + 4 + 4 + 8;  // magic, version, byte order, body length
inline constexpr std::size_t record_header = 4 + 4 + 8 + 8 + 8;       // magic, reserved, first, count, payload bytes
inline constexpr std::size_t crc_bytes = 4;

struct RecordHeader {
    std::uint32_t magic = record_magic;
    std::uint32_t reserved = 0;
    std::int64_t first = 0;
    std::int64_t count = 0;
    std::uint64_t payload_bytes = 0;
};
static_assert(sizeof(RecordHeader) == record_header);

// CRC-32 (zlib) continued from `running`.
std::uint32_t crc(std::uint32_t running, const void* data, std::size_t bytes);

// The header body: every field of the run, in native byte order.
std::vector<char> encode_run(const RunInfo& info);
// The run a header body describes; std::length_error if it does not parse
// or names placements or phases it does not have.
RunInfo decode_run(const std::vector<char>& body);

// A record's payload per replicate: for each variant, the values of each
// metric, then its parameters.
std::vector<std::uint64_t> record_layout(const RunInfo& info);

}  // namespace ehcpsim::checkpoint_format
