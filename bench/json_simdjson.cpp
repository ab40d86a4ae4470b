// The reference side of bench/json_bench.c: simdjson's On-Demand API parsing
// every field of every line (keys, strings, numbers), on the same bytes the
// sluice parser reads.  A C entry point keeps the benchmark itself in C.
#include <simdjson.h>

#include <cstdint>
#include <cstring>

using namespace simdjson;

static void consume_value(ondemand::value v, uint64_t &sum);

static void consume_object(ondemand::object obj, uint64_t &sum)
{
    for (auto field : obj) {
        std::string_view key = field.unescaped_key();
        sum += key.size();
        consume_value(field.value(), sum);
    }
}

static void consume_value(ondemand::value v, uint64_t &sum)
{
    switch (v.type()) {
    case ondemand::json_type::string: sum += std::string_view(v.get_string()).size(); break;
    case ondemand::json_type::number: sum += (uint64_t)(int64_t)double(v.get_double()); break;
    case ondemand::json_type::boolean: sum += bool(v.get_bool()); break;
    case ondemand::json_type::null: sum += v.is_null(); break;
    case ondemand::json_type::object: consume_object(v.get_object(), sum); break;
    case ondemand::json_type::array:
        for (auto el : v.get_array()) consume_value(el.value(), sum);
        break;
    }
}

extern "C" int sj_parse_lines(const char *buf, const size_t *starts, const size_t *lens,
                              size_t n, size_t buf_cap, uint64_t *out_rows, uint64_t *checksum)
{
    static ondemand::parser parser;
    uint64_t sum = 0, rows = 0;
    try {
        for (size_t i = 0; i < n; i++) {
            // The lines sit in one buffer padded at its end, so the bytes after
            // each line are readable: simdjson's padding requirement holds.
            ondemand::document doc = parser.iterate(buf + starts[i], lens[i], buf_cap - starts[i]);
            if (doc.type() == ondemand::json_type::array) {
                for (auto el : doc.get_array()) {
                    consume_object(el.get_object(), sum);
                    rows++;
                }
            } else {
                consume_object(doc.get_object(), sum);
                rows++;
            }
        }
    } catch (const simdjson_error &e) {
        return -1;
    }
    *out_rows = rows;
    *checksum = sum;
    return 0;
}
