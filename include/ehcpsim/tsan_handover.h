// ThreadSanitizer annotations for handing work to oneTBB and taking it back.
//
// Debian's oneTBB is not built with ThreadSanitizer, so TSan cannot see that
// everything the calling thread wrote before tbb::parallel_for happens before
// the loop bodies run, nor that the bodies happen before parallel_for returns:
// the hand-over goes through TBB's own (uninstrumented) atomics. Without the
// two edges every capture of a loop body is reported as a race, sometimes,
// depending on which worker picks up which task. These annotations state the
// two edges TBB guarantees and nothing more: each body acquires what the
// caller released, and the caller acquires what every body released. Two
// bodies get no edge between them, so a race between loop bodies is still
// reported (tests/sanitize/tsan_canary.cpp checks that). Outside a TSan build
// they compile to nothing. Build the loop body before publish(): the index
// form of tbb::parallel_for keeps a reference to it, so a body constructed
// after publish() is a write the workers' reads are not ordered after.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define EHCPSIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EHCPSIM_TSAN 1
#endif
#endif

#ifdef EHCPSIM_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace ehcpsim {

class TsanHandOver {
public:
    // The caller, just before the parallel loop.
    static void publish() {
#ifdef EHCPSIM_TSAN
        __tsan_release(&to_bodies_);
#endif
    }
    // Each loop body, first thing.
    static void body_begins() {
#ifdef EHCPSIM_TSAN
        __tsan_acquire(&to_bodies_);
#endif
    }
    // Each loop body, last thing.
    static void body_ends() {
#ifdef EHCPSIM_TSAN
        __tsan_release(&from_bodies_);
#endif
    }
    // The caller, just after the parallel loop.
    static void collect() {
#ifdef EHCPSIM_TSAN
        __tsan_acquire(&from_bodies_);
#endif
    }

private:
    // Static: a loop body must reach them without reading its own closure,
    // whose copy into TBB's task is itself part of the hand-over.
    [[maybe_unused]] static inline char to_bodies_ = 0;
    [[maybe_unused]] static inline char from_bodies_ = 0;
};

}  // namespace ehcpsim
