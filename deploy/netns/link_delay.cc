// strobe_link_delay: adds a fixed one-way delay to the packets of an iptables NFQUEUE, for simulated clusters on
// kernels without sch_netem (tc's netem qdisc). Every queued packet is held in the kernel until its delay has
// passed, then accepted, in arrival order, so a link keeps its order and its bandwidth and gains only latency.
//   strobe_link_delay --queue=0 --delay_ms=5      (run in the namespace whose iptables rule queues to 0;
//                                                  queue arriving packets: see sim_cluster.sh for why)
// deploy/netns/sim_cluster.sh starts one per simulated host (`up N --delay_ms=MS`). Needs root (CAP_NET_ADMIN).
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

struct HeldPacket {
  uint32_t id;
  Clock::time_point due;
};

struct DelayLine {
  Clock::duration delay;
  std::deque<HeldPacket> held;
  uint64_t packets = 0;
};

volatile sig_atomic_t stop_requested = 0;

void RequestStop(int) { stop_requested = 1; }

int Hold(nfq_q_handle*, nfgenmsg*, nfq_data* packet, void* context) {
  auto* line = static_cast<DelayLine*>(context);
  const nfqnl_msg_packet_hdr* header = nfq_get_msg_packet_hdr(packet);
  if (header == nullptr) return 0;
  line->held.push_back({ntohl(header->packet_id), Clock::now() + line->delay});
  ++line->packets;
  return 0;
}

// Accepts every packet whose time has come (all of them when `everything`).
bool Release(nfq_q_handle* queue, DelayLine* line, bool everything) {
  const Clock::time_point now = Clock::now();
  while (!line->held.empty() && (everything || line->held.front().due <= now)) {
    if (nfq_set_verdict(queue, line->held.front().id, NF_ACCEPT, 0, nullptr) < 0) {
      std::fprintf(stderr, "strobe_link_delay: cannot release a packet: %s\n", std::strerror(errno));
      return false;
    }
    line->held.pop_front();
  }
  return true;
}

bool ParseFlag(const char* argument, const char* name, long* value) {
  const size_t length = std::strlen(name);
  if (std::strncmp(argument, name, length) != 0 || argument[length] != '=') return false;
  char* end = nullptr;
  *value = std::strtol(argument + length + 1, &end, 10);
  return end != argument + length + 1 && *end == '\0' && *value >= 0;
}

int Fail(const char* what) {
  std::fprintf(stderr, "strobe_link_delay: %s: %s\n", what, errno != 0 ? std::strerror(errno) : "failed");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  long queue_number = -1;
  long delay_ms = -1;
  for (int i = 1; i < argc; ++i) {
    if (!ParseFlag(argv[i], "--queue", &queue_number) && !ParseFlag(argv[i], "--delay_ms", &delay_ms)) {
      std::fprintf(stderr, "strobe_link_delay: bad argument '%s' (expected --queue=N --delay_ms=MS, N and MS >= 0)\n",
                   argv[i]);
      return 2;
    }
  }
  if (queue_number < 0 || queue_number > 65535 || delay_ms < 0) {
    std::fprintf(stderr, "usage: strobe_link_delay --queue=N --delay_ms=MS  (N in 0..65535)\n");
    return 2;
  }
  DelayLine line{std::chrono::milliseconds(delay_ms), {}, 0};

  nfq_handle* handle = nfq_open();
  if (handle == nullptr) return Fail("cannot open netfilter queueing (root and CONFIG_NETFILTER_NETLINK_QUEUE needed)");
  nfq_q_handle* queue = nfq_create_queue(handle, static_cast<uint16_t>(queue_number), &Hold, &line);
  if (queue == nullptr) return Fail("cannot bind the queue (is another program bound to it?)");
  // Only the packet id is needed; copying no payload keeps the kernel-to-user traffic small.
  if (nfq_set_mode(queue, NFQNL_COPY_META, 0) < 0) return Fail("cannot set the copy mode");
  // Up to a few seconds of a fast link may be in flight inside the delay.
  if (nfq_set_queue_maxlen(queue, 1 << 16) < 0) return Fail("cannot set the queue length");
  // Large (GSO) packets are held whole rather than cut into one queue entry per wire-sized segment.
  if (nfq_set_queue_flags(queue, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) < 0) return Fail("cannot accept large packets");
  nfnl_rcvbufsiz(nfq_nfnlh(handle), 16 << 20);
  signal(SIGTERM, RequestStop);
  signal(SIGINT, RequestStop);
  std::fprintf(stderr, "strobe_link_delay: queue %ld: holding every packet %ld ms\n", queue_number, delay_ms);

  const int fd = nfq_fd(handle);
  char buffer[1 << 16];
  while (!stop_requested) {
    int wait_ms = 100;
    if (!line.held.empty()) {
      const auto until_due = line.held.front().due - Clock::now();
      wait_ms = static_cast<int>(std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(until_due).count()));
    }
    pollfd ready{fd, POLLIN, 0};
    if (poll(&ready, 1, wait_ms) > 0) {
      const ssize_t length = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (length > 0) {
        nfq_handle_packet(handle, buffer, static_cast<int>(length));
      } else if (length < 0 && errno == ENOBUFS) {
        std::fprintf(stderr, "strobe_link_delay: the kernel dropped queue messages (ENOBUFS); packets were lost\n");
      }
    }
    if (!Release(queue, &line, false)) break;
  }
  Release(queue, &line, true);
  std::fprintf(stderr, "strobe_link_delay: queue %ld: delayed %llu packets\n", queue_number,
               static_cast<unsigned long long>(line.packets));
  nfq_destroy_queue(queue);
  nfq_close(handle);
  return 0;
}
