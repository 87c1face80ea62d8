// `ehcpsim serve [SCENARIO]`: a local web page and a JSON API that edit a
// scenario and re-run it in the background with the same seed (docs/serve.md).
// The server binds 127.0.0.1 unless another interface is asked for, serves
// only its own page, its embedded chart library and the API (anything else
// is 404), and answers a malformed request with a 400 and a message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ehcpsim/app.h"

namespace ehcpsim {

struct ServeRequest {
    std::string scenario;            // "" = the embedded default
    std::string host = "127.0.0.1";  // the interface to bind; another only when asked (--host)
    int port = 0;                    // 0 = a free port chosen by the system
    std::int64_t replicates = 0;     // 0 = the scenario's
    std::optional<std::uint64_t> seed;  // none = the scenario's
    int threads = 0;                 // 0 = every core
    bool run_at_start = true;        // run the scenario as loaded, before any edit
    // The ehcpsim binary the report download runs (`ehcpsim report`);
    // "" = this process's own executable.
    std::string ehcpsim_binary;
};

// The server, started and stopped in process (the command and the tests).
class Server {
public:
    // Loads the scenario (ScenarioError, RuntimeError) and binds the port
    // (RuntimeError naming host and port when it cannot).
    explicit Server(const ServeRequest& request);
    ~Server();  // stops, waits, removes its work directory
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    int port() const;
    std::string url() const;  // http://HOST:PORT/
    // Serves requests on a thread of its own until stop(); returns once it listens.
    void start();
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The command: prints the URL on out, serves until console.cancel is set
// (SIGINT), then stops.
int serve_command(const ServeRequest& request, const Console& console);

// The page and the chart library the server serves, compiled in
// (src/serve/page.html and Debian's Chart.js; cmake/embed_assets.cmake).
const std::string& serve_page_html();
const std::string& serve_chart_js();

}  // namespace ehcpsim
