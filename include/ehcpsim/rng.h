// Random streams keyed by their logical coordinates.
//
// Every random number the engine uses comes from a Stream built from
// (master seed, replicate, process, year, sub-key): never from a thread, a
// rank or the order in which work is done. So any split of the replicates
// (threads, MPI ranks, shards) gives the same bytes, and every variant of a
// replicate sees the same numbers for the same process, year and cell
// (common random numbers).
//
// The key is mixed with a SplitMix64 finaliser chain into a 128-bit state and
// a 128-bit stream selector for pcg64, constructed in one step: pcg-cpp 0.98
// returns the same first value for engines that differ only by set_stream()
// (upstream issue #85), and seed() after set_stream() resets the stream.
#pragma once

#include <cstdint>

#include <pcg_random.hpp>

namespace ehcpsim {

// The processes of a year step (and the parameter draw), each with its own
// streams. Values are part of the key: never renumber, only append.
enum class Process : std::uint32_t {
    parameters = 1,    // sub-key: hash of the parameter's name; year 0
    growth_shock = 2,  // e(t)
    cease = 3,         // sub-key: cease group (phase x placement)
    move = 4,          // sub-key: age moved into
    request = 5,       // sub-key: age
    assess = 6,        // sub-key: age
    issue = 7,         // sub-key: age
    lag = 8,           // sub-key: age
    need = 9,          // sub-key: age
    placement = 10,    // sub-key: age
    transfer_count = 11,
    transfer_cell = 12,
    capacity = 13,     // sub-key: placement
};

std::uint64_t splitmix64(std::uint64_t x);
// FNV-1a of a string, then mixed: a stable key for a parameter's name.
std::uint64_t hash_name(const char* text, std::uint64_t length);

class Stream {
public:
    Stream(std::uint64_t seed, std::uint64_t replicate, Process process, std::int64_t year,
           std::uint64_t sub = 0);

    std::uint64_t next_u64() {
        ++draws_;
        return engine_();
    }
    // Uniform on the open interval (0, 1): 53 random bits, centred, so that
    // log(u) and 1/u are always finite.
    double uniform() { return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53; }

    // How many 64-bit outputs this stream has produced (performance reporting).
    std::uint64_t draws() const { return draws_; }

private:
    pcg64 engine_;
    std::uint64_t draws_ = 0;
};

}  // namespace ehcpsim
