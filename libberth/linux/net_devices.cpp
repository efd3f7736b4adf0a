// linux.netDevices over rtnetlink (no iproute2, no libnl): a request is a
// nlmsghdr, a fixed header (ifinfomsg or ifaddrmsg) and attributes; the
// kernel answers each with an NLMSG_ERROR whose error is 0 or -errno.
#include "linux/net_devices.hpp"

#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "sys/unique_fd.hpp"

namespace berth::linux {
namespace {

class Message {
public:
  Message(std::uint16_t type, std::uint16_t flags) {
    buffer_.resize(NLMSG_HDRLEN);
    header()->nlmsg_type = type;
    header()->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  }
  template <class T> void body(const T &fixed) { append(&fixed, sizeof fixed); }
  void attribute(std::uint16_t type, const void *data, std::size_t size) {
    rtattr attr{};
    attr.rta_type = type;
    attr.rta_len = static_cast<std::uint16_t>(RTA_LENGTH(size));
    append(&attr, sizeof attr);
    append(data, size);
  }
  void attribute(std::uint16_t type, const std::string &text) {
    attribute(type, text.c_str(), text.size() + 1);
  }
  nlmsghdr *header() { return reinterpret_cast<nlmsghdr *>(buffer_.data()); }
  const std::vector<char> &bytes() { return buffer_; }

private:
  void append(const void *data, std::size_t size) {
    std::size_t at = buffer_.size();
    buffer_.resize(at + NLMSG_ALIGN(size), 0);
    std::memcpy(buffer_.data() + at, data, size);
    header()->nlmsg_len = static_cast<std::uint32_t>(buffer_.size());
  }
  std::vector<char> buffer_;
};

// An rtnetlink socket of the network namespace it was created in.
class Rtnetlink {
public:
  static Result<Rtnetlink> open() {
    int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
      return fail_errno("open an rtnetlink socket");
    UniqueFd owned(fd);
    // The kernel answers at once; a request without an answer must not hang create.
    timeval timeout{.tv_sec = 10, .tv_usec = 0};
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0)
      return fail_errno("set the rtnetlink socket's timeout");
    return Rtnetlink(std::move(owned));
  }

