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
    population_rounding = 14,  // sub-key: age
    divert_move = 15,  // sub-key: age moved into (diversion of movers)
    pipeline = 16,     // sub-key: age joined at (the base year's pipeline)
    rate_variation = 17,  // sub-key: 0 conversion, 1 cease; year y0 .. y0+H (yearly rate multipliers)
};

// The SplitMix64 output function for a generator whose state is x (Steele,
// Lea & Flood 2014; Vigna's constants): the golden-ratio increment, then the
// finaliser. A bijection on 64 bits with full avalanche.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
    std::uint64_t z = x + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
// FNV-1a of a string, then mixed: a stable key for a parameter's name.
std::uint64_t hash_name(const char* text, std::uint64_t length);

// (seed, replicate) mixed once: every stream of a replicate starts from it, so
// the year step pays only for mixing in (process, year, sub).
class ReplicateKey {
public:
    ReplicateKey(std::uint64_t seed, std::uint64_t replicate);
    std::uint64_t value() const { return value_; }

private:
    std::uint64_t value_;
};

class Stream {
public:
    Stream(std::uint64_t seed, std::uint64_t replicate, Process process, std::int64_t year,
           std::uint64_t sub = 0);
    // The same stream as above, from the replicate's precomputed key.
    Stream(const ReplicateKey& key, Process process, std::int64_t year, std::uint64_t sub = 0);

    std::uint64_t next_u64() {
        ++draws_;
        return engine_();
    }
    // Uniform on the open interval (0, 1): 52 random bits, centred, so that
    // log(u) and 1/u are always finite and u < 1. (Not 53: x + 0.5 is not
    // representable for x >= 2^52, and rounds the top value to exactly 1.)
    double uniform() { return (static_cast<double>(next_u64() >> 12) + 0.5) * 0x1.0p-52; }

    // How many 64-bit outputs this stream has produced (performance reporting).
    std::uint64_t draws() const { return draws_; }

private:
    pcg64 engine_;
    std::uint64_t draws_ = 0;
};

}  // namespace ehcpsim
