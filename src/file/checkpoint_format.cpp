// The checkpoint's header body and record layout (checkpoint_format.h).
#include "checkpoint_format.h"

#include <zlib.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace ehcpsim::checkpoint_format {
namespace {

// The header body's fields, in order: one list for writing and reading, so
// the two cannot drift apart. `io` is a Writer or a Reader.
template <class IO, class Info>
void run_fields(IO& io, Info& info) {
    io(info.engine_version);
    io(info.scenario_name);
    io(info.mode);
    io(info.seed);
    io(info.replicates);
    io(info.first_replicate);
    io(info.total_replicates);
    io(info.common_random_numbers);
    io(info.fixed_parameters);
    io(info.phase_detail);
    io(info.plan_detail);
    io(info.ages);
    io(info.years);
    io(info.placements);
    io(info.needs);
    io(info.phases);
    io(info.variants);
    io(info.levels);
    io(info.compare_to);
    io(info.parameter_names);
    io(info.specialist);
    io(info.capacity);
    io(info.adjustments);
    io(info.sources);
}

// Native-order fields: numbers as their bytes, a bool as one byte, a string
// or a list as a uint64 count and its items.
class Writer {
public:
    template <class T>
    void operator()(const T& value) {
        if constexpr (std::is_same_v<T, bool>) {
            (*this)(static_cast<std::uint8_t>(value ? 1 : 0));
        } else if constexpr (std::is_arithmetic_v<T>) {
            const auto* p = reinterpret_cast<const char*>(&value);
            bytes_.insert(bytes_.end(), p, p + sizeof value);
        } else if constexpr (std::is_same_v<T, std::string>) {
            (*this)(static_cast<std::uint64_t>(value.size()));
            bytes_.insert(bytes_.end(), value.begin(), value.end());
        } else {
            fields(*this, value);
        }
    }
    template <class T>
    void operator()(const std::vector<T>& values) {
        (*this)(static_cast<std::uint64_t>(values.size()));
        for (const T& value : values) (*this)(value);
    }
    std::vector<char> take() { return std::move(bytes_); }

private:
    std::vector<char> bytes_;
};

// Reading a header body: any overrun means the header is not what it claims.
class Reader {
public:
    Reader(const char* data, std::size_t size) : data_(data), size_(size) {}
    template <class T>
    void operator()(T& value) {
        if constexpr (std::is_same_v<T, bool>) {
            std::uint8_t byte = 0;
            (*this)(byte);
            value = byte != 0;
        } else if constexpr (std::is_arithmetic_v<T>) {
            take(&value, sizeof value);
        } else if constexpr (std::is_same_v<T, std::string>) {
            const std::size_t length = count();
            value.assign(data_ + at_, length);
            at_ += length;
        } else {
            fields(*this, value);
        }
    }
    template <class T>
    void operator()(std::vector<T>& values) {
        values.resize(count());
        for (T& value : values) (*this)(value);
    }
    bool done() const { return at_ == size_; }

private:
    // A length or count: never more than the bytes left (each item takes at
    // least one), so a damaged count cannot ask for a huge allocation.
    std::size_t count() {
        std::uint64_t n = 0;
        (*this)(n);
        if (n > size_ - at_) throw std::length_error("checkpoint header");
        return static_cast<std::size_t>(n);
    }
    void take(void* out, std::size_t bytes) {
        if (bytes > size_ - at_) throw std::length_error("checkpoint header");
        std::memcpy(out, data_ + at_, bytes);
        at_ += bytes;
    }
    const char* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

// The parts of a RunInfo that are structs.
template <class IO, class Entry>
void capacity_fields(IO& io, Entry& entry) {
    io(entry.placement);
    io(entry.phase);
    io(entry.overflow);
    io(entry.places);
}
template <class IO, class Source>
void source_fields(IO& io, Source& source) {
    io(source.path);
    io(source.text);
}
template <class IO>
void fields(IO& io, const RunInfo::CapacityEntry& entry) { capacity_fields(io, entry); }
template <class IO>
void fields(IO& io, RunInfo::CapacityEntry& entry) { capacity_fields(io, entry); }
template <class IO, class Adjustment>
void adjustment_fields(IO& io, Adjustment& a) {
    io(a.name);
    io(a.kind);
    io(a.year);
    io(a.amount);
}
template <class IO>
void fields(IO& io, const RunInfo::Adjustment& a) { adjustment_fields(io, a); }
template <class IO>
void fields(IO& io, RunInfo::Adjustment& a) { adjustment_fields(io, a); }
template <class IO>
void fields(IO& io, const SourceText& source) { source_fields(io, source); }
template <class IO>
void fields(IO& io, SourceText& source) { source_fields(io, source); }

// Indices a comparison or a name lookup would follow must name something.
void check_indices(const RunInfo& info) {
    const auto inside = [](int i, std::size_t size, int lowest) {
        return i >= lowest && i < static_cast<int>(size);
    };
    for (const auto& entries : info.capacity) {
        for (const auto& entry : entries) {
            if (!inside(entry.placement, info.placements.size(), 0) || !inside(entry.phase, info.phases.size(), -1) ||
                !inside(entry.overflow, info.placements.size(), -1))
                throw std::length_error("checkpoint header");
        }
    }
    for (const auto& placements : info.specialist) {
        for (int p : placements) {
            if (!inside(p, info.placements.size(), 0)) throw std::length_error("checkpoint header");
        }
    }
}

}  // namespace

std::uint32_t crc(std::uint32_t running, const void* data, std::size_t bytes) {
    if (bytes == 0) return running;  // zlib restarts on a null pointer (an empty vector's data())
    return static_cast<std::uint32_t>(crc32_z(running, static_cast<const Bytef*>(data), bytes));
}

std::vector<char> encode_run(const RunInfo& info) {
    Writer writer;
    run_fields(writer, info);
    return writer.take();
}

RunInfo decode_run(const std::vector<char>& body) {
    Reader reader(body.data(), body.size());
    RunInfo info;
    run_fields(reader, info);
    if (!reader.done() || info.replicates < 0 || info.first_replicate < 0 || info.total_replicates < 0 ||
        info.first_replicate > info.total_replicates - info.replicates)
        throw std::length_error("checkpoint header");
    check_indices(info);
    return info;
}

std::vector<std::uint64_t> record_layout(const RunInfo& info) {
    const Shape shape = info.shape();
    const auto parameters = info.parameters_per_variant();
    std::vector<std::uint64_t> layout;
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        for (int m = 0; m < metric_count; ++m) layout.push_back(shape.values_per_replicate(m));
        layout.push_back(parameters[v]);
    }
    return layout;
}

}  // namespace ehcpsim::checkpoint_format
