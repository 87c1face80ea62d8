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

// Native-order fields, in the order they are put.
class Buffer {
public:
    template <class T>
    void put(T value) {
        const auto* p = reinterpret_cast<const char*>(&value);
        bytes_.insert(bytes_.end(), p, p + sizeof value);
    }
    void put(const std::string& text) {
        put(static_cast<std::uint64_t>(text.size()));
        bytes_.insert(bytes_.end(), text.begin(), text.end());
    }
    template <class T>
    void put_list(const std::vector<T>& values) {
        put(static_cast<std::uint64_t>(values.size()));
        for (const T& value : values) put(value);
    }
    std::vector<char> take() { return std::move(bytes_); }

private:
    std::vector<char> bytes_;
};

// Reading a header body: any overrun means the header is not what it claims.
class Cursor {
public:
    Cursor(const char* data, std::size_t size) : data_(data), size_(size) {}
    template <class T>
    T get() {
        T value;
        take(&value, sizeof value);
        return value;
    }
    std::string get_string() {
        const auto length = get<std::uint64_t>();
        if (length > size_ - at_) throw std::length_error("checkpoint header");
        std::string text(data_ + at_, static_cast<std::size_t>(length));
        at_ += static_cast<std::size_t>(length);
        return text;
    }
    // A count of items that each take at least one byte.
    std::size_t get_count() {
        const auto count = get<std::uint64_t>();
        if (count > size_ - at_) throw std::length_error("checkpoint header");
        return static_cast<std::size_t>(count);
    }
    template <class T>
    std::vector<T> get_list() {
        std::vector<T> values(get_count());
        for (T& value : values) {
            if constexpr (std::is_same_v<T, std::string>) value = get_string();
            else value = get<T>();
        }
        return values;
    }
    bool done() const { return at_ == size_; }

private:
    void take(void* out, std::size_t bytes) {
        if (bytes > size_ - at_) throw std::length_error("checkpoint header");
        std::memcpy(out, data_ + at_, bytes);
        at_ += bytes;
    }
    const char* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

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
    Buffer b;
    b.put(info.engine_version);
    b.put(info.scenario_name);
    b.put(info.mode);
    b.put(info.seed);
    b.put(info.replicates);
    b.put(info.first_replicate);
    b.put(info.total_replicates);
    b.put(static_cast<std::uint8_t>(info.common_random_numbers ? 1 : 0));
    b.put(static_cast<std::uint8_t>(info.fixed_parameters ? 1 : 0));
    b.put(static_cast<std::uint8_t>(info.phase_detail ? 1 : 0));
    b.put_list(info.years);
    b.put_list(info.placements);
    b.put_list(info.needs);
    b.put_list(info.phases);
    b.put_list(info.variants);
    b.put_list(info.levels);
    b.put_list(info.compare_to);
    b.put(static_cast<std::uint64_t>(info.parameter_names.size()));
    for (const auto& names : info.parameter_names) b.put_list(names);
    b.put(static_cast<std::uint64_t>(info.specialist.size()));
    for (const auto& placements : info.specialist) b.put_list(placements);
    b.put(static_cast<std::uint64_t>(info.capacity.size()));
    for (const auto& entries : info.capacity) {
        b.put(static_cast<std::uint64_t>(entries.size()));
        for (const auto& entry : entries) {
            b.put(entry.placement);
            b.put(entry.phase);
            b.put(entry.overflow);
            b.put_list(entry.places);
        }
    }
    b.put(static_cast<std::uint64_t>(info.sources.size()));
    for (const auto& source : info.sources) {
        b.put(source.path);
        b.put(source.text);
    }
    return b.take();
}

RunInfo decode_run(const std::vector<char>& body) {
    Cursor c(body.data(), body.size());
    RunInfo info;
    info.engine_version = c.get_string();
    info.scenario_name = c.get_string();
    info.mode = c.get_string();
    info.seed = c.get<std::uint64_t>();
    info.replicates = c.get<std::int64_t>();
    info.first_replicate = c.get<std::int64_t>();
    info.total_replicates = c.get<std::int64_t>();
    info.common_random_numbers = c.get<std::uint8_t>() != 0;
    info.fixed_parameters = c.get<std::uint8_t>() != 0;
    info.phase_detail = c.get<std::uint8_t>() != 0;
    info.years = c.get_list<int>();
    info.placements = c.get_list<std::string>();
    info.needs = c.get_list<std::string>();
    info.phases = c.get_list<std::string>();
    info.variants = c.get_list<std::string>();
    info.levels = c.get_list<std::string>();
    info.compare_to = c.get_list<std::string>();
    info.parameter_names.resize(c.get_count());
    for (auto& names : info.parameter_names) names = c.get_list<std::string>();
    info.specialist.resize(c.get_count());
    for (auto& placements : info.specialist) placements = c.get_list<int>();
    info.capacity.resize(c.get_count());
    for (auto& entries : info.capacity) {
        entries.resize(c.get_count());
        for (auto& entry : entries) {
            entry.placement = c.get<int>();
            entry.phase = c.get<int>();
            entry.overflow = c.get<int>();
            entry.places = c.get_list<double>();
        }
    }
    info.sources.resize(c.get_count());
    for (auto& source : info.sources) {
        source.path = c.get_string();
        source.text = c.get_string();
    }
    if (!c.done() || info.replicates < 0 || info.first_replicate < 0 || info.total_replicates < 0 ||
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
