// Keyed random streams: (seed, replicate, process, year, sub) -> pcg64.
#include "ehcpsim/rng.h"

namespace ehcpsim {

std::uint64_t hash_name(const char* text, std::uint64_t length) {
    std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
    for (std::uint64_t i = 0; i < length; ++i) {
        h ^= static_cast<unsigned char>(text[i]);
        h *= 0x100000001b3ULL;  // FNV-1a 64 prime
    }
    return splitmix64(h);
}

namespace {

// Each coordinate is first mixed with its own domain tag, so that swapping two
// coordinates' values (replicate 3, year 5 vs replicate 5, year 3) gives a
// different key, then folded into the running hash by XOR and a full mix.
// Nothing is ever added across coordinates: seed*100 + run style collisions
// cannot happen, only genuine 64-bit hash collisions (~2^-64 per pair).
inline std::uint64_t absorb(std::uint64_t h, std::uint64_t tag, std::uint64_t value) {
    return splitmix64(h ^ splitmix64(value ^ splitmix64(tag)));
}

pcg64 keyed_engine(std::uint64_t replicate_key, Process process, std::int64_t year, std::uint64_t sub) {
    std::uint64_t h = replicate_key;
    // Process (32 bits) and year (the low 32 bits, two's complement) share
    // one word: both are far inside their halves, so the packing is one-to-one.
    const std::uint64_t process_year =
        (static_cast<std::uint64_t>(process) << 32) | (static_cast<std::uint64_t>(year) & 0xffffffffULL);
    h = absorb(h, 3, process_year);
    h = absorb(h, 5, sub);
    // Four further words of a SplitMix64 sequence started at h.
    const std::uint64_t w0 = splitmix64(h);
    const std::uint64_t w1 = splitmix64(w0);
    const std::uint64_t w2 = splitmix64(w1);
    const std::uint64_t w3 = splitmix64(w2);
    const pcg_extras::pcg128_t state = (static_cast<pcg_extras::pcg128_t>(w0) << 64) | w1;
    const pcg_extras::pcg128_t stream = (static_cast<pcg_extras::pcg128_t>(w2) << 64) | w3;
    // One-step construction: set_stream()/seed() on an existing engine are
    // buggy in pcg-cpp 0.98 (issues #85, #91, #94). The engine keeps
    // stream*2+1 as its increment, so the top bit of w2 is not used.
    return pcg64(state, stream);
}

}  // namespace

ReplicateKey::ReplicateKey(std::uint64_t seed, std::uint64_t replicate) {
    std::uint64_t h = 0x45484350'53494d32ULL;  // "EHCPSIM2": version of the keying scheme
    h = absorb(h, 1, seed);
    value_ = absorb(h, 2, replicate);
}

Stream::Stream(std::uint64_t seed, std::uint64_t replicate, Process process, std::int64_t year,
               std::uint64_t sub)
    : Stream(ReplicateKey(seed, replicate), process, year, sub) {}

Stream::Stream(const ReplicateKey& key, Process process, std::int64_t year, std::uint64_t sub)
    : engine_(keyed_engine(key.value(), process, year, sub)) {}

}  // namespace ehcpsim