  // Sends `message` and calls `on_reply` for each reply up to the ack (or,
  // for a dump, NLMSG_DONE). Returns the kernel's error as errno.
  template <class OnReply> Result<void> transact(Message &message, OnReply on_reply) {
    message.header()->nlmsg_seq = ++seq_;
    const auto &bytes = message.bytes();
    if (::send(fd_.get(), bytes.data(), bytes.size(), 0) < 0)
      return fail_errno("send to rtnetlink");
    std::vector<char> buffer(64 * 1024);
    for (;;) {
      ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fail_errno("receive from rtnetlink");
      int left = static_cast<int>(n);
      for (auto *reply = reinterpret_cast<nlmsghdr *>(buffer.data()); NLMSG_OK(reply, left);
           reply = NLMSG_NEXT(reply, left)) {
        if (reply->nlmsg_seq != seq_)
          continue;
        if (reply->nlmsg_type == NLMSG_DONE)
          return {};
        if (reply->nlmsg_type == NLMSG_ERROR) {
          int error = static_cast<nlmsgerr *>(NLMSG_DATA(reply))->error;
          if (error == 0)
            return {};
          errno = -error;
          return fail_errno("rtnetlink");
        }
        on_reply(reply);
      }
    }
  }
  Result<void> transact(Message &message) {
    return transact(message, [](const nlmsghdr *) {});
  }

private:
  explicit Rtnetlink(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  std::uint32_t seq_ = 0;
};

// An address to add back: its ifaddrmsg and its IFA_LOCAL/IFA_ADDRESS bytes.
struct Address {
  ifaddrmsg header{};
  std::vector<std::pair<std::uint16_t, std::vector<char>>> attributes;
};

// The permanent (not DHCP/SLAAC-lifetime) global-scope addresses of
// `index`, which a move between network namespaces drops.
Result<std::vector<Address>> permanent_addresses(Rtnetlink &netlink, int index) {
  std::vector<Address> addresses;
  Message dump(RTM_GETADDR, NLM_F_DUMP);
  dump.body(ifaddrmsg{});
  BERTH_TRY(netlink.transact(dump, [&](const nlmsghdr *reply) {
    if (reply->nlmsg_type != RTM_NEWADDR)
      return;
    const auto *ifa = static_cast<const ifaddrmsg *>(NLMSG_DATA(reply));
    if (static_cast<int>(ifa->ifa_index) != index || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
      return;
    std::uint32_t flags = ifa->ifa_flags;
    Address address{*ifa, {}};
    int left = static_cast<int>(IFA_PAYLOAD(reply));
    for (const auto *attr = IFA_RTA(ifa); RTA_OK(attr, left); attr = RTA_NEXT(attr, left)) {
      const char *data = static_cast<const char *>(RTA_DATA(attr));
      if (attr->rta_type == IFA_FLAGS && RTA_PAYLOAD(attr) >= sizeof flags)
        std::memcpy(&flags, data, sizeof flags);
      if (attr->rta_type == IFA_LOCAL || attr->rta_type == IFA_ADDRESS)
        address.attributes.emplace_back(attr->rta_type,
                                        std::vector<char>(data, data + RTA_PAYLOAD(attr)));
    }
    if (flags & IFA_F_PERMANENT)
      addresses.push_back(std::move(address));
  }));
  return addresses;
}

// The interface index of `name` in the socket's network namespace.
Result<int> index_of(Rtnetlink &netlink, const std::string &name) {
  Message get(RTM_GETLINK, NLM_F_ACK); // the link, then the ack that ends the answer
  get.body(ifinfomsg{});
  get.attribute(IFLA_IFNAME, name);
  int index = 0;
  BERTH_TRY(netlink.transact(get, [&](const nlmsghdr *reply) {
    if (reply->nlmsg_type == RTM_NEWLINK)
      index = static_cast<const ifinfomsg *>(NLMSG_DATA(reply))->ifi_index;
  }));
  return index;
}

Result<void> add_address(Rtnetlink &netlink, int index, const Address &address) {
  Message add(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  ifaddrmsg header = address.header;
  header.ifa_index = static_cast<std::uint32_t>(index);
  add.body(header);
  for (const auto &[type, data] : address.attributes)
    add.attribute(type, data.data(), data.size());
  return netlink.transact(add);
}

Result<void> set_up(Rtnetlink &netlink, int index) {
  Message up(RTM_NEWLINK, NLM_F_ACK);
  ifinfomsg info{};
  info.ifi_index = index;
  info.ifi_flags = IFF_UP;
  info.ifi_change = IFF_UP;
  up.body(info);
  return netlink.transact(up);
}

// One interface of linux.netDevices: its host name, its name in the
// container, and the addresses the move drops.
struct NetDevice {
  std::string host_name;
  std::string name;
  std::vector<Address> addresses;
  int host_index = 0;
  bool moved = false; // the move (and rename) succeeded
};

// The name of interface `index` in the socket's network namespace, or "".
std::string name_of(Rtnetlink &netlink, int index) {
  Message get(RTM_GETLINK, NLM_F_ACK);
  ifinfomsg info{};
  info.ifi_index = index;
  get.body(info);
  std::string name;
  (void)netlink.transact(get, [&](const nlmsghdr *reply) {
    if (reply->nlmsg_type != RTM_NEWLINK)
      return;
    const auto *link = static_cast<const ifinfomsg *>(NLMSG_DATA(reply));
    int left = static_cast<int>(IFLA_PAYLOAD(reply));
    for (const auto *attr = IFLA_RTA(link); RTA_OK(attr, left); attr = RTA_NEXT(attr, left))
      if (attr->rta_type == IFLA_IFNAME)
        name = static_cast<const char *>(RTA_DATA(attr));
  });
  return name;
}

Result<void> move_link(Rtnetlink &netlink, int index, int target_ns, const std::string &name) {
  Message move(RTM_NEWLINK, NLM_F_ACK);
  ifinfomsg info{};
  info.ifi_index = index;
  move.body(info);
  auto fd = static_cast<std::uint32_t>(target_ns);
  move.attribute(IFLA_NET_NS_FD, &fd, sizeof fd);
  move.attribute(IFLA_IFNAME, name);
  return netlink.transact(move);
}

Result<void> move_in(Rtnetlink &host, Rtnetlink &container, int target_ns, NetDevice &device) {
  // EEXIST: the container has an interface of that name already.
  BERTH_TRY_CTX(move_link(host, device.host_index, target_ns, device.name),
                "move " + device.host_name + " into the container's network namespace as " +
                    device.name);
  device.moved = true;
  BERTH_TRY_ASSIGN(int moved,
                   with_context(index_of(container, device.name), "find " + device.name));
  for (const auto &address : device.addresses)
    BERTH_TRY_CTX(add_address(container, moved, address), "add back an address of " + device.name);
  BERTH_TRY_CTX(set_up(container, moved), "bring " + device.name + " up");
  return {};
}

Result<UniqueFd> open_namespace(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail_errno("open " + path);
  return UniqueFd(fd);
}

bool same_file(int a, int b) {
  struct stat sa {
  }, sb{};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// A socket of the container's network namespace: berth enters it only for the
// socket() call (the socket stays bound to it), then returns to its own.
Result<Rtnetlink> open_in(int target_ns, int own_ns) {
  if (::setns(target_ns, CLONE_NEWNET) < 0)
    return fail_errno("enter the container's network namespace");
  auto netlink = Rtnetlink::open();
  if (::setns(own_ns, CLONE_NEWNET) < 0)
    return fail_errno("return to berth's network namespace");
  return netlink;
}

// Undoes a move, as well as it can: the interface goes back to berth's
// network namespace under its host name, with its addresses (down, as a move
// leaves it). A move whose rename failed (EEXIST) has moved it all the same,
// under its host name: it is found by its index then, never by a name that may
// be another interface of the container's.
void move_back(Rtnetlink &host, Rtnetlink &container, int own_ns, const NetDevice &device) {
  int index = 0;
  if (device.moved) {
    index = index_of(container, device.name).value_or(0);
  } else if (name_of(container, device.host_index) == device.host_name) {
    // Moved, then not renamed: the kernel keeps the index when it is free.
    index = device.host_index;
  }
  if (index == 0 || !move_link(container, index, own_ns, device.host_name))
    return;
  int back = static_cast<int>(::if_nametoindex(device.host_name.c_str()));
  for (const auto &address : device.addresses)
    (void)add_address(host, back, address);
}

} // namespace

Result<void> move_net_devices(const std::map<std::string, spec::NetDevice> &devices, pid_t pid) {
  if (devices.empty())
    return {};
  BERTH_TRY_ASSIGN(UniqueFd own_ns, open_namespace("/proc/self/ns/net"));
  BERTH_TRY_ASSIGN(UniqueFd target_ns, open_namespace("/proc/" + std::to_string(pid) + "/ns/net"));
  if (same_file(own_ns.get(), target_ns.get()))
    return fail("config.json: /linux/netDevices: the container's network namespace is the "
                "host's: moving interfaces needs a network namespace of the container's own");
  BERTH_TRY_ASSIGN(Rtnetlink host, Rtnetlink::open());
  BERTH_TRY_ASSIGN(Rtnetlink container, open_in(target_ns.get(), own_ns.get()));
  // A create that fails here gives back what it took, so that the kernel does
  // not destroy (virtual) or rename (physical) the host's interfaces with the
  // namespace of a container that never was.
  std::vector<NetDevice> taken;
  for (const auto &[host_name, device] : devices) {
    auto moved = [&]() -> Result<void> {
      int index = static_cast<int>(::if_nametoindex(host_name.c_str()));
      if (index == 0)
        return fail("no network interface \"" + host_name + "\" on the host");
      NetDevice &one = taken.emplace_back();
      one.host_index = index;
      one.host_name = host_name;
      one.name = device.name && !device.name->empty() ? *device.name : host_name;
      BERTH_TRY_ASSIGN(one.addresses, with_context(permanent_addresses(host, index),
                                                   "list the addresses of " + host_name));
      return move_in(host, container, target_ns.get(), one);
    }();
    if (!moved) {
      for (const auto &one : taken)
        move_back(host, container, own_ns.get(), one);
      moved.error().context("config.json: /linux/netDevices/" + host_name);
      return moved;
    }
  }
  return {};
}

Result<void> bring_up_loopback() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail_errno("bring up the loopback interface: socket");
  UniqueFd socket(fd);
  struct ifreq request {};
  std::strncpy(request.ifr_name, "lo", sizeof request.ifr_name - 1);
  if (::ioctl(socket.get(), SIOCGIFFLAGS, &request) < 0)
    return fail_errno("bring up the loopback interface: get its flags");
  if (request.ifr_flags & IFF_UP)
    return {};
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  if (::ioctl(socket.get(), SIOCSIFFLAGS, &request) < 0)
    return fail_errno("bring up the loopback interface");
  return {};
}

} // namespace berth::linux
