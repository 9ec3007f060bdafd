// conclave-notify-child: a child for conclave-candidate --notify tests that speaks systemd's
// notify protocol (sd_notify(3)) as a service would, without libsystemd:
//   conclave-notify-child [--ready-after MS | --ready-after-file FILE] [--status TEXT]
//                         [--ping MS] [--wedge-after MS]
// READY=1 (with STATUS=TEXT) after --ready-after ms (or as many ms as FILE holds when it starts:
// conclave-chaos makes a leader slow to be ready that way; no file: at once); WATCHDOG=1 every
// --ping ms until --wedge-after ms or SIGUSR1, then nothing more (alive, "wedged"). With
// WATCHDOG_PID set, it must be this process's pid (as sd_watchdog_enabled() checks), else it
// exits 3. SIGTERM ends it (status 0).
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace {

volatile std::sig_atomic_t stopped = 0;
volatile std::sig_atomic_t wedged = 0;

long readNumber(const char *path)
{
    std::FILE *f = std::fopen(path, "r");
    if (!f)
        return 0;
    long n = 0;
    if (std::fscanf(f, "%ld", &n) != 1)
        n = 0;
    std::fclose(f);
    return n;
}

bool notify(const std::string &message)
{
    const char *address = std::getenv("NOTIFY_SOCKET");
    if (!address || std::strlen(address) < 2)
        return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const size_t n = std::strlen(address);
    if (n >= sizeof addr.sun_path)
        return false;
    std::memcpy(addr.sun_path, address, n);
    if (address[0] == '@')
        addr.sun_path[0] = '\0';
    const socklen_t length = socklen_t(offsetof(sockaddr_un, sun_path) + n + (address[0] == '@' ? 0 : 1));
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    const bool sent = ::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<const sockaddr *>(&addr), length)
            == ssize_t(message.size());
    ::close(fd);
    return sent;
}

} // namespace

int main(int argc, char **argv)
{
    long readyAfter = -1, ping = 0, wedgeAfter = -1;
    std::string status;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string option = argv[i];
        if (option == "--ready-after")
            readyAfter = std::atol(argv[i + 1]);
        else if (option == "--ping")
            ping = std::atol(argv[i + 1]);
        else if (option == "--wedge-after")
            wedgeAfter = std::atol(argv[i + 1]);
        else if (option == "--status")
            status = argv[i + 1];
        else if (option == "--ready-after-file")
            readyAfter = readNumber(argv[i + 1]);
    }
    if (const char *pid = std::getenv("WATCHDOG_PID"); pid && std::atol(pid) != long(::getpid())) {
        std::fprintf(stderr, "conclave-notify-child: WATCHDOG_PID=%s is not my pid %ld\n", pid, long(::getpid()));
        return 3;
    }
    std::signal(SIGTERM, [](int) { stopped = 1; });
    std::signal(SIGUSR1, [](int) { wedged = 1; });
    std::printf("{\"event\":\"notify-child\",\"pid\":%ld}\n", long(::getpid()));
    std::fflush(stdout);
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    auto since = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(); };
    bool ready = false;
    long nextPing = 0;
    while (!stopped) {
        if (!ready && readyAfter >= 0 && since() >= readyAfter) {
            notify(status.empty() ? "READY=1" : "READY=1\nSTATUS=" + status);
            ready = true;
        }
        if (ping > 0 && since() >= nextPing && !wedged && (wedgeAfter < 0 || since() < wedgeAfter)) {
            notify("WATCHDOG=1");
            nextPing = since() + ping;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
}
